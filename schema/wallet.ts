import 'reflect-metadata';
import { Field, ID, ObjectType } from 'type-graphql';
import { Money, PageInfo } from './common';
import { Int64 } from './scalars';
import { TransferCode } from './transfers';

@ObjectType({ description: 'A member’s points in one program currency.' })
export class Balance {
  /** Whose balance this is (not a field: lets field resolvers value it). */
  memberId!: string;

  @Field({ description: 'The program currency code.' })
  currency!: string;

  @Field(() => Int64, { description: 'Points the member can spend now.' })
  available!: bigint;

  @Field(() => Int64, { description: 'Points earned but not yet matured (not spendable yet).' })
  pending!: bigint;

  @Field(() => Int64, {
    description: 'Points reserved by redemptions awaiting a partner’s confirmation.',
  })
  held!: bigint;

  @Field(() => Int64, { description: 'Part of `available` that expires before `expiringBefore`.' })
  expiringSoon!: bigint;

  @Field({
    description:
      'The horizon of `expiringSoon`: the end of the UTC day 30 days from now (unless asked otherwise).',
  })
  expiringBefore!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'When the soonest-expiring available points expire.',
  })
  nextExpiryAt!: Date | null;
}

@ObjectType({ description: 'How one entry changed the member’s points in one currency.' })
export class BalanceChange {
  @Field({ description: 'The program currency code.' })
  currency!: string;

  @Field(() => Int64, { description: 'Change of spendable points (negative when points left).' })
  available!: bigint;

  @Field(() => Int64, { description: 'Change of pending points.' })
  pending!: bigint;

  @Field(() => Int64, { description: 'Change of held points.' })
  held!: bigint;
}

@ObjectType({ description: 'One change in a member’s wallet, with why it happened.' })
export class WalletEntry {
  @Field(() => ID, { description: 'The transfer id.' })
  id!: string;

  @Field(() => TransferCode, { description: 'Why the points moved.' })
  code!: TransferCode;

  @Field({ description: 'A sentence saying what happened, e.g. "Earned at FuelCo (50.00 EUR)".' })
  description!: string;

  @Field(() => ID, { nullable: true, description: 'The partner involved, if any.' })
  partnerId!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The partner’s reference (transaction or refund id).',
  })
  reference!: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The earlier transfer this one follows up (the purchase a refund reverses).',
  })
  relatedTransferId!: string | null;

  @Field(() => Money, {
    nullable: true,
    description: 'The purchase (or refunded amount) behind it.',
  })
  purchase!: Money | null;

  @Field(() => [BalanceChange], { description: 'The change per currency.' })
  changes!: BalanceChange[];

  /** Set for earns, read by the campaignLines field. */
  earn?: boolean;

  @Field({ description: 'When it happened.' })
  createdAt!: Date;
}

@ObjectType({ description: 'A page of wallet history, newest first.' })
export class WalletHistory {
  @Field(() => [WalletEntry])
  entries!: WalletEntry[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'A member’s wallet across every program.' })
export class Wallet {
  @Field(() => ID, { description: 'The member.' })
  memberId!: string;
}
