import type { Sql, SqlDatabase } from '../db/sql';
import type { Clock } from '../shared/clock';
import { AgreementMissing, PeriodStateConflict } from '../shared/errors';
import { type CutOff, cutParameters, drawCutOff, previousCutoffSeq } from './cut-off';
import { lateTransferLookbackMs } from './limits';
import type { GrossFlow, Period } from './model';
import { netPositions, paymentInstructions } from './netting';
import {
  adjustmentGrossSql,
  directGrossSql,
  missingAgreementSql,
  reversalGrossSql,
  takenTransfersSql,
} from './obligation-sql';
import { findPeriod, lockSettlement } from './periods';

/** Lines a close prints as it goes. */
export type CloseProgress = (line: string) => void;

/**
 * Closes a period: fixes its cut-off (which transfers it takes: those created before its end,
 * committed by now, that no earlier period took), sums their obligations into the gross
 * matrix, nets it into payment instructions, stores both and marks the period closed. Nothing
 * is written per transfer: statement lines are derived from the transfers when read.
 *
 * One transaction after the cut-off is drawn: a crash or an error leaves nothing behind, so a
 * retry starts clean; closing a closed period changes nothing and returns it as it is. Two
 * closes at once wait on the settlement lock; the second then finds the period closed.
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
  // Drawn before the close's transaction, so its statements see every transfer numbered below.
  const cutoffSeq = await drawCutOff(db);
  return db.transaction((sql) =>
    closeInTransaction(sql, clock, periodId, closedBy, cutoffSeq, progress),
  );
}

async function closeInTransaction(
  sql: Sql,
  clock: Clock,
  periodId: string,
  closedBy: string,
  cutoffSeq: bigint,
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

  // The default 4 MB sends the sums' hash joins to disk at a million transfers.
  await sql.query("set local work_mem = '64MB'");
  const started = Date.now();
  const step = (line: string) =>
    progress(`${line} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const cut = await cutOf(sql, period, cutoffSeq);
  const parameters = cutParameters(cut);
  const direct = await sql.query<GrossRow>(directGrossSql, parameters);
  if (direct.rows.some((row) => row.unpriced > 0n)) await throwMissingAgreement(sql, parameters);
  step(`summed the obligations of earns, redemptions and conversions`);
  const reversals = await sql.query<GrossRow>(reversalGrossSql, parameters);
  step(`summed the reversals of refunds`);
  const adjustments = await sql.query<GrossRow>(adjustmentGrossSql, parameters);
  const taken = await sql.query<{
    transfers: bigint;
    first_id: string | null;
    last_id: string | null;
  }>(takenTransfersSql, parameters);
  step(`counted the ${taken.rows[0]!.transfers} transfers taken`);

  const gross = grossOf([...direct.rows, ...reversals.rows, ...adjustments.rows]);
  const payments = paymentInstructions(netPositions(gross));
  await sql.query(
    `insert into settlement_gross (period_id, settlement_currency, debtor_id, creditor_id,
                                   amount_minor, obligation_count)
     select $1, * from unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])`,
    [
      periodId,
      gross.map((flow) => flow.settlementCurrency),
      gross.map((flow) => flow.debtorId),
      gross.map((flow) => flow.creditorId),
      gross.map((flow) => flow.amountMinor),
      gross.map((flow) => flow.obligationCount),
    ],
  );
  await sql.query(
    `insert into settlement_payment (period_id, ordinal, settlement_currency, payer_id, payee_id,
                                     amount_minor)
     select $1, ordinal, currency, payer, payee, amount
     from unnest($2::text[], $3::text[], $4::text[], $5::bigint[])
       with ordinality as u(currency, payer, payee, amount, ordinal)`,
    [
      periodId,
      payments.map((payment) => payment.settlementCurrency),
      payments.map((payment) => payment.payerId),
      payments.map((payment) => payment.payeeId),
      payments.map((payment) => payment.amountMinor),
    ],
  );
  step(`wrote the gross matrix (${gross.length} directed flows) and ${payments.length} payments`);

  const obligations = gross.reduce((sum, flow) => sum + flow.obligationCount, 0n);
  await sql.query(
    `update settlement_period
     set status = 'closed', closed_at = $2, closed_by = $3, transfer_count = $4,
         obligation_count = $5, take_from = $6, cutoff_seq = $7, previous_cutoff_seq = $8,
         first_transfer_id = $9, last_transfer_id = $10, payment_count = $11
     where id = $1`,
    [
      periodId,
      now,
      closedBy,
      taken.rows[0]!.transfers,
      obligations,
      cut.takeFrom,
      cut.cutoffSeq,
      cut.previousCutoffSeq,
      taken.rows[0]!.first_id,
      taken.rows[0]!.last_id,
      payments.length,
    ],
  );
  step(`closed ${periodId}`);
  return findPeriod(sql, periodId);
}

/**
 * The period's cut: it reaches back before its start (never before the first period's) for
 * transfers stamped earlier but committed after the previous close.
 */
async function cutOf(sql: Sql, period: Period, cutoffSeq: bigint): Promise<CutOff> {
  const first = await sql.query<{ starts_at: Date }>(
    'select min(starts_at) as starts_at from settlement_period',
  );
  const lookback = new Date(period.startsAt.getTime() - lateTransferLookbackMs);
  const firstStart = first.rows[0]!.starts_at;
  return {
    periodId: period.id,
    takeFrom: lookback > firstStart ? lookback : firstStart,
    startsAt: period.startsAt,
    endsAt: period.endsAt,
    cutoffSeq,
    previousCutoffSeq: await previousCutoffSeq(sql, period.startsAt),
  };
}

interface GrossRow {
  settlement_currency: string;
  debtor_id: string;
  creditor_id: string;
  amount_minor: bigint;
  lines: bigint;
  unpriced: bigint;
}

/** The gross matrix: the three parts' sums added up per settlement currency and direction. */
function grossOf(rows: readonly GrossRow[]): GrossFlow[] {
  const flows = new Map<string, GrossFlow>();
  for (const row of rows) {
    const key = `${row.settlement_currency}\u0000${row.debtor_id}\u0000${row.creditor_id}`;
    const flow = flows.get(key) ?? {
      settlementCurrency: row.settlement_currency,
      debtorId: row.debtor_id,
      creditorId: row.creditor_id,
      amountMinor: 0n,
      obligationCount: 0n,
    };
    flow.amountMinor += row.amount_minor;
    flow.obligationCount += row.lines;
    flows.set(key, flow);
  }
  return [...flows.values()];
}

/** Throws AgreementMissing for the first transfer, by creation time, that lacks terms. */
async function throwMissingAgreement(sql: Sql, parameters: unknown[]): Promise<never> {
  const rows = await sql.query<{
    partner_id: string;
    currency_code: string;
    created_at: Date;
    transfer_id: string;
  }>(missingAgreementSql, parameters);
  const row = rows.rows[0];
  if (!row) throw new Error('a line lacked an agreement, none is missing now');
  throw new AgreementMissing(row.partner_id, row.currency_code, row.created_at, row.transfer_id);
}
