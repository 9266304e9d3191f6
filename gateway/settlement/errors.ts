import { DomainError, type ErrorResultShape } from '../shared/errors';

/** Settlement's expected failures: periods and agreements. */

/** A settlement period is not in the state the operation needs (e.g. closing before its end). */
export class PeriodStateConflict extends DomainError {
  static readonly code = 'PERIOD_STATE_CONFLICT';
  static readonly result: ErrorResultShape = {
    description:
      'The settlement period is not in the state the operation needs (e.g. it has not ended, an earlier period is still open, or it is not closed yet).',
    fields: {
      periodId: { type: 'String', description: 'The period.' },
      status: { type: 'String', description: 'Its status: "open" or "closed".' },
      reason: { type: 'String', description: 'What stands in the way.' },
    },
  };
  readonly code = PeriodStateConflict.code;
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
  static readonly code = 'AGREEMENT_MISSING';
  static readonly result: ErrorResultShape = {
    description:
      'A transfer of the period needs settlement terms that no agreement in force at its time gives. Nothing was closed.',
    fields: {
      partnerId: { type: 'String', description: 'The partner whose agreement is missing.' },
      currency: { type: 'String', description: 'The program currency.' },
      at: { type: 'DateTime', description: 'When the transfer was made.' },
      transferId: { type: 'String', description: 'The first transfer that needs the agreement.' },
    },
  };
  readonly code = AgreementMissing.code;
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
