import type { App } from '../app';
import { seedExchangeDemo } from '../exchange/demo-exchange';
import type { RequestContext } from '../shared/context';
import { DomainError } from '../shared/errors';
import { seedDemoAgreements } from './agreements';
import { seedDemoCharity, seedDemoRules } from './rules';
import { seedDemoSegments } from './segments';
import { seedDemoTiers } from './tiers';

/**
 * The demo coalition: an airline and a hotel chain that own program currencies, and a fuel
 * network, a telco and a grocer that award and accept them. Prices follow ../shared/DOMAIN.md.
 */
export const demoPartners = [
  { id: 'ptr_skyair', name: 'SkyAir' },
  { id: 'ptr_nordic', name: 'Nordic Hotels' },
  { id: 'ptr_fuelco', name: 'FuelCo' },
  { id: 'ptr_telcoone', name: 'TelcoOne' },
  { id: 'ptr_freshmart', name: 'FreshMart' },
] as const;

export const demoCurrencies = [
  { code: 'SKY', name: 'SkyAir miles', ownerPartnerId: 'ptr_skyair', expiryMonths: 36 },
  { code: 'HTL', name: 'Nordic Hotels points', ownerPartnerId: 'ptr_nordic', expiryMonths: 24 },
] as const;

/** earnRatePoints points per earnRatePerMinor cents. */
export const demoTerms = [
  {
    partnerId: 'ptr_skyair',
    currency: 'SKY',
    earns: true,
    accepts: true,
    earnRatePoints: 5n,
    earnRatePerMinor: 100n,
  },
  {
    partnerId: 'ptr_nordic',
    currency: 'HTL',
    earns: true,
    accepts: true,
    earnRatePoints: 10n,
    earnRatePerMinor: 100n,
  },
  {
    partnerId: 'ptr_fuelco',
    currency: 'SKY',
    earns: true,
    accepts: true,
    earnRatePoints: 1n,
    earnRatePerMinor: 100n,
  },
  {
    partnerId: 'ptr_telcoone',
    currency: 'SKY',
    earns: false,
    accepts: true,
    earnRatePoints: 0n,
    earnRatePerMinor: 100n,
  },
  {
    partnerId: 'ptr_freshmart',
    currency: 'HTL',
    earns: true,
    accepts: true,
    earnRatePoints: 2n,
    earnRatePerMinor: 100n,
  },
] as const;

export const demoMembers = [
  { id: 'mbr_alice', displayName: 'Alice Andersen', email: 'alice@example.com', birthday: '03-14' },
  { id: 'mbr_bob', displayName: 'Bob Berg', email: 'bob@example.com', birthday: null },
  { id: 'mbr_chloe', displayName: 'Chloe Carlsen', email: null, birthday: null },
] as const;

/** Each partner's own ids for the members it knows. */
export const demoLinks = [
  { partnerId: 'ptr_skyair', externalId: 'SK-100001', memberId: 'mbr_alice' },
  { partnerId: 'ptr_skyair', externalId: 'SK-100002', memberId: 'mbr_chloe' },
  { partnerId: 'ptr_nordic', externalId: 'NH-5501', memberId: 'mbr_alice' },
  { partnerId: 'ptr_nordic', externalId: 'NH-5502', memberId: 'mbr_bob' },
  { partnerId: 'ptr_fuelco', externalId: 'FC-0001', memberId: 'mbr_alice' },
  { partnerId: 'ptr_fuelco', externalId: 'FC-0003', memberId: 'mbr_chloe' },
  { partnerId: 'ptr_telcoone', externalId: 'TEL-77', memberId: 'mbr_alice' },
  { partnerId: 'ptr_freshmart', externalId: 'FM-42', memberId: 'mbr_bob' },
] as const;

/**
 * Seeds the demo coalition into a database that has no partners yet, and repairs a seed that a
 * killed start left half-done; returns what it did. The seed runs through the services (many
 * transactions), so instead of one transaction it records its progress (migration 0016): started
 * before the first write, completed after the last. Started and not completed means only the
 * demo's own rows are there (the seed starts on an empty database): they are removed and the
 * seed runs again. A database with partners and no seed record was never a demo: left alone.
 */
export async function seedDemoIfEmpty(app: App): Promise<'seeded' | 'repaired' | false> {
  const progress = await app.db.query<{ completed: boolean }>(
    'select completed_at is not null as completed from demo_seed',
  );
  const state = progress.rows[0];
  if (state?.completed) return false;
  if (!state) {
    const partners = await app.db.query('select 1 from partner limit 1');
    if (partners.rowCount! > 0) return false;
    await app.db.query('insert into demo_seed (started_at) values (now())');
  } else {
    await removeHalfDoneSeed(app);
  }
  await seedDemo(app);
  await seedDemoTiers(app);
  await seedDemoRules(app);
  await seedDemoCharity(app);
  await seedDemoSegments(app);
  await app.db.query('update demo_seed set completed_at = now()');
  return state ? 'repaired' : 'seeded';
}

/**
 * Empties every table but the migrations' and the seed record, in one statement (TRUNCATE
 * bypasses the row triggers that keep transfers immutable: this is a demo database that never
 * finished being created, not a ledger anyone used).
 */
async function removeHalfDoneSeed(app: App): Promise<void> {
  const tables = await app.db.query<{ name: string }>(
    `select quote_ident(tablename) as name from pg_tables
     where schemaname = current_schema() and tablename not in ('mikro_orm_migrations', 'demo_seed')`,
  );
  await app.db.query(
    `truncate ${tables.rows.map((table) => table.name).join(', ')} restart identity cascade`,
  );
}

export async function seedDemo(app: App): Promise<void> {
  const system = app.systemContext('seed');
  for (const partner of demoPartners) must(await app.catalog.createPartner(system, partner));
  for (const currency of demoCurrencies) must(await app.catalog.createCurrency(system, currency));
  for (const terms of demoTerms) {
    must(await app.catalog.setPartnerCurrency(system, { ...terms, moneyCurrency: 'EUR' }));
  }
  await seedDemoAgreements(app);
  for (const member of demoMembers) {
    must(
      await app.members.createMember(system, {
        ...member,
        email: member.email ?? undefined,
        birthday: member.birthday ?? undefined,
      }),
    );
  }
  for (const link of demoLinks) must(await app.members.linkMember(system, link));
  await seedHistory(app);
  await seedExchangeDemo(app);
}

async function seedHistory(app: App): Promise<void> {
  const skyair = asPartner(app, 'ptr_skyair');
  const nordic = asPartner(app, 'ptr_nordic');
  const fuelco = asPartner(app, 'ptr_fuelco');
  const telco = asPartner(app, 'ptr_telcoone');
  const freshmart = asPartner(app, 'ptr_freshmart');
  const eur = (euros: bigint) => ({ amountMinor: euros * 100n, currency: 'EUR' });
  const alice = { memberId: 'mbr_alice' };
  // Alice: the DOMAIN.md story, before any exchange.
  must(
    await app.purchases.award(skyair, {
      member: alice,
      transactionId: 'SK-TKT-0001',
      currency: 'SKY',
      points: 2000n,
    }),
  );
  must(
    await app.purchases.award(fuelco, {
      member: alice,
      transactionId: 'FC-POS-1001',
      currency: 'SKY',
      purchase: eur(50n),
    }),
  );
  must(
    await app.purchases.award(nordic, {
      member: alice,
      transactionId: 'NH-STAY-311',
      currency: 'HTL',
      points: 3000n,
    }),
  );
  must(
    await app.purchases.payWithPoints(telco, {
      member: alice,
      transactionId: 'TEL-BILL-2026-11',
      currency: 'SKY',
      points: 1500n,
      purchase: eur(12n),
    }),
  );
  // Bob: a hotel stay whose points are pending until the cancellation window closes.
  must(
    await app.purchases.award(nordic, {
      member: { externalId: 'NH-5502' },
      transactionId: 'NH-STAY-312',
      currency: 'HTL',
      purchase: eur(480n),
      pendingDays: 14,
    }),
  );
  must(
    await app.purchases.award(freshmart, {
      member: { externalId: 'FM-42' },
      transactionId: 'FM-RCPT-9001',
      currency: 'HTL',
      purchase: eur(87n),
    }),
  );
  // Chloe: a flight, a fill-up, and a partly refunded fill-up.
  must(
    await app.purchases.award(skyair, {
      member: { externalId: 'SK-100002' },
      transactionId: 'SK-TKT-0002',
      currency: 'SKY',
      purchase: eur(320n),
    }),
  );
  must(
    await app.purchases.award(fuelco, {
      member: { externalId: 'FC-0003' },
      transactionId: 'FC-POS-1002',
      currency: 'SKY',
      purchase: eur(80n),
    }),
  );
  must(
    await app.purchases.refundPurchase(fuelco, {
      transactionId: 'FC-POS-1002',
      refundId: 'FC-RF-1002-1',
      amount: eur(30n),
    }),
  );
}

export function asPartner(app: App, partnerId: string): RequestContext {
  return { caller: { kind: 'partner', partnerId }, requestId: 'seed', em: app.orm.em.fork() };
}

export function must<T>(outcome: T | DomainError): T {
  if (outcome instanceof DomainError) throw new Error(`demo seed failed: ${outcome.message}`);
  return outcome;
}
