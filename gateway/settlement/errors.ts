import { DomainError } from '../shared/errors';

/** Settlement's expected failures: periods and agreements. */

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
