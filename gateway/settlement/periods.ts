import type { Sql } from '../db/sql';
import { InvalidInput, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { periodLengthMsMax } from './limits';
import type { Period, PeriodStatus, ReversalRounding } from './model';

/**
 * Settlement periods follow each other without gaps or overlaps (the database refuses both).
 * A period is open until it is closed, after its end; closing takes every transfer created
 * before its end that no earlier period took, and freezes it.
 */

/**
 * Serialises what changes settlement terms and boundaries: closes, new periods, new
 * agreements. Held until the transaction ends; closes are rare, so waiting costs nothing, and
 * an agreement can never slip into a period while it is being closed.
 */
export async function lockSettlement(sql: Sql): Promise<void> {
  await sql.query("select pg_advisory_xact_lock(hashtext('coalition.settlement'))");
}

/**
 * Opens the period after the last one (from `startsAt` when it is the first), in the caller's
 * transaction. Errors: InvalidInput.
 */
export async function openPeriod(
  sql: Sql,
  input: { startsAt: Date | null; endsAt: Date },
  createdBy: string,
): Promise<Period> {
  await lockSettlement(sql);
  const last = await sql.query<{ ends_at: Date | null }>(
    'select max(ends_at) as ends_at from settlement_period',
  );
  const previousEnd = last.rows[0]!.ends_at;
  if (previousEnd && input.startsAt && input.startsAt.getTime() !== previousEnd.getTime()) {
    throw new InvalidInput(
      'startsAt',
      `periods follow each other: the next one starts at ${previousEnd.toISOString()}`,
    );
  }
  const startsAt = previousEnd ?? input.startsAt;
  if (!startsAt) throw new InvalidInput('startsAt', 'the first period needs a start');
  if (Number.isNaN(input.endsAt.getTime()) || input.endsAt <= startsAt) {
    throw new InvalidInput('endsAt', 'must be after the period’s start');
  }
  if (input.endsAt.getTime() - startsAt.getTime() > periodLengthMsMax) {
    throw new InvalidInput('endsAt', 'a period lasts at most about a year');
  }
  const rows = await sql.query<PeriodRow>(
    `insert into settlement_period (id, starts_at, ends_at, created_by)
     values ($1, $2, $3, $4) returning ${periodColumns}`,
    [newId('per'), startsAt, input.endsAt, createdBy],
  );
  return periodFromRow(rows.rows[0]!);
}

export async function listPeriods(sql: Sql): Promise<Period[]> {
  const rows = await sql.query<PeriodRow>(
    `select ${periodColumns} from settlement_period order by starts_at`,
  );
  return rows.rows.map(periodFromRow);
}

/** The period, locked for the rest of the transaction when `lock` is set. Errors: NotFound. */
export async function findPeriod(sql: Sql, id: string, lock = false): Promise<Period> {
  const rows = await sql.query<PeriodRow>(
    `select ${periodColumns} from settlement_period where id = $1 ${lock ? 'for update' : ''}`,
    [id],
  );
  if (rows.rowCount === 0) throw new NotFound('period', id);
  return periodFromRow(rows.rows[0]!);
}

export const periodColumns =
  'id, starts_at, ends_at, status, closed_at, transfer_count, obligation_count, reversal_rounding';

export interface PeriodRow {
  id: string;
  starts_at: Date;
  ends_at: Date;
  status: PeriodStatus;
  closed_at: Date | null;
  transfer_count: bigint | null;
  obligation_count: bigint | null;
  reversal_rounding: ReversalRounding | null;
}

export function periodFromRow(row: PeriodRow): Period {
  return {
    id: row.id,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    status: row.status,
    closedAt: row.closed_at,
    transferCount: row.transfer_count,
    obligationCount: row.obligation_count,
    reversalRounding: row.reversal_rounding,
  };
}
