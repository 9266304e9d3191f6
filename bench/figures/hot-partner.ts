import { type Experiment, failed, measured, spreadOver } from '../figure';
import { earnLoad, partnerTokens } from '../requests';
import { anyEmptyWindow, perRunRatios, sideBySide } from '../side-by-side';

/**
 * hot_partner: the same earn load, once with every earn from one partner (one issuance account
 * takes every debit) and once spread over the 20 partners, side by side in each run.
 */
export const hotPartner: Experiment = {
  figures: ['hot_partner'],
  async run(context) {
    const options = context.options;
    const gateway = await context.ledgerGateway();
    const tokens = await partnerTokens(context.keys);
    const loads = {
      hot: earnLoad({ tokens, members: options.members, partners: 'hot' }),
      spread: earnLoad({ tokens, members: options.members, partners: 'spread' }),
    };
    context.log(`warming up (${options.warmupSeconds} s of earns)`);
    await context.warmUp(gateway, loads.spread);
    const results = await sideBySide(context, ['hot', 'spread'], (side) =>
      context.load(gateway, loads[side]),
    );
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
    if (anyEmptyWindow(results))
      return [failed('hot_partner', 'a window completed no earn', details)];
    return [
      measured(
        'hot_partner',
        perRunRatios(results.hot, results.spread, (run) => run.ratePerSecond),
        details,
        [],
        `one partner ${details.hotEarnPerSecond.median} earns/s (p50 ${details.hotP50Ms.median} ms) vs 20 partners ${details.spreadEarnPerSecond.median}/s (p50 ${details.spreadP50Ms.median} ms)`,
      ),
    ];
  },
};
