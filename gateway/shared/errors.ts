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

export class Forbidden extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(readonly reason: string) {
    super(reason);
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
