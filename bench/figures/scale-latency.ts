import { bulkLoadEarns, checkBulkLoad } from '../bulk-load';
import type { BenchContext } from '../context';
import { type Experiment, failed, measured, spreadOver } from '../figure';
import { earnLoad, partnerTokens } from '../requests';
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
 * the large one is loaded once. Each window has a fresh gateway and its own warm-up; windows
 * alternate within each run.
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
    const load = earnLoad({
      tokens: await partnerTokens(context.keys),
      members: options.members,
      partners: 'spread',
    });
    // Both sides get a fresh gateway per window, warmed up the same way: a gateway kept from
    // one window to the next would be warmer than a fresh one and favour its side.
    const measure = async (side: 'small' | 'large') => {
      const url =
        side === 'large'
          ? context.server.databaseUrl('scale_large')
          : // A fresh copy each run: the earns of earlier windows must not grow the small side.
            await context.server.recreateDatabase('scale_small', 'scale_small_template');
      const gateway = await context.startGateway(url, side);
      try {
        return await context.load(gateway, { ...load, warmupSeconds: options.warmupSeconds });
      } finally {
        await context.stopProcess(gateway);
      }
    };
    const results = await sideBySide(context, ['small', 'large'], measure);
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
