import type { Sql } from '../db/sql';
import { LiquidityFloorReached } from './errors';

/**
 * Each currency's liquidity account is the program's side of exchange: it takes in the points
 * converted out of the currency (and exchange fees) and pays out the points converted into it.
 * Its balance (credits - debits) is negative when the exchange has created more of the currency
 * than it retired; the floor caps that, and is enforced here and by the
 * liquidity_must_stay_above_floor constraint.
 */

export interface LiquidityPosition {
  accountId: bigint;
  currency: string;
  balancePoints: bigint;
  floorPoints: bigint;
}

/** How many more points the account may pay out before reaching its floor. */
export function headroomPoints(position: LiquidityPosition): bigint {
  return position.balancePoints - position.floorPoints;
}

/**
 * Locks the given liquidity accounts (system accounts: after the member accounts, in id order)
 * and throws LiquidityFloorReached when paying `payout.points` out of `payout.accountId` would
 * take it below its floor.
 */
export async function requireLiquidity(
  sql: Sql,
  liquidityAccountIds: readonly bigint[],
  payout: { accountId: bigint; currency: string; points: bigint },
): Promise<void> {
  const positions = await lockLiquidity(sql, liquidityAccountIds);
  const position = positions.find((candidate) => candidate.accountId === payout.accountId);
  if (!position) throw new Error(`liquidity account ${payout.accountId} not found`);
  const headroom = headroomPoints(position);
  if (headroom < payout.points) {
    throw new LiquidityFloorReached(payout.currency, payout.points, headroom < 0n ? 0n : headroom);
  }
}

async function lockLiquidity(sql: Sql, ids: readonly bigint[]): Promise<LiquidityPosition[]> {
  const sorted = [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rows = await sql.query<PositionRow>(
    `select id, currency_code, credits_posted - debits_posted as balance, liquidity_floor_points
     from account where id = any($1::bigint[]) and kind = 'liquidity'
     order by id for no key update`,
    [sorted],
  );
  return rows.rows.map(positionFromRow);
}

/** Liquidity positions of every currency, or of one. */
export async function liquidityPositions(
  sql: Sql,
  currency: string | null,
): Promise<LiquidityPosition[]> {
  const rows = await sql.query<PositionRow>(
    `select id, currency_code, credits_posted - debits_posted as balance, liquidity_floor_points
     from account where kind = 'liquidity' and ($1::text is null or currency_code = $1)
     order by currency_code`,
    [currency],
  );
  return rows.rows.map(positionFromRow);
}

/**
 * Sets a currency's floor, holding the account's lock so no conversion runs in between.
 * Returns null when the currency has no liquidity account, or the position unchanged with
 * `refused` when the balance is already below the new floor.
 */
export async function setLiquidityFloor(
  sql: Sql,
  currency: string,
  floorPoints: bigint,
): Promise<{ position: LiquidityPosition; previousFloorPoints: bigint; refused: boolean } | null> {
  const rows = await sql.query<PositionRow>(
    `select id, currency_code, credits_posted - debits_posted as balance, liquidity_floor_points
     from account where kind = 'liquidity' and currency_code = $1 for no key update`,
    [currency],
  );
  if (!rows.rows[0]) return null;
  const position = positionFromRow(rows.rows[0]);
  const previousFloorPoints = position.floorPoints;
  if (position.balancePoints < floorPoints) return { position, previousFloorPoints, refused: true };
  await sql.query('update account set liquidity_floor_points = $2 where id = $1', [
    position.accountId,
    floorPoints,
  ]);
  return { position: { ...position, floorPoints }, previousFloorPoints, refused: false };
}

interface PositionRow {
  id: bigint;
  currency_code: string;
  balance: bigint;
  liquidity_floor_points: bigint;
}

function positionFromRow(row: PositionRow): LiquidityPosition {
  return {
    accountId: row.id,
    currency: row.currency_code,
    balancePoints: row.balance,
    floorPoints: row.liquidity_floor_points,
  };
}
