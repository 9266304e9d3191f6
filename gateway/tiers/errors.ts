import { DomainError, type ErrorResultShape } from '../shared/errors';

/** The tiers module's expected failures. */

export class EnrolmentRefused extends DomainError {
  static readonly code = 'ENROLMENT_REFUSED';
  static readonly result: ErrorResultShape = {
    description:
      'The program is closed: joining its tiers needs a valid invitation code, or more activity at its partner first.',
    fields: {
      currency: { type: 'String', description: 'The program currency.' },
      reason: {
        type: 'String',
        description:
          '"INVITATION_REQUIRED", "INVITATION_INVALID" (unknown, used or expired) or "QUALIFICATION_MISSING".',
      },
      missing: {
        type: 'String',
        nullable: true,
        description:
          'What is still missing, e.g. "2 more purchases at FreshMart, or 35.00 EUR more spend".',
      },
    },
  };
  readonly code = EnrolmentRefused.code;
  constructor(
    readonly currency: string,
    readonly reason: 'INVITATION_REQUIRED' | 'INVITATION_INVALID' | 'QUALIFICATION_MISSING',
    readonly missing: string | null = null,
  ) {
    super(`cannot join the tiers of ${currency}: ${reason}${missing ? ` (${missing})` : ''}`);
  }
}

export class NoTierLadder extends DomainError {
  static readonly code = 'NO_TIER_LADDER';
  static readonly result: ErrorResultShape = {
    description: 'The program has no tier ladder in force (define one with defineTierLadder).',
    fields: { currency: { type: 'String', description: 'The program currency.' } },
  };
  readonly code = NoTierLadder.code;
  constructor(readonly currency: string) {
    super(`${currency} has no tier ladder`);
  }
}
