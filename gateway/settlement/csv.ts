/**
 * Writing CSV (RFC 4180): fields joined by commas, lines ended by CRLF, a field quoted when it
 * holds a comma, a quote or a line break, quotes doubled inside. Text that a spreadsheet would
 * run as a formula (a partner's reference starting with "=", "+", "-" or "@") is prefixed with
 * an apostrophe; numbers are written as they are, so "-6.00" stays a number.
 */

export type CsvValue = string | bigint | number | Date | null;

/** A value that is written unquoted and never neutralised: amounts, counts, prices. */
export class CsvNumber {
  constructor(readonly text: string) {}
}

export function csvLine(values: readonly (CsvValue | CsvNumber)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

function csvField(value: CsvValue | CsvNumber): string {
  if (value === null) return '';
  if (value instanceof CsvNumber) return value.text;
  if (typeof value === 'bigint' || typeof value === 'number') return value.toString();
  if (value instanceof Date) return value.toISOString();
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
