import { bulkLoadEarns, checkBulkLoad } from '../bulk-load';
import type { BenchContext, MeasuredLoad } from '../context';
import { type Experiment, failed, measured, spreadOver } from '../figure';
import { earnRequests, isAwardSuccess, partnerTokens } from '../requests';
import type { ServerProcess } from '../server-process';
import { anyEmptyWindow, perRunRatios, sideBySide } from '../side-by-side';
import { rounded, type Spread } from '../summary';

/** The issue's two sizes; --scale-small and --scale-large change them. */
export const issueSmallTransfers = 10_000;
export const issueLargeTransfers = 10_000_000;
const dayMs = 86_400_000;
/** Stored history spans the two years before the run. */
const historyDays = 730;

/**
 * scale_latency: earn p50 with few transfers stored against many. Both databases are loaded
 * with the same bench coalition and set-based history; the small one is cloned fresh from its
 * template for each run (so it stays near its size while the earns of earlier runs pile up),
 * the large one is loaded once. Windows alternate within each run.
 */
export const scaleLatency: Experiment = {
  figures: ['scale_latency'],
  async run(context) {
    const options = context.options;
    const details: Record<string, unknown> = {};
    details.smallLoad = await loadDatabase(
      context,
      'scale_small_template',
      options.scaleSmallTransfers,
    );
    details.largeLoad = await loadDatabase(context, 'scale_large', options.scaleLargeTransfers);
    const problems = await checkBulkLoad(context.server.databaseUrl('scale_large'));
    if (problems.length > 0) {
      return [failed('scale_latency', `bulk load broke invariants: ${problems.join('; ')}`)];
    }
    const load = {
      request: earnRequests({
        tokens: await partnerTokens(context.keys),
        members: options.members,
        partners: 'spread',
      }),
      succeeded: isAwardSuccess,
    };
    const large = await context.startGateway(context.server.databaseUrl('scale_large'), 'large');
    const measure = async (side: 'small' | 'large') => {
      const measureOn = (server: ServerProcess) =>
        context.load(server, { ...load, warmupSeconds: options.warmupSeconds });
      if (side === 'large') return measureOn(large);
      // A fresh copy each run: the earns of earlier windows must not grow the small side.
      const url = await context.server.recreateDatabase('scale_small', 'scale_small_template');
      const small = await context.startGateway(url, 'small');
      try {
        return await measureOn(small);
      } finally {
        await context.stopProcess(small);
      }
    };
    let results: Record<'small' | 'large', MeasuredLoad[]>;
    try {
      results = await sideBySide(context, ['small', 'large'], measure);
    } finally {
      await context.stopProcess(large);
    }
    Object.assign(details, {
      smallTransfers: options.scaleSmallTransfers,
      largeTransfers: options.scaleLargeTransfers,
      smallP50Ms: spreadOver(results.small, (run) => run.p50Ms),
      largeP50Ms: spreadOver(results.large, (run) => run.p50Ms),
      smallEarnPerSecond: spreadOver(results.small, (run) => run.ratePerSecond),
      largeEarnPerSecond: spreadOver(results.large, (run) => run.ratePerSecond),
    });
    if (anyEmptyWindow(results)) {
      return [failed('scale_latency', 'a window completed no earn', details)];
    }
    const notes: string[] = [];
    if (
      options.scaleSmallTransfers !== issueSmallTransfers ||
      options.scaleLargeTransfers !== issueLargeTransfers
    ) {
      notes.push(
        `measured at ${options.scaleLargeTransfers.toLocaleString('en')} ÷ ${options.scaleSmallTransfers.toLocaleString('en')} transfers; the target is defined at 10,000,000 ÷ 10,000`,
      );
    }
    const medianOf = (key: string) => (details[key] as Spread).median;
    const largeLoad = details.largeLoad as { loadSeconds: number; settleSeconds: number };
    return [
      measured(
        'scale_latency',
        perRunRatios(results.large, results.small, (run) => run.p50Ms),
        details,
        notes,
        `p50 ${medianOf('largeP50Ms')} ms with ${options.scaleLargeTransfers.toLocaleString('en')} transfers vs ${medianOf('smallP50Ms')} ms with ${options.scaleSmallTransfers.toLocaleString('en')}; loading the large side took ${largeLoad.loadSeconds} s + ${largeLoad.settleSeconds} s vacuum`,
      ),
    ];
  },
};

async function loadDatabase(context: BenchContext, purpose: string, transfers: number) {
  const url = await context.seededDatabase(purpose);
  context.log(`bulk-loading ${transfers.toLocaleString('en')} transfers into ${purpose}`);
  const now = Date.now();
  const times = await bulkLoadEarns(url, {
    transfers,
    members: context.options.members,
    createdFrom: new Date(now - historyDays * dayMs),
    createdTo: new Date(now - dayMs),
    log: (line) => context.log(line),
  });
  context.log(
    `${purpose}: loaded in ${times.loadSeconds.toFixed(1)} s, vacuum/analyze/checkpoint ${times.settleSeconds.toFixed(1)} s`,
  );
  return {
    transfers,
    loadSeconds: rounded(times.loadSeconds),
    settleSeconds: rounded(times.settleSeconds),
    databaseMegabytes: rounded(times.databaseBytes / 2 ** 20),
  };
}
