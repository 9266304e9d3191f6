import type { BenchContext, MeasuredLoad } from './context';

/**
 * Runs the sides of a ratio (two, or more for a reference beside it) once per run, back to back,
 * rotating which goes first so a drift of the machine (other work starting, caches filling,
 * tables growing) does not favour one side. Returns each side's windows in run order.
 */
export async function sideBySide<Side extends string>(
  context: BenchContext,
  sides: readonly [Side, Side, ...Side[]],
  measure: (side: Side, run: number) => Promise<MeasuredLoad>,
): Promise<Record<Side, MeasuredLoad[]>> {
  const results = Object.fromEntries(sides.map((side) => [side, []])) as unknown as Record<
    Side,
    MeasuredLoad[]
  >;
  const runs = context.options.runs;
  for (let run = 0; run < runs; run++) {
    const first = run % sides.length;
    const order = [...sides.slice(first), ...sides.slice(0, first)];
    for (const side of order) {
      const result = await measure(side, run);
      results[side].push(result);
      context.log(
        `run ${run + 1}/${runs} ${side}: ${result.ratePerSecond.toFixed(0)}/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ${result.serverCpuMsPerRequest.toFixed(2)} ms server CPU, ${result.failures} failed`,
      );
    }
  }
  return results;
}

/** Whether any window of any side completed nothing (the figure then failed). */
export function anyEmptyWindow(results: Record<string, MeasuredLoad[]>): boolean {
  return Object.values(results).some((windows) => windows.some((run) => run.successes === 0));
}

/** The per-run ratios of one measurement, numerator side ÷ denominator side. */
export function perRunRatios(
  numerator: readonly MeasuredLoad[],
  denominator: readonly MeasuredLoad[],
  pick: (run: MeasuredLoad) => number,
): number[] {
  return numerator.map((run, index) => pick(run) / pick(denominator[index]!));
}
