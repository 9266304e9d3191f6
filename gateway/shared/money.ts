/**
 * Money is an integer of minor units (cents) with an ISO 4217 code; never a float. Amounts
 * arrive as decimal strings ("50.00") or minor units and are checked against the currency's
 * number of decimals, so "50.001 EUR" is rejected rather than rounded.
 */
const minorDigits: Record<string, number> = {
  EUR: 2,
  USD: 2,
  GBP: 2,
  CHF: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  PLN: 2,
  JPY: 0,
};

export function isKnownMoneyCurrency(code: string): boolean {
  return code in minorDigits;
}

export function minorUnitDigits(code: string): number {
  const digits = minorDigits[code];
  if (digits === undefined) throw new Error(`unknown money currency ${code}`);
  return digits;
}

/** "12.50" EUR -> 1250n; undefined when the text is not an amount with at most the allowed decimals. */
export function parseMoneyAmount(text: string, code: string): bigint | undefined {
  const digits = minorUnitDigits(code);
  const match = /^(\d{1,15})(?:\.(\d+))?$/.exec(text);
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return undefined;
  return BigInt(match[1]! + fraction.padEnd(digits, '0'));
}

/** 1250n EUR -> "12.50". */
export function formatMoneyAmount(amountMinor: bigint, code: string): string {
  const digits = minorUnitDigits(code);
  const negative = amountMinor < 0n;
  const text = (negative ? -amountMinor : amountMinor).toString().padStart(digits + 1, '0');
  const whole = digits === 0 ? text : text.slice(0, -digits);
  const fraction = digits === 0 ? '' : `.${text.slice(-digits)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** The larger of two bigints (Math.max takes numbers only). */
export function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
