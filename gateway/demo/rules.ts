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
 *   a free-delivery voucher on a member's 1st purchase at FreshMart (in any of its programs), a
 *   free gift bag (GIFT-BAG) on the 2nd, 10% off the next purchase on the 3rd (once each, valid
 *   60 days); 20% off, once, a basket of 200 EUR or more (an instant discount at the till).
 * - The operator's coalition campaign in SkyAir miles: double miles at weekends (Helsinki time),
 *   half funded by the partner where they are earned, within a budget of 1,000,000 miles.
 * - SkyAir's birthday month: +1,000 miles on a purchase in the member's birthday month (once a
 *   month, so once a birthday).
 * - The coalition referral: 500 SkyAir miles for each side when a member enrolled with a
 *   friend's code first earns miles (at most 20 referrals per member).
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
    // Step by step: a reward voucher on each of a member's first three purchases at FreshMart.
    ...(
      [
        { reward: 'free_delivery', sku: null, percentBp: null },
        { reward: 'free_product', sku: 'GIFT-BAG', percentBp: null },
        { reward: 'percent_off', sku: null, percentBp: 1_000 },
      ] as const
    ).map(
      (voucher, index): RuleDefinition => ({
        ...base,
        name: `Welcome step ${index + 1}`,
        priority: 30,
        conditions: [{ kind: 'purchaseNumber', number: index + 1 }],
        effects: [{ kind: 'voucher', ...voucher, validDays: 60 }],
        limits: once,
      }),
    ),
    {
      ...base,
      name: 'Big basket',
      priority: 5,
      conditions: [{ kind: 'basketTotal', currency: 'EUR', amountMinorMin: 20_000n }],
      effects: [
        {
          kind: 'discount',
          currency: 'EUR',
          percentBp: 2_000,
          amountMinor: null,
          capMinor: null,
          filter: { skus: [], categories: [] },
        },
      ],
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
  must(
    await app.rules.createRule(asPartner(app, 'ptr_skyair'), {
      currency: 'SKY',
      definition: {
        ...base,
        name: 'Birthday month',
        priority: 50,
        conditions: [{ kind: 'birthday', scope: 'month', days: 0 }],
        effects: [{ kind: 'bonus', points: 1_000n }],
        limits: { ...noLimits, perMember: { uses: 1, period: 'month' } },
      },
    }),
  );
  // The coalition referral: 500 SkyAir miles each when the new member first earns miles.
  must(
    await app.referrals.setProgram(operator, {
      currency: 'SKY',
      referrerPoints: 500n,
      refereePoints: 500n,
      purchaseMin: null,
      referralsPerMemberMax: 20,
      active: true,
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
