import { DomainError, type ErrorResultShape } from '../shared/errors';

/** Why a voucher cannot be redeemed now. */
export type VoucherState = 'redeemed' | 'expired' | 'void';

/**
 * A reward voucher is single-use and valid until it expires: this one was redeemed on another
 * transaction, has expired, or was voided (the purchase that gave it was refunded).
 */
export class VoucherNotRedeemable extends DomainError {
  static readonly code = 'VOUCHER_NOT_REDEEMABLE';
  static readonly result: ErrorResultShape = {
    description:
      'The voucher cannot be redeemed: it was redeemed on another transaction, it has expired, or it was voided because the purchase that gave it was refunded. A retry of its own redemption (same transaction id) answers that redemption instead.',
    fields: {
      voucherCode: { type: 'String', description: 'The voucher’s code.' },
      state: { type: 'String', description: '"redeemed", "expired" or "void".' },
    },
  };
  readonly code = VoucherNotRedeemable.code;
  constructor(
    readonly voucherCode: string,
    readonly state: VoucherState,
  ) {
    super(
      `Voucher "${voucherCode}" ${
        state === 'redeemed'
          ? 'was already redeemed on another transaction'
          : state === 'expired'
            ? 'has expired'
            : 'was voided: the purchase that gave it was refunded'
      }`,
    );
  }
}

/** Why a referral was refused. */
export type ReferralRefusal = 'self_referral' | 'code_exhausted' | 'already_member';

/**
 * A member enrolled with a referral code that cannot count: their own (the same email, or the
 * partner's id for the referrer), a code that has reached its program's cap, or a person who was
 * already a member.
 */
export class ReferralRefused extends DomainError {
  static readonly code = 'REFERRAL_REFUSED';
  static readonly result: ErrorResultShape = {
    description:
      'The referral code cannot be used for this enrolment: it is the new member’s own (same email, or the same partner id as the referrer), it has reached its cap, or the person is already a member. Nothing was written.',
    fields: {
      referralCode: { type: 'String', description: 'The code that was given.' },
      reason: {
        type: 'String',
        description: '"self_referral", "code_exhausted" or "already_member".',
      },
    },
  };
  readonly code = ReferralRefused.code;
  constructor(
    readonly referralCode: string,
    readonly reason: ReferralRefusal,
  ) {
    super(
      `Referral code "${referralCode}" ${
        reason === 'self_referral'
          ? 'is the new member’s own: a member cannot refer themself'
          : reason === 'code_exhausted'
            ? 'has reached its cap of referrals'
            : 'cannot enrol someone who is already a member'
      }`,
    );
  }
}
