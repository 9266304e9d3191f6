import { DomainError, type ErrorResultShape } from '../shared/errors';

/** The exchange's expected failures: rates, amounts, limits, liquidity, quotes, cycles. */

/** No exchange rate is in force from one currency to the other. */
export class NoExchangeRate extends DomainError {
  static readonly code = 'NO_EXCHANGE_RATE';
  static readonly result: ErrorResultShape = {
    description: 'No exchange rate is in force from the source currency to the target currency.',
    fields: {
      sourceCurrency: { type: 'String', description: 'The currency converted from.' },
      targetCurrency: { type: 'String', description: 'The currency converted to.' },
    },
  };
  readonly code = NoExchangeRate.code;
  constructor(
    readonly sourceCurrency: string,
    readonly targetCurrency: string,
  ) {
    super(`No exchange rate from ${sourceCurrency} to ${targetCurrency} is in force`);
  }
}

export class BelowConversionMinimum extends DomainError {
  static readonly code = 'BELOW_CONVERSION_MINIMUM';
  static readonly result: ErrorResultShape = {
    description: 'The amount is below the smallest amount the rate allows.',
    fields: {
      minimumPoints: { type: 'Int64', description: 'The smallest valid amount, in source points.' },
      requestedPoints: { type: 'Int64', description: 'The amount asked for.' },
    },
  };
  readonly code = BelowConversionMinimum.code;
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
  static readonly code = 'NOT_CONVERSION_INCREMENT';
  static readonly result: ErrorResultShape = {
    description:
      'The amount is not a multiple of the rate’s increment. Non-multiples are refused, never rounded: the nearest valid amounts are given to offer instead.',
    fields: {
      incrementPoints: {
        type: 'Int64',
        description: 'Amounts must be multiples of this many source points.',
      },
      requestedPoints: { type: 'Int64', description: 'The amount asked for.' },
      lowerPoints: {
        type: 'Int64',
        nullable: true,
        description: 'The largest valid amount below the request; null when there is none.',
      },
      higherPoints: { type: 'Int64', description: 'The smallest valid amount above the request.' },
    },
  };
  readonly code = NotConversionIncrement.code;
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
  static readonly code = 'CONVERSION_LIMIT_EXCEEDED';
  static readonly result: ErrorResultShape = {
    description: 'The conversion would pass the member’s daily or monthly limit for this pair.',
    fields: {
      period: {
        type: 'String',
        description: '"day" (UTC calendar day) or "month" (calendar month).',
      },
      limitPoints: { type: 'Int64', description: 'The limit, in source points.' },
      usedPoints: { type: 'Int64', description: 'Source points already converted in the period.' },
      requestedPoints: { type: 'Int64', description: 'The amount asked for.' },
      resetsAt: { type: 'DateTime', description: 'When the period ends and the limit resets.' },
    },
  };
  readonly code = ConversionLimitExceeded.code;
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
  static readonly code = 'LIQUIDITY_FLOOR_REACHED';
  static readonly result: ErrorResultShape = {
    description:
      'The exchange may not create that many points of the target currency now (its liquidity account would pass its floor).',
    fields: {
      currency: { type: 'String', description: 'The target currency.' },
      neededPoints: { type: 'Int64', description: 'Target points the conversion needs.' },
      headroomPoints: {
        type: 'Int64',
        description: 'Target points the exchange may still create.',
      },
    },
  };
  readonly code = LiquidityFloorReached.code;
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
  static readonly code = 'QUOTE_EXPIRED';
  static readonly result: ErrorResultShape = {
    description: 'The quote has expired: ask for a new one.',
    fields: {
      quoteId: { type: 'String', description: 'The quote.' },
      expiredAt: { type: 'DateTime', description: 'When it expired.' },
    },
  };
  readonly code = QuoteExpired.code;
  constructor(
    readonly quoteId: string,
    readonly expiredAt: Date,
  ) {
    super(`Quote ${quoteId} expired at ${expiredAt.toISOString()}: ask for a new one`);
  }
}

export class QuoteAlreadyUsed extends DomainError {
  static readonly code = 'QUOTE_ALREADY_USED';
  static readonly result: ErrorResultShape = {
    description:
      'The quote was already used, by a different request. Repeating the original request returns its original result.',
    fields: {
      quoteId: { type: 'String', description: 'The quote.' },
      transferId: { type: 'String', description: 'The convert transfer that used it.' },
    },
  };
  readonly code = QuoteAlreadyUsed.code;
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
  static readonly code = 'ARBITRAGE_CYCLE';
  static readonly result: ErrorResultShape = {
    description:
      'The rate or promotion would let points grow by converting around a cycle of currencies, so it was refused.',
    fields: {
      cycle: { type: '[String]', description: 'The cycle, e.g. ["HTL", "SKY", "HTL"].' },
      gain: {
        type: 'String',
        description: 'What one point becomes around the cycle, as a decimal rounded down (> 1).',
      },
    },
  };
  readonly code = ArbitrageCycle.code;
  constructor(
    readonly cycle: readonly string[],
    /** How many points one point becomes around the cycle, as a decimal rounded down. */
    readonly gain: string,
  ) {
    super(`Converting around ${cycle.join(' -> ')} would turn 1 point into ${gain}`);
  }
}
