import type { MeasuredLoad } from '../context';
import { type Experiment, failed, measured, spreadOver } from '../figure';
import { earnRequests, isAwardSuccess, partnerTokens } from '../requests';
import { rounded } from '../summary';

/**
 * hot_partner: the same earn load, once with every earn from one partner (one issuance account
 * takes every debit) and once spread over the 20 partners, alternating within each run.
 */
export const hotPartner: Experiment = {
  figures: ['hot_partner'],
  async run(context) {
    const options = context.options;
    const gateway = await context.ledgerGateway();
    const tokens = await partnerTokens(context.keys);
    const loads = {
      hot: {
        request: earnRequests({ tokens, members: options.members, partners: 'hot' }),
        succeeded: isAwardSuccess,
      },
      spread: {
        request: earnRequests({ tokens, members: options.members, partners: 'spread' }),
        succeeded: isAwardSuccess,
      },
    };
    context.log(`warming up (${options.warmupSeconds} s of earns)`);
    await context.warmUp(gateway, loads.spread);
    const results = { hot: [] as MeasuredLoad[], spread: [] as MeasuredLoad[] };
    for (let run = 0; run < options.runs; run++) {
      const order = run % 2 === 0 ? (['hot', 'spread'] as const) : (['spread', 'hot'] as const);
      for (const kind of order) {
        const result = await context.load(gateway, loads[kind]);
        results[kind].push(result);
        context.log(
          `run ${run + 1}/${options.runs} ${kind}: ${result.ratePerSecond.toFixed(0)} earns/s, p50 ${result.p50Ms.toFixed(2)} ms, ${result.failures} failed`,
        );
      }
    }
    const details = {
      hotEarnPerSecond: spreadOver(results.hot, (run) => run.ratePerSecond),
      spreadEarnPerSecond: spreadOver(results.spread, (run) => run.ratePerSecond),
      hotP50Ms: spreadOver(results.hot, (run) => run.p50Ms),
      spreadP50Ms: spreadOver(results.spread, (run) => run.p50Ms),
      hotGatewayCpuMsPerEarn: spreadOver(results.hot, (run) => run.serverCpuMsPerRequest),
      spreadGatewayCpuMsPerEarn: spreadOver(results.spread, (run) => run.serverCpuMsPerRequest),
      failedRequests: [...results.hot, ...results.spread].reduce(
        (sum, run) => sum + run.failures,
        0,
      ),
    };
    if ([...results.hot, ...results.spread].some((run) => run.successes === 0)) {
      return [failed('hot_partner', 'a window completed no earn', details)];
    }
    return [
      {
        ...measured(
          'hot_partner',
          results.hot.map((run, index) =>
            rounded(run.ratePerSecond / results.spread[index]!.ratePerSecond),
          ),
          details,
        ),
        summary: `one partner ${details.hotEarnPerSecond.median} earns/s (p50 ${details.hotP50Ms.median} ms) vs 20 partners ${details.spreadEarnPerSecond.median}/s (p50 ${details.spreadP50Ms.median} ms)`,
      },
    ];
  },
};
