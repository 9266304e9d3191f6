import { GraphQLError } from 'graphql';
import {
  AgreementMissingError,
  AlreadyExistsError,
  CurrencyNotSupportedError,
  ErrorCode,
  IdempotencyKeyReusedError,
  InsufficientPointsError,
  InvalidInputError,
  NotFoundError,
  PeriodStateConflictError,
  RefundExceedsPurchaseError,
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
  | PeriodStateConflictError
  | AgreementMissingError;

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
  if (error instanceof domain.Forbidden) throw forbidden(error.reason);
  throw new Error(`no GraphQL result type for domain error ${error.code}`);
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
