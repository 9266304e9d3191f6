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
      | 'hold'
      | 'reward',
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

/** Returns the expected failure thrown by `work` as a value; anything else propagates. */
export async function catchDomainError<T>(work: () => Promise<T>): Promise<T | DomainError> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}
