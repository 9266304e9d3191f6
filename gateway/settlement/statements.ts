import type { Sql, SqlDatabase } from '../db/sql';
import { InvalidInput } from '../shared/errors';
import { PeriodStateConflict } from './errors';
import { statementStreamBatch } from './limits';
import { type LineRow, partnerLines, periodWindow, withLineReader } from './line-reader';
import type {
  CounterpartyTotal,
  GrossFlow,
  ObligationKind,
  Page,
  Period,
  PeriodSettlement,
  Statement,
  StatementLine,
} from './model';
import { bilateralNets, netPositions, paymentInstructions } from './netting';
import { findPeriod } from './periods';

/**
 * What a closed period says: its netting for the operator, and each partner's statement. The
 * gross matrix is what the close wrote; lines are derived from the period's transfers and the
 * agreements in force, all immutable once the period is closed, so none of it ever changes.
 */

/** The period, which must be closed. Errors: NotFound, PeriodStateConflict. */
export async function closedPeriod(sql: Sql, periodId: string): Promise<Period> {
  const period = await findPeriod(sql, periodId);
  if (period.status !== 'closed') {
    throw new PeriodStateConflict(periodId, period.status, 'close the period first');
  }
  return period;
}

export async function grossMatrix(sql: Sql, periodId: string): Promise<GrossFlow[]> {
  const rows = await sql.query<{
    settlement_currency: string;
    debtor_id: string;
    creditor_id: string;
    amount_minor: bigint;
    obligation_count: bigint;
  }>(
    `select settlement_currency, debtor_id, creditor_id, amount_minor, obligation_count
     from settlement_gross where period_id = $1
     order by settlement_currency, debtor_id, creditor_id`,
    [periodId],
  );
  return rows.rows.map((row) => ({
    settlementCurrency: row.settlement_currency,
    debtorId: row.debtor_id,
    creditorId: row.creditor_id,
    amountMinor: row.amount_minor,
    obligationCount: row.obligation_count,
  }));
}

/** The gross matrix, bilateral nets, positions and payments of a closed period. */
export async function periodSettlement(sql: Sql, periodId: string): Promise<PeriodSettlement> {
  const period = await closedPeriod(sql, periodId);
  const gross = await grossMatrix(sql, periodId);
  const positions = netPositions(gross);
  return {
    period,
    gross,
    bilateral: bilateralNets(gross),
    positions,
    payments: paymentInstructions(positions),
  };
}

/**
 * A partner's statement: totals per counterparty (from the gross matrix, which sums the very
 * obligations its lines list, so lines always add up to the totals), its position and the
 * payments it makes or receives.
 */
export async function statement(sql: Sql, periodId: string, partnerId: string): Promise<Statement> {
  const settlement = await periodSettlement(sql, periodId);
  const totals = new Map<string, CounterpartyTotal>();
  for (const flow of settlement.gross) {
    if (flow.debtorId !== partnerId && flow.creditorId !== partnerId) continue;
    const receives = flow.creditorId === partnerId;
    const counterpartyId = receives ? flow.debtorId : flow.creditorId;
    const key = `${flow.settlementCurrency}\u0000${counterpartyId}`;
    const total = totals.get(key) ?? {
      settlementCurrency: flow.settlementCurrency,
      counterpartyId,
      receivableMinor: 0n,
      payableMinor: 0n,
      netMinor: 0n,
      lineCount: 0n,
    };
    if (receives) total.receivableMinor += flow.amountMinor;
    else total.payableMinor += flow.amountMinor;
    total.netMinor = total.receivableMinor - total.payableMinor;
    total.lineCount += flow.obligationCount;
    totals.set(key, total);
  }
  return {
    period: settlement.period,
    partnerId,
    totals: [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, total]) => total),
    positions: settlement.positions.filter((position) => position.partyId === partnerId),
    payments: settlement.payments.filter(
      (payment) => payment.payerId === partnerId || payment.payeeId === partnerId,
    ),
  };
}

/**
 * One page of a partner's statement lines, in transfer order, derived from the transfers of
 * the page only (line-reader.ts): a page costs the same however deep it is.
 */
export async function statementLines(
  db: SqlDatabase,
  periodId: string,
  partnerId: string,
  first: number,
  after: string | null,
): Promise<Page<StatementLine>> {
  const position = after === null ? null : decodeCursor(after);
  const rows = await withLineReader(db, async (client) => {
    const window = await periodWindow(client, periodId);
    const start = position ?? { transferId: '', kind: '', currency: '' };
    const read: LineRow[] = [];
    for await (const chunk of partnerLines(client, window, partnerId, start, first + 1)) {
      read.push(...chunk);
    }
    return read;
  });
  const items = rows.slice(0, first).map((row) => lineFromRow(row, partnerId));
  const last = items.at(-1);
  return {
    items,
    endCursor: last ? encodeCursor(last) : null,
    hasNextPage: rows.length > first,
  };
}

/**
 * Every line of a partner's statement, in transfer order, derived `statementStreamBatch`
 * candidate transfers at a time: memory stays flat however long the statement is. The period
 * is closed, so what it derives cannot change between chunks.
 */
export async function* streamStatementLines(
  db: SqlDatabase,
  periodId: string,
  partnerId: string,
): AsyncGenerator<StatementLine> {
  const client = await db.pool.connect();
  try {
    await client.query('begin read only');
    await client.query("set local plan_cache_mode = 'force_generic_plan'");
    const window = await periodWindow(client, periodId);
    const start = { transferId: '', kind: '', currency: '' };
    const chunks = partnerLines(
      client,
      window,
      partnerId,
      start,
      Number.MAX_SAFE_INTEGER,
      statementStreamBatch,
      statementStreamBatch,
    );
    for await (const chunk of chunks) {
      for (const row of chunk) yield lineFromRow(row, partnerId);
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

function lineFromRow(row: LineRow, partnerId: string): StatementLine {
  const receives = row.creditor_id === partnerId;
  return {
    transferId: row.transfer_id,
    originTransferId: row.origin_transfer_id,
    transferCode: row.transfer_code,
    reference: row.reference,
    createdAt: row.transfer_created_at,
    kind: row.kind as ObligationKind,
    counterpartyId: receives ? row.debtor_id : row.creditor_id,
    currency: row.currency_code,
    points: row.points,
    unitPrice: row.unit_price,
    settlementCurrency: row.settlement_currency,
    amountMinor: receives ? row.amount_minor : -row.amount_minor,
  };
}

function encodeCursor(line: StatementLine): string {
  return Buffer.from(JSON.stringify([line.transferId, line.kind, line.currency])).toString(
    'base64url',
  );
}

function decodeCursor(cursor: string): { transferId: string; kind: string; currency: string } {
  try {
    const [transferId, kind, currency] = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    ) as unknown[];
    if (
      typeof transferId === 'string' &&
      typeof kind === 'string' &&
      typeof currency === 'string'
    ) {
      return { transferId, kind, currency };
    }
  } catch {
    // Falls through to the typed error.
  }
  throw new InvalidInput('after', 'not a cursor returned by this list');
}
