import { bulkLoadEarns, checkBulkLoad } from '../bulk-load';
import type { BenchContext } from '../context';
import { type Experiment, failed, measured } from '../figure';
import type { LoadResult } from '../load-generator';
import { earnRequests, isAwardSuccess, partnerTokens } from '../requests';
import type { ServerProcess } from '../server-process';
import { rounded, spreadOf } from '../summary';

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
    const results = { small: [] as LoadResult[], large: [] as LoadResult[] };
    try {
      for (let run = 0; run < options.runs; run++) {
        const smallUrl = await context.server.recreateDatabase(
          'scale_small',
          'scale_small_template',
        );
        const small = await context.startGateway(smallUrl, 'small');
        try {
          const servers: Record<'small' | 'large', ServerProcess> = { small, large };
          const order =
            run % 2 === 0 ? (['small', 'large'] as const) : (['large', 'small'] as const);
          for (const kind of order) {
            const result = await context.load(servers[kind], {
              ...load,
              warmupSeconds: options.warmupSeconds,
            });
            results[kind].push(result);
            context.log(
              `run ${run + 1}/${options.runs} ${kind}: p50 ${result.p50Ms.toFixed(2)} ms, ${result.ratePerSecond.toFixed(0)} earns/s, ${result.failures} failed`,
            );
          }
        } finally {
          await context.stopProcess(small);
        }
      }
    } finally {
      await context.stopProcess(large);
    }
    Object.assign(details, {
      smallTransfers: options.scaleSmallTransfers,
      largeTransfers: options.scaleLargeTransfers,
      smallP50Ms: spreadOf(results.small.map((run) => rounded(run.p50Ms))),
      largeP50Ms: spreadOf(results.large.map((run) => rounded(run.p50Ms))),
      smallEarnPerSecond: spreadOf(results.small.map((run) => rounded(run.ratePerSecond))),
      largeEarnPerSecond: spreadOf(results.large.map((run) => rounded(run.ratePerSecond))),
    });
    if ([...results.small, ...results.large].some((run) => run.successes === 0)) {
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
    return [
      measured(
        'scale_latency',
        results.large.map((run, index) => rounded(run.p50Ms / results.small[index]!.p50Ms)),
        details,
        notes,
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
  };
}
