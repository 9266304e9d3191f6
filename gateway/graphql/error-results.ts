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
  type errorResultTypes,
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
} from '../../schema/errors';
import * as domain from '../shared/errors';
import { invariant } from '../shared/invariant';

type ErrorResultObject = InstanceType<(typeof errorResultTypes)[number]>;

/**
 * The GraphQL result type of each domain error code. A Record over the ErrorCode enum, so a new
 * code does not compile until it has its result type.
 */
const resultTypeByCode: Record<ErrorCode, new () => ErrorResultObject> = {
  [ErrorCode.INVALID_INPUT]: InvalidInputError,
  [ErrorCode.INSUFFICIENT_POINTS]: InsufficientPointsError,
  [ErrorCode.IDEMPOTENCY_KEY_REUSED]: IdempotencyKeyReusedError,
  [ErrorCode.NOT_FOUND]: NotFoundError,
  [ErrorCode.ALREADY_EXISTS]: AlreadyExistsError,
  [ErrorCode.CURRENCY_NOT_SUPPORTED]: CurrencyNotSupportedError,
  [ErrorCode.REFUND_EXCEEDS_PURCHASE]: RefundExceedsPurchaseError,
  [ErrorCode.NO_EXCHANGE_RATE]: NoExchangeRateError,
  [ErrorCode.BELOW_CONVERSION_MINIMUM]: BelowConversionMinimumError,
  [ErrorCode.NOT_CONVERSION_INCREMENT]: NotConversionIncrementError,
  [ErrorCode.CONVERSION_LIMIT_EXCEEDED]: ConversionLimitExceededError,
  [ErrorCode.LIQUIDITY_FLOOR_REACHED]: LiquidityFloorReachedError,
  [ErrorCode.QUOTE_EXPIRED]: QuoteExpiredError,
  [ErrorCode.QUOTE_ALREADY_USED]: QuoteAlreadyUsedError,
  [ErrorCode.ARBITRAGE_CYCLE]: ArbitrageCycleError,
  [ErrorCode.HOLD_NOT_ACTIVE]: HoldNotActiveError,
  [ErrorCode.COMPOSITION_FAILED]: CompositionFailedError,
  [ErrorCode.PARTNER_SERVICE_UNAVAILABLE]: PartnerServiceUnavailableError,
  [ErrorCode.PERIOD_STATE_CONFLICT]: PeriodStateConflictError,
  [ErrorCode.AGREEMENT_MISSING]: AgreementMissingError,
  [ErrorCode.TRANSACTION_CONFLICT]: TransactionConflictError,
};

/**
 * Maps a domain failure to its typed GraphQL result: the result type of its code, carrying the
 * error's own fields (a domain error's fields are named as its result type's). Forbidden is not
 * a result: it becomes a FORBIDDEN error in `errors`, like every other authorization failure.
 */
export function toErrorResult(error: domain.DomainError): ErrorResultObject {
  if (error instanceof domain.Forbidden) throw forbidden(error.reason);
  const resultType = resultTypeByCode[error.code as ErrorCode];
  invariant(resultType !== undefined, `domain error ${error.code} has a GraphQL result type`);
  return Object.assign(new resultType(), { ...error }, { message: error.message });
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
