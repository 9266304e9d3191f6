import type { Sql, SqlDatabase } from '../db/sql';
import { InvalidInput, PeriodStateConflict } from '../shared/errors';
import { closedCutOff, cutParameters } from './cut-off';
import { statementStreamBatch } from './limits';
import type {
  CounterpartyTotal,
  GrossFlow,
  ObligationKind,
  Page,
  PaymentInstruction,
  Period,
  PeriodSettlement,
  Statement,
  StatementLine,
} from './model';
import { operatorPartyId } from './model';
import { bilateralNets, netPositions, paymentInstructions } from './netting';
import { periodLinesFrom, takesSql } from './obligation-sql';
import { findPeriod } from './periods';

/**
 * What a closed period says: its netting for the operator, and each partner's statement. The
 * totals and payments are what the close stored; the lines are derived from the transfers the
 * period took and the agreements in force, none of which can change, so neither does a closed
 * period's statement.
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
    payments: (await storedPayments(sql, periodId)) ?? paymentInstructions(positions),
  };
}

/** The payments the close wrote; null for a period closed before closes wrote them. */
async function storedPayments(sql: Sql, periodId: string): Promise<PaymentInstruction[] | null> {
  const rows = await sql.query<{
    payment_count: number | null;
    settlement_currency: string | null;
    payer_id: string | null;
    payee_id: string | null;
    amount_minor: bigint | null;
  }>(
    `select p.payment_count, s.settlement_currency, s.payer_id, s.payee_id, s.amount_minor
     from settlement_period p left join settlement_payment s on s.period_id = p.id
     where p.id = $1 order by s.ordinal`,
    [periodId],
  );
  if (rows.rows[0]?.payment_count == null) return null;
  return rows.rows
    .filter((row) => row.payer_id !== null)
    .map((row) => ({
      settlementCurrency: row.settlement_currency!,
      payerId: row.payer_id!,
      payeeId: row.payee_id!,
      amountMinor: row.amount_minor!,
    }));
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
 * One page of a partner's statement lines, in transfer order (then kind, currency). Walks the
 * period's transfers from the cursor in batches, deriving the lines of each batch, until the
 * page is full: a partner's own transfers through transfer_partner_newest (plus adjustments
 * naming it); for a currency's owner or the operator, who are party to other partners'
 * transfers, the period's transfers in id order. A page costs the same however deep it is:
 * the transfers it reads, times the share of them the partner is party to.
 */
export async function statementLines(
  sql: Sql,
  periodId: string,
  partnerId: string,
  first: number,
  after: string | null,
): Promise<Page<StatementLine>> {
  const position = after === null ? null : decodeCursor(after);
  const cut = await closedCutOff(sql, periodId);
  const rows: LineRow[] = [];
  if (cut.firstTransferId !== null && cut.lastTransferId !== null) {
    const idsSql = (await walksWholePeriod(sql, partnerId)) ? periodIdsSql : partnerIdsSql;
    let from = position?.transferId ?? '';
    let same = from; // the cursor's own transfer may have lines after the cursor
    let batch = firstBatch;
    for (;;) {
      const ids = await sql.query<{ id: string }>(idsSql, [
        ...cutParameters(cut),
        partnerId,
        cut.firstTransferId,
        cut.lastTransferId,
        from,
        same,
        batch,
      ]);
      if (ids.rows.length === 0) break;
      const lines = await sql.query<LineRow>(batchLinesSql, [
        ...cutParameters(cut),
        ids.rows.map((row) => row.id),
        partnerId,
        position?.transferId ?? '',
        position?.kind ?? '',
        position?.currency ?? '',
      ]);
      rows.push(...lines.rows);
      if (rows.length > first || ids.rows.length < batch) break;
      from = ids.rows.at(-1)!.id;
      same = '';
      batch = Math.min(batch * 4, batchMax);
    }
  }
  const items = rows.slice(0, first).map((row) => lineFromRow(row, partnerId));
  const last = items.at(-1);
  return {
    items,
    endCursor: last ? encodeCursor(last) : null,
    hasNextPage: rows.length > first,
  };
}

/** Transfers per batch of a page's walk: the first, then four times more each, up to the last. */
const firstBatch = 200;
const batchMax = 20_000;

/** Owners of a currency and the operator are party to other partners' transfers. */
async function walksWholePeriod(sql: Sql, partnerId: string): Promise<boolean> {
  if (partnerId === operatorPartyId) return true;
  const rows = await sql.query(`select 1 from currency where owner_partner_id = $1 limit 1`, [
    partnerId,
  ]);
  return (rows.rowCount ?? 0) > 0;
}

/**
 * The next batch of transfers a page reads: $1-$6 the cut, $7 partner, $8-$9 the period's
 * first and last transfer id, $10 read after this id, $11 or this one, $12 how many.
 */
const afterSql = '($10::text is not null and (t.id > $10 or t.id = $11::text))';
const periodIdsSql = `
select t.id from transfer t
where t.id between $8 and $9 and ${afterSql} and ${takesSql('t')} and $7::text is not null
order by t.id limit $12`;
const partnerIdsSql = `
select id from (
  (select t.id from transfer t
   where t.partner_id = $7 and t.id between $8 and $9 and ${afterSql} and ${takesSql('t')}
   order by t.id limit $12)
  union
  (select t.id from settlement_adjustment a join transfer t on t.id = a.transfer_id
   where (a.debtor_id = $7 or a.creditor_id = $7) and t.id between $8 and $9 and ${afterSql}
     and ${takesSql('t')}
   order by t.id limit $12)) ids
order by id limit $12`;

const lineColumns = `transfer_id, origin_transfer_id, transfer_code, reference, transfer_created_at,
  kind, debtor_id, creditor_id, currency_code, points, trim_scale(unit_price)::text as unit_price,
  settlement_currency, amount_minor`;

/** The partner's lines of a batch of transfers ($7), after the cursor ($9-$11), in order. */
const batchLinesSql = `
select ${lineColumns} from ${periodLinesFrom()}
where transfer_id = any($7::text[]) and (debtor_id = $8 or creditor_id = $8)
  and (transfer_id, kind, currency_code) > ($9::text, $10::text, $11::text)
order by transfer_id, kind, currency_code`;

/**
 * Every line of a partner's statement, in transfer order, fetched `statementStreamBatch` at a
 * time through a server-side cursor over one set-based derivation of the period (hash joins
 * and a sort the server spills to disk when it must): memory stays flat however long it is.
 */
export async function* streamStatementLines(
  db: SqlDatabase,
  periodId: string,
  partnerId: string,
): AsyncGenerator<StatementLine> {
  const client = await db.pool.connect();
  try {
    await client.query('begin read only');
    const cut = await closedCutOff(client, periodId);
    // A cursor is planned for its first rows unless told it will be read to the end.
    await client.query('set local cursor_tuple_fraction = 1');
    await client.query("set local work_mem = '64MB'");
    await client.query(
      `declare statement_lines no scroll cursor for
       select ${lineColumns} from ${periodLinesFrom()}
       where debtor_id = $7 or creditor_id = $7
       order by transfer_id, kind, currency_code`,
      [...cutParameters(cut), partnerId],
    );
    for (;;) {
      const batch = await client.query<LineRow>(
        `fetch forward ${statementStreamBatch} from statement_lines`,
      );
      for (const row of batch.rows) yield lineFromRow(row, partnerId);
      if (batch.rows.length < statementStreamBatch) break;
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

interface LineRow {
  transfer_id: string;
  origin_transfer_id: string;
  transfer_code: string;
  reference: string;
  transfer_created_at: Date;
  kind: ObligationKind;
  debtor_id: string;
  creditor_id: string;
  currency_code: string;
  points: bigint;
  unit_price: string | null;
  settlement_currency: string;
  amount_minor: bigint;
}

function lineFromRow(row: LineRow, partnerId: string): StatementLine {
  const receives = row.creditor_id === partnerId;
  return {
    transferId: row.transfer_id,
    originTransferId: row.origin_transfer_id,
    transferCode: row.transfer_code,
    reference: row.reference,
    createdAt: row.transfer_created_at,
    kind: row.kind,
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
