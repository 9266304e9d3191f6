import type { Sql, SqlDatabase } from '../db/sql';
import type { Clock } from '../shared/clock';
import { closeDirectGrossSql, closeGrossSql } from './close-sql';
import { AgreementMissing, PeriodStateConflict } from './errors';
import { lateTransferLookbackMs } from './limits';
import { conversionSources, type ExchangeSources, linesSql, periodMembersSql } from './line-sql';
import type { Period } from './model';
import { findPeriod, lockSettlement } from './periods';

/** Lines a close prints as it goes (it may take a while for a million transfers). */
export type CloseProgress = (line: string) => void;

/**
 * Closes a period in ONE transaction: fixes its cut-off (which transfers it takes: those
 * created before its end that this transaction sees committed and no earlier period took),
 * derives their obligations in one aggregate, writes the gross matrix, marks it closed. Nothing
 * is written per transfer: statements derive their lines when read (line-sql.ts).
 * A crash or an error at any point leaves nothing behind, so a retry starts clean; closing a
 * closed period changes nothing and returns it as it is (same counts). Two closes at once wait
 * on the settlement lock; the second then finds the period closed.
 *
 * Errors: NotFound (period), PeriodStateConflict (not ended yet, an earlier period still
 * open), AgreementMissing (a transfer needs terms no agreement gives; nothing is written).
 */
export async function closePeriod(
  db: SqlDatabase,
  clock: Clock,
  periodId: string,
  closedBy: string,
  progress: CloseProgress = () => undefined,
): Promise<Period> {
  return db.transaction((sql) =>
    closeInTransaction(sql, clock, periodId, closedBy, conversionSources, progress),
  );
}

async function closeInTransaction(
  sql: Sql,
  clock: Clock,
  periodId: string,
  closedBy: string,
  sources: ExchangeSources,
  progress: CloseProgress,
): Promise<Period> {
  await lockSettlement(sql);
  const period = await findPeriod(sql, periodId, true);
  if (period.status === 'closed') {
    progress(`period ${periodId} is already closed; nothing to do`);
    return period;
  }
  const now = clock.now();
  if (period.endsAt > now) {
    throw new PeriodStateConflict(
      periodId,
      period.status,
      `it ends at ${period.endsAt.toISOString()}`,
    );
  }
  const earlierOpen = await sql.query<{ id: string }>(
    `select id from settlement_period where status = 'open' and starts_at < $1 order by starts_at limit 1`,
    [period.startsAt],
  );
  if (earlierOpen.rowCount) {
    throw new PeriodStateConflict(
      periodId,
      period.status,
      `close ${earlierOpen.rows[0]!.id} first`,
    );
  }

  // Sorting and hashing a million lines stays in memory with 64 MB (128 MB per hash).
  await sql.query("set local work_mem = '64MB'");
  // Joined by merge, every transfer was sorted by its agreement's key first (an external sort
  // of a million rows); by hash, each worker joins as it scans.
  await sql.query('set local enable_mergejoin = off');
  const started = Date.now();
  const step = (line: string) =>
    progress(`${line} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const window = await fixCutOff(sql, period);
  const members = await sql.query<{ transfers: bigint; first: string | null; last: string | null }>(
    `select count(*)::bigint as transfers, min(transfer_id) as first, max(transfer_id) as last
     from ${periodMembersSql()} m`,
    window,
  );
  const { transfers, first, last } = members.rows[0]!;
  step(`fixed the cut-off of ${periodId}: it takes ${transfers} transfers`);
  const gross = await grossMatrix(sql, window, sources, step);
  step(`derived the gross matrix (${gross.length} directed flows)`);
  await writeGross(sql, periodId, gross);
  const obligations = gross.reduce((sum, flow) => sum + flow.lines, 0n);
  await sql.query(
    // The close names the reversal rule its gross matrix priced by (close-sql.ts; migration
    // 0097): the database refuses a closed period without one, so code that predates the rule
    // cannot close a period by another.
    `update settlement_period
     set status = 'closed', closed_at = $2, closed_by = $3, transfer_count = $4,
         obligation_count = $5, first_transfer_id = $6, last_transfer_id = $7,
         reversal_rounding = 'points_left'
     where id = $1`,
    [periodId, now, closedBy, transfers, obligations, first, last],
  );
  step(`closed ${periodId}`);
  return findPeriod(sql, periodId);
}

/**
 * Fixes what the period takes: the transfers created in [takes_from, ends_at) that this
 * transaction's snapshot sees committed and no earlier period took. The window reaches back
 * before the period's start (never before the first period's) for transfers stamped earlier
 * but committed after the previous close. Set while the period is still open, in the closing
 * transaction, so settlement_period_of counts the period from here on (and a rollback leaves
 * nothing). Returns the parameters periodMembersSql reads.
 */
async function fixCutOff(sql: Sql, period: Period): Promise<unknown[]> {
  const first = await sql.query<{ starts_at: Date; snapshot: string }>(
    `select min(starts_at) as starts_at, pg_current_snapshot()::text as snapshot
     from settlement_period`,
  );
  const lookback = new Date(period.startsAt.getTime() - lateTransferLookbackMs);
  const firstStart = first.rows[0]!.starts_at;
  const takesFrom = lookback > firstStart ? lookback : firstStart;
  const snapshot = first.rows[0]!.snapshot;
  await sql.query(
    'update settlement_period set takes_from = $2, cutoff_snapshot = $3::pg_snapshot where id = $1',
    [period.id, takesFrom, snapshot],
  );
  return [period.id, takesFrom, period.startsAt, period.endsAt, snapshot];
}

/** Inserts the gross matrix the aggregate returned: a few rows, one per directed flow. */
async function writeGross(sql: Sql, periodId: string, gross: GrossRow[]): Promise<void> {
  await sql.query(
    `insert into settlement_gross (period_id, settlement_currency, debtor_id, creditor_id,
                                   amount_minor, obligation_count)
     select $1, c, d, k, a, n
     from unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) as g(c, d, k, a, n)`,
    [
      periodId,
      gross.map((flow) => flow.settlement_currency),
      gross.map((flow) => flow.debtor_id),
      gross.map((flow) => flow.creditor_id),
      gross.map((flow) => flow.amount_minor),
      gross.map((flow) => flow.lines),
    ],
  );
}

interface GrossRow {
  settlement_currency: string;
  debtor_id: string;
  creditor_id: string;
  amount_minor: bigint;
  lines: bigint;
  unpriced: bigint;
}

/**
 * The period's gross matrix, in two aggregates over its derived lines (close-sql.ts): earns,
 * redemptions, conversions and adjustments first, then the reversals, which add the first
 * one's rows (a few: one per flow). Each is a plain SELECT the planner runs in parallel; only
 * their few rows come back. A line that needed terms no agreement gives fails the close with
 * AgreementMissing, naming the first such transfer.
 */
async function grossMatrix(
  sql: Sql,
  window: unknown[],
  sources: ExchangeSources,
  step: CloseProgress,
): Promise<GrossRow[]> {
  const direct = await sql.query<GrossRow>(
    closeDirectGrossSql(periodMembersSql(), sources),
    window,
  );
  step(`derived earns, redemptions, conversions and adjustments (${direct.rows.length} flows)`);
  if (direct.rows.every((row) => row.unpriced === 0n)) {
    // The reversals are few (a refund or cancel each) and each is found by index: nested loops
    // in the workers. Left to itself the planner hashes every transfer to join them to their
    // origins, and sorts by agreement to group, which keeps the joins in the leader. The joins go
    // in the order written (part, the transfer it relates to, origin, currency, agreement):
    // free to choose, the planner joined agreements by currency alone first (19 per part with
    // 20 partners, cached by Memoize) and took 3 times as long.
    await sql.query('set local enable_hashjoin = off');
    await sql.query('set local enable_incremental_sort = off');
    await sql.query('set local join_collapse_limit = 1');
    await sql.query('set local enable_memoize = off');
    const gross = await sql.query<GrossRow>(closeGrossSql(), [
      ...window,
      direct.rows.map((flow) => flow.settlement_currency),
      direct.rows.map((flow) => flow.debtor_id),
      direct.rows.map((flow) => flow.creditor_id),
      direct.rows.map((flow) => flow.amount_minor),
      direct.rows.map((flow) => flow.lines),
      direct.rows.map((flow) => flow.unpriced),
    ]);
    await sql.query('set local enable_hashjoin to default');
    await sql.query('set local enable_incremental_sort to default');
    await sql.query('set local join_collapse_limit to default');
    await sql.query('set local enable_memoize to default');
    return gross.rows;
  }
  const lines = linesSql(periodMembersSql(), sources);
  const missing = await sql.query<{
    partner_id: string;
    currency_code: string;
    created_at: Date;
    transfer_id: string;
  }>(
    `select agreement_partner_id as partner_id, currency_code, transfer_created_at as created_at,
            transfer_id
     from (${lines}) l where agreement_id is null and kind <> 'adjustment'
     order by transfer_created_at, transfer_id limit 1`,
    window,
  );
  const row = missing.rows[0]!;
  throw new AgreementMissing(row.partner_id, row.currency_code, row.created_at, row.transfer_id);
}
