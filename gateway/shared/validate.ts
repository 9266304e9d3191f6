import { InvalidInput } from './errors';

/**
 * Checks for caller-supplied values, each failing with an InvalidInput that names the field.
 * GraphQL scalars already reject malformed numbers; these enforce the business ranges.
 */

/** Identifiers from partners' systems: 1 to `lengthMax` printable characters. */
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function requireReference(field: string, value: string, lengthMax = 200): string {
  if (value.length < 1 || value.length > lengthMax) {
    throw new InvalidInput(field, `must be 1 to ${lengthMax} characters`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new InvalidInput(field, 'must not contain control characters');
  }
  // A lone surrogate is stored as U+FFFD, so two different ids would collide as one key.
  if (loneSurrogate.test(value)) {
    throw new InvalidInput(field, 'must be well-formed Unicode (no lone surrogates)');
  }
  // Bidirectional controls make an id display as another one (Trojan Source).
  if (/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(value)) {
    throw new InvalidInput(field, 'must not contain bidirectional control characters');
  }
  return value;
}

export function requirePositive(field: string, value: bigint, max: bigint): bigint {
  if (value <= 0n) throw new InvalidInput(field, 'must be greater than zero');
  if (value > max) throw new InvalidInput(field, `must be at most ${max}`);
  return value;
}

export function requireIntegerInRange(
  field: string,
  value: number,
  min: number,
  max: number,
): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInput(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function requirePattern(
  field: string,
  value: string,
  pattern: RegExp,
  hint: string,
): string {
  if (!pattern.test(value)) throw new InvalidInput(field, hint);
  return value;
}
