/**
 * The ledger's vocabulary. A transfer is an immutable record of why points moved (its `code`);
 * its postings say how: each moves a positive amount from a source account to a target account
 * of one currency, so every transfer balances per currency by construction.
 */

export type AccountKind =
  /** A member's points in one currency (credit-normal; never below zero). */
  | 'member'
  /** Debited when a partner awards points: what it has issued, and pays the program for. */
  | 'issuance'
  /** Credited when a member pays with points at a partner: what the program reimburses. */
  | 'redemption'
  /** Credited when points expire unused. */
  | 'breakage'
  /** The program's side of currency exchange. */
  | 'liquidity'
  /** Corrections posted by finance. */
  | 'adjustment';

export type TransferCode =
  | 'earn'
  | 'redeem'
  | 'refund'
  | 'mature'
  | 'expire'
  | 'hold'
  | 'post'
  | 'void'
  | 'cancel'
  | 'convert'
  | 'fee'
  | 'adjust'
  | 'settle';

/**
 * posted: moves points now. pending: reserves them (source debits_pending, target
 * credits_pending). post_pending: turns a reservation into a posted amount. void_pending:
 * releases a reservation.
 */
export type PostingKind = 'posted' | 'pending' | 'post_pending' | 'void_pending';

export interface AccountKey {
  kind: AccountKind;
  currency: string;
  memberId?: string;
  partnerId?: string;
}

export interface PostingDraft {
  kind: PostingKind;
  sourceAccountId: bigint;
  targetAccountId: bigint;
  currency: string;
  amountPoints: bigint;
}

export interface TransferDraft {
  id: string;
  code: TransferCode;
  partnerId: string | null;
  memberId: string | null;
  externalId: string | null;
  relatedId: string | null;
  purchase: Money | null;
  description: string;
  createdAt: Date;
  postings: PostingDraft[];
}

/** An amount of real money in minor units (cents), never a float. */
export interface Money {
  amountMinor: bigint;
  currency: string;
}

export interface AccountTotals {
  id: bigint;
  kind: AccountKind;
  currency: string;
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
}

/** What a member can spend now: posted credits minus posted and held debits. */
export function availablePoints(account: AccountTotals): bigint {
  return account.creditsPosted - account.debitsPosted - account.debitsPending;
}
