import { DomainError, type ErrorResultShape } from '../shared/errors';

/** The offers module's expected failures. */

/**
 * The member is not among the offer's targets now: in none of its segments (as their last
 * refresh computed them) and not on its list of members.
 */
export class OfferNotTargeted extends DomainError {
  static readonly code = 'OFFER_NOT_TARGETED';
  static readonly result: ErrorResultShape = {
    description:
      'The offer is not for this member: the member is in none of its segments (as last refreshed) and not on its list of members. Nothing was written.',
    fields: {
      offerId: { type: 'ID', description: 'The offer.' },
    },
  };
  readonly code = OfferNotTargeted.code;
  constructor(readonly offerId: string) {
    super(`offer ${offerId} is not targeted at this member`);
  }
}

/** Why an offer cannot be activated now. */
export type OfferUnavailableReason = 'not_started' | 'ended' | 'used_up';

/**
 * The offer takes no activation now: its window has not opened, it has ended (its window
 * closed, or its owner ended it), or it is used up (the member's uses, or its budget).
 */
export class OfferNotAvailable extends DomainError {
  static readonly code = 'OFFER_NOT_AVAILABLE';
  static readonly result: ErrorResultShape = {
    description:
      'The offer cannot be activated now: its window has not opened, it has ended, or it is used up (the member’s uses, or its budget). Nothing was written.',
    fields: {
      offerId: { type: 'ID', description: 'The offer.' },
      reason: { type: 'String', description: '"not_started", "ended" or "used_up".' },
    },
  };
  readonly code = OfferNotAvailable.code;
  constructor(
    readonly offerId: string,
    readonly reason: OfferUnavailableReason,
  ) {
    super(
      `offer ${offerId} ${
        reason === 'not_started'
          ? 'has not started yet'
          : reason === 'ended'
            ? 'has ended'
            : 'is used up'
      }`,
    );
  }
}
