import { InvalidInput } from '../shared/errors';
import { minorUnitDigits } from '../shared/money';

/**
 * Exact decimals as text. Prices and percentages travel as strings ("0.012") and are stored as
 * SQL numeric; they are compared here as scaled bigints, never as floats.
 */

/**
 * A non-negative decimal with at most `decimalsMax` decimals and at most `max`, normalised
 * ("0.0120" -> "0.012", "5." is refused). Fails with InvalidInput naming `field`.
 */
export function requireDecimal(
  field: string,
  text: string,
  options: { decimalsMax: number; max: bigint; positive?: boolean },
): string {
  const match = /^(\d{1,15})(?:\.(\d{1,30}))?$/.exec(text.trim());
  if (!match) throw new InvalidInput(field, 'must be a decimal number such as "0.012"');
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > options.decimalsMax) {
    throw new InvalidInput(field, `must have at most ${options.decimalsMax} decimals`);
  }
  const whole = match[1]!.replace(/^0+(?=\d)/, '');
  const scaled = BigInt(whole + fraction.padEnd(options.decimalsMax, '0'));
  if (scaled > options.max * 10n ** BigInt(options.decimalsMax)) {
    throw new InvalidInput(field, `must be at most ${options.max}`);
  }
  if (options.positive && scaled === 0n) throw new InvalidInput(field, 'must be greater than zero');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

/**
 * A signed money amount ("-12.50") in minor units of `currency`, with at most its decimals:
 * "12.501 EUR" is refused rather than rounded. Undefined when the text is not such an amount.
 */
export function parseSignedMoney(text: string, currency: string): bigint | undefined {
  const match = /^(-)?(\d{1,15})(?:\.(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const digits = minorUnitDigits(currency);
  const fraction = match[3] ?? '';
  if (fraction.length > digits) return undefined;
  const value = BigInt(match[2]! + fraction.padEnd(digits, '0'));
  return match[1] ? -value : value;
}
