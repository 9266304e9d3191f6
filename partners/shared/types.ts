import 'reflect-metadata';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Int64 } from '../../schema/scalars';

/**
 * The coalition's PointsPrice, as a partner service refers to it: the partner resolves the key
 * fields (its own prices); the coalition subgraph adds `affordability` for the calling member.
 */
@Directive('@key(fields: "currency points", resolvable: false)')
@ObjectType('PointsPrice', { description: 'A price in points of one program currency.' })
export class PointsPriceReference {
  @Field({ description: 'The program currency code, e.g. "SKY".' })
  currency!: string;

  @Field(() => Int64, { description: 'Points.' })
  points!: bigint;
}

export enum RewardRedemptionStatus {
  CONFIRMED = 'CONFIRMED',
  DECLINED = 'DECLINED',
  EXPIRED = 'EXPIRED',
  INSUFFICIENT_POINTS = 'INSUFFICIENT_POINTS',
  REJECTED = 'REJECTED',
}
registerEnumType(RewardRedemptionStatus, {
  name: 'RewardRedemptionStatus',
  description: 'How a reward redemption ended.',
  valuesConfig: {
    CONFIRMED: { description: 'Fulfilled; the points are spent.' },
    DECLINED: { description: 'The partner could not fulfil it; the points came back.' },
    EXPIRED: { description: 'The hold ran out before fulfilment; the points came back.' },
    INSUFFICIENT_POINTS: { description: 'The member does not have enough points; nothing held.' },
    REJECTED: { description: 'The coalition refused the request (see reason); nothing held.' },
  },
});

@Directive('@shareable')
@ObjectType({ description: 'The outcome of redeeming a partner’s reward with points.' })
export class RewardRedemption {
  @Field(() => RewardRedemptionStatus, { description: 'How it ended.' })
  status!: RewardRedemptionStatus;

  @Field(() => ID, {
    nullable: true,
    description: 'The coalition’s hold for it, if one was placed.',
  })
  holdId!: string | null;

  @Field(() => String, { nullable: true, description: 'The partner’s booking reference.' })
  reference!: string | null;

  @Field(() => String, { nullable: true, description: 'Why it did not go through.' })
  reason!: string | null;

  @Field(() => PointsPriceReference, { description: 'The price redeemed.' })
  price!: PointsPriceReference;
}

export function priceOf(currency: string, points: bigint): PointsPriceReference {
  return Object.assign(new PointsPriceReference(), { currency, points });
}
