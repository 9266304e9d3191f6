import pg from 'pg';
import { earnCurrency, seedTieredProgram, tieredCurrency } from '../bench-data';
import { type ObservedEarnWindow, observedEarnWindow, windowDetails } from '../earn-window';
import { type Experiment, failed, measured, spreadOver } from '../figure';
import { earnLoad, partnerTokens } from '../requests';
import { anyEmptyWindow, perRunRatios, sideBySide } from '../side-by-side';

/**
 * earn_tiers_vs_plain (issue 13): the spread earn load in BTR (a four-tier ladder, every member
 * enrolled, a quarter at each tier: the multiplier is applied and qualification moves on every
 * earn) and in BPT (no ladder), on one gateway and database, side by side in each run.
 */
export const earnTiersVsPlain: Experiment = {
  figures: ['earn_tiers_vs_plain'],
  async run(context) {
    const options = context.options;
    const url = await context.seededDatabase('tiers');
    context.log('adding the tiered program (BTR) and enrolling every member');
    await seedTieredProgram(url, options.members);
    const gateway = await context.startGateway(url, 'tiers');
    const tokens = await partnerTokens(context.keys);
    const loadIn = (currency: string) =>
      earnLoad({ tokens, members: options.members, partners: 'spread', currency });
    const loads = { tiers: loadIn(tieredCurrency), plain: loadIn(earnCurrency) };
    context.log(`warming up (${options.warmupSeconds} s of earns in each program)`);
    await context.warmUp(gateway, loads.tiers);
    await context.warmUp(gateway, loads.plain);
    // How the earns were batched and how busy the machine was, per window (earn-window.ts).
    const windows: Record<'tiers' | 'plain', ObservedEarnWindow[]> = { tiers: [], plain: [] };
    const results = await sideBySide(context, ['tiers', 'plain'], async (side) => {
      const window = await observedEarnWindow(context, gateway, url, loads[side]);
      windows[side].push(window);
      return window.result;
    });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    let tierChanges = 0;
    let tieredEarns = 0;
    try {
      tierChanges = Number(
        (await client.query("select count(*) from tier_event where reason = 'qualified'")).rows[0]
          .count,
      );
      tieredEarns = Number(
        (await client.query('select count(*) from transfer where tier_base_points is not null'))
          .rows[0].count,
      );
    } finally {
      await client.end();
    }
    const details = {
      tiersEarnPerSecond: spreadOver(results.tiers, (run) => run.ratePerSecond),
      plainEarnPerSecond: spreadOver(results.plain, (run) => run.ratePerSecond),
      tiersP50Ms: spreadOver(results.tiers, (run) => run.p50Ms),
      plainP50Ms: spreadOver(results.plain, (run) => run.p50Ms),
      tiersGatewayCpuMsPerEarn: spreadOver(results.tiers, (run) => run.serverCpuMsPerRequest),
      plainGatewayCpuMsPerEarn: spreadOver(results.plain, (run) => run.serverCpuMsPerRequest),
      ...windowDetails(windows),
      tieredEarns,
      upgradesDuringTheRun: tierChanges,
      failedRequests: [...results.tiers, ...results.plain].reduce(
        (sum, run) => sum + run.failures,
        0,
      ),
    };
    if (anyEmptyWindow(results))
      return [failed('earn_tiers_vs_plain', 'a window completed no earn', details)];
    return [
      measured(
        'earn_tiers_vs_plain',
        perRunRatios(results.tiers, results.plain, (run) => run.ratePerSecond),
        details,
        [],
        `with tiers ${details.tiersEarnPerSecond.median} earns/s (p50 ${details.tiersP50Ms.median} ms) vs without ${details.plainEarnPerSecond.median}/s (p50 ${details.plainP50Ms.median} ms); ${tieredEarns} tiered earns, ${tierChanges} upgrades`,
      ),
    ];
  },
};
