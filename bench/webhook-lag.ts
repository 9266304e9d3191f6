/** The value at quantile `q` (0..1) of latencies in milliseconds (nearest rank); 0 when empty. */
export function latencyPercentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}
