import type { Sql } from '../db/sql';
import { valueMinorOf } from './reference-values';

/** What a program owes its members: every point they hold, at the operator's reference value. */
export interface ProgramLiability {
  currency: string;
  ownerPartnerId: string;
  /** Members' spendable points. */
  availablePoints: bigint;
  /** Earned, not yet matured: still owed if they mature. */
  pendingPoints: bigint;
  /** Reserved by redemptions awaiting a partner: owed until posted. */
  heldPoints: bigint;
  /** available + pending + held. */
  outstandingPoints: bigint;
  /** Members holding any of it. */
  memberCount: bigint;
  /** Millionths of the reference unit per point; null when the operator set none. */
  valueMicros: bigint | null;
  /** outstandingPoints x valueMicros in the reference unit's minor units, rounded down as a wallet is. */
  valueMinor: bigint | null;
}

/**
 * Each program currency's liability, summed from the member accounts' totals (one aggregate
 * over the member accounts, no posting scan): every currency, or the ones `ownerPartnerId` owns.
 */
export async function programLiabilities(
  sql: Sql,
  ownerPartnerId: string | null,
): Promise<ProgramLiability[]> {
  const rows = await sql.query<{
    code: string;
    owner_partner_id: string;
    available: bigint;
    pending: bigint;
    held: bigint;
    members: bigint;
    value_micros: bigint | null;
  }>(
    `select c.code, c.owner_partner_id,
            coalesce(sum(a.credits_posted - a.debits_posted - a.debits_pending), 0)::bigint as available,
            coalesce(sum(a.credits_pending), 0)::bigint as pending,
            coalesce(sum(a.debits_pending), 0)::bigint as held,
            count(a.id) filter (where a.credits_posted - a.debits_posted + a.credits_pending > 0)::bigint
              as members,
            v.value_micros
     from currency c
     left join account a on a.currency_code = c.code and a.kind = 'member'
     left join currency_reference_value v on v.currency_code = c.code
     where $1::text is null or c.owner_partner_id = $1
     group by c.code, c.owner_partner_id, v.value_micros
     order by c.code`,
    [ownerPartnerId],
  );
  return rows.rows.map((row) => {
    const outstandingPoints = row.available + row.pending + row.held;
    return {
      currency: row.code,
      ownerPartnerId: row.owner_partner_id,
      availablePoints: row.available,
      pendingPoints: row.pending,
      heldPoints: row.held,
      outstandingPoints,
      memberCount: row.members,
      valueMicros: row.value_micros,
      valueMinor:
        row.value_micros === null ? null : valueMinorOf(outstandingPoints, row.value_micros),
    };
  });
}
