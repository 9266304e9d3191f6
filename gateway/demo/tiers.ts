import type { App } from '../app';
import { asPartner, must } from './seed';

/** The demo coalition's club: FreshMart's own program, closed, with a paid yearly VIP plan. */
export const freshmartClub = {
  code: 'FRM',
  name: 'FreshMart Club points',
  ownerPartnerId: 'ptr_freshmart',
  expiryMonths: 24,
};

/**
 * The demo coalition's tiers (issue 13), seeded after the ledger history so no earn of the
 * DOMAIN.md story is priced at a tier:
 * - SkyAir: Basic, Silver, Gold, Platinum by qualifying miles per calendar year;
 * - Nordic Hotels: Member, Silver, Gold by nights (activities) over a rolling 12 months;
 * - FreshMart Club (FRM, closed by invitation): Member and VIP, VIP by a paid yearly membership;
 * - SkyAir Gold gives Nordic Silver (status match);
 * - Alice holds SkyAir Gold (a goodwill assignment; Nordic Silver follows by the match), Chloe
 *   SkyAir Silver, Bob a FreshMart VIP year.
 */
export async function seedDemoTiers(app: App): Promise<void> {
  const system = app.systemContext('seed');
  const operator = { ...system, caller: { kind: 'operator' as const, userId: 'demo-operator' } };
  const now = app.clock.now();
  const startOfYear = new Date(Date.UTC(now.getUTCFullYear(), 0, 1));
  must(
    await app.tiers.defineLadder(asPartner(app, 'ptr_skyair'), {
      currency: 'SKY',
      metric: 'points',
      window: 'calendar_year',
      effectiveFrom: now,
      tiers: [
        { code: 'BASIC', name: 'Basic', threshold: 0n, multiplier: '1' },
        {
          code: 'SILVER',
          name: 'Silver',
          threshold: 2_000n,
          multiplier: '1.25',
          perks: ['priority check-in'],
        },
        {
          code: 'GOLD',
          name: 'Gold',
          threshold: 5_000n,
          multiplier: '1.5',
          discountPercent: '5',
          perks: ['priority check-in', 'lounge access'],
        },
        {
          code: 'PLATINUM',
          name: 'Platinum',
          threshold: 10_000n,
          multiplier: '2',
          discountPercent: '10',
          perks: ['priority check-in', 'lounge access', 'upgrades'],
        },
      ],
    }),
  );
  must(
    await app.tiers.defineLadder(asPartner(app, 'ptr_nordic'), {
      currency: 'HTL',
      metric: 'activities',
      window: 'rolling_12_months',
      effectiveFrom: now,
      tiers: [
        { code: 'MEMBER', name: 'Member', threshold: 0n, multiplier: '1' },
        {
          code: 'SILVER',
          name: 'Silver',
          threshold: 5n,
          multiplier: '1.2',
          perks: ['late checkout'],
        },
        {
          code: 'GOLD',
          name: 'Gold',
          threshold: 15n,
          multiplier: '1.5',
          discountPercent: '10',
          perks: ['late checkout', 'room upgrade'],
        },
      ],
    }),
  );
  must(await app.catalog.createCurrency(system, freshmartClub));
  must(
    await app.catalog.setPartnerCurrency(system, {
      partnerId: 'ptr_freshmart',
      currency: freshmartClub.code,
      earns: true,
      accepts: true,
      earnRatePoints: 1n,
      earnRatePerMinor: 100n,
      moneyCurrency: 'EUR',
    }),
  );
  const freshmart = asPartner(app, 'ptr_freshmart');
  must(
    await app.tiers.defineLadder(freshmart, {
      currency: freshmartClub.code,
      metric: 'spend',
      spendCurrency: 'EUR',
      window: 'calendar_year',
      effectiveFrom: now,
      tiers: [
        { code: 'MEMBER', name: 'Member', threshold: 0n, multiplier: '1' },
        {
          code: 'VIP',
          name: 'VIP',
          threshold: 500_000n,
          multiplier: '2',
          discountPercent: '10',
          perks: ['free delivery', 'members-only prices'],
        },
      ],
    }),
  );
  must(
    await app.memberships.setProgram(freshmart, {
      currency: freshmartClub.code,
      enrolment: 'invitation',
      vipPlans: [
        { plan: 'yearly', fee: { amountMinor: 4_900n, currency: 'EUR' }, tierCode: 'VIP' },
      ],
    }),
  );
  must(
    await app.tiers.defineStatusMatch(operator, {
      fromCurrency: 'SKY',
      fromTierCode: 'GOLD',
      toCurrency: 'HTL',
      toTierCode: 'SILVER',
      endsAt: new Date(Date.UTC(startOfYear.getUTCFullYear() + 2, 0, 1)),
    }),
  );
  const untilNextReview = new Date(Date.UTC(startOfYear.getUTCFullYear() + 1, 0, 1));
  must(
    await app.tiers.assignTier(operator, {
      memberId: 'mbr_alice',
      currency: 'SKY',
      tierCode: 'GOLD',
      reason: 'demo: a frequent flyer',
      until: untilNextReview,
    }),
  );
  must(
    await app.tiers.assignTier(operator, {
      memberId: 'mbr_chloe',
      currency: 'SKY',
      tierCode: 'SILVER',
      reason: 'demo: a regular traveller',
      until: untilNextReview,
    }),
  );
  must(
    await app.memberships.subscribeVip(freshmart, {
      member: { externalId: 'FM-42' },
      currency: freshmartClub.code,
      plan: 'yearly',
      paymentReference: 'FM-VIP-DEMO-1',
    }),
  );
}
