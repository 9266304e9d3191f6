import { DomainError } from '../shared/errors';

/** The exchange's expected failures: rates, amounts, limits, liquidity, quotes, cycles. */

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
