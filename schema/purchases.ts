import {
  awardErrors,
  payWithPointsErrors,
  refundErrors,
} from '../gateway/purchases/purchase-service';
import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Money, MoneyInput } from './common';
import { resultUnion } from './errors';
import { MemberRefInput } from './members';
import { BasketLineInput, SalesChannel } from './rules';
import { Int64 } from './scalars';
import { EarnLine, EarnTier } from './tiers';

@InputType({
  description:
    'Awards points for a purchase. Give `purchase` to price points at the partner’s earn rate (rounded down), or `points` explicitly (then `purchase` is only recorded, for partial refunds).',
})
export class AwardPointsInput {
  @Field(() => MemberRefInput)
  member!: MemberRefInput;

  @Field({
    description:
      'The partner’s transaction id: the idempotency key unless `idempotencyKey` is given. It names one purchase by one member, with at most one earn and one payment: another member, a second earn or a second payment under it is `TransactionConflictError`.',
  })
  transactionId!: string;

  @Field({ description: 'The program currency to award, e.g. "SKY".' })
  currency!: string;

  @Field(() => MoneyInput, { nullable: true, description: 'The purchase.' })
  purchase?: MoneyInput;

  @Field(() => Int64, {
    nullable: true,
    description: 'Points to award, instead of pricing them from the purchase.',
  })
  points?: bigint;

  @Field(() => Int, {
    nullable: true,
    description: 'Points become spendable after this many days (0-365).',
  })
  pendingDays?: number;

  @Field({
    nullable: true,
    description: 'An explicit idempotency key, when the transaction id is not unique enough.',
  })
  idempotencyKey?: string;

  @Field(() => [BasketLineInput], {
    nullable: true,
    description:
      'What was bought (needs `purchase`): lines adding up to the purchase exactly. Earning rules read them (product multipliers, minimum quantities).',
  })
  basket?: BasketLineInput[];

  @Field(() => SalesChannel, { nullable: true, description: 'Where the purchase was made.' })
  channel?: SalesChannel;
}

@InputType({ description: 'A member pays at the calling partner with points.' })
export class PayWithPointsInput {
  @Field(() => MemberRefInput)
  member!: MemberRefInput;

  @Field({
    description:
      'The partner’s transaction id: the idempotency key unless `idempotencyKey` is given. It names one purchase by one member, with at most one earn and one payment: another member, a second earn or a second payment under it is `TransactionConflictError`.',
  })
  transactionId!: string;

  @Field({ description: 'The program currency to pay with; the partner must accept it.' })
  currency!: string;

  @Field(() => Int64, { description: 'Points to pay.' })
  points!: bigint;

  @Field(() => MoneyInput, {
    nullable: true,
    description: 'The price paid with points, recorded for partial refunds.',
  })
  purchase?: MoneyInput;

  @Field({ nullable: true })
  idempotencyKey?: string;
}

@InputType({ description: 'Refunds a purchase fully or partly.' })
export class RefundPurchaseInput {
  @Field({ description: 'The transaction id of the purchase.' })
  transactionId!: string;

  @Field({
    description:
      'The partner’s id of this refund: the idempotency key unless `idempotencyKey` is given.',
  })
  refundId!: string;

  @Field(() => MoneyInput, {
    nullable: true,
    description: 'Money refunded; omit to refund what is left of the purchase.',
  })
  amount?: MoneyInput;

  @Field(() => MemberRefInput, {
    nullable: true,
    description: 'When given, the purchase must be this member’s.',
  })
  member?: MemberRefInput;

  @Field({ nullable: true })
  idempotencyKey?: string;
}

@ObjectType({ description: 'Points were awarded (or had already been, for a retried request).' })
export class AwardPointsSuccess {
  @Field(() => ID, { description: 'The earn transfer.' })
  transferId!: string;

  @Field(() => ID)
  memberId!: string;

  @Field()
  currency!: string;

  @Field(() => Int64, { description: 'The points awarded: the sum of `lines`.' })
  points!: bigint;

  @Field(() => [EarnLine], {
    description:
      'Why these points: the base line, the earning rules’ lines, then the tier multiplier’s line if any.',
  })
  lines!: EarnLine[];

  @Field(() => Money, {
    nullable: true,
    description:
      'Money off this purchase its earning rules give, the sum of the lines’ discounts: the point-of-sale takes it off the bill (null: none).',
  })
  discount!: Money | null;

  @Field(() => EarnTier, {
    nullable: true,
    description:
      'The member’s tier in this program when the earn was priced, with its benefits (null: no tiers).',
  })
  tier!: EarnTier | null;

  @Field({ description: 'False while the points are pending.' })
  available!: boolean;

  @Field(() => Date, { nullable: true, description: 'When pending points become spendable.' })
  maturesAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When these points expire; null if never.' })
  expiresAt!: Date | null;

  @Field()
  createdAt!: Date;
}

@ObjectType({ description: 'The member paid with points.' })
export class PayWithPointsSuccess {
  @Field(() => ID, { description: 'The redeem transfer.' })
  transferId!: string;

  @Field(() => ID)
  memberId!: string;

  @Field()
  currency!: string;

  @Field(() => Int64)
  points!: bigint;

  @Field()
  createdAt!: Date;
}

@ObjectType({ description: 'Points of one currency.' })
export class PointsAmount {
  @Field()
  currency!: string;

  @Field(() => Int64)
  points!: bigint;
}

@ObjectType({ description: 'The purchase was refunded (in part or in full).' })
export class RefundPurchaseSuccess {
  @Field(() => ID, { description: 'The refund transfer.' })
  transferId!: string;

  @Field(() => ID)
  memberId!: string;

  @Field({ description: 'The purchase refunded.' })
  transactionId!: string;

  @Field(() => Int64, {
    nullable: true,
    description: 'Money refunded by this refund, in minor units.',
  })
  refundedMinor!: bigint | null;

  @Field(() => PointsAmount, { nullable: true, description: 'Earned points taken back.' })
  takenBack!: PointsAmount | null;

  @Field(() => PointsAmount, {
    nullable: true,
    description: 'Spent points returned, to the lots they came from.',
  })
  returned!: PointsAmount | null;

  @Field(() => Int64, {
    description:
      'Earned points the member had already spent: not taken back (balances never go negative).',
  })
  shortfallPoints!: bigint;

  @Field()
  createdAt!: Date;
}

export const AwardPointsResult = resultUnion({
  name: 'AwardPointsResult',
  description: 'AwardPointsSuccess, or why nothing was awarded.',
  success: AwardPointsSuccess,
  errors: awardErrors,
});

export const PayWithPointsResult = resultUnion({
  name: 'PayWithPointsResult',
  description: 'PayWithPointsSuccess, or why nothing was paid.',
  success: PayWithPointsSuccess,
  errors: payWithPointsErrors,
});

export const RefundPurchaseResult = resultUnion({
  name: 'RefundPurchaseResult',
  description: 'RefundPurchaseSuccess, or why nothing was refunded.',
  success: RefundPurchaseSuccess,
  errors: refundErrors,
});
