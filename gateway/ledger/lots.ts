import { strict as assert } from 'node:assert';
import type { Sql } from '../db/sql';

/**
 * Lots are the points a member holds, grouped by the transfer that created them, each with its
 * expiry. Spending consumes lots soonest-expiring first; a refund restores exactly the lots the
 * spend consumed, with their original expiry. Invariant, checked by the property tests: a
 * member account's open lots sum to its available balance.
 *
 * Lots of an account are only read or changed while its account row is locked, so the plans
 * below stay true until the transaction commits. Plans are computed before the transfer is
 * written (they decide whether it can be); movements are applied after it (they reference it).
 */

export interface NewLot {
  accountId: bigint;
  transferId: string;
  amountPoints: bigint;
  expiresAt: Date | null;
  createdAt: Date;
}

/** A change to one lot: negative when consumed, positive when restored. */
export interface LotMovement {
  lotId: bigint;
  amountPoints: bigint;
}

export async function createLots(sql: Sql, lots: readonly NewLot[]): Promise<void> {
  if (lots.length === 0) return;
  await sql.query(
    `insert into lot (account_id, transfer_id, amount_points, remaining_points, expires_at, created_at)
     select a, t, p, p, e, c
     from unnest($1::bigint[], $2::text[], $3::bigint[], $4::timestamptz[], $5::timestamptz[])
       as l(a, t, p, e, c)`,
    [
      lots.map((lot) => lot.accountId),
      lots.map((lot) => lot.transferId),
      lots.map((lot) => lot.amountPoints),
      lots.map((lot) => lot.expiresAt),
      lots.map((lot) => lot.createdAt),
    ],
  );
}

/**
 * Which lots to consume for `amountPoints`: lots created by `preferTransferIds` first (a refund
 * takes back the points its purchase earned), then soonest-expiring, never-expiring last, oldest
 * first among equals. Only the lots needed are read (a running sum stops the scan).
 */
export async function planConsumption(
  sql: Sql,
  accountId: bigint,
  amountPoints: bigint,
  preferTransferIds: readonly string[] = [],
): Promise<LotMovement[]> {
  const rows = await sql.query<{ id: bigint; remaining_points: bigint; running: bigint }>(
    `select id, remaining_points, running from (
       select id, remaining_points,
              sum(remaining_points) over (
                order by transfer_id = any($2::text[]) desc, expires_at asc nulls last, id asc
              )::bigint as running
       from lot where account_id = $1 and remaining_points > 0
     ) ordered
     where running - remaining_points < $3`,
    [accountId, preferTransferIds, amountPoints],
  );
  const movements: LotMovement[] = [];
  let left = amountPoints;
  for (const row of rows.rows) {
    const take = row.remaining_points < left ? row.remaining_points : left;
    movements.push({ lotId: row.id, amountPoints: -take });
    left -= take;
  }
  assert.equal(left, 0n, `lots of account ${accountId} do not cover ${amountPoints} points`);
  return movements;
}

/**
 * Which lots to give back for `amountPoints` of what `spendTransferId` consumed, net of what
 * earlier transfers related to `restoredUnder` already gave back. Longest-lived lots first, so a
 * partial refund returns the points the member would have kept longest.
 */
export async function planRestoration(
  sql: Sql,
  spendTransferId: string,
  restoredUnder: string,
  amountPoints: bigint,
): Promise<LotMovement[]> {
  const rows = await sql.query<{ lot_id: bigint; restorable: bigint }>(
    `with consumed as (
       select lot_id, -amount_points as points from lot_movement
       where transfer_id = $1 and amount_points < 0
     ), restored as (
       select m.lot_id, sum(m.amount_points)::bigint as points
       from lot_movement m join transfer t on t.id = m.transfer_id
       where t.related_id = $2 and m.amount_points > 0
       group by m.lot_id
     )
     select c.lot_id, (c.points - coalesce(r.points, 0))::bigint as restorable
     from consumed c join lot l on l.id = c.lot_id
     left join restored r on r.lot_id = c.lot_id
     where c.points > coalesce(r.points, 0)
     order by l.expires_at desc nulls first, l.id desc`,
    [spendTransferId, restoredUnder],
  );
  const movements: LotMovement[] = [];
  let left = amountPoints;
  for (const row of rows.rows) {
    if (left === 0n) break;
    const give = row.restorable < left ? row.restorable : left;
    movements.push({ lotId: row.lot_id, amountPoints: give });
    left -= give;
  }
  assert.equal(
    left,
    0n,
    `transfer ${spendTransferId} consumed less than ${amountPoints} to restore`,
  );
  return movements;
}

/**
 * Applies planned movements to lots and records them under `transferId`. A lot may appear
 * twice (once consumed, once restored); its remaining points change by the sum.
 */
export async function applyLotMovements(
  sql: Sql,
  transferId: string,
  movements: readonly LotMovement[],
): Promise<void> {
  if (movements.length === 0) return;
  const lotIds = movements.map((movement) => movement.lotId);
  const amounts = movements.map((movement) => movement.amountPoints);
  await sql.query(
    `with moved as (
       update lot set remaining_points = remaining_points + m.amount
       from (select lot_id, sum(amount)::bigint as amount
             from unnest($2::bigint[], $3::bigint[]) as u(lot_id, amount) group by lot_id) m
       where lot.id = m.lot_id
       returning lot.id
     )
     insert into lot_movement (transfer_id, lot_id, amount_points)
     select $1, m.lot_id, m.amount from unnest($2::bigint[], $3::bigint[]) as m(lot_id, amount)`,
    [transferId, lotIds, amounts],
  );
}
