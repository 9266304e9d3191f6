/**
 * Expected failures are values, not exceptions that reach the client as strings: each one has a
 * stable code and the fields a caller needs to act on it. The GraphQL layer maps each to a typed
 * error result (`InsufficientPointsError { needed available }`).
 *
 * Inside a transaction they are thrown, so the transaction rolls back and nothing is written;
 * service methods catch them at their boundary and return them.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
}

export class InvalidInput extends DomainError {
  readonly code = 'INVALID_INPUT';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

export class InsufficientPoints extends DomainError {
  readonly code = 'INSUFFICIENT_POINTS';
  constructor(
    readonly currency: string,
    readonly needed: bigint,
    readonly available: bigint,
  ) {
    super(`Insufficient ${currency}: ${needed} needed, ${available} available`);
  }
}

export class IdempotencyKeyReused extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor(readonly key: string) {
    super(`Idempotency key "${key}" was already used with a different request`);
  }
}

export class NotFound extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(
    readonly entity:
      | 'member'
      | 'partner'
      | 'currency'
      | 'purchase'
      | 'transfer'
      | 'account'
      | 'quote'
      | 'hold'
      | 'reward'
      | 'period'
      | 'reconciliation'
      | 'exception',
    readonly reference: string,
  ) {
    super(`No ${entity} "${reference}" visible to this caller`);
  }
}

export class AlreadyExists extends DomainError {
  readonly code = 'ALREADY_EXISTS';
  constructor(
    readonly entity: string,
    readonly reference: string,
  ) {
    super(`${entity} "${reference}" already exists`);
  }
}

export class CurrencyNotSupported extends DomainError {
  readonly code = 'CURRENCY_NOT_SUPPORTED';
  constructor(
    readonly currency: string,
    readonly partnerId: string,
    readonly use: 'earn' | 'accept',
  ) {
    super(
      use === 'earn'
        ? `Partner ${partnerId} does not award ${currency}`
        : `Partner ${partnerId} does not accept ${currency} as payment`,
    );
  }
}

export class RefundExceedsPurchase extends DomainError {
  readonly code = 'REFUND_EXCEEDS_PURCHASE';
  constructor(
    readonly requestedMinor: bigint,
    readonly refundableMinor: bigint,
  ) {
    super(`Refund of ${requestedMinor} exceeds the refundable ${refundableMinor}`);
  }
}

/**
 * A partner's transaction id names one purchase by one member, with at most one earn and one
 * payment: a new leg under it that breaks this is refused (a retry with the leg's own key is not
 * a new leg, and answers from its stored result).
 */
export class TransactionConflict extends DomainError {
  readonly code = 'TRANSACTION_CONFLICT';
  constructor(
    readonly transactionId: string,
    readonly reason: TransactionConflictReason,
  ) {
    super(
      `Transaction "${transactionId}" ${
        reason === 'another_member'
          ? 'belongs to another member: a transaction id names one purchase by one member'
          : reason === 'already_earned'
            ? 'already earned points: one earn per purchase'
            : 'was already paid: one payment per purchase'
      }`,
    );
  }
}

export type TransactionConflictReason = 'another_member' | 'already_earned' | 'already_paid';

export function isTransactionConflictReason(value: unknown): value is TransactionConflictReason {
  return value === 'another_member' || value === 'already_earned' || value === 'already_paid';
}

export class Forbidden extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** No exchange rate is in force from one currency to the other. */
export class NoExchangeRate extends DomainError {
  readonly code = 'NO_EXCHANGE_RATE';
  constructor(
    readonly sourceCurrency: string,
    readonly targetCurrency: string,
  ) {
    super(`No exchange rate from ${sourceCurrency} to ${targetCurrency} is in force`);
  }
}

export class BelowConversionMinimum extends DomainError {
  readonly code = 'BELOW_CONVERSION_MINIMUM';
  constructor(
    readonly minimumPoints: bigint,
    readonly requestedPoints: bigint,
  ) {
    super(`At least ${minimumPoints} points must be converted, ${requestedPoints} requested`);
  }
}

/**
 * The amount is not a multiple of the rate's increment. Names the nearest valid amounts so the
 * caller can offer them: `lowerPoints` is null when no valid amount lies below the request.
 */
export class NotConversionIncrement extends DomainError {
  readonly code = 'NOT_CONVERSION_INCREMENT';
  constructor(
    readonly incrementPoints: bigint,
    readonly requestedPoints: bigint,
    readonly lowerPoints: bigint | null,
    readonly higherPoints: bigint,
  ) {
    super(
      `Conversions are in multiples of ${incrementPoints} points: ${requestedPoints} is not one ` +
        `(nearest valid: ${lowerPoints === null ? '' : `${lowerPoints} or `}${higherPoints})`,
    );
  }
}

export class ConversionLimitExceeded extends DomainError {
  readonly code = 'CONVERSION_LIMIT_EXCEEDED';
  constructor(
    readonly period: 'day' | 'month',
    readonly limitPoints: bigint,
    readonly usedPoints: bigint,
    readonly requestedPoints: bigint,
    readonly resetsAt: Date,
  ) {
    super(
      `Converting ${requestedPoints} points would exceed the ${period}ly limit of ${limitPoints} ` +
        `(${usedPoints} already converted; resets at ${resetsAt.toISOString()})`,
    );
  }
}

/** The target currency's liquidity account would go below its floor. */
export class LiquidityFloorReached extends DomainError {
  readonly code = 'LIQUIDITY_FLOOR_REACHED';
  constructor(
    readonly currency: string,
    readonly neededPoints: bigint,
    readonly headroomPoints: bigint,
  ) {
    super(
      `The exchange can create only ${headroomPoints} more ${currency} now, ${neededPoints} needed`,
    );
  }
}

export class QuoteExpired extends DomainError {
  readonly code = 'QUOTE_EXPIRED';
  constructor(
    readonly quoteId: string,
    readonly expiredAt: Date,
  ) {
    super(`Quote ${quoteId} expired at ${expiredAt.toISOString()}: ask for a new one`);
  }
}

export class QuoteAlreadyUsed extends DomainError {
  readonly code = 'QUOTE_ALREADY_USED';
  constructor(
    readonly quoteId: string,
    readonly transferId: string,
  ) {
    super(`Quote ${quoteId} was already used by conversion ${transferId} with another request`);
  }
}

/**
 * A rate or promotion would let points grow by converting around a cycle of currencies
 * (A -> B -> A gives back more A than it took).
 */
export class ArbitrageCycle extends DomainError {
  readonly code = 'ARBITRAGE_CYCLE';
  constructor(
    readonly cycle: readonly string[],
    /** How many points one point becomes around the cycle, as a decimal rounded down. */
    readonly gain: string,
  ) {
    super(`Converting around ${cycle.join(' -> ')} would turn 1 point into ${gain}`);
  }
}

/** A redemption hold that was already settled cannot be confirmed or declined any more. */
export class HoldNotActive extends DomainError {
  readonly code = 'HOLD_NOT_ACTIVE';
  constructor(
    readonly holdId: string,
    readonly status: 'confirmed' | 'declined' | 'expired',
  ) {
    super(`Hold ${holdId} is no longer active: it was ${status}`);
  }
}

/** A partner service's schema does not compose with the graph; the previous graph keeps serving. */
export class CompositionFailed extends DomainError {
  readonly code = 'COMPOSITION_FAILED';
  constructor(
    readonly partnerId: string,
    readonly messages: readonly string[],
  ) {
    super(`The service of ${partnerId} does not compose: ${messages.join('; ')}`);
  }
}

/** A partner service could not be reached (or answered nonsense) while registering it. */
export class PartnerServiceUnavailable extends DomainError {
  readonly code = 'PARTNER_SERVICE_UNAVAILABLE';
  constructor(
    readonly partnerId: string,
    readonly reason: string,
  ) {
    super(`The service of ${partnerId} could not be used: ${reason}`);
  }
}

/** A settlement period is not in the state the operation needs (e.g. closing before its end). */
export class PeriodStateConflict extends DomainError {
  readonly code = 'PERIOD_STATE_CONFLICT';
  constructor(
    readonly periodId: string,
    readonly status: string,
    readonly reason: string,
  ) {
    super(`Period ${periodId} (${status}): ${reason}`);
  }
}

/** A transfer needs settlement terms that no agreement in force at its time gives. */
export class AgreementMissing extends DomainError {
  readonly code = 'AGREEMENT_MISSING';
  constructor(
    readonly partnerId: string,
    readonly currency: string,
    readonly at: Date,
    readonly transferId: string,
  ) {
    super(
      `No settlement agreement of ${partnerId} for ${currency} in force at ${at.toISOString()} (transfer ${transferId})`,
    );
  }
}

/** Returns the expected failure thrown by `work` as a value; anything else propagates. */
export async function catchDomainError<T>(work: () => Promise<T>): Promise<T | DomainError> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}
