import type { Sql, SqlDatabase } from '../db/sql';

/**
 * Which transfers a period takes, without a row per transfer (migration 0014). Every transfer
 * is numbered from a sequence when written (`transfer.seq`); a close draws a number after
 * waiting for the transactions writing transfers to end, so every transfer numbered below it
 * has committed and every later one is numbered above it. A closed period N takes
 *   take_from <= created_at < ends_at and seq <= cutoff_seq
 *   and (created_at >= starts_at or seq > previous_cutoff_seq)
 * (settlement_takes in SQL). Why only the previous period's cut-off matters: a transfer the
 * window holds, with seq <= c(N-1) and created_at < e(N-1), was taken by N-1 at the latest,
 * since N-1's window reaches back at least as far as N's (take_from never decreases) and
 * its cut-off covers it; with created_at >= e(N-1) no earlier window holds it; with
 * seq > c(N-1) it had not committed at any earlier close. So the formula is exactly "created
 * before the end, committed by the close, not taken before", as when a row per transfer said so.
 */
export interface CutOff {
  periodId: string;
  /** The period's start less the lookback for late commits, never before the first period. */
  takeFrom: Date;
  startsAt: Date;
  endsAt: Date;
  /** Transfers numbered up to here had committed when the close drew it. */
  cutoffSeq: bigint;
  /** The previous period's cut-off; 0 for the first period. */
  previousCutoffSeq: bigint;
}

/**
 * Draws a cut-off: a SHARE lock on transfer waits for every transaction writing transfers to
 * end (and holds new ones back for that moment, milliseconds), then a number from the
 * sequence. Its own short transaction, so earns wait only for the draw, never for the close.
 */
export async function drawCutOff(db: SqlDatabase): Promise<bigint> {
  return db.transaction(async (sql) => {
    await sql.query('lock table transfer in share mode');
    const rows = await sql.query<{ seq: bigint }>("select nextval('transfer_seq') as seq");
    return rows.rows[0]!.seq;
  });
}

/** The cut-off of the closed period before the one starting at `startsAt`, or 0. */
export async function previousCutoffSeq(sql: Sql, startsAt: Date): Promise<bigint> {
  const rows = await sql.query<{ cutoff_seq: bigint | null }>(
    `select cutoff_seq from settlement_period where starts_at < $1 order by starts_at desc limit 1`,
    [startsAt],
  );
  return rows.rows[0]?.cutoff_seq ?? 0n;
}

/** The cut-off of a closed period, as stored by its close. */
export async function closedCutOff(sql: Sql, periodId: string): Promise<CutOff & PeriodSpan> {
  const rows = await sql.query<{
    take_from: Date;
    starts_at: Date;
    ends_at: Date;
    cutoff_seq: bigint;
    previous_cutoff_seq: bigint;
    first_transfer_id: string | null;
    last_transfer_id: string | null;
  }>(
    `select take_from, starts_at, ends_at, cutoff_seq, previous_cutoff_seq, first_transfer_id,
            last_transfer_id
     from settlement_period where id = $1 and status = 'closed'`,
    [periodId],
  );
  const row = rows.rows[0];
  if (!row) throw new Error(`period ${periodId} is not closed`);
  return {
    periodId,
    takeFrom: row.take_from,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    cutoffSeq: row.cutoff_seq,
    previousCutoffSeq: row.previous_cutoff_seq,
    firstTransferId: row.first_transfer_id,
    lastTransferId: row.last_transfer_id,
  };
}

/** The lowest and highest transfer id a closed period took (null when it took none). */
export interface PeriodSpan {
  firstTransferId: string | null;
  lastTransferId: string | null;
}

/** $1-$6 of every period-lines function: id, take_from, starts_at, ends_at, the cut-offs. */
export function cutParameters(cut: CutOff): unknown[] {
  return [
    cut.periodId,
    cut.takeFrom,
    cut.startsAt,
    cut.endsAt,
    cut.cutoffSeq,
    cut.previousCutoffSeq,
  ];
}
