import { DomainError } from '../shared/errors';

/** The ledger's expected failures: balances, idempotency, purchases and their legs, holds. */

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

export class RefundExceedsPurchase extends DomainError {
  readonly code = 'REFUND_EXCEEDS_PURCHASE';
  constructor(
    readonly requestedMinor: bigint,
    readonly refundableMinor: bigint,
  ) {
    super(`Refund of ${requestedMinor} exceeds the refundable ${refundableMinor}`);
  }
}

/**
 * A partner's transaction id names one purchase by one member, with at most one earn and one
 * payment: a new leg under it that breaks this is refused (a retry with the leg's own key is not
 * a new leg, and answers from its stored result).
 */
export class TransactionConflict extends DomainError {
  readonly code = 'TRANSACTION_CONFLICT';
  constructor(
    readonly transactionId: string,
    readonly reason: TransactionConflictReason,
  ) {
    super(
      `Transaction "${transactionId}" ${
        reason === 'another_member'
          ? 'belongs to another member: a transaction id names one purchase by one member'
          : reason === 'already_earned'
            ? 'already earned points: one earn per purchase'
            : 'was already paid: one payment per purchase'
      }`,
    );
  }
}

export type TransactionConflictReason = 'another_member' | 'already_earned' | 'already_paid';

export function isTransactionConflictReason(value: unknown): value is TransactionConflictReason {
  return value === 'another_member' || value === 'already_earned' || value === 'already_paid';
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
