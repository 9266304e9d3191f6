import type { SqlDatabase } from '../db/sql';
import { TransactionConflict } from '../ledger/errors';
import { purchaseMinorMax } from '../ledger/limits';
import type { Money } from '../ledger/model';
import { CurrencyNotSupported } from '../programs/errors';
import type { ProgramCatalog } from '../programs/program-catalog';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import { AlreadyExists, type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { isKnownMoneyCurrency } from '../shared/money';
import { requirePositive, requireReference } from '../shared/validate';
import { awardErrors, type PurchaseService } from './purchase-service';

/** A purchase a member registered after the fact (a receipt from a till that saw no card). */
export interface ReceiptView {
  id: string;
  memberId: string;
  partnerId: string;
  receiptNumber: string;
  purchasedAt: Date;
  amount: Money;
  /** The program currency it earns. */
  currency: string;
  /** pending, confirmed (earned), rejected, or matched (the partner had reported it). */
  status: 'pending' | 'confirmed' | 'rejected' | 'matched';
  /** The earn: given on confirmation, or the partner's own when matched. */
  transferId: string | null;
  reason: string | null;
  createdAt: Date;
  decidedAt: Date | null;
}

export interface RegisterReceiptInput {
  partnerId: string;
  receiptNumber: string;
  purchasedAt: Date;
  amount: Money;
  currency: string;
}

export const registerReceiptErrors = [
  InvalidInput,
  NotFound,
  CurrencyNotSupported,
  AlreadyExists,
] as const;
export const decideReceiptErrors = [...awardErrors] as const;

/** How long after a purchase its receipt may be registered. */
const registrationDaysMax = 90;
const dayMs = 86_400_000;
const pageSizeMax = 100;

/**
 * Receipt registration (issue 14). A member registers a purchase made at a partner. It is matched
 * at once to the earn the partner already reported under that receipt number (for this member),
 * or waits for the partner, who lists its pending receipts and confirms one (it then earns like
 * a purchase, rules included, the receipt number as the transaction id) or rejects it. One
 * registration per receipt number at a partner: a duplicate is AlreadyExists.
 */
export class MemberReceipts {
  constructor(
    private readonly db: SqlDatabase,
    private readonly catalog: ProgramCatalog,
    private readonly purchases: PurchaseService,
    private readonly clock: Clock,
  ) {}

  /**
   * The calling member registers a receipt. Errors (`registerReceiptErrors`): InvalidInput
   * (future or too old, no card at the partner), NotFound (partner, currency),
   * CurrencyNotSupported, AlreadyExists (registered already, or earned by another member),
   * Forbidden.
   */
  register(
    ctx: RequestContext,
    input: RegisterReceiptInput,
  ): Promise<ReceiptView | ErrorOf<typeof registerReceiptErrors>> {
    return failsWith(registerReceiptErrors, async () => {
      const { memberId } = requireCaller(ctx, 'member');
      const receiptNumber = requireReference('receiptNumber', input.receiptNumber, 100);
      if (!(await this.catalog.partner(input.partnerId))) {
        throw new NotFound('partner', input.partnerId);
      }
      if (!(await this.catalog.currency(input.currency))) {
        throw new NotFound('currency', input.currency);
      }
      const terms = await this.catalog.partnerTerms(input.partnerId, input.currency);
      if (!terms?.earns) throw new CurrencyNotSupported(input.currency, input.partnerId, 'earn');
      if (!isKnownMoneyCurrency(input.amount.currency)) {
        throw new InvalidInput('amount.currency', 'must be a supported ISO 4217 currency');
      }
      requirePositive('amount.amount', input.amount.amountMinor, purchaseMinorMax);
      const now = this.clock.now();
      if (input.purchasedAt.getTime() > now.getTime()) {
        throw new InvalidInput('purchasedAt', 'is in the future');
      }
      if (input.purchasedAt.getTime() < now.getTime() - registrationDaysMax * dayMs) {
        throw new InvalidInput(
          'purchasedAt',
          `receipts are registered within ${registrationDaysMax} days`,
        );
      }
      const linked = await this.db.query(
        'select 1 from member_link where partner_id = $1 and member_id = $2',
        [input.partnerId, memberId],
      );
      if (linked.rowCount === 0) {
        throw new InvalidInput('partnerId', 'link your card at this partner first');
      }
      return this.db.transaction(async (sql) => {
        // The partner may have reported the purchase already (the earn under that number).
        const earned = await sql.query<{ id: string; member_id: string }>(
          `select id, member_id from transfer
           where partner_id = $1 and external_id = $2 and code = 'earn' limit 1`,
          [input.partnerId, receiptNumber],
        );
        const earn = earned.rows[0];
        if (earn && earn.member_id !== memberId) throw new AlreadyExists('receipt', receiptNumber);
        const inserted = await sql.query<ReceiptRow>(
          `insert into member_receipt (id, member_id, partner_id, receipt_number, purchased_at,
             amount_minor, amount_currency, currency_code, status, transfer_id, created_at, decided_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           on conflict (partner_id, receipt_number) do nothing
           returning *`,
          [
            newId('rct'),
            memberId,
            input.partnerId,
            receiptNumber,
            input.purchasedAt,
            input.amount.amountMinor,
            input.amount.currency,
            input.currency,
            earn ? 'matched' : 'pending',
            earn?.id ?? null,
            now,
            earn ? now : null,
          ],
        );
        const row = inserted.rows[0];
        if (!row) throw new AlreadyExists('receipt', receiptNumber);
        return viewOf(row);
      });
    });
  }

  /**
   * Receipts, newest first: a member's own; a partner's registered at it (pending only unless
   * `status` says otherwise).
   */
  async receipts(
    ctx: RequestContext,
    filter: { status?: ReceiptView['status']; first?: number; after?: string },
  ): Promise<{ receipts: ReceiptView[]; nextCursor: string | null }> {
    const caller = requireCaller(ctx, 'member', 'partner');
    const first = Math.min(Math.max(filter.first ?? 50, 1), pageSizeMax);
    const status = filter.status ?? (caller.kind === 'partner' ? 'pending' : null);
    const rows = await this.db.query<ReceiptRow>(
      `select * from member_receipt
       where ${caller.kind === 'member' ? 'member_id' : 'partner_id'} = $1
         and ($2::text is null or status = $2) and ($3::text is null or id < $3)
       order by id desc limit $4`,
      [
        caller.kind === 'member' ? caller.memberId : caller.partnerId,
        status,
        filter.after ?? null,
        first + 1,
      ],
    );
    const receipts = rows.rows.slice(0, first).map(viewOf);
    return {
      receipts,
      nextCursor: rows.rows.length > first ? receipts[receipts.length - 1]!.id : null,
    };
  }

  /**
   * The partner confirms a pending receipt: it earns like a purchase (rules included), the
   * receipt number as the transaction id. Confirming again answers the same. A purchase the
   * partner reported meanwhile for this member matches it instead. Errors
   * (`decideReceiptErrors`): as awardPoints, NotFound (another partner's receipt), Forbidden.
   */
  confirm(
    ctx: RequestContext,
    receiptId: string,
  ): Promise<ReceiptView | ErrorOf<typeof decideReceiptErrors>> {
    return failsWith(decideReceiptErrors, async () => {
      const receipt = await this.partnersReceipt(ctx, receiptId);
      if (receipt.status === 'confirmed' || receipt.status === 'matched') return receipt;
      if (receipt.status === 'rejected')
        throw new InvalidInput('receiptId', 'this receipt was rejected');
      const earned = await this.purchases.award(ctx, {
        member: { memberId: receipt.memberId },
        transactionId: receipt.receiptNumber,
        currency: receipt.currency,
        purchase: receipt.amount,
        channel: 'store',
        idempotencyKey: `receipt:${receipt.id}`,
      });
      let status: ReceiptView['status'] = 'confirmed';
      let transferId: string;
      if (earned instanceof TransactionConflict && earned.reason === 'already_earned') {
        const reported = await this.db.query<{ id: string }>(
          `select id from transfer where partner_id = $1 and external_id = $2 and code = 'earn'
             and member_id = $3 limit 1`,
          [receipt.partnerId, receipt.receiptNumber, receipt.memberId],
        );
        if (!reported.rows[0]) throw earned;
        status = 'matched';
        transferId = reported.rows[0].id;
      } else if (earned instanceof Error) {
        throw earned;
      } else {
        transferId = earned.transferId;
      }
      return this.decide(receipt.id, status, transferId, null);
    });
  }

  /** The partner rejects a pending receipt, with a reason the member sees. */
  reject(
    ctx: RequestContext,
    receiptId: string,
    reason: string,
  ): Promise<ReceiptView | ErrorOf<typeof decideReceiptErrors>> {
    return failsWith(decideReceiptErrors, async () => {
      const receipt = await this.partnersReceipt(ctx, receiptId);
      if (receipt.status === 'rejected') return receipt;
      if (receipt.status !== 'pending') {
        throw new InvalidInput('receiptId', `this receipt is ${receipt.status}`);
      }
      return this.decide(receipt.id, 'rejected', null, requireReference('reason', reason, 200));
    });
  }

  private async partnersReceipt(ctx: RequestContext, receiptId: string): Promise<ReceiptView> {
    const { partnerId } = requireCaller(ctx, 'partner');
    const rows = await this.db.query<ReceiptRow>(
      'select * from member_receipt where id = $1 and partner_id = $2',
      [receiptId, partnerId],
    );
    if (!rows.rows[0]) throw new NotFound('receipt', receiptId);
    return viewOf(rows.rows[0]);
  }

  /** Records a decision once; a concurrent one that came first is the answer. */
  private async decide(
    id: string,
    status: ReceiptView['status'],
    transferId: string | null,
    reason: string | null,
  ): Promise<ReceiptView> {
    await this.db.query(
      `update member_receipt set status = $2, transfer_id = $3, reason = $4, decided_at = $5
       where id = $1 and status = 'pending'`,
      [id, status, transferId, reason, this.clock.now()],
    );
    const rows = await this.db.query<ReceiptRow>('select * from member_receipt where id = $1', [
      id,
    ]);
    return viewOf(rows.rows[0]!);
  }
}

interface ReceiptRow {
  id: string;
  member_id: string;
  partner_id: string;
  receipt_number: string;
  purchased_at: Date;
  amount_minor: string;
  amount_currency: string;
  currency_code: string;
  status: ReceiptView['status'];
  transfer_id: string | null;
  reason: string | null;
  created_at: Date;
  decided_at: Date | null;
}

function viewOf(row: ReceiptRow): ReceiptView {
  return {
    id: row.id,
    memberId: row.member_id,
    partnerId: row.partner_id,
    receiptNumber: row.receipt_number,
    purchasedAt: row.purchased_at,
    amount: { amountMinor: BigInt(row.amount_minor), currency: row.amount_currency },
    currency: row.currency_code,
    status: row.status,
    transferId: row.transfer_id,
    reason: row.reason,
    createdAt: row.created_at,
    decidedAt: row.decided_at,
  };
}
