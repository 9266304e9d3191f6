import pg from 'pg';
import { benchPartnerId } from '../bench-data';
import type { MeasuredLoad } from '../context';
import { graphqlTarget } from '../context';
import { type Experiment, failed, measured, spreadOver } from '../figure';
import { runLoad } from '../load-generator';
import type { FigureName } from '../options';
import { earnLoad, partnerTokens } from '../requests';
import { anyEmptyWindow, perRunRatios, sideBySide } from '../side-by-side';

/** Clients of the stuck partner, sending earns that wait for its locked row. */
const stuckClients = 10;
/** The overload: this many closed-loop clients. */
const overloadClients = 200;

/**
 * stuck_partner: the earn load of partners 2-20, once while a separate connection holds a lock
 * on partner 1's issuance row (and partner 1's own clients keep sending earns that must wait
 * for it), once with no lock; side by side in each run.
 *
 * overload_p99: the spread earn load from 200 clients: p99 of the acknowledged earns, with the
 * number answered 503 BUSY beside it.
 */
export const stuckPartner: Experiment = {
  figures: ['stuck_partner', 'overload_p99'],
  async run(context) {
    const options = context.options;
    const gateway = await context.ledgerGateway();
    const url = await context.ledgerDatabase();
    const tokens = await partnerTokens(context.keys);
    const others = earnLoad({
      tokens: tokens.slice(1),
      members: options.members,
      partners: 'spread',
    });
    const stuck = earnLoad({
      tokens: tokens.slice(0, 1),
      members: options.members,
      partners: 'hot',
    });
    const wanted = (name: FigureName) => options.only.includes(name);
    const figures = [];

    if (wanted('stuck_partner')) {
      context.log(`warming up (${options.warmupSeconds} s of earns)`);
      await context.warmUp(gateway, others);
      let stuckAnswers = { successes: 0, failures: 0 };
      const results = await sideBySide(context, ['locked', 'free'], async (side) => {
        if (side === 'free') return context.load(gateway, others);
        const holder = new pg.Client({ connectionString: url });
        await holder.connect();
        try {
          await holder.query('begin');
          await holder.query(
            `select id from account where owner_id = $1 and kind = 'issuance' for update`,
            [benchPartnerId(0)],
          );
          const stuckLoad = runLoad({
            target: graphqlTarget(gateway),
            clients: stuckClients,
            warmupMs: 0,
            durationMs: options.durationSeconds * 1_000,
            ...stuck,
          });
          const measuredLoad: MeasuredLoad = await context.load(gateway, others);
          const stuckResult = await stuckLoad;
          stuckAnswers = {
            successes: stuckAnswers.successes + stuckResult.successes,
            failures: stuckAnswers.failures + stuckResult.failures,
          };
          return measuredLoad;
        } finally {
          await holder.query('rollback').catch(() => undefined);
          await holder.end();
        }
      });
      const details = {
        lockedEarnPerSecond: spreadOver(results.locked, (run) => run.ratePerSecond),
        freeEarnPerSecond: spreadOver(results.free, (run) => run.ratePerSecond),
        lockedP99Ms: spreadOver(results.locked, (run) => run.p99Ms),
        freeP99Ms: spreadOver(results.free, (run) => run.p99Ms),
        stuckPartnerAnswers: stuckAnswers,
        failedRequests: [...results.locked, ...results.free].reduce(
          (sum, run) => sum + run.failures,
          0,
        ),
      };
      figures.push(
        anyEmptyWindow(results)
          ? failed('stuck_partner', 'a window completed no earn', details)
          : measured(
              'stuck_partner',
              perRunRatios(results.locked, results.free, (run) => run.ratePerSecond),
              details,
              details.lockedP99Ms.median < 1_000 ? [] : ['p99 during the lock is 1 s or more'],
              `others ${details.lockedEarnPerSecond.median} earns/s (p99 ${details.lockedP99Ms.median} ms) during the lock vs ${details.freeEarnPerSecond.median}/s (p99 ${details.freeP99Ms.median} ms) without; the stuck partner: ${stuckAnswers.successes} acknowledged, ${stuckAnswers.failures} refused (LOCK_TIMEOUT, DEADLINE_EXCEEDED or BUSY)`,
            ),
      );
    }

    if (wanted('overload_p99')) {
      const spread = {
        ...earnLoad({ tokens, members: options.members, partners: 'spread' }),
        clients: overloadClients,
      };
      const runs: MeasuredLoad[] = [];
      for (let run = 0; run < options.runs; run++) {
        const result = await context.load(gateway, spread);
        context.log(
          `run ${run + 1}/${options.runs} overload: ${result.ratePerSecond.toFixed(0)}/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ${result.failures} refused`,
        );
        runs.push(result);
      }
      const details = {
        clients: overloadClients,
        earnPerSecond: spreadOver(runs, (run) => run.ratePerSecond),
        p50Ms: spreadOver(runs, (run) => run.p50Ms),
        refused: spreadOver(runs, (run) => run.failures),
        failureSamples: runs.flatMap((run) => run.failureSamples).slice(0, 3),
      };
      figures.push(
        runs.some((run) => run.successes === 0)
          ? failed('overload_p99', 'a window completed no earn', details)
          : measured(
              'overload_p99',
              runs.map((run) => run.p99Ms),
              details,
              [],
              `${overloadClients} clients: ${details.earnPerSecond.median} earns/s acknowledged, p50 ${details.p50Ms.median} ms, ${details.refused.median} refused per window`,
            ),
      );
    }
    return figures;
  },
};
