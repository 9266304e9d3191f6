import 'reflect-metadata';
import { Field, ID, InterfaceType, ObjectType, registerEnumType } from 'type-graphql';
import { Int64 } from './scalars';

/**
 * Expected failures are typed results in the schema, not strings in `errors`: a client switches
 * on `__typename` (or `code`) and reads the fields it needs to act.
 */
export enum ErrorCode {
  INVALID_INPUT = 'INVALID_INPUT',
  INSUFFICIENT_POINTS = 'INSUFFICIENT_POINTS',
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
  NOT_FOUND = 'NOT_FOUND',
  ALREADY_EXISTS = 'ALREADY_EXISTS',
  CURRENCY_NOT_SUPPORTED = 'CURRENCY_NOT_SUPPORTED',
  REFUND_EXCEEDS_PURCHASE = 'REFUND_EXCEEDS_PURCHASE',
  NO_EXCHANGE_RATE = 'NO_EXCHANGE_RATE',
  BELOW_CONVERSION_MINIMUM = 'BELOW_CONVERSION_MINIMUM',
  NOT_CONVERSION_INCREMENT = 'NOT_CONVERSION_INCREMENT',
  CONVERSION_LIMIT_EXCEEDED = 'CONVERSION_LIMIT_EXCEEDED',
  LIQUIDITY_FLOOR_REACHED = 'LIQUIDITY_FLOOR_REACHED',
  QUOTE_EXPIRED = 'QUOTE_EXPIRED',
  QUOTE_ALREADY_USED = 'QUOTE_ALREADY_USED',
  ARBITRAGE_CYCLE = 'ARBITRAGE_CYCLE',
  HOLD_NOT_ACTIVE = 'HOLD_NOT_ACTIVE',
  COMPOSITION_FAILED = 'COMPOSITION_FAILED',
  PARTNER_SERVICE_UNAVAILABLE = 'PARTNER_SERVICE_UNAVAILABLE',
  PERIOD_STATE_CONFLICT = 'PERIOD_STATE_CONFLICT',
  AGREEMENT_MISSING = 'AGREEMENT_MISSING',
  TRANSACTION_CONFLICT = 'TRANSACTION_CONFLICT',
}
registerEnumType(ErrorCode, {
  name: 'ErrorCode',
  description: 'Why an operation was refused. Nothing was written when one is returned.',
});

@InterfaceType({
  description: 'An expected failure of a mutation. When one is returned, nothing was written.',
})
export abstract class ErrorResult {
  @Field(() => ErrorCode, { description: 'A stable code to switch on.' })
  code!: ErrorCode;

  @Field({ description: 'A human-readable explanation, for logs and operators.' })
  message!: string;
}

@ObjectType({ implements: ErrorResult, description: 'A field of the input is not acceptable.' })
export class InvalidInputError extends ErrorResult {
  @Field({ description: 'The input field, e.g. "purchase.amount".' })
  field!: string;

  @Field({ description: 'What is wrong with it.' })
  reason!: string;
}

@ObjectType({
  implements: ErrorResult,
  description: 'The member does not have enough available points.',
})
export class InsufficientPointsError extends ErrorResult {
  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field(() => Int64, { description: 'Points the operation needs.' })
  needed!: bigint;

  @Field(() => Int64, { description: 'Points available now (pending and held points excluded).' })
  available!: bigint;
}

@ObjectType({
  implements: ErrorResult,
  description:
    'The idempotency key (or transaction id) was already used for a different request. Retrying the original request returns its original result.',
})
export class IdempotencyKeyReusedError extends ErrorResult {
  @Field({ description: 'The key that was reused.' })
  key!: string;
}

@ObjectType({
  implements: ErrorResult,
  description:
    'Nothing with this reference is visible to the caller (it may not exist, or belong to someone else).',
})
export class NotFoundError extends ErrorResult {
  @Field({ description: 'What was looked for: member, partner, currency, purchase...' })
  entity!: string;

  @Field({ description: 'The reference that was given.' })
  reference!: string;
}

@ObjectType({
  implements: ErrorResult,
  description: 'Something with this reference already exists.',
})
export class AlreadyExistsError extends ErrorResult {
  @Field({ description: 'What already exists.' })
  entity!: string;

  @Field({ description: 'Its reference.' })
  reference!: string;
}

@ObjectType({
  implements: ErrorResult,
  description: 'The partner does not award, or does not accept, this program currency.',
})
export class CurrencyNotSupportedError extends ErrorResult {
  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field({ description: 'The partner.' })
  partnerId!: string;

  @Field({ description: '"earn" when awarding, "accept" when paying.' })
  use!: string;
}

@ObjectType({
  implements: ErrorResult,
  description: 'The refund is larger than what is left of the purchase.',
})
export class RefundExceedsPurchaseError extends ErrorResult {
  @Field(() => Int64, { description: 'The refund asked for, in minor units.' })
  requestedMinor!: bigint;

  @Field(() => Int64, { description: 'What can still be refunded, in minor units.' })
  refundableMinor!: bigint;
}

@ObjectType({
  implements: ErrorResult,
  description: 'No exchange rate is in force from the source currency to the target currency.',
})
export class NoExchangeRateError extends ErrorResult {
  @Field({ description: 'The currency converted from.' })
  sourceCurrency!: string;

  @Field({ description: 'The currency converted to.' })
  targetCurrency!: string;
}

@ObjectType({
  implements: ErrorResult,
  description: 'The amount is below the smallest amount the rate allows.',
})
export class BelowConversionMinimumError extends ErrorResult {
  @Field(() => Int64, { description: 'The smallest valid amount, in source points.' })
  minimumPoints!: bigint;

  @Field(() => Int64, { description: 'The amount asked for.' })
  requestedPoints!: bigint;
}

@ObjectType({
  implements: ErrorResult,
  description:
    'The amount is not a multiple of the rate’s increment. Non-multiples are refused, never rounded: the nearest valid amounts are given to offer instead.',
})
export class NotConversionIncrementError extends ErrorResult {
  @Field(() => Int64, { description: 'Amounts must be multiples of this many source points.' })
  incrementPoints!: bigint;

  @Field(() => Int64, { description: 'The amount asked for.' })
  requestedPoints!: bigint;

  @Field(() => Int64, {
    nullable: true,
    description: 'The largest valid amount below the request; null when there is none.',
  })
  lowerPoints!: bigint | null;

  @Field(() => Int64, { description: 'The smallest valid amount above the request.' })
  higherPoints!: bigint;
}

@ObjectType({
  implements: ErrorResult,
  description: 'The conversion would pass the member’s daily or monthly limit for this pair.',
})
export class ConversionLimitExceededError extends ErrorResult {
  @Field({ description: '"day" (UTC calendar day) or "month" (calendar month).' })
  period!: string;

  @Field(() => Int64, { description: 'The limit, in source points.' })
  limitPoints!: bigint;

  @Field(() => Int64, { description: 'Source points already converted in the period.' })
  usedPoints!: bigint;

  @Field(() => Int64, { description: 'The amount asked for.' })
  requestedPoints!: bigint;

  @Field({ description: 'When the period ends and the limit resets.' })
  resetsAt!: Date;
}

@ObjectType({
  implements: ErrorResult,
  description:
    'The exchange may not create that many points of the target currency now (its liquidity account would pass its floor).',
})
export class LiquidityFloorReachedError extends ErrorResult {
  @Field({ description: 'The target currency.' })
  currency!: string;

  @Field(() => Int64, { description: 'Target points the conversion needs.' })
  neededPoints!: bigint;

  @Field(() => Int64, { description: 'Target points the exchange may still create.' })
  headroomPoints!: bigint;
}

@ObjectType({ implements: ErrorResult, description: 'The quote has expired: ask for a new one.' })
export class QuoteExpiredError extends ErrorResult {
  @Field({ description: 'The quote.' })
  quoteId!: string;

  @Field({ description: 'When it expired.' })
  expiredAt!: Date;
}

@ObjectType({
  implements: ErrorResult,
  description:
    'The quote was already used, by a different request. Repeating the original request returns its original result.',
})
export class QuoteAlreadyUsedError extends ErrorResult {
  @Field({ description: 'The quote.' })
  quoteId!: string;

  @Field({ description: 'The convert transfer that used it.' })
  transferId!: string;
}

@ObjectType({
  implements: ErrorResult,
  description:
    'The rate or promotion would let points grow by converting around a cycle of currencies, so it was refused.',
})
export class ArbitrageCycleError extends ErrorResult {
  @Field(() => [String], { description: 'The cycle, e.g. ["HTL", "SKY", "HTL"].' })
  cycle!: string[];

  @Field({
    description: 'What one point becomes around the cycle, as a decimal rounded down (> 1).',
  })
  gain!: string;
}

@ObjectType({
  implements: ErrorResult,
  description:
    'The redemption hold was already settled (confirmed, declined or expired) and cannot change any more.',
})
export class HoldNotActiveError extends ErrorResult {
  @Field(() => ID, { description: 'The hold.' })
  holdId!: string;

  @Field({ description: 'How it was settled: confirmed, declined or expired.' })
  status!: string;
}

@ObjectType({
  implements: ErrorResult,
  description:
    'The partner service’s schema does not compose with the graph. Nothing changed: the previous graph keeps serving.',
})
export class CompositionFailedError extends ErrorResult {
  @Field(() => ID, { description: 'The partner whose service was being registered.' })
  partnerId!: string;

  @Field(() => [String], { description: 'The composition errors, as reported by composition.' })
  messages!: string[];
}

@ObjectType({
  implements: ErrorResult,
  description:
    'The partner service could not be reached, or did not answer as a subgraph, while registering it. Nothing changed.',
})
export class PartnerServiceUnavailableError extends ErrorResult {
  @Field(() => ID, { description: 'The partner.' })
  partnerId!: string;

  @Field({ description: 'What went wrong.' })
  reason!: string;
}

@ObjectType({
  implements: ErrorResult,
  description:
    'The settlement period is not in the state the operation needs (e.g. it has not ended, an earlier period is still open, or it is not closed yet).',
})
export class PeriodStateConflictError extends ErrorResult {
  @Field({ description: 'The period.' })
  periodId!: string;

  @Field({ description: 'Its status: "open" or "closed".' })
  status!: string;

  @Field({ description: 'What stands in the way.' })
  reason!: string;
}

@ObjectType({
  implements: ErrorResult,
  description:
    'A transfer of the period needs settlement terms that no agreement in force at its time gives. Nothing was closed.',
})
export class AgreementMissingError extends ErrorResult {
  @Field({ description: 'The partner whose agreement is missing.' })
  partnerId!: string;

  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field({ description: 'When the transfer was made.' })
  at!: Date;

  @Field({ description: 'The first transfer that needs the agreement.' })
  transferId!: string;
}

/** Why a new leg of a purchase was refused. */
export enum TransactionConflictReason {
  ANOTHER_MEMBER = 'another_member',
  ALREADY_EARNED = 'already_earned',
  ALREADY_PAID = 'already_paid',
}
registerEnumType(TransactionConflictReason, {
  name: 'TransactionConflictReason',
  description: 'Why a new earn or payment under a transaction id was refused.',
  valuesConfig: {
    ANOTHER_MEMBER: {
      description: 'The transaction id already has an earn or payment of another member.',
    },
    ALREADY_EARNED: {
      description: 'The transaction id already earned points (one earn per purchase).',
    },
    ALREADY_PAID: {
      description: 'The transaction id was already paid (one payment per purchase).',
    },
  },
});

@ObjectType({
  implements: ErrorResult,
  description:
    'A transaction id names one purchase by one member, with at most one earn and one payment (with points, across programs, or a redemption hold). This request would add a leg that breaks that; a retry of a recorded leg with its own idempotency key answers its original result instead.',
})
export class TransactionConflictError extends ErrorResult {
  @Field({ description: 'The partner’s transaction id.' })
  transactionId!: string;

  @Field(() => TransactionConflictReason)
  reason!: TransactionConflictReason;
}

export const errorResultTypes = [
  InvalidInputError,
  InsufficientPointsError,
  IdempotencyKeyReusedError,
  NotFoundError,
  AlreadyExistsError,
  CurrencyNotSupportedError,
  RefundExceedsPurchaseError,
  NoExchangeRateError,
  BelowConversionMinimumError,
  NotConversionIncrementError,
  ConversionLimitExceededError,
  LiquidityFloorReachedError,
  QuoteExpiredError,
  QuoteAlreadyUsedError,
  ArbitrageCycleError,
  HoldNotActiveError,
  CompositionFailedError,
  PartnerServiceUnavailableError,
  PeriodStateConflictError,
  AgreementMissingError,
  TransactionConflictError,
] as const;
