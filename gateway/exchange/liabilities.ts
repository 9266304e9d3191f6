import type { Sql } from '../db/sql';
import { referenceValues, valueMinorOf } from './reference-values';

/** What a program owes its members in points, and what that is worth. */
export interface ProgramLiability {
  currency: string;
  ownerPartnerId: string;
  /** Points members hold, posted: available plus held by redemptions not yet settled. */
  outstandingPoints: bigint;
  /** Points earned but not matured yet (pending). */
  pendingPoints: bigint;
  /** Value of one point in millionths of the reference unit; null when not set. */
  valueMicros: bigint | null;
  /** outstandingPoints x the reference value, rounded down to the minor unit; null when unvalued. */
  valueMinor: bigint | null;
}

/**
 * Liability per program currency (optionally only those one partner owns): one aggregate over
 * the member accounts' running totals, so it costs a scan of accounts, never of transfers.
 */
export async function programLiabilities(
  sql: Sql,
  ownerPartnerId: string | null,
): Promise<ProgramLiability[]> {
  const [rows, values] = await Promise.all([
    sql.query<{ code: string; owner_partner_id: string; outstanding: string; pending: string }>(
      `select c.code, c.owner_partner_id,
              coalesce(sum(a.credits_posted - a.debits_posted), 0)::text as outstanding,
              coalesce(sum(a.credits_pending), 0)::text as pending
       from currency c left join account a on a.currency_code = c.code and a.kind = 'member'
       where $1::text is null or c.owner_partner_id = $1
       group by c.code, c.owner_partner_id order by c.code`,
      [ownerPartnerId],
    ),
    referenceValues(sql),
  ]);
  return rows.rows.map((row) => {
    const outstandingPoints = BigInt(row.outstanding);
    const valueMicros = values.get(row.code)?.valueMicros ?? null;
    return {
      currency: row.code,
      ownerPartnerId: row.owner_partner_id,
      outstandingPoints,
      pendingPoints: BigInt(row.pending),
      valueMicros,
      valueMinor: valueMicros === null ? null : valueMinorOf(outstandingPoints, valueMicros),
    };
  });
}
