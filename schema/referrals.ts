import 'reflect-metadata';
import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { setReferralProgramErrors } from '../gateway/rules/referrals';
import { Money, MoneyInput } from './common';
import { resultUnion } from './errors';
import { Int64 } from './scalars';

@ObjectType({
  description:
    'The operator’s referral program in one currency: when a member enrolled with a friend’s code first makes a qualifying purchase, both get points, issued by the currency’s owner.',
})
export class ReferralProgram {
  @Field()
  currency!: string;

  @Field(() => Int64, { description: 'Points for the member who referred.' })
  referrerPoints!: bigint;

  @Field(() => Int64, { description: 'Points for the new member.' })
  refereePoints!: bigint;

  @Field(() => Money, {
    nullable: true,
    description: 'The qualifying purchase is at least this much; null: any purchase that earns.',
  })
  purchaseAtLeast!: Money | null;

  @Field(() => Int, { description: 'Referrals that count per referring member.' })
  referralsPerMemberMax!: number;

  @Field()
  active!: boolean;

  @Field()
  updatedAt!: Date;
}

@InputType({ description: 'A currency’s referral program (operator only).' })
export class SetReferralProgramInput {
  @Field()
  currency!: string;

  @Field(() => Int64)
  referrerPoints!: bigint;

  @Field(() => Int64)
  refereePoints!: bigint;

  @Field(() => MoneyInput, { nullable: true })
  purchaseAtLeast?: MoneyInput;

  @Field(() => Int)
  referralsPerMemberMax!: number;

  @Field({
    nullable: true,
    description: 'False pauses it: no new referrals or rewards (default true).',
  })
  active?: boolean;
}

@ObjectType({ description: 'The program as it now stands.' })
export class ReferralProgramSuccess {
  @Field(() => ReferralProgram)
  program!: ReferralProgram;
}

export const SetReferralProgramResult = resultUnion({
  name: 'SetReferralProgramResult',
  description: 'ReferralProgramSuccess, or why the program was not set.',
  success: ReferralProgramSuccess,
  errors: setReferralProgramErrors,
});

@ObjectType({ description: 'A member’s referrals in one program.' })
export class ReferralCount {
  @Field()
  currency!: string;

  @Field(() => Int, { description: 'Members who enrolled with the code.' })
  referred!: number;

  @Field(() => Int, { description: 'Of them, those whose qualifying purchase was rewarded.' })
  rewarded!: number;

  @Field(() => Int, { description: 'Referrals that may still count.' })
  left!: number;
}

@ObjectType({ description: 'The calling member’s referral code and referrals.' })
export class MyReferrals {
  @Field({ description: 'Given to friends, who enrol with it at any partner.' })
  code!: string;

  @Field(() => [ReferralCount])
  programs!: ReferralCount[];
}
