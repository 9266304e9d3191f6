import type { SqlDatabase } from '../db/sql';
import { formatMoneyAmount } from '../shared/money';
import { CsvNumber, type CsvValue, csvLine } from './csv';
import type { PeriodSettlement, Statement, StatementLine } from './model';
import { streamStatementLines } from './statements';

/**
 * The CSV files finance teams expect. A statement file has one `line` row per obligation and a
 * `total` row per counterparty, whose amount is the sum of that counterparty's lines; partners
 * may send it back, edited, as their reconciliation records. Amounts are signed decimals of the
 * settlement currency from the file's partner's side: positive means it receives.
 */

export const statementCsvHeader = csvLine([
  'record',
  'period_id',
  'partner_id',
  'transfer_id',
  'origin_transfer_id',
  'created_at',
  'code',
  'reference',
  'kind',
  'counterparty_id',
  'program_currency',
  'points',
  'unit_price',
  'settlement_currency',
  'amount',
]);

export function statementLineCsv(periodId: string, partnerId: string, line: StatementLine): string {
  return csvLine([
    'line',
    periodId,
    partnerId,
    line.transferId,
    line.originTransferId,
    line.createdAt,
    line.transferCode,
    line.reference,
    line.kind,
    line.counterpartyId,
    line.currency,
    new CsvNumber(line.points.toString()),
    line.unitPrice === null ? null : new CsvNumber(line.unitPrice),
    line.settlementCurrency,
    money(line.amountMinor, line.settlementCurrency),
  ]);
}

export function statementTotalsCsv(statement: Statement): string {
  return statement.totals
    .map((total) =>
      csvLine([
        'total',
        statement.period.id,
        statement.partnerId,
        ...blank(6),
        total.counterpartyId,
        ...blank(3),
        total.settlementCurrency,
        money(total.netMinor, total.settlementCurrency),
      ]),
    )
    .join('');
}

/**
 * A whole statement as CSV text chunks: header, lines (streamed, memory stays flat), totals.
 * `progress` hears the number of lines written every `progressEvery` lines.
 */
export async function* statementCsv(
  db: SqlDatabase,
  statement: Statement,
  progress: (lines: number) => void = () => undefined,
  progressEvery = 50_000,
): AsyncGenerator<string> {
  yield statementCsvHeader;
  let lines = 0;
  for await (const line of streamStatementLines(db, statement.period.id, statement.partnerId)) {
    yield statementLineCsv(statement.period.id, statement.partnerId, line);
    lines += 1;
    if (lines % progressEvery === 0) progress(lines);
  }
  progress(lines);
  yield statementTotalsCsv(statement);
}

export type SettlementTable = 'positions' | 'payments' | 'gross' | 'bilateral';

/** One of a period's netting tables as CSV. */
export function settlementCsv(settlement: PeriodSettlement, table: SettlementTable): string {
  const periodId = settlement.period.id;
  switch (table) {
    case 'positions':
      return rows(
        ['period_id', 'settlement_currency', 'party_id', 'receivable', 'payable', 'position'],
        settlement.positions.map((p) => [
          periodId,
          p.settlementCurrency,
          p.partyId,
          money(p.receivableMinor, p.settlementCurrency),
          money(p.payableMinor, p.settlementCurrency),
          money(p.positionMinor, p.settlementCurrency),
        ]),
      );
    case 'payments':
      return rows(
        ['period_id', 'settlement_currency', 'payer_id', 'payee_id', 'amount'],
        settlement.payments.map((p) => [
          periodId,
          p.settlementCurrency,
          p.payerId,
          p.payeeId,
          money(p.amountMinor, p.settlementCurrency),
        ]),
      );
    case 'gross':
      return rows(
        ['period_id', 'settlement_currency', 'debtor_id', 'creditor_id', 'amount', 'obligations'],
        settlement.gross.map((g) => [
          periodId,
          g.settlementCurrency,
          g.debtorId,
          g.creditorId,
          money(g.amountMinor, g.settlementCurrency),
          new CsvNumber(g.obligationCount.toString()),
        ]),
      );
    case 'bilateral':
      return rows(
        ['period_id', 'settlement_currency', 'payer_id', 'payee_id', 'amount'],
        settlement.bilateral.map((b) => [
          periodId,
          b.settlementCurrency,
          b.payerId,
          b.payeeId,
          money(b.amountMinor, b.settlementCurrency),
        ]),
      );
  }
}

function rows(header: string[], body: (CsvValue | CsvNumber)[][]): string {
  return [header, ...body].map(csvLine).join('');
}

function money(amountMinor: bigint, currency: string): CsvNumber {
  return new CsvNumber(formatMoneyAmount(amountMinor, currency));
}

function blank(count: number): null[] {
  return new Array<null>(count).fill(null);
}
