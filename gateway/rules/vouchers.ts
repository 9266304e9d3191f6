import type { SqlDatabase } from '../db/sql';
import type { IssuedVoucher } from '../ledger/earn';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { typedCode } from '../shared/ids';
import { requireReference } from '../shared/validate';
import { VoucherNotRedeemable } from './errors';

/** A reward voucher as its member, its partner and the operator see it. */
export interface VoucherView extends IssuedVoucher {
  /** Where it is redeemed: the partner of the purchase (or member event) that gave it. */
  partnerId: string;
  memberId: string;
  /** The program currency of the rule that gave it. */
  currency: string;
  ruleId: string;
  /** The receipt line that gave it, e.g. "Welcome: a free delivery voucher". */
  description: string;
  /** The earn that gave it. */
  transferId: string;
  issuedAt: Date;
  state: 'available' | 'redeemed' | 'expired' | 'void';
  redeemedAt: Date | null;
  /** The partner's transaction the voucher was redeemed on. */
  redeemedTransactionId: string | null;
}

export const redeemVoucherErrors = [InvalidInput, NotFound, VoucherNotRedeemable] as const;

const pageSizeMax = 100;

interface VoucherRow {
  code: string;
  partner_id: string;
  member_id: string;
  currency_code: string;
  rule_id: string;
  transfer_id: string;
  grant_item: {
    d: string;
    vc: { k: IssuedVoucher['reward']; sku: string | null; bp: number | null };
  };
  issued_at: Date;
  expires_at: Date;
  redeemed_at: Date | null;
  redeemed_transaction_id: string | null;
  voided_at: Date | null;
}

/**
 * Reward vouchers (issue 14): single-use codes that earning rules give members, written by the
 * earn batch with the earn (migrations/0033). The partner where one was given redeems it once,
 * on a transaction of its own; redeeming it again on that transaction answers the same
 * redemption. The refund that completes the purchase it was redeemed on makes it usable again;
 * the one that completes the refund of the purchase that gave it voids it while unused.
 */
export class RewardVouchers {
  constructor(
    private readonly db: SqlDatabase,
    private readonly clock: Clock,
  ) {}

  /**
   * The calling partner redeems a voucher on one of its transactions. Errors
   * (`redeemVoucherErrors`): InvalidInput, NotFound (unknown, or given at another partner),
   * VoucherNotRedeemable (redeemed on another transaction, expired, void), Forbidden.
   */
  redeem(
    ctx: RequestContext,
    input: { code: string; transactionId: string },
  ): Promise<VoucherView | ErrorOf<typeof redeemVoucherErrors>> {
    return failsWith(redeemVoucherErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const code = normalisedCode(input.code);
      const transactionId = requireReference('transactionId', input.transactionId, 100);
      const now = this.clock.now();
      // One statement: the row lock orders concurrent redemptions, and the loser sees the
      // winner's transaction id below.
      const redeemed = await this.db.query<VoucherRow>(
        `update reward_voucher set redeemed_at = $4, redeemed_transaction_id = $3,
                redeem_count = redeem_count + 1
         where code = $1 and partner_id = $2 and redeemed_at is null and voided_at is null
           and expires_at > $4
         returning *`,
        [code, partnerId, transactionId, now],
      );
      if (redeemed.rows[0]) return viewOf(redeemed.rows[0], now);
      const found = await this.find(code);
      if (!found || found.partner_id !== partnerId) throw new NotFound('voucher', input.code);
      if (found.redeemed_transaction_id === transactionId) return viewOf(found, now);
      const view = viewOf(found, now);
      throw new VoucherNotRedeemable(code, view.state === 'available' ? 'expired' : view.state);
    });
  }

  /**
   * A voucher by its code: the partner where it is redeemed, its member and the operator see
   * it; anyone else gets null.
   */
  async voucher(ctx: RequestContext, code: string): Promise<VoucherView | null> {
    const caller = requireCaller(ctx, 'partner', 'member', 'operator');
    const row = await this.find(normalisedCode(code, false));
    if (!row) return null;
    if (caller.kind === 'partner' && row.partner_id !== caller.partnerId) return null;
    if (caller.kind === 'member' && row.member_id !== caller.memberId) return null;
    return viewOf(row, this.clock.now());
  }

  /** The calling member's vouchers, newest first, paged by code cursor. */
  async memberVouchers(
    ctx: RequestContext,
    page: { first?: number; after?: string },
  ): Promise<{ vouchers: VoucherView[]; nextCursor: string | null }> {
    const { memberId } = requireCaller(ctx, 'member');
    const first = Math.min(Math.max(page.first ?? 20, 1), pageSizeMax);
    const after = page.after ? await this.find(page.after) : null;
    const rows = await this.db.query<VoucherRow>(
      `select * from reward_voucher
       where member_id = $1
         and ($2::timestamptz is null or (issued_at, code) < ($2, $3))
       order by issued_at desc, code desc limit $4`,
      [memberId, after?.issued_at ?? null, after?.code ?? null, first + 1],
    );
    const now = this.clock.now();
    const vouchers = rows.rows.slice(0, first).map((row) => viewOf(row, now));
    return {
      vouchers,
      nextCursor: rows.rows.length > first ? vouchers[vouchers.length - 1]!.code : null,
    };
  }

  private async find(code: string): Promise<VoucherRow | undefined> {
    const rows = await this.db.query<VoucherRow>('select * from reward_voucher where code = $1', [
      code,
    ]);
    return rows.rows[0];
  }
}

/** Codes are upper case; people type them in any case and with spaces. */
function normalisedCode(code: string, strict = true): string {
  const normal = typedCode(code);
  if (strict && !/^[A-Z0-9]{8,40}$/.test(normal)) {
    throw new InvalidInput('code', 'a voucher code is 8 to 40 letters and digits');
  }
  return normal;
}

function viewOf(row: VoucherRow, now: Date): VoucherView {
  const { vc, d } = row.grant_item;
  const state: VoucherView['state'] = row.voided_at
    ? 'void'
    : row.redeemed_at
      ? 'redeemed'
      : row.expires_at.getTime() <= now.getTime()
        ? 'expired'
        : 'available';
  return {
    code: row.code,
    reward: vc.k,
    sku: vc.sku,
    percentBp: vc.bp,
    expiresAt: row.expires_at,
    partnerId: row.partner_id,
    memberId: row.member_id,
    currency: row.currency_code,
    ruleId: row.rule_id,
    description: d,
    transferId: row.transfer_id,
    issuedAt: row.issued_at,
    state,
    redeemedAt: row.redeemed_at,
    redeemedTransactionId: row.redeemed_transaction_id,
  };
}
