import { availableParallelism } from 'node:os';
import type { BenchContext, MeasuredLoad } from './context';
import { withDatabaseCpu } from './database-cpu';
import { spreadOver } from './figure';
import { type MetricsScrape, scrapeMetrics } from './metrics-scrape';
import type { ServerProcess } from './server-process';
import type { Spread } from './summary';

/** One earn window with what the gateway's metrics and the database's backends say around it. */
export interface ObservedEarnWindow {
  result: MeasuredLoad;
  /** The bench database's backends' CPU per earn answered (undefined: /proc unreadable). */
  databaseCpuMs: number | undefined;
  /** Mean earns per shared batch in the window (undefined: no shared batch). */
  sharedBatchSize: number | undefined;
  /** Earns that found a row busy and waited in a partner's lane, per earn in a shared batch. */
  laneShare: number | undefined;
  /**
   * The machine's CPU the window used (gateway, database, load generator) per core: near 1, the
   * cores were the limit; well below, the earns waited on each other (batches, locks, commits).
   */
  machineBusyShare: number;
  metricsBefore: MetricsScrape;
  metricsAfter: MetricsScrape;
}

/** Runs `load` against `gateway` for one window, observing the batcher and the database. */
export async function observedEarnWindow(
  context: BenchContext,
  gateway: ServerProcess,
  databaseUrl: string,
  load: Parameters<BenchContext['load']>[1],
): Promise<ObservedEarnWindow> {
  // The scrapes read the gateway's counters only (no query), so the database's window is the load's.
  const metricsBefore = await scrapeMetrics(gateway);
  const { result, databaseCpuMsPerAnswer: databaseCpuMs } = await withDatabaseCpu(databaseUrl, () =>
    context.load(gateway, load),
  );
  const metricsAfter = await scrapeMetrics(gateway);
  const cpuMsPerEarn =
    result.serverCpuMsPerRequest + result.clientCpuMsPerRequest + (databaseCpuMs ?? 0);
  const posted = (queue: 'shared' | 'lane') => ({
    earns: metricsAfter.earnBatches[queue].earns - metricsBefore.earnBatches[queue].earns,
    batches: metricsAfter.earnBatches[queue].batches - metricsBefore.earnBatches[queue].batches,
  });
  const shared = posted('shared');
  const lane = posted('lane');
  return {
    result,
    databaseCpuMs,
    sharedBatchSize:
      shared.batches > 0 ? Math.round((shared.earns / shared.batches) * 10) / 10 : undefined,
    laneShare:
      shared.batches > 0
        ? Math.round((lane.earns / Math.max(shared.earns, 1)) * 1_000) / 1_000
        : undefined,
    machineBusyShare:
      Math.round(((cpuMsPerEarn * result.ratePerSecond) / 1_000 / availableParallelism()) * 100) /
      100,
    metricsBefore,
    metricsAfter,
  };
}

/**
 * What each side's windows say, for a figure's details: `<side>DatabaseCpuMsPerEarn` (when every
 * side has it, so the sides compare), then per side `<side>SharedBatchSize` and `<side>LaneShare`
 * (when it posted shared batches) and `<side>MachineBusyShare`.
 */
export function windowDetails(
  windows: Record<string, readonly ObservedEarnWindow[]>,
): Record<string, Spread> {
  const present = (values: (number | undefined)[]) =>
    values.filter((value): value is number => value !== undefined);
  const sides = Object.entries(windows);
  const details: Record<string, Spread> = {};
  const databaseCpuMs = sides.map(
    ([side, observed]) => [side, present(observed.map((window) => window.databaseCpuMs))] as const,
  );
  if (databaseCpuMs.every(([, values]) => values.length > 0)) {
    for (const [side, values] of databaseCpuMs) {
      details[`${side}DatabaseCpuMsPerEarn`] = spreadOver(values, (ms) => ms);
    }
  }
  for (const [side, observed] of sides) {
    const batchSizes = present(observed.map((window) => window.sharedBatchSize));
    if (batchSizes.length > 0) {
      details[`${side}SharedBatchSize`] = spreadOver(batchSizes, (n) => n);
      details[`${side}LaneShare`] = spreadOver(
        present(observed.map((window) => window.laneShare)),
        (n) => n,
      );
    }
    details[`${side}MachineBusyShare`] = spreadOver(observed, (window) => window.machineBusyShare);
  }
  return details;
}
