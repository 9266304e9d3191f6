/** Min, median and max of one figure's per-run values, with the values themselves. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  runs: number[];
}

export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('a spread needs at least one run');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { min: sorted[0]!, median, max: sorted.at(-1)!, runs: [...values] };
}

/**
 * Rounds for reports to `digits` significant digits (whole numbers keep all their digits):
 * enough to compare runs, not more than the noise deserves.
 */
export function rounded(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value))) + 1;
  const decimals = Math.min(20, Math.max(0, digits - magnitude));
  return Number(value.toFixed(decimals));
}

export function roundedSpread(spread: Spread, digits = 3): Spread {
  return {
    min: rounded(spread.min, digits),
    median: rounded(spread.median, digits),
    max: rounded(spread.max, digits),
    runs: spread.runs.map((value) => rounded(value, digits)),
  };
}
