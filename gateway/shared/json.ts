/**
 * A value as plain JSON data: bigints become decimal strings (points and money never become
 * lossy numbers), dates ISO strings, undefined fields are left out. Used for stored receipts
 * (idempotency keys) and audit entries.
 */
export function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, field]) => field !== undefined)
        .map(([name, field]) => [name, toJson(field)]),
    );
  }
  return value;
}
