import type { App } from '../app';
import { noLimits, type RuleDefinition } from '../rules/rule-definition';
import { asPartner, must } from './seed';

/** The demo charity: it accepts SkyAir miles, reimbursed like a redemption (DOMAIN.md's SKY price). */
export const demoCharity = { id: 'ptr_helpinghands', name: 'Helping Hands' };

import { freshmartClub } from './tiers';

const filter = (...categories: string[]) => ({ skus: [], categories });

/**
 * The demo coalition's earning rules (issue 14), seeded after its tiers:
 * - FreshMart Club (FRM): toys x2, x3 for VIP members (and then no other rule); step by step,
 *   +100 on a member's 1st purchase at FreshMart (in any of its programs), +150 on the 2nd, +200
 *   on the 3rd (once each); +500 once on a basket of 200 EUR or more.
 * - The operator's coalition campaign in SkyAir miles: double miles at weekends (Helsinki time),
 *   half funded by the partner where they are earned, within a budget of 1,000,000 miles.
 *
 * Rewards beyond points (vouchers, instant discounts) are not built yet; the step-by-step and
 * big-basket rewards stand in for them with points.
 */
export async function seedDemoRules(app: App): Promise<void> {
  const system = app.systemContext('seed');
  const operator = { ...system, caller: { kind: 'operator' as const, userId: 'demo-operator' } };
  const freshmart = asPartner(app, 'ptr_freshmart');
  const now = app.clock.now();
  const base = {
    window: {
      startsAt: now,
      endsAt: null,
      daysOfWeek: [],
      hours: null,
      timeZone: 'Europe/Helsinki',
    },
    stacking: 'stackable' as const,
    match: 'all' as const,
    partnerShareBp: 10_000,
    limits: noLimits,
  };
  const once = { ...noLimits, perMember: { uses: 1, period: 'ever' as const } };
  const clubRules: RuleDefinition[] = [
    {
      ...base,
      name: 'Toys x2',
      priority: 10,
      conditions: [{ kind: 'lines', filter: filter('toys'), quantityMin: 1, amountMin: null }],
      effects: [{ kind: 'multiply', multiplierBp: 20_000, filter: filter('toys') }],
    },
    {
      ...base,
      name: 'Toys x3 for VIP',
      priority: 20,
      stacking: 'stop',
      conditions: [
        { kind: 'memberTier', tiers: ['VIP'] },
        { kind: 'lines', filter: filter('toys'), quantityMin: 1, amountMin: null },
      ],
      effects: [{ kind: 'multiply', multiplierBp: 30_000, filter: filter('toys') }],
    },
    ...[100n, 150n, 200n].map(
      (points, index): RuleDefinition => ({
        ...base,
        name: `Purchase ${index + 1} welcome`,
        priority: 30,
        conditions: [{ kind: 'purchaseNumber', number: index + 1 }],
        effects: [{ kind: 'bonus', points }],
        limits: once,
      }),
    ),
    {
      ...base,
      name: 'Big basket',
      priority: 5,
      conditions: [{ kind: 'basketTotal', currency: 'EUR', amountMinorMin: 20_000n }],
      effects: [{ kind: 'bonus', points: 500n }],
      limits: once,
    },
  ];
  for (const definition of clubRules) {
    must(await app.rules.createRule(freshmart, { currency: freshmartClub.code, definition }));
  }
  must(
    await app.rules.createRule(operator, {
      currency: 'SKY',
      definition: {
        ...base,
        name: 'Double miles weekends',
        priority: 0,
        window: { ...base.window, daysOfWeek: [6, 7] },
        conditions: [],
        effects: [{ kind: 'multiply', multiplierBp: 20_000, filter: { skus: [], categories: [] } }],
        partnerShareBp: 5_000,
        limits: { ...noLimits, pointsBudget: 1_000_000n },
      },
    }),
  );
}

/**
 * The demo charity (issue 14, donations): Helping Hands accepts SkyAir miles; SkyAir reimburses
 * it 0.008 EUR a mile, as it does any partner where miles are spent.
 */
export async function seedDemoCharity(app: App): Promise<void> {
  const system = app.systemContext('seed');
  const operator = { ...system, caller: { kind: 'operator' as const, userId: 'demo-operator' } };
  must(await app.catalog.createPartner(system, demoCharity));
  must(
    await app.catalog.setPartnerCurrency(system, {
      partnerId: demoCharity.id,
      currency: 'SKY',
      earns: false,
      accepts: true,
      earnRatePoints: 0n,
      earnRatePerMinor: 100n,
      moneyCurrency: 'EUR',
    }),
  );
  must(
    await app.settlement.setAgreement(system, {
      partnerId: demoCharity.id,
      currency: 'SKY',
      settlementCurrency: 'EUR',
      effectiveFrom: new Date('2000-01-01T00:00:00Z'),
      issuancePrice: '0.012',
      reimbursementPrice: '0.008',
      exchangePrice: '0.010',
    }),
  );
  must(await app.donations.designate(operator, demoCharity.id, true));
}
