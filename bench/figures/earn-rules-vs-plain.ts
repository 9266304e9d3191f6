import pg from 'pg';
import { createApp } from '../../gateway/app';
import { noLimits, type RuleDefinition } from '../../gateway/rules/rule-definition';
import { DomainError } from '../../gateway/shared/errors';
import { rulesCurrency, seedTieredProgram, tieredCurrency } from '../bench-data';
import { type ObservedEarnWindow, observedEarnWindow, windowDetails } from '../earn-window';
import { type Experiment, failed, measured, spreadOver } from '../figure';
import { earnLoad, partnerTokens } from '../requests';
import { anyEmptyWindow, perRunRatios, sideBySide } from '../side-by-side';

/**
 * earn_rules_vs_plain (issue 14): the spread earn load with baskets and channels in BRU (tiered
 * like BTR, with 20 coalition campaigns in force, every one evaluated on every earn) and in BTR
 * (the same ladder and members, no rules), one gateway and database, side by side in each run.
 */
export const earnRulesVsPlain: Experiment = {
  figures: ['earn_rules_vs_plain'],
  async run(context) {
    const options = context.options;
    const url = await context.seededDatabase('rules');
    context.log('adding two tiered programs (BTR, BRU) and 20 earning rules in BRU');
    await seedTieredProgram(url, options.members, tieredCurrency);
    await seedTieredProgram(url, options.members, rulesCurrency);
    await seedRules(url);
    const gateway = await context.startGateway(url, 'rules');
    const tokens = await partnerTokens(context.keys);
    const loadIn = (currency: string) =>
      earnLoad({ tokens, members: options.members, partners: 'spread', currency, baskets: true });
    const loads = { rules: loadIn(rulesCurrency), plain: loadIn(tieredCurrency) };
    context.log(`warming up (${options.warmupSeconds} s of earns in each program)`);
    await context.warmUp(gateway, loads.rules);
    await context.warmUp(gateway, loads.plain);
    // Per window: the database backends' CPU per earn (with the gateway's, it says where the
    // rules' cost lies; the load generator's is the same on both sides), how the earns were
    // batched and how busy the machine was (earn-window.ts); for the side with rules, the rules'
    // own evaluation in the gateway, from its metrics (rule-service.ts).
    const windows: Record<'rules' | 'plain', ObservedEarnWindow[]> = { rules: [], plain: [] };
    const rulePricingMs: number[] = [];
    const results = await sideBySide(context, ['rules', 'plain'], async (side) => {
      const window = await observedEarnWindow(context, gateway, url, loads[side]);
      windows[side].push(window);
      if (side === 'rules') {
        const { metricsBefore, metricsAfter } = window;
        const priced = metricsAfter.rulePricings - metricsBefore.rulePricings;
        const seconds = metricsAfter.rulePricingSeconds - metricsBefore.rulePricingSeconds;
        if (priced > 0) rulePricingMs.push(Math.round((seconds * 1e6) / priced) / 1_000);
      }
      return window.result;
    });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    let grants = { earns: 0, grants: 0, points: 0 };
    try {
      const row = (
        await client.query(
          `select count(distinct t.id) as earns, count(*) as grants, coalesce(sum((g ->> 'p')::bigint), 0) as points
           from transfer t cross join lateral jsonb_array_elements(t.rule_grants) g`,
        )
      ).rows[0];
      grants = { earns: Number(row.earns), grants: Number(row.grants), points: Number(row.points) };
    } finally {
      await client.end();
    }
    const details = {
      rulesEarnPerSecond: spreadOver(results.rules, (run) => run.ratePerSecond),
      plainEarnPerSecond: spreadOver(results.plain, (run) => run.ratePerSecond),
      rulesP50Ms: spreadOver(results.rules, (run) => run.p50Ms),
      plainP50Ms: spreadOver(results.plain, (run) => run.p50Ms),
      rulesGatewayCpuMsPerEarn: spreadOver(results.rules, (run) => run.serverCpuMsPerRequest),
      plainGatewayCpuMsPerEarn: spreadOver(results.plain, (run) => run.serverCpuMsPerRequest),
      // What the rules add to one earn's gateway CPU (evaluation, the candidates' JSON, the
      // receipt's lines), run by run.
      ruleGatewayCpuMsPerEarn: spreadOver(
        results.rules.map(
          (run, index) => run.serverCpuMsPerRequest - results.plain[index]!.serverCpuMsPerRequest,
        ),
        (ms) => ms,
      ),
      ...(rulePricingMs.length > 0 && {
        rulePricingMsPerEarn: spreadOver(rulePricingMs, (ms) => ms),
      }),
      ...windowDetails(windows),
      earnsWithGrants: grants.earns,
      grants: grants.grants,
      grantedPoints: grants.points,
      failedRequests: [...results.rules, ...results.plain].reduce(
        (sum, run) => sum + run.failures,
        0,
      ),
    };
    if (anyEmptyWindow(results))
      return [failed('earn_rules_vs_plain', 'a window completed no earn', details)];
    return [
      measured(
        'earn_rules_vs_plain',
        perRunRatios(results.rules, results.plain, (run) => run.ratePerSecond),
        details,
        [],
        `with 20 rules ${details.rulesEarnPerSecond.median} earns/s (p50 ${details.rulesP50Ms.median} ms, ${details.rulesGatewayCpuMsPerEarn.median} ms gateway CPU) vs without ${details.plainEarnPerSecond.median}/s (${details.plainGatewayCpuMsPerEarn.median} ms); ${grants.grants} grants on ${grants.earns} earns`,
      ),
    ];
  },
};

/**
 * 20 coalition campaigns in BRU, of the kinds partners run: product multipliers (some for a
 * tier), channel bonuses, basket thresholds, minimum quantities, a birthday week, step by step (a
 * first purchase, once per member), once a day, a budget, one exclusive and one stop.
 * Most match the bench basket, so every earn is priced in four tier worlds with several lines.
 */
export async function seedRules(databaseUrl: string): Promise<void> {
  const app = await createApp({ databaseUrl, migrate: false });
  try {
    const operator = {
      ...app.systemContext('bench-rules'),
      caller: { kind: 'operator' as const, userId: 'bench' },
    };
    const base = {
      window: {
        startsAt: new Date(Date.now() - 3_600_000),
        endsAt: null,
        daysOfWeek: [],
        hours: null,
        timeZone: 'Europe/Helsinki',
      },
      stacking: 'stackable' as const,
      match: 'all' as const,
      partnerShareBp: 5_000,
      limits: noLimits,
    };
    const filter = (...categories: string[]) => ({ skus: [], categories });
    const definitions: RuleDefinition[] = [];
    const tiers = ['BASIC', 'SILVER', 'GOLD', 'PLATINUM'];
    for (let i = 0; i < 4; i++) {
      definitions.push({
        ...base,
        name: `Toys x${i + 2} for ${tiers[i]}`,
        priority: 100 - i,
        conditions: [
          { kind: 'memberTier', tiers: [tiers[i]!] },
          { kind: 'lines', filter: filter('toys'), quantityMin: 1, amountMin: null },
        ],
        effects: [{ kind: 'multiply', multiplierBp: (i + 2) * 10_000, filter: filter('toys') }],
      });
    }
    for (const [index, channel] of (['store', 'online', 'app'] as const).entries()) {
      definitions.push({
        ...base,
        name: `${channel} bonus`,
        priority: 50 - index,
        conditions: [{ kind: 'channel', channels: [channel] }],
        effects: [{ kind: 'bonus', points: BigInt(5 + index) }],
      });
    }
    for (let i = 0; i < 3; i++) {
      definitions.push({
        ...base,
        name: `Basket over ${(i + 1) * 20} EUR`,
        priority: 40 - i,
        conditions: [
          { kind: 'basketTotal', currency: 'EUR', amountMinorMin: BigInt((i + 1) * 2_000) },
        ],
        effects: [{ kind: 'bonus', points: BigInt(10 * (i + 1)) }],
      });
    }
    for (const [index, category] of ['food', 'gift cards', 'toys', 'garden'].entries()) {
      definitions.push({
        ...base,
        name: `${category} x1.5`,
        priority: 30 - index,
        conditions: [{ kind: 'lines', filter: filter(category), quantityMin: 1, amountMin: null }],
        effects: [{ kind: 'multiply', multiplierBp: 15_000, filter: filter(category) }],
      });
    }
    // The member's birthday week (a probe of the member row in the batch): the bench members'
    // birthdays are spread over the year, so about 1 in 26 earns gets it.
    definitions.push({
      ...base,
      name: 'Birthday week',
      priority: 25,
      conditions: [{ kind: 'birthday', scope: 'days', days: 7 }],
      effects: [{ kind: 'bonus', points: 20n }],
    });
    // Limited: step by step (once per member ever), once a day, and a budgeted campaign.
    definitions.push({
      ...base,
      name: 'First purchase here',
      priority: 20,
      conditions: [{ kind: 'purchaseNumber', number: 1 }],
      effects: [{ kind: 'bonus', points: 50n }],
      limits: { ...noLimits, perMember: { uses: 1, period: 'ever' } },
    });
    definitions.push({
      ...base,
      name: 'Once a day',
      priority: 19,
      conditions: [{ kind: 'lines', filter: filter('food'), quantityMin: 1, amountMin: null }],
      effects: [{ kind: 'bonus', points: 3n }],
      limits: { ...noLimits, perMember: { uses: 1, period: 'day' } },
    });
    definitions.push({
      ...base,
      name: 'Budgeted gift cards',
      priority: 18,
      conditions: [
        { kind: 'lines', filter: filter('gift cards'), quantityMin: 1, amountMin: null },
      ],
      effects: [{ kind: 'bonus', points: 2n }],
      limits: { ...noLimits, pointsBudget: 1_000_000_000n, usesMax: 1_000_000_000 },
    });
    definitions.push({
      ...base,
      name: 'Exclusive welcome',
      priority: 10,
      stacking: 'exclusive',
      conditions: [{ kind: 'channel', channels: ['app'] }],
      effects: [{ kind: 'bonus', points: 100n }],
    });
    definitions.push({
      ...base,
      name: 'Last word',
      priority: 0,
      stacking: 'stop',
      conditions: [],
      effects: [{ kind: 'bonus', points: 1n }],
    });
    for (const definition of definitions) {
      const created = await app.rules.createRule(operator, { currency: rulesCurrency, definition });
      if (created instanceof DomainError) throw new Error(`bench rule: ${created.message}`);
    }
    if (definitions.length !== 20) throw new Error('the bench runs exactly 20 rules');
    // Birthdays spread over the year (the 1st to the 28th of each month).
    await app.db.query(
      `update member set birth_month = 1 + abs(hashtext(id)) % 12,
                         birth_day = 1 + abs(hashtext(id) / 12) % 28
       where id like 'mbr_bench_%' and birth_month is null`,
    );
  } finally {
    await app.close();
  }
}
