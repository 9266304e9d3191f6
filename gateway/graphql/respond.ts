import { catchDomainError, type DomainError } from '../shared/errors';
import { resultOf } from './error-results';

/**
 * Runs a service call and maps its outcome: success through `map`, an expected failure
 * (returned, or thrown while preparing the call) to its typed error result.
 */
export async function respond<Outcome, R>(
  work: () => Promise<Outcome>,
  map: (value: Exclude<Outcome, DomainError>) => R,
) {
  const outcome = await catchDomainError(work);
  return resultOf(outcome as Exclude<Outcome, DomainError> | DomainError, map);
}
