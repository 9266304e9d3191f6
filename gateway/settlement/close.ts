import { strict as assert } from 'node:assert';
import type { Sql, SqlDatabase } from '../db/sql';
import type { Clock } from '../shared/clock';
import { AgreementMissing, PeriodStateConflict } from './errors';
import { lateTransferLookbackMs } from './limits';
import type { Period } from './model';
import {
  adjustmentObligationsSql,
  assignTransfersSql,
  createBatchSql,
  directObligationsSql,
  grossMatrixSql,
  missingAgreementSql,
  reversalObligationsSql,
} from './obligation-sql';
import { findPeriod, lockSettlement } from './periods';

/** Lines a close prints as it goes (it may take a while for a million transfers). */
export type CloseProgress = (line: string) => void;

/**
 * Closes a period in ONE transaction: assigns it every transfer created before its end that no
 * earlier period took, derives their obligations, writes the gross matrix, marks it closed.
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
  const sources = await exchangeSources(db);
  try {
    return await db.transaction((sql) =>
      closeInTransaction(sql, clock, periodId, closedBy, sources, progress),
    );
  } catch (error) {
    if (!isMissingAgreement(error)) throw error;
    return describeMissingAgreement(db, periodId, sources);
  }
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

  // The default 4 MB split the close's hash joins into 16 batches on disk and spilled its sorts
  // (auto_explain at 1,000,000 transfers); 64 MB (128 MB per hash) keeps them in memory.
  await sql.query("set local work_mem = '64MB'");
  const started = Date.now();
  const step = (line: string) =>
    progress(`${line} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const transfers = await assignTransfers(sql, period);
  step(`assigned ${transfers} transfers to ${periodId}`);
  const direct = await loadObligationPartition(sql, periodId, sources, step);
  const reversals = await sql.query(reversalObligationsSql, [periodId]);
  step(`derived ${reversals.rowCount} reversals from refunds`);
  const adjustments = await sql.query(adjustmentObligationsSql, [periodId]);
  step(`took ${adjustments.rowCount} finance adjustments`);
  const gross = await sql.query(grossMatrixSql, [periodId]);
  step(`wrote the gross matrix (${gross.rowCount} directed flows)`);

  const obligations = direct + (reversals.rowCount ?? 0) + (adjustments.rowCount ?? 0);
  await sql.query(
    `update settlement_period
     set status = 'closed', closed_at = $2, closed_by = $3, transfer_count = $4, obligation_count = $5
     where id = $1`,
    [periodId, now, closedBy, transfers, obligations],
  );
  step(`closed ${periodId}`);
  return findPeriod(sql, periodId);
}

/**
 * Derives the direct obligations into a new partition of settlement_obligation for the period,
 * then indexes and attaches it. Loading a table without indexes or triggers and building each
 * index in one sorted pass is about twice as fast as inserting through the indexed parent;
 * once attached, the partition gets the parent's triggers, so nothing can be added to it after
 * the close. Reversals and adjustments (few) go through the parent afterwards.
 */
async function loadObligationPartition(
  sql: Sql,
  periodId: string,
  sources: ExchangeSources,
  step: (line: string) => void,
): Promise<number> {
  assert.match(periodId, /^per_[a-z0-9]{26}$/);
  const partition = `settlement_obligation_${periodId}`;
  await sql.query(
    `create table ${partition} (like settlement_obligation including defaults including constraints)`,
  );
  const direct = await sql.query(directObligationsSql(partition, sources.base, sources.join), [
    periodId,
  ]);
  step(`derived ${direct.rowCount} obligations from earns, redemptions and conversions`);
  await sql.query(`alter table ${partition} add constraint ${partition}_period
                   check (period_id = '${periodId}')`);
  await sql.query(
    `alter table ${partition} add primary key (period_id, transfer_id, kind, currency_code)`,
  );
  // Sorting a million keys in memory rather than in temporary files halves each build.
  await sql.query("set local maintenance_work_mem = '256MB'");
  await sql.query(`create index on ${partition} (debtor_id, transfer_id, kind, currency_code)`);
  await sql.query(`create index on ${partition} (creditor_id, transfer_id, kind, currency_code)`);
  await sql.query(
    `create index on ${partition} (origin_transfer_id) where origin_transfer_id <> transfer_id`,
  );
  await sql.query(
    `alter table settlement_obligation attach partition ${partition} for values in ('${periodId}')`,
  );
  // Statistics now, not when autovacuum gets to it: statements are read right after a close.
  await sql.query(`analyze ${partition}`);
  step('indexed, analysed and attached them');
  return direct.rowCount ?? 0;
}

/**
 * Fills settlement_item and the batch table. The window reaches back before the period's start
 * (never before the first period's) to take transfers stamped earlier but committed after the
 * previous close.
 */
async function assignTransfers(sql: Sql, period: Period): Promise<bigint> {
  const first = await sql.query<{ starts_at: Date }>(
    'select min(starts_at) as starts_at from settlement_period',
  );
  const lookback = new Date(period.startsAt.getTime() - lateTransferLookbackMs);
  const firstStart = first.rows[0]!.starts_at;
  const lowerBound = lookback > firstStart ? lookback : firstStart;
  await sql.query(createBatchSql);
  const assigned = await sql.query<{ transfers: bigint }>(assignTransfersSql, [
    period.id,
    lowerBound,
    period.endsAt,
  ]);
  // The planner knows nothing of a fresh temporary table until it is analysed.
  await sql.query('analyze settlement_close_batch');
  return assigned.rows[0]!.transfers;
}

/**
 * How a conversion's billable points are found: the `conversion` table's base_target_points
 * when the exchange module has created it, else the target posting (no bonus then).
 */
interface ExchangeSources {
  base: string;
  join: string;
}

async function exchangeSources(db: SqlDatabase): Promise<ExchangeSources> {
  const table = await db.query<{ found: boolean }>(
    "select to_regclass('conversion') is not null as found",
  );
  return table.rows[0]!.found
    ? {
        base: 'coalesce(conversion.base_target_points, target.amount_points)',
        join: 'left join conversion on conversion.transfer_id = b.transfer_id',
      }
    : { base: 'target.amount_points', join: '' };
}

function isMissingAgreement(error: unknown): boolean {
  const constraint = (error as { constraint?: string }).constraint;
  return constraint === 'obligation_needs_agreement' || constraint === 'obligation_priced';
}

/**
 * Throws AgreementMissing for the first transfer that lacked an agreement, found by running the
 * selection again in a transaction that the throw rolls back (nothing is written).
 */
async function describeMissingAgreement(
  db: SqlDatabase,
  periodId: string,
  sources: ExchangeSources,
): Promise<never> {
  return db.transaction(async (sql) => {
    const period = await findPeriod(sql, periodId);
    await assignTransfers(sql, period);
    const rows = await sql.query<{
      partner_id: string;
      currency_code: string;
      created_at: Date;
      transfer_id: string;
    }>(missingAgreementSql(sources.base, sources.join));
    const row = rows.rows[0];
    if (!row) {
      throw new Error(`period ${periodId}: an obligation lacked an agreement, none is missing now`);
    }
    throw new AgreementMissing(row.partner_id, row.currency_code, row.created_at, row.transfer_id);
  });
}
