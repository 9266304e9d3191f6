import type pg from 'pg';
import type { Sql, SqlDatabase } from '../db/sql';
import { conversionSources, linesSql, periodMembersSql } from './line-sql';

/**
 * Reads a partner's lines of a closed period in transfer order, deriving them from the
 * transfers as it goes (line-sql.ts). The partner's transfers are found through indexes, in id
 * order: its own (transfer_partner_newest), those in the currencies it owns
 * (posting_currency_transfer) and the adjustments naming it; each chunk of candidate ids is
 * then derived in one query. A page costs the same however deep it is, and a whole statement
 * streams a chunk at a time.
 */

/** What periodMembersSql needs to know of a period, and the id range its transfers span. */
export interface PeriodWindow {
  /** $1-$5 of periodMembersSql: id, takes_from, starts_at, ends_at, cut-off snapshot. */
  parameters: unknown[];
  firstTransferId: string;
  lastTransferId: string;
}

/**
 * A closed period's window. A period closed before migration 0040 has no cut-off: its stored
 * membership rows decide (settlement_period_of), for every transfer.
 */
export async function periodWindow(sql: Sql, periodId: string): Promise<PeriodWindow> {
  const rows = await sql.query<{
    takes_from: Date | null;
    starts_at: Date;
    ends_at: Date;
    snapshot: string | null;
    first_transfer_id: string | null;
    last_transfer_id: string | null;
  }>(
    `select takes_from, starts_at, ends_at, cutoff_snapshot::text as snapshot,
            first_transfer_id, last_transfer_id
     from settlement_period where id = $1`,
    [periodId],
  );
  const row = rows.rows[0];
  if (!row) throw new Error(`period ${periodId} vanished`);
  if (row.snapshot === null) {
    return {
      parameters: [periodId, '-infinity', 'infinity', 'infinity', null],
      firstTransferId: '',
      lastTransferId: '~',
    };
  }
  return {
    parameters: [periodId, row.takes_from, row.starts_at, row.ends_at, row.snapshot],
    // An empty period spans no ids: the empty range ('~' sorts after every id, '' before).
    firstTransferId: row.first_transfer_id ?? '~',
    lastTransferId: row.last_transfer_id ?? '',
  };
}

export interface LineRow {
  transfer_id: string;
  origin_transfer_id: string;
  transfer_code: string;
  reference: string;
  transfer_created_at: Date;
  kind: string;
  debtor_id: string;
  creditor_id: string;
  currency_code: string;
  points: bigint;
  unit_price: string | null;
  settlement_currency: string;
  amount_minor: bigint;
}

/** Where a read starts: at (and including) a transfer, with the lines after a position in it. */
export interface LinePosition {
  transferId: string;
  kind: string;
  currency: string;
}

/**
 * Runs `work` on one connection in a read-only transaction whose statements are planned once
 * per connection (named, generic plans): planning the derivation took 10-45 ms, several times
 * what running it for a page takes. Plans do not depend on the values: a page is always an
 * index lookup of the candidate ids.
 */
export async function withLineReader<T>(
  db: SqlDatabase,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await db.pool.connect();
  try {
    await client.query('begin read only');
    await client.query("set local plan_cache_mode = 'force_generic_plan'");
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Candidate transfers per query at first; each further query takes four times as many. */
const candidatesFirst = 64;
/** ...up to this many. */
const candidatesMax = 20_000;

/**
 * The partner's lines after `position`, in (transfer, kind, currency) order, at most `limit`
 * of them, fetched `chunk` candidate transfers at a time, growing (up to `chunkMax`) when
 * chunks yield few lines.
 */
export async function* partnerLines(
  client: pg.PoolClient,
  window: PeriodWindow,
  partnerId: string,
  position: LinePosition,
  limit: number,
  chunk = candidatesFirst,
  chunkMax = candidatesMax,
): AsyncGenerator<LineRow[]> {
  const owned = await client.query<{ code: string }>(
    'select code from currency where owner_partner_id = $1 order by code',
    [partnerId],
  );
  const currencies = owned.rows.map((row) => row.code);
  let from =
    position.transferId > window.firstTransferId ? position.transferId : window.firstTransferId;
  let inclusive = true;
  let left = limit;
  let size = chunk;
  while (left > 0) {
    const candidates = await client.query<{ id: string }>({
      name: `settlement_candidates_${currencies.length}_${inclusive}`,
      text: candidatesSql(currencies.length, inclusive),
      values: [partnerId, from, window.lastTransferId, size, ...currencies],
    });
    const ids = candidates.rows.map((row) => row.id);
    if (ids.length === 0) return;
    const lines = await client.query<LineRow>({
      name: 'settlement_chunk_lines',
      text: chunkLinesSql,
      values: [
        ...window.parameters,
        ids,
        partnerId,
        position.transferId,
        position.kind,
        position.currency,
        left,
      ],
    });
    if (lines.rows.length > 0) yield lines.rows;
    left -= lines.rows.length;
    if (ids.length < size) return;
    from = ids.at(-1)!;
    inclusive = false;
    size = Math.min(size * 4, chunkMax);
  }
}

/**
 * $1 partner, $2 the id to start from, $3 the last id, $4 how many, $5... the currencies the
 * partner owns. Each branch walks one index in id order and stops after $4 distinct ids, so
 * the $4 smallest of their union are exactly the $4 smallest candidates.
 */
function candidatesSql(ownedCurrencies: number, inclusive: boolean): string {
  const after = inclusive ? '>=' : '>';
  const branches = [
    `(select t.id from transfer t
      where t.partner_id = $1 and t.id ${after} $2 and t.id <= $3 order by t.id limit $4)`,
    `(select a.transfer_id from settlement_adjustment a
      where (a.debtor_id = $1 or a.creditor_id = $1) and a.transfer_id ${after} $2
        and a.transfer_id <= $3 order by a.transfer_id limit $4)`,
  ];
  for (let index = 0; index < ownedCurrencies; index++) {
    branches.push(`(select distinct p.transfer_id from posting p
      where p.currency_code = $${5 + index} and p.transfer_id ${after} $2 and p.transfer_id <= $3
      order by p.transfer_id limit $4)`);
  }
  return `select distinct id from (${branches.join(' union all ')}) c(id) order by id limit $4`;
}

/**
 * $1-$5 the period (periodMembersSql), $6 candidate ids, $7 partner, $8-$10 the position the
 * lines come after, $11 how many.
 */
const chunkLinesSql = `
select transfer_id, origin_transfer_id, transfer_code, reference, transfer_created_at, kind,
       debtor_id, creditor_id, currency_code, points, trim_scale(unit_price)::text as unit_price,
       settlement_currency, amount_minor
from (${linesSql(periodMembersSql('and t.id = any($6::text[])'), conversionSources)}) l
where (debtor_id = $7 or creditor_id = $7)
  and (transfer_id, kind, currency_code) > ($8::text, $9::text, $10::text)
order by transfer_id, kind, currency_code
limit $11`;

/**
 * Every line of the partner in the period, as a relation (for reconciliation's set-based
 * match): $1-$5 the period, $6 partner, $7-$8 the period's id range.
 */
export const allPartnerLinesSql = `
select * from (${linesSql(
  periodMembersSql(`and t.id in (
    select t2.id from transfer t2 where t2.partner_id = $6 and t2.id between $7 and $8
    union
    select p.transfer_id from posting p join currency c on c.code = p.currency_code
    where c.owner_partner_id = $6 and p.transfer_id between $7 and $8
    union
    select a.transfer_id from settlement_adjustment a
    where (a.debtor_id = $6 or a.creditor_id = $6) and a.transfer_id between $7 and $8)`),
  conversionSources,
)}) l
where debtor_id = $6 or creditor_id = $6`;
