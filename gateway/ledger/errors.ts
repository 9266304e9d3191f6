import { DomainError, type ErrorResultShape } from '../shared/errors';

/** The ledger's expected failures: balances, idempotency, purchases and their legs, holds. */

export class InsufficientPoints extends DomainError {
  static readonly code = 'INSUFFICIENT_POINTS';
  static readonly result: ErrorResultShape = {
    description: 'The member does not have enough available points.',
    fields: {
      currency: { type: 'String', description: 'The program currency.' },
      needed: { type: 'Int64', description: 'Points the operation needs.' },
      available: {
        type: 'Int64',
        description: 'Points available now (pending and held points excluded).',
      },
    },
  };
  readonly code = InsufficientPoints.code;
  constructor(
    readonly currency: string,
    readonly needed: bigint,
    readonly available: bigint,
  ) {
    super(`Insufficient ${currency}: ${needed} needed, ${available} available`);
  }
}

export class IdempotencyKeyReused extends DomainError {
  static readonly code = 'IDEMPOTENCY_KEY_REUSED';
  static readonly result: ErrorResultShape = {
    description:
      'The idempotency key (or transaction id) was already used for a different request. Retrying the original request returns its original result.',
    fields: {
      key: { type: 'String', description: 'The key that was reused.' },
    },
  };
  readonly code = IdempotencyKeyReused.code;
  constructor(readonly key: string) {
    super(`Idempotency key "${key}" was already used with a different request`);
  }
}

export class RefundExceedsPurchase extends DomainError {
  static readonly code = 'REFUND_EXCEEDS_PURCHASE';
  static readonly result: ErrorResultShape = {
    description: 'The refund is larger than what is left of the purchase.',
    fields: {
      requestedMinor: { type: 'Int64', description: 'The refund asked for, in minor units.' },
      refundableMinor: {
        type: 'Int64',
        description: 'What can still be refunded, in minor units.',
      },
    },
  };
  readonly code = RefundExceedsPurchase.code;
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
  static readonly code = 'TRANSACTION_CONFLICT';
  static readonly result: ErrorResultShape = {
    description:
      'A transaction id names one purchase by one member, with at most one earn and one payment (with points, across programs, or a redemption hold). This request would add a leg that breaks that; a retry of a recorded leg with its own idempotency key answers its original result instead.',
    fields: {
      transactionId: { type: 'String', description: 'The partner’s transaction id.' },
      reason: { type: 'TransactionConflictReason' },
    },
  };
  readonly code = TransactionConflict.code;
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
            : reason === 'already_refunded'
              ? 'was refunded: a refunded purchase takes no new earn or payment'
              : 'was already paid: one payment per purchase'
      }`,
    );
  }
}

export type TransactionConflictReason =
  | 'another_member'
  | 'already_earned'
  | 'already_paid'
  | 'already_refunded';

export function isTransactionConflictReason(value: unknown): value is TransactionConflictReason {
  return (
    value === 'another_member' ||
    value === 'already_earned' ||
    value === 'already_paid' ||
    value === 'already_refunded'
  );
}

/** A redemption hold that was already settled cannot be confirmed or declined any more. */
export class HoldNotActive extends DomainError {
  static readonly code = 'HOLD_NOT_ACTIVE';
  static readonly result: ErrorResultShape = {
    description:
      'The redemption hold was already settled (confirmed, declined, expired or cancelled) and cannot be confirmed or declined any more.',
    fields: {
      holdId: { type: 'ID', description: 'The hold.' },
      status: {
        type: 'String',
        description: 'How it was settled: confirmed, declined, expired or cancelled.',
      },
    },
  };
  readonly code = HoldNotActive.code;
  constructor(
    readonly holdId: string,
    readonly status: 'confirmed' | 'declined' | 'expired' | 'cancelled',
  ) {
    super(`Hold ${holdId} is no longer active: it was ${status}`);
  }
}

/** Only a confirmed redemption can be cancelled. */
export class RedemptionNotConfirmed extends DomainError {
  static readonly code = 'REDEMPTION_NOT_CONFIRMED';
  static readonly result: ErrorResultShape = {
    description:
      'The redemption was not confirmed (it is still held, or was declined or expired): there is nothing to cancel. A held one is declined instead.',
    fields: {
      holdId: { type: 'ID', description: 'The hold.' },
      status: { type: 'String', description: 'Where it stands: held, declined or expired.' },
    },
  };
  readonly code = RedemptionNotConfirmed.code;
  constructor(
    readonly holdId: string,
    readonly status: string,
  ) {
    super(
      `Redemption ${holdId} is ${status}, not confirmed: only a confirmed one can be cancelled`,
    );
  }
}

/** A redemption is cancelled at most once. */
export class RedemptionAlreadyCancelled extends DomainError {
  static readonly code = 'REDEMPTION_ALREADY_CANCELLED';
  static readonly result: ErrorResultShape = {
    description:
      'The redemption was already cancelled (under another idempotency key): its points were returned then. Retrying the original cancel returns its original result.',
    fields: {
      holdId: { type: 'ID', description: 'The hold.' },
      cancelTransferId: {
        type: 'ID',
        description: 'The cancel transfer that returned the points.',
      },
    },
  };
  readonly code = RedemptionAlreadyCancelled.code;
  constructor(
    readonly holdId: string,
    readonly cancelTransferId: string,
  ) {
    super(`Redemption ${holdId} was already cancelled by ${cancelTransferId}`);
  }
}
