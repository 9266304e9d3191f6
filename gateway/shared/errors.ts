/**
 * Expected failures are values, not exceptions that reach the client as strings: each one has a
 * stable code and the fields a caller needs to act on it. The GraphQL layer maps each to a typed
 * error result (`InsufficientPointsError { needed available }`).
 *
 * Inside a transaction they are thrown, so the transaction rolls back and nothing is written;
 * service methods catch them at their boundary and return them.
 *
 * Each module owns its errors (`ledger/errors.ts`, `exchange/errors.ts`, `programs/errors.ts`,
 * `federation/errors.ts`, `settlement/errors.ts`); this file holds the base class and the
 * failures every module shares: invalid input, not found, already exists, forbidden.
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

export class Forbidden extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(readonly reason: string) {
    super(reason);
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
