import { type CommitFlush, measureCommitFlush } from '../commit-flush';
import type { BenchContext, MeasuredLoad } from '../context';
import { withDatabaseCpu } from '../database-cpu';
import {
  type Experiment,
  type FigureResult,
  failed,
  measured,
  notAvailable,
  spreadOver,
} from '../figure';
import { type MetricsScrape, scrapeMetrics } from '../metrics-scrape';
import { type BenchOptions, pgbenchScaleMin } from '../options';
import { initPgbench, type PgbenchResult, pgbenchVersion, runPgbench } from '../pgbench';
import { earnLoad, partnerTokens } from '../requests';
import type { ServerProcess } from '../server-process';
import { rounded, type Spread } from '../summary';

const pgbenchThreads = 2;
const bytesPerMegabyte = 1024 * 1024;

/**
 * earn_vs_tpcb and gateway_rss. Each run measures one window of earns through the gateway
 * (spread over the 20 partners) and one pgbench TPC-B window of the same length on the same
 * server, alternating which goes first; the figure is the per-run ratio. The gateway's peak RSS
 * is read after each earn window, and its /metrics scraped half-way through it (the scrape's
 * cost, the batch sizes and the pool's gauges go into the details). With
 * BENCH_BASELINE_GATEWAY (another build's dist/gateway/main.js, or dist/bench/earn-floor-server.js)
 * that server runs on the same ledger database and takes the same load as a third window of
 * each run (`details.baseline*`).
 */
export const earnVsTpcb: Experiment = {
  figures: ['earn_vs_tpcb', 'gateway_rss'],
  async run(context) {
    const { pgbench, pgbenchUrl } = await preparePgbench(context);
    const gateway = await context.ledgerGateway();
    const ledgerUrl = await context.ledgerDatabase();
    const baseline = await context.startBaselineGateway(ledgerUrl, 'ledger-earn-baseline');
    try {
      return await measureEarns(context, gateway, { baseline, ledgerUrl }, pgbench, pgbenchUrl);
    } finally {
      if (baseline) await context.stopProcess(baseline);
    }
  },
};

async function measureEarns(
  context: BenchContext,
  gateway: ServerProcess,
  { baseline, ledgerUrl }: { baseline: ServerProcess | undefined; ledgerUrl: string },
  pgbench: string | undefined,
  pgbenchUrl: string | undefined,
): Promise<FigureResult[]> {
  const options = context.options;
  // The commit flush time beside the ratio, before and after the windows: pgbench's rate
  // follows it, and it varies between runs of this machine.
  const flush = () =>
    context
      .ledgerDatabase()
      .then((url) => measureCommitFlush(url))
      .catch((error: Error) => `not measured: ${error.message}`);
  const flushBefore = await flush();
  const load = earnLoad({
    tokens: await partnerTokens(context.keys),
    members: options.members,
    partners: 'spread',
  });
  context.log(`warming up (${options.warmupSeconds} s of earns, then of pgbench)`);
  await context.warmUp(gateway, load);
  if (baseline) await context.warmUp(baseline, load);
  if (pgbenchUrl && options.warmupSeconds > 0) {
    await pgbenchWindow(pgbenchUrl, options.clients, options.warmupSeconds);
  }
  const earns: EarnWindow[] = [];
  const baselineEarns: EarnWindow[] = [];
  const tpcb: PgbenchResult[] = [];
  const peaks: { pid: number; bytes: number }[][] = [];
  const scrapes: (MetricsScrape | string)[] = [];
  let peakResets = true;
  for (let run = 0; run < options.runs; run++) {
    const earnWindow = async () => {
      peakResets = (await gateway.resetPeakRss()) && peakResets;
      const scrape = sleep((options.durationSeconds * 1_000) / 2).then(() =>
        scrapeMetrics(gateway).catch((error: Error) => `scrape failed: ${error.message}`),
      );
      const { result, databaseCpuMsPerAnswer: databaseCpuMsPerEarn } = await withDatabaseCpu(
        ledgerUrl,
        () => context.load(gateway, load),
      );
      scrapes.push(await scrape);
      peaks.push(await gateway.peakRssBytesEach());
      earns.push({ ...result, databaseCpuMsPerEarn });
      context.log(
        `run ${run + 1}/${options.runs} earn: ${result.ratePerSecond.toFixed(0)}/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ${result.failures} failed`,
      );
    };
    const tpcbWindow = async () => {
      if (!pgbenchUrl) return;
      const result = await pgbenchWindow(pgbenchUrl, options.clients, pgbenchSeconds(options));
      tpcb.push(result);
      context.log(`run ${run + 1}/${options.runs} pgbench: ${result.tps.toFixed(0)} tps`);
    };
    const baselineWindow = async () => {
      if (!baseline) return;
      const { result, databaseCpuMsPerAnswer: databaseCpuMsPerEarn } = await withDatabaseCpu(
        ledgerUrl,
        () => context.load(baseline, load),
      );
      baselineEarns.push({ ...result, databaseCpuMsPerEarn });
      context.log(
        `run ${run + 1}/${options.runs} baseline earn: ${result.ratePerSecond.toFixed(0)}/s, p50 ${result.p50Ms.toFixed(2)} ms, ${result.serverCpuMsPerRequest.toFixed(3)} ms server CPU, ${result.failures} failed`,
      );
    };
    // Alternate the order, so slow drift of the machine does not favour one side.
    if (run % 2 === 0) {
      await earnWindow();
      await tpcbWindow();
      await baselineWindow();
    } else {
      await baselineWindow();
      await tpcbWindow();
      await earnWindow();
    }
  }
  const flushAfter = await flush();
  context.log(`commit flush p50: ${flushText(flushBefore)} before, ${flushText(flushAfter)} after`);
  const earn = earnFigure(context, earns, tpcb, pgbench);
  earn.details = {
    ...earn.details,
    commitFlush: { before: flushBefore, after: flushAfter },
    metricsScrapes: scrapes,
    ...(baselineEarns.length > 0 && baselineDetails(baselineEarns, earns, tpcb)),
  };
  return [earn, rssFigure(gateway, peaks, peakResets)];
}

/** A window's load, and the database's CPU per answer during it (all its backends). */
type EarnWindow = MeasuredLoad & { databaseCpuMsPerEarn?: number };

/** The third side's windows, and its ratios to pgbench and to the gateway, run by run. */
function baselineDetails(
  baseline: EarnWindow[],
  earns: MeasuredLoad[],
  tpcb: PgbenchResult[],
): Record<string, unknown> {
  const ratios = (over: number[]) =>
    spreadOver(
      baseline.map((run, index) => run.ratePerSecond / over[index]!),
      (ratio) => rounded(ratio),
    );
  return {
    baselineEarnPerSecond: spreadOver(baseline, (run) => run.ratePerSecond),
    baselineP50Ms: spreadOver(baseline, (run) => run.p50Ms),
    baselineCpuMsPerEarn: spreadOver(baseline, (run) => run.serverCpuMsPerRequest),
    baselineDatabaseCpuMsPerEarn: spreadOver(baseline, (run) => run.databaseCpuMsPerEarn ?? 0),
    baselineFailedRequests: baseline.reduce((sum, run) => sum + run.failures, 0),
    ...(tpcb.length === baseline.length && {
      baselineOverTpcb: ratios(tpcb.map((run) => run.tps)),
    }),
    gatewayOverBaseline: spreadOver(
      earns.map((run, index) => run.ratePerSecond / baseline[index]!.ratePerSecond),
      (ratio) => rounded(ratio),
    ),
  };
}

/** pgbench's own database, initialised at the options' scale; nothing when pgbench is missing. */
async function preparePgbench(
  context: BenchContext,
): Promise<{ pgbench: string | undefined; pgbenchUrl: string | undefined }> {
  const pgbench = await pgbenchVersion();
  if (!pgbench) {
    context.log('pgbench not found on PATH: measuring earns alone');
    return { pgbench, pgbenchUrl: undefined };
  }
  const pgbenchUrl = await context.server.recreateDatabase('pgbench');
  context.log(`pgbench -i -s ${context.options.pgbenchScale} (${pgbench})`);
  await initPgbench(pgbenchUrl, context.options.pgbenchScale);
  return { pgbench, pgbenchUrl };
}

/** pgbench's -T takes whole seconds. */
function pgbenchSeconds(options: BenchOptions): number {
  return Math.max(1, Math.round(options.durationSeconds));
}

function pgbenchWindow(url: string, clients: number, seconds: number): Promise<PgbenchResult> {
  return runPgbench(url, { clients, threads: pgbenchThreads, durationSeconds: seconds });
}

function earnFigure(
  context: BenchContext,
  earns: EarnWindow[],
  tpcb: PgbenchResult[],
  pgbench: string | undefined,
): FigureResult {
  const options = context.options;
  const details: Record<string, unknown> = {
    earnPerSecond: spreadOver(earns, (run) => run.ratePerSecond),
    earnP50Ms: spreadOver(earns, (run) => run.p50Ms),
    earnP99Ms: spreadOver(earns, (run) => run.p99Ms),
    gatewayCpuMsPerEarn: spreadOver(earns, (run) => run.serverCpuMsPerRequest),
    databaseCpuMsPerEarn: spreadOver(earns, (run) => run.databaseCpuMsPerEarn ?? 0),
    clientCpuMsPerEarn: spreadOver(earns, (run) => run.clientCpuMsPerRequest),
    earnFailedRequests: earns.reduce((sum, run) => sum + run.failures, 0),
    clients: options.clients,
    windowSeconds: options.durationSeconds,
  };
  const failureSamples = earns.flatMap((run) => run.failureSamples).slice(0, 3);
  if (failureSamples.length > 0) details.failureSamples = failureSamples;
  if (earns.some((run) => run.successes === 0)) {
    return failed('earn_vs_tpcb', 'a window completed no earn', details);
  }
  const earnSummary = `earn ${median(details.earnPerSecond)}/s (p50 ${median(details.earnP50Ms)} ms, p99 ${median(details.earnP99Ms)} ms, gateway CPU ${median(details.gatewayCpuMsPerEarn)} ms/earn)`;
  if (!pgbench) {
    const result = notAvailable(
      'earn_vs_tpcb',
      'pgbench is not on PATH (install postgresql-client, or set PGBENCH)',
      details,
    );
    return { ...result, summary: earnSummary };
  }
  details.pgbench = pgbench;
  details.pgbenchTps = spreadOver(tpcb, (run) => run.tps);
  details.pgbenchLatencyAverageMs = spreadOver(tpcb, (run) => run.latencyAverageMs);
  details.pgbenchScale = options.pgbenchScale;
  details.pgbenchThreads = pgbenchThreads;
  const notes: string[] = [];
  if (pgbenchSeconds(options) !== options.durationSeconds) {
    notes.push(
      `pgbench windows of ${pgbenchSeconds(options)} s against earn windows of ${options.durationSeconds} s`,
    );
  }
  if (options.pgbenchScale < pgbenchScaleMin) {
    notes.push(`pgbench scale ${options.pgbenchScale} < ${pgbenchScaleMin}: not the issue's bar`);
  }
  if (tpcb.some((run) => run.failedTransactions > 0)) notes.push('pgbench had failed transactions');
  return {
    ...measured(
      'earn_vs_tpcb',
      earns.map((run, index) => rounded(run.ratePerSecond / tpcb[index]!.tps)),
      details,
      notes,
    ),
    summary: `${earnSummary} vs pgbench ${median(details.pgbenchTps)} tps`,
  };
}

function median(spread: unknown): number {
  return (spread as Spread).median;
}

/**
 * The largest gateway process's peak per window (the target is per process); with
 * GATEWAY_WORKERS > 1 the primary and each worker are measured, and their sum is in `details`.
 */
function rssFigure(
  gateway: ServerProcess,
  peaks: { pid: number; bytes: number }[][],
  peakResets: boolean,
): FigureResult {
  const notes = peakResets
    ? []
    : ['the kernel refused to reset VmHWM: each value is the peak since the gateway started'];
  const megabytes = (bytes: number) => rounded(bytes / bytesPerMegabyte);
  return {
    ...measured(
      'gateway_rss',
      peaks.map((window) => megabytes(Math.max(...window.map((each) => each.bytes)))),
      {
        pid: gateway.pid,
        processes: peaks[0]?.length ?? 1,
        perProcessMb: peaks.map((window) => window.map((each) => megabytes(each.bytes))),
        sumMb: peaks.map((window) => megabytes(window.reduce((sum, each) => sum + each.bytes, 0))),
      },
      notes,
    ),
    summary: `VmHWM of the largest of ${peaks[0]?.length ?? 1} gateway processes (pid ${gateway.pid} and its workers) per earn window, in MB (2^20 bytes); sums in details`,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function flushText(flush: CommitFlush | string): string {
  return typeof flush === 'string' ? flush : `${flush.p50Ms} ms`;
}
