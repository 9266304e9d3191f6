import { type Options, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { InvalidInput } from '../shared/errors';
import { idPatterns } from '../shared/ids';
import { isKnownMoneyCurrency } from '../shared/money';
import { requireReference } from '../shared/validate';
import { parseSignedMoney } from './decimal';
import { reconciliationCsvBytesMax } from './limits';
import { operatorPartyId } from './model';

/**
 * A partner's own record of one settlement line: its transaction id (our `reference`) and the
 * amount, signed from the partner's side (positive: it receives), in a settlement currency.
 */
export interface PartnerRecord {
  reference: string;
  settlementCurrency: string;
  amountMinor: bigint;
  counterpartyId: string | null;
}

/** A record as it arrives (API fields or CSV cells), before validation. */
export interface RawRecord {
  reference: string;
  amount: string;
  currency: string;
  counterpartyId?: string | null;
}

/** Validates one record; `where` names it in errors ("records[3]", "csv line 7"). */
export function validRecord(raw: RawRecord, where: string): PartnerRecord {
  const reference = requireReference(`${where}.reference`, raw.reference.trim());
  const currency = raw.currency.trim();
  if (!isKnownMoneyCurrency(currency)) {
    throw new InvalidInput(`${where}.currency`, 'must be a supported ISO 4217 currency');
  }
  const amountMinor = parseSignedMoney(raw.amount, currency);
  if (amountMinor === undefined) {
    throw new InvalidInput(
      `${where}.amount`,
      `must be a signed decimal amount with at most the decimals of ${currency}, e.g. "-12.50"`,
    );
  }
  const counterparty = raw.counterpartyId?.trim() || null;
  if (
    counterparty !== null &&
    counterparty !== operatorPartyId &&
    !idPatterns.partner.test(counterparty)
  ) {
    throw new InvalidInput(`${where}.counterpartyId`, 'must be a partner id or "operator"');
  }
  return { reference, settlementCurrency: currency, amountMinor, counterpartyId: counterparty };
}

/**
 * Column names accepted in a CSV header (case-insensitive); other columns are ignored, so a
 * partner can send back our statement file. Rows whose `record` column is not "line" (the
 * statement's totals) are skipped.
 */
const columnNames = {
  reference: ['transaction_id', 'reference'],
  amount: ['amount'],
  currency: ['currency', 'settlement_currency'],
  counterpartyId: ['counterparty_id', 'counterparty'],
  record: ['record'],
} as const;

type Column = keyof typeof columnNames;

const parseOptions: Options = {
  bom: true,
  skip_empty_lines: true,
  relax_column_count: true,
  info: true,
};

interface ParsedRow {
  record: string[];
  info: { lines: number };
}

/** Parses CSV text of at most reconciliationCsvBytesMax bytes. Errors: InvalidInput. */
export function recordsFromCsvText(text: string): PartnerRecord[] {
  if (Buffer.byteLength(text, 'utf8') > reconciliationCsvBytesMax) {
    throw new InvalidInput('csv', `must be at most ${reconciliationCsvBytesMax} bytes`);
  }
  let rows: ParsedRow[];
  try {
    rows = parseSync(text, parseOptions) as unknown as ParsedRow[];
  } catch (error) {
    throw new InvalidInput('csv', `is not valid CSV: ${(error as Error).message}`);
  }
  const reader = new CsvRecordReader();
  return rows.flatMap((row) => reader.read(row) ?? []);
}

/** Reads a CSV stream record by record (memory stays flat). Errors: InvalidInput. */
export async function* recordsFromCsvStream(
  input: NodeJS.ReadableStream,
): AsyncGenerator<PartnerRecord> {
  const reader = new CsvRecordReader();
  const parser = input.pipe(parse(parseOptions));
  try {
    for await (const row of parser as AsyncIterable<ParsedRow>) {
      const record = reader.read(row);
      if (record) yield record;
    }
  } catch (error) {
    if (error instanceof InvalidInput) throw error;
    throw new InvalidInput('csv', `is not valid CSV: ${(error as Error).message}`);
  }
}

/** Turns parsed rows into records: the first row is the header. */
class CsvRecordReader {
  private columns: Map<Column, number> | undefined;

  read(row: ParsedRow): PartnerRecord | undefined {
    if (!this.columns) {
      this.columns = headerColumns(row.record);
      return undefined;
    }
    const cell = (column: Column) => {
      const index = this.columns!.get(column);
      return index === undefined ? undefined : row.record[index];
    };
    const kind = cell('record');
    if (kind !== undefined && kind.trim() !== 'line') return undefined;
    return validRecord(
      {
        reference: withoutFormulaGuard(cell('reference') ?? ''),
        amount: cell('amount') ?? '',
        currency: cell('currency') ?? '',
        counterpartyId: cell('counterpartyId') ?? null,
      },
      `csv line ${row.info.lines}`,
    );
  }
}

/** Our CSV files prefix formula-like text with an apostrophe (see csv.ts); undo that. */
function withoutFormulaGuard(text: string): string {
  return /^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}

function headerColumns(header: string[]): Map<Column, number> {
  const names = header.map((name) => name.trim().toLowerCase());
  const columns = new Map<Column, number>();
  for (const [column, accepted] of Object.entries(columnNames) as [Column, readonly string[]][]) {
    const index = names.findIndex((name) => accepted.includes(name));
    if (index >= 0) columns.set(column, index);
  }
  for (const required of ['reference', 'amount', 'currency'] as const) {
    if (!columns.has(required)) {
      throw new InvalidInput(
        'csv',
        `the header needs a ${columnNames[required].join(' or ')} column`,
      );
    }
  }
  return columns;
}
