import type { Sql, SqlDatabase } from '../db/sql';
import type { Clock } from '../shared/clock';
import { NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { required } from '../shared/invariant';
import { type AccountDirectory, lockAccounts } from './accounts';
import { HoldNotActive } from './errors';
import type { IdempotencyClaim } from './idempotency';
import { idempotentWrite, receiptCodec } from './idempotent-write';
import { sweepBatchSize } from './limits';
import { applyLotMovements, planRestoration } from './lots';
import { postSpend, type SpendEntry, type SpendReceipt } from './spend';
import { writeTransfers } from './transfers';

/**
 * Two-phase redemptions (TigerBeetle's pending transfers): a hold reserves the member's points
 * (a `pending` posting member -> the partner's redemption account, consuming lots), then exactly
 * one of three things settles it:
 * - confirmed by the partner: a `post` transfer whose `post_pending` posting makes the points
 *   spent (the lots stay consumed);
 * - declined by the partner, or expired by the hold sweep: a `void` transfer whose
 *   `void_pending` posting releases the reservation and gives back exactly the lots the hold
 *   consumed, with their original expiry.
 * A hold is settled at most once: its pending row is re-read under the member account's lock,
 * and the database allows one post or void per hold (transfer_settles_hold_once).
 */

export type HoldStatus = 'held' | 'confirmed' | 'declined' | 'expired';
export type HoldSettlement = Exclude<HoldStatus, 'held'>;

export interface HoldEntry extends SpendEntry {
  holdExpiresAt: Date;
  /** The partner's reward the points are held for, if any. */
  rewardId: string | null;
}

export interface SettleEntry {
  holdTransferId: string;
  /** The partner settling it; null for the system (the hold sweep). */
  partnerId: string | null;
  outcome: HoldSettlement;
  reason: string | null;
  transferId: string;
  createdAt: Date;
  claim: IdempotencyClaim;
}

export interface SettleReceipt {
  holdTransferId: string;
  /** The post or void transfer. */
  transferId: string;
  status: HoldSettlement;
  memberId: string;
  partnerId: string;
  currency: string;
  points: bigint;
  settledAt: Date;
}

/**
 * Holds points for a redemption, in the caller's transaction. Idempotent like a spend (same
 * claim, same receipt); the hold's record is written only by the request that created it.
 * Throws InsufficientPoints or IdempotencyKeyReused.
 */
export async function placeHold(
  sql: Sql,
  accounts: AccountDirectory,
  entry: HoldEntry,
): Promise<SpendReceipt> {
  const receipt = await postSpend(sql, accounts, entry);
  if (receipt.transferId !== entry.transferId) return receipt; // a replay: already recorded
  await sql.query(
    `insert into redemption_hold (hold_transfer_id, partner_id, member_id, reward_id, status,
                                  expires_at, created_at)
     values ($1, $2, $3, $4, 'held', $5, $6)`,
    [
      entry.transferId,
      entry.partnerId,
      entry.memberId,
      entry.rewardId,
      entry.holdExpiresAt,
      entry.createdAt,
    ],
  );
  return receipt;
}

interface HoldRow {
  source_account_id: bigint;
  target_account_id: bigint;
  remaining_points: bigint;
  partner_id: string;
  member_id: string;
  currency_code: string;
  status: HoldStatus;
}

/**
 * Confirms (posts) or voids a hold, in the caller's transaction. Errors (thrown, so the
 * transaction rolls back): NotFound (no such hold of this partner), HoldNotActive (already
 * settled), IdempotencyKeyReused.
 */
export function settleHold(sql: Sql, entry: SettleEntry): Promise<SettleReceipt> {
  return idempotentWrite(sql, { claim: entry.claim, codec: settleReceiptCodec }, () =>
    postOrVoid(sql, entry),
  );
}

/** The hold's post or void transfer, under the member's account lock. */
async function postOrVoid(sql: Sql, entry: SettleEntry): Promise<SettleReceipt> {
  const found = await readHold(sql, entry.holdTransferId, false);
  if (!found || (entry.partnerId !== null && found.partner_id !== entry.partnerId)) {
    throw new NotFound('hold', entry.holdTransferId);
  }
  // Member account first; the redemption account is locked by writeTransfers, last.
  await lockAccounts(sql, [found.source_account_id]);
  const hold = required(
    await readHold(sql, entry.holdTransferId, true),
    `hold ${entry.holdTransferId}, read before under the same lock`,
  );
  if (hold.remaining_points === 0n || hold.status !== 'held') {
    throw new HoldNotActive(entry.holdTransferId, hold.status as HoldSettlement);
  }
  const points = hold.remaining_points;
  const confirmed = entry.outcome === 'confirmed';
  await writeTransfers(sql, [
    {
      id: entry.transferId,
      code: confirmed ? 'post' : 'void',
      partnerId: hold.partner_id,
      memberId: hold.member_id,
      externalId: entry.claim.key,
      relatedId: entry.holdTransferId,
      purchase: null,
      description: settlementDescription(entry.outcome, entry.reason),
      createdAt: entry.createdAt,
      postings: [
        {
          kind: confirmed ? 'post_pending' : 'void_pending',
          sourceAccountId: hold.source_account_id,
          targetAccountId: hold.target_account_id,
          currency: hold.currency_code,
          amountPoints: points,
        },
      ],
    },
  ]);
  if (!confirmed) {
    const movements = await planRestoration(
      sql,
      entry.holdTransferId,
      entry.holdTransferId,
      points,
    );
    await applyLotMovements(sql, entry.transferId, movements);
  }
  await sql.query(`update pending_transfer set remaining_points = 0 where transfer_id = $1`, [
    entry.holdTransferId,
  ]);
  await sql.query(
    `update redemption_hold
     set status = $2, settled_transfer_id = $3, reason = $4, settled_at = $5
     where hold_transfer_id = $1`,
    [entry.holdTransferId, entry.outcome, entry.transferId, entry.reason, entry.createdAt],
  );
  const receipt: SettleReceipt = {
    holdTransferId: entry.holdTransferId,
    transferId: entry.transferId,
    status: entry.outcome,
    memberId: hold.member_id,
    partnerId: hold.partner_id,
    currency: hold.currency_code,
    points,
    settledAt: entry.createdAt,
  };
  return receipt;
}

async function readHold(sql: Sql, holdId: string, forUpdate: boolean): Promise<HoldRow | null> {
  const rows = await sql.query<HoldRow>(
    `select p.source_account_id, p.target_account_id, p.remaining_points, h.partner_id,
            h.member_id, a.currency_code, h.status
     from pending_transfer p
     join redemption_hold h on h.hold_transfer_id = p.transfer_id
     join account a on a.id = p.source_account_id
     where p.transfer_id = $1 and p.kind = 'hold'
     ${forUpdate ? 'for update of p, h' : ''}`,
    [holdId],
  );
  return rows.rows[0] ?? null;
}

function settlementDescription(outcome: HoldSettlement, reason: string | null): string {
  const because = reason ? `: ${reason}` : '';
  if (outcome === 'confirmed') return 'Redemption confirmed by the partner';
  if (outcome === 'declined') return `Redemption declined by the partner${because}`;
  return 'Redemption hold expired without confirmation; the points came back';
}

/**
 * Voids every hold whose time ran out by `asOf`: one transaction per hold, so a sweep holds one
 * member's lock at a time and can stop anywhere. A hold confirmed meanwhile is skipped.
 */
export async function voidExpiredHolds(
  db: SqlDatabase,
  clock: Clock,
  asOf: Date,
  onVoided: (receipt: SettleReceipt) => void = () => undefined,
): Promise<number> {
  let total = 0;
  for (;;) {
    const due = await db.query<{ transfer_id: string }>(
      `select transfer_id from pending_transfer
       where kind = 'hold' and remaining_points > 0 and due_at <= $1
       order by due_at limit $2`,
      [asOf, sweepBatchSize],
    );
    for (const { transfer_id: holdId } of due.rows) {
      const outcome = await db
        .transaction((sql) =>
          settleHold(sql, {
            holdTransferId: holdId,
            partnerId: null,
            outcome: 'expired',
            reason: null,
            transferId: newId('trf'),
            createdAt: clock.now(),
            claim: { scope: 'system', operation: 'expire-hold', key: holdId, requestHash: holdId },
          }),
        )
        .catch((error: unknown) => {
          if (error instanceof HoldNotActive) return undefined; // settled meanwhile
          throw error;
        });
      if (outcome) {
        total += 1;
        onVoided(outcome);
      }
    }
    if (due.rows.length < sweepBatchSize) return total;
  }
}

/** Settle receipts as stored with their key. */
export const settleReceiptCodec = receiptCodec<SettleReceipt>({
  points: 'bigint',
  settledAt: 'date',
});

export interface HoldView {
  holdTransferId: string;
  partnerId: string;
  memberId: string;
  rewardId: string | null;
  status: HoldStatus;
  currency: string;
  points: bigint;
  expiresAt: Date;
  settledTransferId: string | null;
  reason: string | null;
}

/** Holds by id (for status queries). */
export async function findHolds(sql: Sql, ids: readonly string[]): Promise<HoldView[]> {
  const rows = await sql.query<{
    hold_transfer_id: string;
    partner_id: string;
    member_id: string;
    reward_id: string | null;
    status: HoldStatus;
    currency_code: string;
    amount_points: bigint;
    expires_at: Date;
    settled_transfer_id: string | null;
    reason: string | null;
  }>(
    `select h.hold_transfer_id, h.partner_id, h.member_id, h.reward_id, h.status,
            a.currency_code, p.amount_points, h.expires_at, h.settled_transfer_id, h.reason
     from redemption_hold h
     join pending_transfer p on p.transfer_id = h.hold_transfer_id
     join account a on a.id = p.source_account_id
     where h.hold_transfer_id = any($1::text[])`,
    [ids],
  );
  return rows.rows.map((row) => ({
    holdTransferId: row.hold_transfer_id,
    partnerId: row.partner_id,
    memberId: row.member_id,
    rewardId: row.reward_id,
    status: row.status,
    currency: row.currency_code,
    points: row.amount_points,
    expiresAt: row.expires_at,
    settledTransferId: row.settled_transfer_id,
    reason: row.reason,
  }));
}
