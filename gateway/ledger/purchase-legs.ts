import type { Sql } from '../db/sql';
import { isTransactionConflictReason, TransactionConflict } from './errors';

/**
 * A partner's transaction id names one purchase by one member, with at most one earn leg and
 * one payment leg (a redeem, a cross-program payment's redeem, or a redemption hold). Refunds
 * rely on it: they take back and return exactly the legs recorded under the transaction id,
 * each from and to that member.
 *
 * Checked and enforced in the database (migrations/0013): the purchase is locked for the rest of
 * the caller's transaction, then the legs already recorded are read with a fresh snapshot, so
 * two legs of one purchase never commit unseen by each other. Earns do the same set-based,
 * inside `ledger_earn_batch`.
 */
export type PurchaseLeg = 'earn' | 'payment';

/** Locks the purchase and throws TransactionConflict when a new `leg` may not be recorded. */
export async function claimPurchaseLeg(
  sql: Sql,
  purchase: { partnerId: string; transactionId: string; memberId: string; leg: PurchaseLeg },
): Promise<void> {
  const result = await sql.query<{ conflict: string | null }>(
    'select ledger_claim_purchase_leg($1, $2, $3, $4) as conflict',
    [purchase.partnerId, purchase.transactionId, purchase.memberId, purchase.leg],
  );
  const conflict = result.rows[0]?.conflict ?? null;
  if (conflict === null) return;
  if (!isTransactionConflictReason(conflict)) {
    throw new Error(`ledger_claim_purchase_leg answered an unknown conflict "${conflict}"`);
  }
  throw new TransactionConflict(purchase.transactionId, conflict);
}
