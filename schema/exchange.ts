import { payAcrossProgramsErrors } from '../gateway/exchange/cross-program-payments';
import {
  addPromotionErrors,
  setLiquidityFloorErrors,
  setRateErrors,
  setReferenceValueErrors,
} from '../gateway/exchange/exchange-admin';
import { convertErrors, quoteErrors } from '../gateway/exchange/exchange-service';
import 'reflect-metadata';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Money, MoneyInput } from './common';
import { resultUnion } from './errors';
import { MemberRefInput } from './members';
import { Int64 } from './scalars';

@ObjectType({
  description:
    'A version of the exchange rate from one program currency to another. Versions are never changed once set: a new rate closes the open version, so every conversion keeps the exact terms it used.',
})
export class ExchangeRate {
  @Field(() => ID, { description: 'The version, e.g. "rate_12".' })
  id!: string;

  @Field({ description: 'The currency converted from.' })
  sourceCurrency!: string;

  @Field({ description: 'The currency converted to.' })
  targetCurrency!: string;

  @Field(() => Int64, {
    description:
      '`sourceUnits` source points give `targetUnits` target points (5 HTL = 1 SKY: 5 and 1); target points are rounded down.',
  })
  sourceUnits!: bigint;

  @Field(() => Int64, { description: 'See `sourceUnits`.' })
  targetUnits!: bigint;

  @Field(() => Int64, { description: 'Conversions are in multiples of this many source points.' })
  incrementPoints!: bigint;

  @Field(() => Int64, { description: 'The smallest conversion, in source points.' })
  minimumPoints!: bigint;

  @Field(() => Int64, {
    nullable: true,
    description: 'Per member, source points per UTC calendar day; null: no limit.',
  })
  dailyLimitPoints!: bigint | null;

  @Field(() => Int64, {
    nullable: true,
    description: 'Per member, source points per calendar month; null: no limit.',
  })
  monthlyLimitPoints!: bigint | null;

  @Field(() => Int64, { description: 'Fixed fee per conversion, in source points, on top.' })
  feeFixedPoints!: bigint;

  @Field(() => Int64, {
    description: 'Fee per thousand source points (rounded up), on top of the fixed fee.',
  })
  feePerMille!: bigint;

  @Field({ description: 'When this version took effect (or takes effect).' })
  effectiveFrom!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'When the next version replaced it; null while it is open.',
  })
  effectiveTo!: Date | null;
}

@ObjectType({
  description:
    'A time-boxed bonus on a pair: that many more target points per thousand (rounded down), funded by the target currency’s program.',
})
export class ExchangePromotion {
  @Field(() => ID, { description: 'e.g. "promo_3".' })
  id!: string;

  @Field({ description: 'The currency converted from.' })
  sourceCurrency!: string;

  @Field({ description: 'The currency converted to.' })
  targetCurrency!: string;

  @Field(() => Int64, { description: 'Bonus target points per thousand (+25% = 250).' })
  bonusPerMille!: bigint;

  @Field({ description: 'When it starts.' })
  startsAt!: Date;

  @Field({ description: 'When it ends (exclusive).' })
  endsAt!: Date;

  @Field({ description: 'What members are told about it.' })
  description!: string;
}

@ObjectType({
  description:
    'A firm offer to convert, valid until `expiresAt` whatever happens to the rate meanwhile. Convert with `convertPoints`.',
})
export class ConversionQuote {
  @Field(() => ID, { description: 'The quote id ("qte_..."): pass it to convertPoints.' })
  id!: string;

  @Field(() => ID, { description: 'The member converting.' })
  memberId!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'The partner that asked for the member, if any.',
  })
  partnerId!: string | null;

  @Field({ description: 'The currency converted from.' })
  sourceCurrency!: string;

  @Field({ description: 'The currency converted to.' })
  targetCurrency!: string;

  @Field(() => Int64, { description: 'Source points converted.' })
  sourcePoints!: bigint;

  @Field(() => Int64, { description: 'Target points at the rate (rounded down).' })
  baseTargetPoints!: bigint;

  @Field(() => Int64, { description: 'Bonus target points from a running promotion.' })
  bonusPoints!: bigint;

  @Field(() => Int64, { description: 'Target points the member receives: base + bonus.' })
  targetPoints!: bigint;

  @Field(() => Int64, { description: 'Fee in source points, charged on top of `sourcePoints`.' })
  feePoints!: bigint;

  @Field(() => Int64, { description: 'Source points taken in all: `sourcePoints` + `feePoints`.' })
  totalSourcePoints!: bigint;

  @Field({ description: 'When the quote was made.' })
  createdAt!: Date;

  @Field({ description: 'The quote cannot be used from this time on.' })
  expiresAt!: Date;

  /** The rate version and promotion, resolved by their own field resolvers. */
  rateId!: bigint;
  promotionId!: bigint | null;
}

@ObjectType({ description: 'The points were converted (or had been, for a repeated request).' })
export class ConvertPointsSuccess {
  @Field(() => ID, { description: 'The convert transfer.' })
  transferId!: string;

  @Field(() => ID, { nullable: true, description: 'The fee transfer, when a fee was charged.' })
  feeTransferId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The quote used.' })
  quoteId!: string | null;

  @Field(() => ID, { description: 'The member.' })
  memberId!: string;

  @Field({ description: 'The currency converted from.' })
  sourceCurrency!: string;

  @Field({ description: 'The currency converted to.' })
  targetCurrency!: string;

  @Field(() => Int64, { description: 'Source points converted.' })
  sourcePoints!: bigint;

  @Field(() => Int64, { description: 'Target points at the rate.' })
  baseTargetPoints!: bigint;

  @Field(() => Int64, { description: 'Bonus target points.' })
  bonusPoints!: bigint;

  @Field(() => Int64, { description: 'Target points received: base + bonus.' })
  targetPoints!: bigint;

  @Field(() => Int64, { description: 'Fee paid, in source points.' })
  feePoints!: bigint;

  @Field({ description: 'When the conversion was made.' })
  createdAt!: Date;

  rateId!: bigint;
  promotionId!: bigint | null;
}

@ObjectType({
  description:
    'The member paid the partner’s price in its currency with points of another currency: a conversion and a redemption, made together.',
})
export class PayAcrossProgramsSuccess {
  @Field(() => ID, { description: 'The redeem transfer (what a refund refers to).' })
  transferId!: string;

  @Field(() => ID, { description: 'The convert transfer that produced the points paid.' })
  conversionTransferId!: string;

  @Field(() => ID, { nullable: true, description: 'The fee transfer, when a fee was charged.' })
  feeTransferId!: string | null;

  @Field(() => ID, { description: 'The member.' })
  memberId!: string;

  @Field({ description: 'The currency the partner accepts.' })
  currency!: string;

  @Field(() => Int64, { description: 'The price paid, in `currency`.' })
  points!: bigint;

  @Field({ description: 'The currency the member paid with.' })
  payWithCurrency!: string;

  @Field(() => Int64, {
    description: 'Points of `payWithCurrency` converted: ceil(points x sourceUnits / targetUnits).',
  })
  sourcePoints!: bigint;

  @Field(() => Int64, { description: 'Fee, in points of `payWithCurrency`, on top.' })
  feePoints!: bigint;

  @Field({ description: 'When it was paid.' })
  createdAt!: Date;

  rateId!: bigint;
}

@ObjectType({
  description:
    'What a balance could become now on one pair: the largest amount the member may convert (a valid multiple, fee covered, within limits). Ask for a quote to make it firm.',
})
export class ConversionPreview {
  @Field({ description: 'The currency it would become.' })
  targetCurrency!: string;

  @Field(() => Int64, { description: 'Source points convertible now (0 when none).' })
  sourcePoints!: bigint;

  @Field(() => Int64, { description: 'Target points at the rate.' })
  baseTargetPoints!: bigint;

  @Field(() => Int64, { description: 'Bonus target points from a running promotion.' })
  bonusPoints!: bigint;

  @Field(() => Int64, { description: 'Target points in all.' })
  targetPoints!: bigint;

  @Field(() => Int64, { description: 'Fee, in source points, on top.' })
  feePoints!: bigint;

  @Field(() => ExchangeRate, { description: 'The rate in force.' })
  rate!: ExchangeRate;

  @Field(() => ExchangePromotion, { nullable: true, description: 'The promotion running, if any.' })
  promotion!: ExchangePromotion | null;
}

@ObjectType({
  description:
    'A currency’s liquidity account: the program’s side of exchange. Its balance is negative when exchange has created more of the currency than it retired; it never goes below its floor.',
})
export class LiquidityPosition {
  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field(() => Int64, { description: 'credits - debits of the liquidity account.' })
  balancePoints!: bigint;

  @Field(() => Int64, { description: 'The lowest the balance may go (0 or negative).' })
  floorPoints!: bigint;

  @Field(() => Int64, { description: 'Points the exchange may still create: balance - floor.' })
  headroomPoints!: bigint;
}

@ObjectType({ description: 'What one point of a currency is worth in the reference unit.' })
export class ReferenceValue {
  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field({ description: 'The reference unit, "EUR".' })
  referenceUnit!: string;

  @Field(() => Int64, { description: 'Value of one point in millionths of the reference unit.' })
  valueMicros!: bigint;

  @Field({ description: 'When it was last set.' })
  updatedAt!: Date;
}

@InputType({ description: 'Asks for a conversion quote.' })
export class QuoteConversionInput {
  @Field(() => MemberRefInput, {
    nullable: true,
    description: 'The member, when a partner asks for one; members omit it.',
  })
  member?: MemberRefInput;

  @Field({ description: 'The currency to convert from, e.g. "HTL".' })
  sourceCurrency!: string;

  @Field({ description: 'The currency to convert to, e.g. "SKY".' })
  targetCurrency!: string;

  @Field(() => Int64, {
    description:
      'Source points to convert: a multiple of the rate’s increment, at least its minimum.',
  })
  sourcePoints!: bigint;
}

@InputType({ description: 'Converts with a quote.' })
export class ConvertPointsInput {
  @Field(() => ID, { description: 'The quote.' })
  quoteId!: string;

  @Field(() => Int64, { description: 'The quote’s source points, repeated as confirmation.' })
  sourcePoints!: bigint;

  @Field({ nullable: true, description: 'Idempotency key; defaults to the quote id.' })
  idempotencyKey?: string;
}

@InputType({
  description: 'A member pays at the calling partner with points of another currency.',
})
export class PayAcrossProgramsInput {
  @Field(() => MemberRefInput)
  member!: MemberRefInput;

  @Field({
    description:
      'The partner’s transaction id: the idempotency key unless `idempotencyKey` is given (shared with payWithPoints). It is the payment leg of that transaction id (see `AwardPointsInput.transactionId`).',
  })
  transactionId!: string;

  @Field({ description: 'A currency the partner accepts, in which `points` is the price.' })
  currency!: string;

  @Field(() => Int64, { description: 'The price, in `currency`.' })
  points!: bigint;

  @Field({ description: 'The currency the member pays with, e.g. "HTL".' })
  payWith!: string;

  @Field(() => MoneyInput, {
    nullable: true,
    description: 'The price in money, recorded for partial refunds.',
  })
  purchase?: MoneyInput;

  @Field({ nullable: true, description: 'An explicit idempotency key.' })
  idempotencyKey?: string;
}

@InputType({ description: 'A new rate version for a pair (operator).' })
export class SetExchangeRateInput {
  @Field({ description: 'The currency converted from.' })
  sourceCurrency!: string;

  @Field({ description: 'The currency converted to.' })
  targetCurrency!: string;

  @Field(() => Int64, { description: 'Source points per `targetUnits` target points (1-10^6).' })
  sourceUnits!: bigint;

  @Field(() => Int64, { description: 'Target points per `sourceUnits` source points (1-10^6).' })
  targetUnits!: bigint;

  @Field(() => Int64, { description: 'Amounts are multiples of this (1-10^9).' })
  incrementPoints!: bigint;

  @Field(() => Int64, {
    nullable: true,
    description: 'The smallest amount; the increment if omitted.',
  })
  minimumPoints?: bigint;

  @Field(() => Int64, { nullable: true, description: 'Per member per UTC day; none if omitted.' })
  dailyLimitPoints?: bigint;

  @Field(() => Int64, { nullable: true, description: 'Per member per month; none if omitted.' })
  monthlyLimitPoints?: bigint;

  @Field(() => Int64, { nullable: true, description: 'Fixed fee in source points (default 0).' })
  feeFixedPoints?: bigint;

  @Field(() => Int64, { nullable: true, description: 'Fee per mille, 0-500 (default 0).' })
  feePerMille?: bigint;

  @Field(() => Date, { nullable: true, description: 'When it takes effect; now if omitted.' })
  effectiveFrom?: Date;
}

@InputType({ description: 'A time-boxed bonus on a pair (operator).' })
export class AddExchangePromotionInput {
  @Field({ description: 'The currency converted from.' })
  sourceCurrency!: string;

  @Field({ description: 'The currency converted to.' })
  targetCurrency!: string;

  @Field(() => Int64, { description: 'Bonus per mille of target points, 1-1000 (+25% = 250).' })
  bonusPerMille!: bigint;

  @Field(() => Date, { nullable: true, description: 'Start; now if omitted.' })
  startsAt?: Date;

  @Field({ description: 'End (exclusive), at most 366 days after the start.' })
  endsAt!: Date;

  @Field({ nullable: true, description: 'What members are told.' })
  description?: string;
}

@InputType({ description: 'Sets a currency’s liquidity floor (operator).' })
export class SetLiquidityFloorInput {
  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field(() => Int64, { description: 'The lowest the liquidity balance may go: 0 or negative.' })
  floorPoints!: bigint;
}

@InputType({ description: 'Sets what one point is worth in the reference unit (operator).' })
export class SetReferenceValueInput {
  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field(() => Int64, {
    description: 'Millionths of the reference unit per point (0.01 EUR = 10000).',
  })
  valueMicros!: bigint;
}

export const QuoteConversionResult = resultUnion({
  name: 'QuoteConversionResult',
  description: 'A ConversionQuote, or why none was given.',
  success: ConversionQuote,
  errors: quoteErrors,
});

export const ConvertPointsResult = resultUnion({
  name: 'ConvertPointsResult',
  description: 'ConvertPointsSuccess, or why nothing was converted.',
  success: ConvertPointsSuccess,
  errors: convertErrors,
});

export const PayAcrossProgramsResult = resultUnion({
  name: 'PayAcrossProgramsResult',
  description: 'PayAcrossProgramsSuccess, or why nothing was paid.',
  success: PayAcrossProgramsSuccess,
  errors: payAcrossProgramsErrors,
});

export const SetExchangeRateResult = resultUnion({
  name: 'SetExchangeRateResult',
  description: 'The new ExchangeRate version, or why it was not set.',
  success: ExchangeRate,
  errors: setRateErrors,
});

export const AddExchangePromotionResult = resultUnion({
  name: 'AddExchangePromotionResult',
  description: 'The new ExchangePromotion, or why it was not added.',
  success: ExchangePromotion,
  errors: addPromotionErrors,
});

export const SetLiquidityFloorResult = resultUnion({
  name: 'SetLiquidityFloorResult',
  description: 'The LiquidityPosition with its new floor, or why it was not set.',
  success: LiquidityPosition,
  errors: setLiquidityFloorErrors,
});

export const SetReferenceValueResult = resultUnion({
  name: 'SetReferenceValueResult',
  description: 'The ReferenceValue now in force, or why it was not set.',
  success: ReferenceValue,
  errors: setReferenceValueErrors,
});

@ObjectType({
  description:
    'What a program owes its members: the points they hold and their value at the reference value.',
})
export class ProgramLiability {
  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field(() => ID, { description: 'The partner that owns the program.' })
  ownerPartnerId!: string;

  @Field(() => Int64, {
    description: 'Points members hold (available, and held by unsettled redemptions).',
  })
  outstandingPoints!: bigint;

  @Field(() => Int64, { description: 'Points earned but not matured yet (not in the liability).' })
  pendingPoints!: bigint;

  @Field(() => Int64, {
    nullable: true,
    description: 'Value of one point in millionths of the reference unit; null when not set.',
  })
  valueMicros!: bigint | null;

  @Field(() => Money, {
    nullable: true,
    description:
      'outstandingPoints x the reference value, rounded down to the cent; null when the currency has no reference value.',
  })
  liability!: Money | null;
}
