import {
  cancelRedemptionErrors,
  placeHoldErrors,
  settleHoldErrors,
} from '../gateway/redemptions/redemption-service';
import 'reflect-metadata';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { resultUnion } from './errors';
import { MemberRefInput } from './members';
import { Int64 } from './scalars';

@Directive('@key(fields: "currency points")')
@ObjectType({
  description:
    'A price in points of one program currency. Partner services price their rewards with it; the coalition adds whether the calling member can afford it.',
})
export class PointsPrice {
  @Field({ description: 'The program currency code, e.g. "SKY".' })
  currency!: string;

  @Field(() => Int64, { description: 'Points.' })
  points!: bigint;
}

@ObjectType({
  description:
    'A conversion that would give the member the points a price still misses: "affordable by converting 7,500 HTL".',
})
export class ConversionRoute {
  @Field({ description: 'The currency to convert from, e.g. "HTL".' })
  sourceCurrency!: string;

  @Field(() => Int64, {
    description: 'Source points to convert: a valid amount for today’s rate (increment, minimum).',
  })
  sourcePoints!: bigint;

  @Field(() => Int64, { description: 'The rate’s fee on that amount, in source points, on top.' })
  feePoints!: bigint;

  @Field(() => Int64, {
    description: 'Points of the price’s currency the conversion gives (before any promotion).',
  })
  targetPoints!: bigint;
}

@ObjectType({
  description:
    'Whether the calling member can pay a price now: in the price’s own currency, or after converting points of another currency.',
})
export class Affordability {
  @Field({ description: 'True when the member has enough available points.' })
  affordable!: boolean;

  @Field({ description: 'The currency the member would pay in.' })
  currency!: string;

  @Field(() => Int64, { description: 'Points of that currency available now.' })
  availablePoints!: bigint;

  @Field(() => Int64, { description: 'Points still missing; "0" when affordable.' })
  shortfallPoints!: bigint;

  @Field(() => ConversionRoute, {
    nullable: true,
    description:
      'When not affordable in the price’s currency: the cheapest conversion at today’s rates from another currency the member holds that covers the shortfall (a quote makes it firm; the member’s conversion limits are checked then). Null when none does.',
  })
  byConverting!: ConversionRoute | null;
}

export enum HoldStatus {
  held = 'held',
  confirmed = 'confirmed',
  declined = 'declined',
  expired = 'expired',
  cancelled = 'cancelled',
}
registerEnumType(HoldStatus, {
  name: 'HoldStatus',
  description: 'Where a two-phase redemption stands.',
  valuesConfig: {
    held: { description: 'Points reserved, waiting for the partner.' },
    confirmed: { description: 'The partner fulfilled the reward; the points are spent.' },
    declined: { description: 'The partner declined; the points came back.' },
    expired: { description: 'Nobody confirmed in time; the points came back.' },
    cancelled: {
      description:
        'Confirmed, then cancelled by the partner (a cancelled flight or stay); the confirmed points came back.',
    },
  },
});

@ObjectType({
  description:
    'Points held for a partner’s reward until the partner confirms (spent) or declines (returned); voided automatically when it expires unconfirmed.',
})
export class RedemptionHold {
  @Field(() => ID, { description: 'The hold transfer; pass it to confirmRedemption.' })
  id!: string;

  @Field(() => HoldStatus, { description: 'Where it stands.' })
  status!: HoldStatus;

  @Field(() => ID, { description: 'The partner redeeming.' })
  partnerId!: string;

  @Field(() => ID, { description: 'The member whose points are held.' })
  memberId!: string;

  @Field(() => String, { nullable: true, description: 'The partner’s reward, if given.' })
  rewardId!: string | null;

  @Field(() => PointsPrice, { description: 'The points held.' })
  price!: PointsPrice;

  @Field({ description: 'When an unconfirmed hold is voided.' })
  expiresAt!: Date;

  @Field(() => ID, {
    nullable: true,
    description: 'The post or void transfer that settled it; null while held.',
  })
  settledTransferId!: string | null;

  @Field(() => String, { nullable: true, description: 'Why the partner declined.' })
  reason!: string | null;

  @Field(() => Int64, {
    nullable: true,
    description:
      'Points the partner confirmed (spent): all of the hold, or part of it (the rest came back at once). Null unless confirmed or cancelled.',
  })
  confirmedPoints!: bigint | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The cancel transfer that returned the confirmed points; null unless cancelled.',
  })
  cancelTransferId!: string | null;
}

@InputType({ description: 'Holds a member’s points for a reward at the calling partner.' })
export class PlaceRedemptionHoldInput {
  @Field(() => MemberRefInput)
  member!: MemberRefInput;

  @Field({
    description:
      'The partner’s id of this redemption: the idempotency key unless `idempotencyKey` is given. It is the payment leg of that transaction id (see `AwardPointsInput.transactionId`).',
  })
  transactionId!: string;

  @Field({ description: 'The program currency; the partner must accept it.' })
  currency!: string;

  @Field(() => Int64, { description: 'Points to hold.' })
  points!: bigint;

  @Field({ nullable: true, description: 'The partner’s reward id, recorded with the hold.' })
  rewardId?: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Seconds until an unconfirmed hold is voided (10-86400; default 300).',
  })
  holdSeconds?: number;

  @Field({ nullable: true, description: 'An explicit idempotency key.' })
  idempotencyKey?: string;
}

@InputType({ description: 'Settles a hold of the calling partner.' })
export class SettleRedemptionInput {
  @Field(() => ID, { description: 'The hold id returned by placeRedemptionHold.' })
  holdId!: string;

  @Field({
    nullable: true,
    description: 'Why (for a decline or a cancel); shown in the member’s history.',
  })
  reason?: string;

  @Field(() => Int64, {
    nullable: true,
    description:
      'confirmRedemption only: spend this many of the held points (at most the hold); the rest return to the member at once, with their original expiry. All of them when omitted.',
  })
  points?: bigint;

  @Field({
    nullable: true,
    description: 'An explicit idempotency key; the hold id is the key otherwise.',
  })
  idempotencyKey?: string;
}

export const PlaceRedemptionHoldResult = resultUnion({
  name: 'PlaceRedemptionHoldResult',
  description: 'The RedemptionHold, or why no points were held.',
  success: RedemptionHold,
  errors: placeHoldErrors,
});

export const SettleRedemptionResult = resultUnion({
  name: 'SettleRedemptionResult',
  description: 'The settled RedemptionHold, or why it was not settled.',
  success: RedemptionHold,
  errors: settleHoldErrors,
});

export const CancelRedemptionResult = resultUnion({
  name: 'CancelRedemptionResult',
  description: 'The cancelled RedemptionHold, or why it was not cancelled.',
  success: RedemptionHold,
  errors: cancelRedemptionErrors,
});
