import { seedDemoAgreements } from '../../gateway/demo/agreements';
import {
  demoCurrencies,
  demoLinks,
  demoMembers,
  demoPartners,
  demoTerms,
} from '../../gateway/demo/seed';
import type { AgreementInput } from '../../gateway/settlement/agreements';
import type { Period } from '../../gateway/settlement/model';
import { ok, type TestApp } from './test-app';

/** The demo coalition without its history: partners, currencies, terms, agreements, members. */
export async function seedCoalitionWithoutHistory(app: TestApp): Promise<void> {
  const system = app.systemContext('test');
  for (const partner of demoPartners) ok(await app.catalog.createPartner(system, partner));
  for (const currency of demoCurrencies) ok(await app.catalog.createCurrency(system, currency));
  for (const terms of demoTerms) {
    ok(await app.catalog.setPartnerCurrency(system, { ...terms, moneyCurrency: 'EUR' }));
  }
  await seedDemoAgreements(app);
  for (const member of demoMembers) {
    ok(
      await app.members.createMember(system, {
        ...member,
        email: member.email ?? undefined,
        birthday: member.birthday ?? undefined,
      }),
    );
  }
  for (const link of demoLinks) {
    ok(await app.members.linkMember(system, link));
  }
}

export const hourMs = 3_600_000;

/** Opens the next period, ending `hours` after the previous end (or after now for the first). */
export async function openNextPeriod(app: TestApp, hours: number): Promise<Period> {
  const system = app.systemContext('test');
  const periods = ok(await app.settlement.periods(system));
  const start = periods.at(-1)?.endsAt ?? app.clock.now();
  return ok(
    await app.settlement.openPeriod(system, {
      startsAt: periods.length === 0 ? start : null,
      endsAt: new Date(start.getTime() + hours * hourMs),
    }),
  );
}

/** Moves the clock to the period's end and closes it. */
export async function closeAtEnd(app: TestApp, period: Period): Promise<Period> {
  if (app.clock.now() < period.endsAt) app.clock.set(period.endsAt);
  return ok(await app.settlement.closePeriod(app.systemContext('test'), period.id));
}

/**
 * A partner's SKY terms from the period's start, settled in EUR: `issuancePrice` EUR per point
 * earned, the demo's reimbursement (0.008) and exchange (0.01) prices unless `terms` say otherwise.
 */
export async function priceSky(
  app: TestApp,
  period: Period,
  partnerId: string,
  terms: Partial<AgreementInput> & { issuancePrice: string },
): Promise<void> {
  ok(
    await app.settlement.setAgreement(app.systemContext('test'), {
      partnerId,
      currency: 'SKY',
      settlementCurrency: 'EUR',
      effectiveFrom: period.startsAt,
      reimbursementPrice: '0.008',
      exchangePrice: '0.01',
      ...terms,
    }),
  );
}
