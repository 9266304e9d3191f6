import type { Sql } from '../db/sql';
import { ConversionLimitExceeded } from './errors';
import type { ExchangeRate } from './exchange-model';

/**
 * Per-member conversion limits, in source points per pair, per UTC calendar day and calendar
 * month (a member sees them reset at a fixed time, not on a rolling window). Conversions and
 * payments across programs both count. To be authoritative the usage must be read while the
 * member's source account is locked, so two concurrent conversions cannot both slip under.
 */

export interface LimitUsage {
  dayPoints: bigint;
  monthPoints: bigint;
  dayEndsAt: Date;
  monthEndsAt: Date;
}

export function dayWindow(at: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  return { start, end: new Date(start.getTime() + 86_400_000) };
}

export function monthWindow(at: Date): { start: Date; end: Date } {
  return {
    start: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1)),
    end: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1)),
  };
}

/** Source points the member converted per pair so far this day and month (pairs with any). */
export async function limitUsage(
  sql: Sql,
  memberId: string,
  at: Date,
  pair?: { sourceCurrency: string; targetCurrency: string },
): Promise<Map<string, LimitUsage>> {
  const day = dayWindow(at);
  const month = monthWindow(at);
  const rows = await sql.query<{
    source_currency: string;
    target_currency: string;
    day_points: bigint;
    month_points: bigint;
  }>(
    `select source_currency, target_currency,
            coalesce(sum(source_points) filter (where created_at >= $3), 0)::bigint as day_points,
            sum(source_points)::bigint as month_points
     from conversion
     where member_id = $1 and created_at >= $2 and created_at < $4
       and ($5::text is null or (source_currency = $5 and target_currency = $6))
     group by source_currency, target_currency`,
    [
      memberId,
      month.start,
      day.start,
      month.end,
      pair?.sourceCurrency ?? null,
      pair?.targetCurrency ?? null,
    ],
  );
  return new Map(
    rows.rows.map((row) => [
      pairKey(row.source_currency, row.target_currency),
      {
        dayPoints: row.day_points,
        monthPoints: row.month_points,
        dayEndsAt: day.end,
        monthEndsAt: month.end,
      },
    ]),
  );
}

export function pairKey(sourceCurrency: string, targetCurrency: string): string {
  return `${sourceCurrency}>${targetCurrency}`;
}

export function noUsage(at: Date): LimitUsage {
  return {
    dayPoints: 0n,
    monthPoints: 0n,
    dayEndsAt: dayWindow(at).end,
    monthEndsAt: monthWindow(at).end,
  };
}

/** Throws ConversionLimitExceeded when `sourcePoints` more would pass a limit. */
export function requireWithinLimits(
  rate: ExchangeRate,
  usage: LimitUsage,
  sourcePoints: bigint,
): void {
  if (rate.dailyLimitPoints !== null && usage.dayPoints + sourcePoints > rate.dailyLimitPoints) {
    throw new ConversionLimitExceeded(
      'day',
      rate.dailyLimitPoints,
      usage.dayPoints,
      sourcePoints,
      usage.dayEndsAt,
    );
  }
  if (
    rate.monthlyLimitPoints !== null &&
    usage.monthPoints + sourcePoints > rate.monthlyLimitPoints
  ) {
    throw new ConversionLimitExceeded(
      'month',
      rate.monthlyLimitPoints,
      usage.monthPoints,
      sourcePoints,
      usage.monthEndsAt,
    );
  }
}

/** Source points the member may still convert on this pair now; null when unlimited. */
export function limitHeadroom(rate: ExchangeRate, usage: LimitUsage): bigint | null {
  const left = [
    rate.dailyLimitPoints === null ? null : rate.dailyLimitPoints - usage.dayPoints,
    rate.monthlyLimitPoints === null ? null : rate.monthlyLimitPoints - usage.monthPoints,
  ].filter((value): value is bigint => value !== null);
  if (left.length === 0) return null;
  const smallest = left.reduce((a, b) => (a < b ? a : b));
  return smallest > 0n ? smallest : 0n;
}
