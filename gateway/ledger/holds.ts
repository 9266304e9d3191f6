import type { Sql, SqlDatabase } from '../db/sql';
import type { Clock } from '../shared/clock';
import { InvalidInput, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { required } from '../shared/invariant';
import { type AccountDirectory, lockAccounts } from './accounts';
import { HoldNotActive, RedemptionAlreadyCancelled, RedemptionNotConfirmed } from './errors';
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
 * - confirmed by the partner, in whole or in part: a `post` transfer whose `post_pending`
 *   posting (index 0, the only one settlement bills) makes the confirmed points spent (their
 *   lots stay consumed); the rest, if any, is released by a `void_pending` posting in the same
 *   transfer and goes back to the lots it came from at once;
 * - declined by the partner, or expired by the hold sweep: a `void` transfer whose
 *   `void_pending` posting releases the reservation and gives back exactly the lots the hold
 *   consumed, with their original expiry.
 * A hold is settled at most once: its pending row is re-read under the member account's lock,
 * and the database allows one post or void per hold (transfer_settles_hold_once).
 *
 * A confirmed redemption may later be cancelled by its partner (a cancelled flight or stay): a
 * `cancel` transfer moves the confirmed points back from the redemption account to the member,
 * into the lots they came from with their original expiry, at most once per hold
 * (transfer_cancels_hold_once). A lot that expired in between gets its points back all the
 * same, and the next expiry sweep takes them (as for a refund): the cancel restores what the
 * member had, and the expiry rule then applies as it would have.
 */

export type HoldStatus = 'held' | 'confirmed' | 'declined' | 'expired' | 'cancelled';
export type HoldSettlement = Exclude<HoldStatus, 'held' | 'cancelled'>;

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
  /** A confirmation of part of the hold: these points are spent, the rest returned. */
  confirmPoints?: bigint | null;
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
  /** Points spent (confirmed) or released (declined, expired). */
  points: bigint;
  /** Points that went back to the member's lots: all of a void, the unconfirmed rest of a post. */
  returnedPoints: bigint;
  settledAt: Date;
}

export interface CancelEntry {
  holdTransferId: string;
  /** The partner cancelling: only the one that confirmed it. */
  partnerId: string;
  reason: string | null;
  transferId: string;
  createdAt: Date;
  claim: IdempotencyClaim;
}

export interface CancelReceipt {
  holdTransferId: string;
  /** The cancel transfer. */
  transferId: string;
  memberId: string;
  partnerId: string;
  currency: string;
  /** The confirmed points returned to the member. */
  points: bigint;
  cancelledAt: Date;
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
  confirmed_points: bigint | null;
  cancel_transfer_id: string | null;
}

/**
 * Confirms (posts, in whole or in part) or voids a hold, in the caller's transaction. Errors
 * (thrown, so the transaction rolls back): NotFound (no such hold of this partner),
 * HoldNotActive (already settled), InvalidInput (more points confirmed than held),
 * IdempotencyKeyReused.
 */
export function settleHold(sql: Sql, entry: SettleEntry): Promise<SettleReceipt> {
  return idempotentWrite(sql, { claim: entry.claim, codec: settleReceiptCodec }, () =>
    postOrVoid(sql, entry),
  );
}

/** The hold's post or void transfer, under the member's account lock. */
async function postOrVoid(sql: Sql, entry: SettleEntry): Promise<SettleReceipt> {
  const hold = await lockedHold(sql, entry.holdTransferId, entry.partnerId);
  if (hold.remaining_points === 0n || hold.status !== 'held') {
    throw new HoldNotActive(entry.holdTransferId, hold.status as Exclude<HoldStatus, 'held'>);
  }
  const held = hold.remaining_points;
  const confirmed = entry.outcome === 'confirmed';
  const spent = confirmed ? (entry.confirmPoints ?? held) : 0n;
  if (spent > held) throw new InvalidInput('points', `at most ${held} points are held`);
  const returned = held - spent;
  const posting = {
    sourceAccountId: hold.source_account_id,
    targetAccountId: hold.target_account_id,
    currency: hold.currency_code,
  };
  await writeTransfers(sql, [
    {
      id: entry.transferId,
      code: confirmed ? 'post' : 'void',
      partnerId: hold.partner_id,
      memberId: hold.member_id,
      externalId: entry.claim.key,
      relatedId: entry.holdTransferId,
      purchase: null,
      description: settlementDescription(entry.outcome, entry.reason, returned, spent),
      createdAt: entry.createdAt,
      // The spent part first: settlement bills a post's posting 0 (and only when it is a
      // post_pending).
      postings: [
        ...(spent > 0n ? [{ ...posting, kind: 'post_pending' as const, amountPoints: spent }] : []),
        ...(returned > 0n
          ? [{ ...posting, kind: 'void_pending' as const, amountPoints: returned }]
          : []),
      ],
    },
  ]);
  await returnToLots(sql, entry.holdTransferId, entry.transferId, returned);
  await sql.query(`update pending_transfer set remaining_points = 0 where transfer_id = $1`, [
    entry.holdTransferId,
  ]);
  await sql.query(
    `update redemption_hold
     set status = $2, settled_transfer_id = $3, reason = $4, settled_at = $5,
         confirmed_points = $6
     where hold_transfer_id = $1`,
    [
      entry.holdTransferId,
      entry.outcome,
      entry.transferId,
      entry.reason,
      entry.createdAt,
      confirmed ? spent : null,
    ],
  );
  return {
    holdTransferId: entry.holdTransferId,
    transferId: entry.transferId,
    status: entry.outcome,
    memberId: hold.member_id,
    partnerId: hold.partner_id,
    currency: hold.currency_code,
    points: confirmed ? spent : held,
    returnedPoints: returned,
    settledAt: entry.createdAt,
  };
}

/**
 * The hold, re-read under its member account's lock (taken first; system accounts are locked
 * by writeTransfers, last). NotFound when it does not exist or belongs to another partner
 * (`partnerId` null: the system, which may settle any).
 */
async function lockedHold(sql: Sql, holdId: string, partnerId: string | null): Promise<HoldRow> {
  const found = await readHold(sql, holdId, false);
  if (!found || (partnerId !== null && found.partner_id !== partnerId)) {
    throw new NotFound('hold', holdId);
  }
  await lockAccounts(sql, [found.source_account_id]);
  return required(
    await readHold(sql, holdId, true),
    `hold ${holdId}, read before under the same lock`,
  );
}

/** Gives `points` of what the hold consumed back to the member's lots, under `transferId`. */
async function returnToLots(
  sql: Sql,
  holdId: string,
  transferId: string,
  points: bigint,
): Promise<void> {
  if (points === 0n) return;
  // Restorations are counted across every transfer naming the hold (its post and its cancel),
  // so a cancel after a partial confirm gives back exactly the confirmed part.
  await applyLotMovements(sql, transferId, await planRestoration(sql, holdId, holdId, points));
}

/**
 * Cancels a confirmed redemption, in the caller's transaction: the confirmed points go back
 * from the partner's redemption account to the member, into the lots they came from. Idempotent
 * on its claim. Errors (thrown, so the transaction rolls back): NotFound (no such hold of this
 * partner), RedemptionNotConfirmed, RedemptionAlreadyCancelled, IdempotencyKeyReused.
 */
export function cancelConfirmedHold(sql: Sql, entry: CancelEntry): Promise<CancelReceipt> {
  return idempotentWrite(sql, { claim: entry.claim, codec: cancelReceiptCodec }, async () => {
    const hold = await lockedHold(sql, entry.holdTransferId, entry.partnerId);
    if (hold.status === 'cancelled') {
      throw new RedemptionAlreadyCancelled(
        entry.holdTransferId,
        required(hold.cancel_transfer_id, 'a cancelled hold names its cancel transfer'),
      );
    }
    if (hold.status !== 'confirmed')
      throw new RedemptionNotConfirmed(entry.holdTransferId, hold.status);
    const points = required(hold.confirmed_points, 'a confirmed hold records its points');
    await writeTransfers(sql, [
      {
        id: entry.transferId,
        code: 'cancel',
        partnerId: hold.partner_id,
        memberId: hold.member_id,
        externalId: entry.claim.key,
        relatedId: entry.holdTransferId,
        purchase: null,
        description: `Redemption cancelled by the partner${entry.reason ? `: ${entry.reason}` : ''}; the points came back`,
        createdAt: entry.createdAt,
        postings: [
          {
            kind: 'posted',
            sourceAccountId: hold.target_account_id,
            targetAccountId: hold.source_account_id,
            currency: hold.currency_code,
            amountPoints: points,
          },
        ],
      },
    ]);
    await returnToLots(sql, entry.holdTransferId, entry.transferId, points);
    await sql.query(
      `update redemption_hold set status = 'cancelled', cancel_transfer_id = $2, cancelled_at = $3
       where hold_transfer_id = $1`,
      [entry.holdTransferId, entry.transferId, entry.createdAt],
    );
    return {
      holdTransferId: entry.holdTransferId,
      transferId: entry.transferId,
      memberId: hold.member_id,
      partnerId: hold.partner_id,
      currency: hold.currency_code,
      points,
      cancelledAt: entry.createdAt,
    };
  });
}

async function readHold(sql: Sql, holdId: string, forUpdate: boolean): Promise<HoldRow | null> {
  const rows = await sql.query<HoldRow>(
    `select p.source_account_id, p.target_account_id, p.remaining_points, h.partner_id,
            h.member_id, a.currency_code, h.status, h.confirmed_points, h.cancel_transfer_id
     from pending_transfer p
     join redemption_hold h on h.hold_transfer_id = p.transfer_id
     join account a on a.id = p.source_account_id
     where p.transfer_id = $1 and p.kind = 'hold'
     ${forUpdate ? 'for update of p, h' : ''}`,
    [holdId],
  );
  return rows.rows[0] ?? null;
}

function settlementDescription(
  outcome: HoldSettlement,
  reason: string | null,
  returned: bigint,
  spent: bigint,
): string {
  const because = reason ? `: ${reason}` : '';
  if (outcome === 'confirmed' && returned > 0n) {
    return `Redemption confirmed by the partner for ${spent} points; the other ${returned} came back`;
  }
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
  returnedPoints: 'bigint',
  settledAt: 'date',
});

/** Cancel receipts as stored with their key. */
export const cancelReceiptCodec = receiptCodec<CancelReceipt>({
  points: 'bigint',
  cancelledAt: 'date',
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
  /** Points the partner confirmed (spent); null unless confirmed or cancelled. */
  confirmedPoints: bigint | null;
  /** The cancel transfer of a cancelled redemption. */
  cancelTransferId: string | null;
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
    confirmed_points: bigint | null;
    cancel_transfer_id: string | null;
  }>(
    `select h.hold_transfer_id, h.partner_id, h.member_id, h.reward_id, h.status,
            a.currency_code, p.amount_points, h.expires_at, h.settled_transfer_id, h.reason,
            h.confirmed_points, h.cancel_transfer_id
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
    confirmedPoints: row.confirmed_points,
    cancelTransferId: row.cancel_transfer_id,
  }));
}
