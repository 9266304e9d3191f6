import { GraphQLError } from 'graphql';
import {
  AgreementMissingError,
  AlreadyExistsError,
  ArbitrageCycleError,
  BelowConversionMinimumError,
  CompositionFailedError,
  ConversionLimitExceededError,
  CurrencyNotSupportedError,
  ErrorCode,
  HoldNotActiveError,
  IdempotencyKeyReusedError,
  InsufficientPointsError,
  InvalidInputError,
  LiquidityFloorReachedError,
  NoExchangeRateError,
  NotConversionIncrementError,
  NotFoundError,
  PartnerServiceUnavailableError,
  PeriodStateConflictError,
  QuoteAlreadyUsedError,
  QuoteExpiredError,
  RefundExceedsPurchaseError,
  TransactionConflictError,
  type TransactionConflictReason,
} from '../../schema/errors';
import * as domain from '../shared/errors';

type ErrorResultObject =
  | InvalidInputError
  | InsufficientPointsError
  | IdempotencyKeyReusedError
  | NotFoundError
  | AlreadyExistsError
  | CurrencyNotSupportedError
  | RefundExceedsPurchaseError
  | ExchangeErrorResult
  | HoldNotActiveError
  | CompositionFailedError
  | PartnerServiceUnavailableError
  | PeriodStateConflictError
  | AgreementMissingError
  | TransactionConflictError;

/**
 * Maps a domain failure to its typed GraphQL result. Forbidden is not a result: it becomes a
 * FORBIDDEN error in `errors`, like every other authorization failure.
 */
export function toErrorResult(error: domain.DomainError): ErrorResultObject {
  const base = { code: error.code as ErrorCode, message: error.message };
  if (error instanceof domain.InvalidInput) {
    return Object.assign(new InvalidInputError(), base, {
      field: error.field,
      reason: error.reason,
    });
  }
  if (error instanceof domain.InsufficientPoints) {
    return Object.assign(new InsufficientPointsError(), base, {
      currency: error.currency,
      needed: error.needed,
      available: error.available,
    });
  }
  if (error instanceof domain.IdempotencyKeyReused) {
    return Object.assign(new IdempotencyKeyReusedError(), base, { key: error.key });
  }
  if (error instanceof domain.NotFound) {
    return Object.assign(new NotFoundError(), base, {
      entity: error.entity,
      reference: error.reference,
    });
  }
  if (error instanceof domain.AlreadyExists) {
    return Object.assign(new AlreadyExistsError(), base, {
      entity: error.entity,
      reference: error.reference,
    });
  }
  if (error instanceof domain.CurrencyNotSupported) {
    return Object.assign(new CurrencyNotSupportedError(), base, {
      currency: error.currency,
      partnerId: error.partnerId,
      use: error.use,
    });
  }
  if (error instanceof domain.RefundExceedsPurchase) {
    return Object.assign(new RefundExceedsPurchaseError(), base, {
      requestedMinor: error.requestedMinor,
      refundableMinor: error.refundableMinor,
    });
  }
  const exchange = exchangeErrorResult(error);
  if (exchange) return Object.assign(exchange, base);
  if (error instanceof domain.HoldNotActive) {
    return Object.assign(new HoldNotActiveError(), base, {
      holdId: error.holdId,
      status: error.status,
    });
  }
  if (error instanceof domain.CompositionFailed) {
    return Object.assign(new CompositionFailedError(), base, {
      partnerId: error.partnerId,
      messages: [...error.messages],
    });
  }
  if (error instanceof domain.PartnerServiceUnavailable) {
    return Object.assign(new PartnerServiceUnavailableError(), base, {
      partnerId: error.partnerId,
      reason: error.reason,
    });
  }
  if (error instanceof domain.PeriodStateConflict) {
    return Object.assign(new PeriodStateConflictError(), base, {
      periodId: error.periodId,
      status: error.status,
      reason: error.reason,
    });
  }
  if (error instanceof domain.AgreementMissing) {
    return Object.assign(new AgreementMissingError(), base, {
      partnerId: error.partnerId,
      currency: error.currency,
      at: error.at,
      transferId: error.transferId,
    });
  }
  if (error instanceof domain.TransactionConflict) {
    return Object.assign(new TransactionConflictError(), base, {
      transactionId: error.transactionId,
      reason: error.reason as TransactionConflictReason,
    });
  }
  if (error instanceof domain.Forbidden) throw forbidden(error.reason);
  throw new Error(`no GraphQL result type for domain error ${error.code}`);
}

type ExchangeErrorResult =
  | NoExchangeRateError
  | BelowConversionMinimumError
  | NotConversionIncrementError
  | ConversionLimitExceededError
  | LiquidityFloorReachedError
  | QuoteExpiredError
  | QuoteAlreadyUsedError
  | ArbitrageCycleError;

/** The exchange's failures (issue 3), each copied field by field onto its result type. */
function exchangeErrorResult(error: domain.DomainError): ExchangeErrorResult | null {
  if (error instanceof domain.NoExchangeRate) {
    const { sourceCurrency, targetCurrency } = error;
    return Object.assign(new NoExchangeRateError(), { sourceCurrency, targetCurrency });
  }
  if (error instanceof domain.BelowConversionMinimum) {
    const { minimumPoints, requestedPoints } = error;
    return Object.assign(new BelowConversionMinimumError(), { minimumPoints, requestedPoints });
  }
  if (error instanceof domain.NotConversionIncrement) {
    const { incrementPoints, requestedPoints, lowerPoints, higherPoints } = error;
    return Object.assign(new NotConversionIncrementError(), {
      incrementPoints,
      requestedPoints,
      lowerPoints,
      higherPoints,
    });
  }
  if (error instanceof domain.ConversionLimitExceeded) {
    const { period, limitPoints, usedPoints, requestedPoints, resetsAt } = error;
    return Object.assign(new ConversionLimitExceededError(), {
      period,
      limitPoints,
      usedPoints,
      requestedPoints,
      resetsAt,
    });
  }
  if (error instanceof domain.LiquidityFloorReached) {
    const { currency, neededPoints, headroomPoints } = error;
    return Object.assign(new LiquidityFloorReachedError(), {
      currency,
      neededPoints,
      headroomPoints,
    });
  }
  if (error instanceof domain.QuoteExpired) {
    const { quoteId, expiredAt } = error;
    return Object.assign(new QuoteExpiredError(), { quoteId, expiredAt });
  }
  if (error instanceof domain.QuoteAlreadyUsed) {
    const { quoteId, transferId } = error;
    return Object.assign(new QuoteAlreadyUsedError(), { quoteId, transferId });
  }
  if (error instanceof domain.ArbitrageCycle) {
    return Object.assign(new ArbitrageCycleError(), { cycle: [...error.cycle], gain: error.gain });
  }
  return null;
}

/** Success mapped by `map`, or the failure as its typed result. */
export function resultOf<T, R>(
  outcome: T | domain.DomainError,
  map: (value: T) => R,
): R | ErrorResultObject {
  return outcome instanceof domain.DomainError ? toErrorResult(outcome) : map(outcome);
}

export function forbidden(reason = 'Not allowed for this caller'): GraphQLError {
  return new GraphQLError(reason, { extensions: { code: 'FORBIDDEN', http: { status: 200 } } });
}

export function badInput(reason: string): GraphQLError {
  return new GraphQLError(reason, { extensions: { code: 'BAD_USER_INPUT' } });
}

export function unauthenticated(reason: string): GraphQLError {
  return new GraphQLError(reason, { extensions: { code: 'UNAUTHENTICATED' } });
}

// Keep the enum values in step with the domain codes.
const domainCodes: Record<string, true> = Object.fromEntries(
  Object.values(ErrorCode).map((code) => [code, true]),
);
export function isMappedCode(code: string): boolean {
  return domainCodes[code] === true;
}
