import type { Sql } from '../db/sql';
import { type ExchangeEdge, edgeGain } from './arbitrage';
import type { ExchangePromotion, ExchangeRate } from './exchange-model';

/**
 * Rate versions and promotions in SQL, read inside the caller's transaction. A version is in
 * force at t when effective_from <= t < effective_to (or it is open). Versions are only ever
 * appended; setting a new one closes the open one at the new one's start (the only update the
 * database allows), so a past conversion always points at the exact terms it used.
 */

/**
 * Rate changes and rate reads are ordered by one advisory lock: quotes and payments read the
 * clock and the rate while holding it shared, rate and promotion changes hold it exclusively and
 * read the clock inside it. So a quote made at t always used the version the history shows in
 * force at t (and the arbitrage guard sees a graph nobody changes under it).
 */
const rateLockKey = 'exchange_rates';

export async function lockRatesForReading(sql: Sql): Promise<void> {
  await sql.query('select pg_advisory_xact_lock_shared(hashtext($1))', [rateLockKey]);
}

export async function lockRatesForChange(sql: Sql): Promise<void> {
  await sql.query('select pg_advisory_xact_lock(hashtext($1))', [rateLockKey]);
}

/** When a rate of the pair was last used by a quote or a payment across programs. */
export async function lastRateUse(
  sql: Sql,
  sourceCurrency: string,
  targetCurrency: string,
): Promise<Date | null> {
  const rows = await sql.query<{ last_use: Date | null }>(
    `select greatest(
       (select max(created_at) from exchange_quote where source_currency = $1 and target_currency = $2),
       (select max(created_at) from conversion
        where source_currency = $1 and target_currency = $2 and quote_id is null)) as last_use`,
    [sourceCurrency, targetCurrency],
  );
  return rows.rows[0]!.last_use;
}

const rateColumns = `id, source_currency, target_currency, source_units, target_units,
  increment_points, minimum_points, daily_limit_points, monthly_limit_points, fee_fixed_points,
  fee_per_mille, effective_from, effective_to, set_by, created_at`;

const promotionColumns = `id, source_currency, target_currency, bonus_per_mille, starts_at,
  ends_at, description, set_by, created_at`;

export async function rateInForce(
  sql: Sql,
  sourceCurrency: string,
  targetCurrency: string,
  at: Date,
): Promise<ExchangeRate | null> {
  const rows = await sql.query<RateRow>(
    `select ${rateColumns} from exchange_rate
     where source_currency = $1 and target_currency = $2 and effective_from <= $3
       and (effective_to is null or effective_to > $3)`,
    [sourceCurrency, targetCurrency, at],
  );
  return rows.rows[0] ? rateFromRow(rows.rows[0]) : null;
}

export async function rateById(sql: Sql, id: bigint): Promise<ExchangeRate | null> {
  const rows = await sql.query<RateRow>(`select ${rateColumns} from exchange_rate where id = $1`, [
    id,
  ]);
  return rows.rows[0] ? rateFromRow(rows.rows[0]) : null;
}

/** Every rate in force at `at`, optionally from or to one currency, by pair. */
export async function ratesInForce(
  sql: Sql,
  at: Date,
  filter: { sourceCurrency?: string; targetCurrency?: string } = {},
): Promise<ExchangeRate[]> {
  const rows = await sql.query<RateRow>(
    `select ${rateColumns} from exchange_rate
     where effective_from <= $1 and (effective_to is null or effective_to > $1)
       and ($2::text is null or source_currency = $2) and ($3::text is null or target_currency = $3)
     order by source_currency, target_currency`,
    [at, filter.sourceCurrency ?? null, filter.targetCurrency ?? null],
  );
  return rows.rows.map(rateFromRow);
}

/**
 * Every version in force at `from` or later (scheduled ones included), in ratesInForce's order
 * (by pair, then start); `limit` at most.
 */
export async function rateVersionsFrom(
  sql: Sql,
  from: Date,
  limit: number,
): Promise<ExchangeRate[]> {
  const rows = await sql.query<RateRow>(
    `select ${rateColumns} from exchange_rate
     where effective_to is null or effective_to > $1
     order by source_currency, target_currency, effective_from
     limit $2`,
    [from, limit],
  );
  return rows.rows.map(rateFromRow);
}

/** Every version of a pair, newest first (scheduled ones included). */
export async function rateHistory(
  sql: Sql,
  sourceCurrency: string,
  targetCurrency: string,
  limit: number,
): Promise<ExchangeRate[]> {
  const rows = await sql.query<RateRow>(
    `select ${rateColumns} from exchange_rate
     where source_currency = $1 and target_currency = $2
     order by effective_from desc limit $3`,
    [sourceCurrency, targetCurrency, limit],
  );
  return rows.rows.map(rateFromRow);
}

/** The newest version of a pair, whether it has started or not. */
export async function latestRate(
  sql: Sql,
  sourceCurrency: string,
  targetCurrency: string,
): Promise<ExchangeRate | null> {
  const [latest] = await rateHistory(sql, sourceCurrency, targetCurrency, 1);
  return latest ?? null;
}

export type RateDraft = Omit<ExchangeRate, 'id' | 'effectiveTo'>;

/** Closes the pair's open version at the new start and appends the new version. */
export async function appendRateVersion(sql: Sql, draft: RateDraft): Promise<ExchangeRate> {
  await sql.query(
    `update exchange_rate set effective_to = $3
     where source_currency = $1 and target_currency = $2 and effective_to is null`,
    [draft.sourceCurrency, draft.targetCurrency, draft.effectiveFrom],
  );
  const rows = await sql.query<RateRow>(
    `insert into exchange_rate (source_currency, target_currency, source_units, target_units,
       increment_points, minimum_points, daily_limit_points, monthly_limit_points,
       fee_fixed_points, fee_per_mille, effective_from, set_by, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     returning ${rateColumns}`,
    [
      draft.sourceCurrency,
      draft.targetCurrency,
      draft.sourceUnits,
      draft.targetUnits,
      draft.incrementPoints,
      draft.minimumPoints,
      draft.dailyLimitPoints,
      draft.monthlyLimitPoints,
      draft.feeFixedPoints,
      draft.feePerMille,
      draft.effectiveFrom,
      draft.setBy,
      draft.createdAt,
    ],
  );
  return rateFromRow(rows.rows[0]!);
}

/** The promotion with the largest bonus running on a pair at `at` (lowest id among equals). */
export async function bestPromotion(
  sql: Sql,
  sourceCurrency: string,
  targetCurrency: string,
  at: Date,
): Promise<ExchangePromotion | null> {
  const rows = await sql.query<PromotionRow>(
    `select ${promotionColumns} from exchange_promotion
     where source_currency = $1 and target_currency = $2 and starts_at <= $3 and ends_at > $3
     order by bonus_per_mille desc, id asc limit 1`,
    [sourceCurrency, targetCurrency, at],
  );
  return rows.rows[0] ? promotionFromRow(rows.rows[0]) : null;
}

export async function promotionById(sql: Sql, id: bigint): Promise<ExchangePromotion | null> {
  const rows = await sql.query<PromotionRow>(
    `select ${promotionColumns} from exchange_promotion where id = $1`,
    [id],
  );
  return rows.rows[0] ? promotionFromRow(rows.rows[0]) : null;
}

/** Promotions that end after `endingAfter`, optionally of one pair, soonest start first. */
export async function promotions(
  sql: Sql,
  endingAfter: Date,
  filter: { sourceCurrency?: string; targetCurrency?: string },
  limit: number,
): Promise<ExchangePromotion[]> {
  const rows = await sql.query<PromotionRow>(
    `select ${promotionColumns} from exchange_promotion
     where ends_at > $1 and ($2::text is null or source_currency = $2)
       and ($3::text is null or target_currency = $3)
     order by starts_at, id limit $4`,
    [endingAfter, filter.sourceCurrency ?? null, filter.targetCurrency ?? null, limit],
  );
  return rows.rows.map(promotionFromRow);
}

export type PromotionDraft = Omit<ExchangePromotion, 'id'>;

export async function insertPromotion(sql: Sql, draft: PromotionDraft): Promise<ExchangePromotion> {
  const rows = await sql.query<PromotionRow>(
    `insert into exchange_promotion (source_currency, target_currency, bonus_per_mille, starts_at,
       ends_at, description, set_by, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8)
     returning ${promotionColumns}`,
    [
      draft.sourceCurrency,
      draft.targetCurrency,
      draft.bonusPerMille,
      draft.startsAt,
      draft.endsAt,
      draft.description,
      draft.setBy,
      draft.createdAt,
    ],
  );
  return promotionFromRow(rows.rows[0]!);
}

/** A rate version a conversion may still use, with the largest bonus that may apply to it. */
export interface UsableRate extends ExchangeEdge {
  sourceUnits: bigint;
  targetUnits: bigint;
  bonusPerMille: bigint;
  effectiveFrom: Date;
  effectiveTo: Date | null;
}

/**
 * The exchange graph as the arbitrage guard must see it: every rate version a conversion may
 * still use (in force after `usableAfter`, which lies a quote lifetime in the past because a
 * quote keeps its version), each with the largest bonus of any promotion of its pair that
 * overlaps it in time and has not ended by then (a quote takes the version and the promotion in
 * force at one instant, so only overlapping ones can combine).
 */
export async function usableRates(sql: Sql, usableAfter: Date): Promise<UsableRate[]> {
  const rows = await sql.query<{
    source_currency: string;
    target_currency: string;
    source_units: bigint;
    target_units: bigint;
    bonus_per_mille: bigint;
    effective_from: Date;
    effective_to: Date | null;
  }>(
    `select r.source_currency, r.target_currency, r.source_units, r.target_units,
            r.effective_from, r.effective_to,
            coalesce((select max(p.bonus_per_mille) from exchange_promotion p
                      where p.source_currency = r.source_currency
                        and p.target_currency = r.target_currency and p.ends_at > $1
                        and tstzrange(p.starts_at, p.ends_at)
                            && tstzrange(r.effective_from, r.effective_to)), 0)::bigint
              as bonus_per_mille
     from exchange_rate r where r.effective_to is null or r.effective_to > $1`,
    [usableAfter],
  );
  return rows.rows.map((row) => ({
    sourceCurrency: row.source_currency,
    targetCurrency: row.target_currency,
    sourceUnits: row.source_units,
    targetUnits: row.target_units,
    bonusPerMille: row.bonus_per_mille,
    effectiveFrom: row.effective_from,
    effectiveTo: row.effective_to,
    gain: edgeGain(row.source_units, row.target_units, row.bonus_per_mille),
  }));
}

/** The largest bonus of the pair's promotions that end after `endingAfter` (0 if none). */
export async function largestBonus(
  sql: Sql,
  sourceCurrency: string,
  targetCurrency: string,
  endingAfter: Date,
): Promise<bigint> {
  const rows = await sql.query<{ bonus: bigint }>(
    `select coalesce(max(bonus_per_mille), 0)::bigint as bonus from exchange_promotion
     where source_currency = $1 and target_currency = $2 and ends_at > $3`,
    [sourceCurrency, targetCurrency, endingAfter],
  );
  return rows.rows[0]!.bonus;
}

interface RateRow {
  id: bigint;
  source_currency: string;
  target_currency: string;
  source_units: bigint;
  target_units: bigint;
  increment_points: bigint;
  minimum_points: bigint;
  daily_limit_points: bigint | null;
  monthly_limit_points: bigint | null;
  fee_fixed_points: bigint;
  fee_per_mille: bigint;
  effective_from: Date;
  effective_to: Date | null;
  set_by: string;
  created_at: Date;
}

function rateFromRow(row: RateRow): ExchangeRate {
  return {
    id: row.id,
    sourceCurrency: row.source_currency,
    targetCurrency: row.target_currency,
    sourceUnits: row.source_units,
    targetUnits: row.target_units,
    incrementPoints: row.increment_points,
    minimumPoints: row.minimum_points,
    dailyLimitPoints: row.daily_limit_points,
    monthlyLimitPoints: row.monthly_limit_points,
    feeFixedPoints: row.fee_fixed_points,
    feePerMille: row.fee_per_mille,
    effectiveFrom: row.effective_from,
    effectiveTo: row.effective_to,
    setBy: row.set_by,
    createdAt: row.created_at,
  };
}

interface PromotionRow {
  id: bigint;
  source_currency: string;
  target_currency: string;
  bonus_per_mille: bigint;
  starts_at: Date;
  ends_at: Date;
  description: string;
  set_by: string;
  created_at: Date;
}

function promotionFromRow(row: PromotionRow): ExchangePromotion {
  return {
    id: row.id,
    sourceCurrency: row.source_currency,
    targetCurrency: row.target_currency,
    bonusPerMille: row.bonus_per_mille,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    description: row.description,
    setBy: row.set_by,
    createdAt: row.created_at,
  };
}
