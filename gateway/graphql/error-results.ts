import { GraphQLError } from 'graphql';
import { type ErrorResult, errorResultOf } from '../../schema/errors';
import * as domain from '../shared/errors';
import { required } from '../shared/invariant';

/**
 * Maps a domain failure to its typed GraphQL result: the result type built from its class
 * (schema/errors.ts), carrying the error's own fields. Forbidden is not a result: it becomes a
 * FORBIDDEN error in `errors`, like every other authorization failure.
 */
export function toErrorResult(error: domain.DomainError): ErrorResult {
  if (error instanceof domain.Forbidden) throw forbidden(error.reason);
  return required(errorResultOf(error), `a GraphQL result type for domain error ${error.code}`);
}

/** Success mapped by `map`, or the failure as its typed result. */
export function resultOf<T, R>(
  outcome: T | domain.DomainError,
  map: (value: T) => R,
): R | ErrorResult {
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
