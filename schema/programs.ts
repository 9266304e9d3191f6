import {
  createCurrencyErrors,
  createPartnerErrors,
  setPartnerCurrencyErrors,
} from '../gateway/programs/program-catalog';
import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { resultUnion } from './errors';
import { Int64 } from './scalars';

@ObjectType({ description: 'A business in the coalition: an airline, a hotel chain, a shop.' })
export class Partner {
  @Field(() => ID, { description: 'Stable id, e.g. "ptr_skyair".' })
  id!: string;

  @Field({ description: 'Display name.' })
  name!: string;
}

@ObjectType({
  description:
    'A program currency (airline miles, hotel points), owned by the partner that issues it.',
})
export class Currency {
  @Field({ description: 'Code, e.g. "SKY".' })
  code!: string;

  @Field({ description: 'Display name, e.g. "SkyAir miles".' })
  name!: string;

  @Field(() => ID, { description: 'The issuing partner.' })
  ownerPartnerId!: string;

  @Field(() => Int, {
    nullable: true,
    description:
      'Points expire this many months after they are earned; null when they never expire.',
  })
  expiryMonths!: number | null;
}

@ObjectType({ description: 'A partner’s terms for one program currency.' })
export class PartnerCurrencyTerms {
  @Field(() => ID)
  partnerId!: string;

  @Field({ description: 'The program currency code.' })
  currency!: string;

  @Field({ description: 'The partner awards this currency on purchases.' })
  earns!: boolean;

  @Field({ description: 'The partner accepts this currency as payment.' })
  accepts!: boolean;

  @Field(() => Int64, {
    description: 'Points awarded per `earnRatePerMinor` minor units of money.',
  })
  earnRatePoints!: bigint;

  @Field(() => Int64, { description: 'Minor units of money that earn `earnRatePoints` points.' })
  earnRatePerMinor!: bigint;

  @Field({ description: 'The money currency purchases are priced in, e.g. "EUR".' })
  moneyCurrency!: string;
}

@InputType({ description: 'A new partner (operator only).' })
export class CreatePartnerInput {
  @Field(() => ID, {
    nullable: true,
    description: 'Readable id, e.g. "ptr_skyair"; generated when omitted.',
  })
  id?: string;

  @Field({ description: 'Display name.' })
  name!: string;
}

@InputType({ description: 'A new program currency (operator only).' })
export class CreateCurrencyInput {
  @Field({ description: '2-10 capital letters or digits, e.g. "SKY".' })
  code!: string;

  @Field({ description: 'Display name.' })
  name!: string;

  @Field(() => ID, { description: 'The issuing partner.' })
  ownerPartnerId!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Months until earned points expire; omit for never.',
  })
  expiryMonths?: number;
}

@InputType({ description: 'Sets a partner’s terms for a currency (operator only).' })
export class SetPartnerCurrencyInput {
  @Field(() => ID)
  partnerId!: string;

  @Field({ description: 'The program currency code.' })
  currency!: string;

  @Field({ description: 'The partner awards this currency.' })
  earns!: boolean;

  @Field({ description: 'The partner accepts this currency as payment.' })
  accepts!: boolean;

  @Field(() => Int64, {
    defaultValue: 0n,
    description: 'Points per `earnRatePerMinor` minor units.',
  })
  earnRatePoints!: bigint;

  @Field(() => Int64, {
    defaultValue: 100n,
    description: 'Minor units that earn `earnRatePoints`.',
  })
  earnRatePerMinor!: bigint;

  @Field({ defaultValue: 'EUR', description: 'The money currency purchases are priced in.' })
  moneyCurrency!: string;
}

export const CreatePartnerResult = resultUnion({
  name: 'CreatePartnerResult',
  description: 'The new Partner, or why none was created.',
  success: Partner,
  errors: createPartnerErrors,
});

export const CreateCurrencyResult = resultUnion({
  name: 'CreateCurrencyResult',
  description: 'The new Currency, or why none was created.',
  success: Currency,
  errors: createCurrencyErrors,
});

export const SetPartnerCurrencyResult = resultUnion({
  name: 'SetPartnerCurrencyResult',
  description: 'The terms now in force, or why they were not set.',
  success: PartnerCurrencyTerms,
  errors: setPartnerCurrencyErrors,
});
