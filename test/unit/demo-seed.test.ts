import { demoPartners, seedDemoIfEmpty } from '../../gateway/demo/seed';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

/**
 * The demo seed on start (issue 11.3): an empty database is seeded once; a seed that a killed
 * start left half-done (partners, no currencies, no members) is repaired on the next start; a
 * database that was never a demo is left alone.
 */
const apps: TestApp[] = [];
afterAll(() => Promise.all(apps.map((app) => app.close())));

async function emptyApp(): Promise<TestApp> {
  const app = await createTestApp({ demo: false });
  apps.push(app);
  return app;
}

async function aliceAvailable(app: TestApp): Promise<Record<string, bigint>> {
  const rows = await app.ledger.balances(['mbr_alice'], app.clock.now());
  return Object.fromEntries(rows.map((row) => [row.currency, row.availablePoints]));
}

describe('the demo seed at start', () => {
  it('seeds an empty database once', async () => {
    const app = await emptyApp();
    expect(await seedDemoIfEmpty(app)).toBe('seeded');
    expect(await seedDemoIfEmpty(app)).toBe(false);
    // The coalition's partners and the charity the full demo adds (gateway/demo/rules.ts).
    expect(await app.catalog.listPartners(app.systemContext())).toHaveLength(
      demoPartners.length + 1,
    );
  });

  it('repairs a seed killed half-way: the next start seeds the whole demo', async () => {
    const app = await emptyApp();
    // The kill: after the partners, before the first currency.
    const createCurrency = app.catalog.createCurrency;
    app.catalog.createCurrency = () => Promise.reject(new Error('killed'));
    await expect(seedDemoIfEmpty(app)).rejects.toThrow('killed');
    app.catalog.createCurrency = createCurrency;
    const halfDone = await app.db.query('select id from partner');
    expect(halfDone.rowCount).toBe(demoPartners.length);
    expect(await aliceAvailable(app)).toEqual({});

    expect(await seedDemoIfEmpty(app)).toBe('repaired');
    expect(await seedDemoIfEmpty(app)).toBe(false);
    const seeded = await createTestApp();
    apps.push(seeded);
    expect(await aliceAvailable(app)).toEqual(await aliceAvailable(seeded));
    expect(Object.keys(await aliceAvailable(app)).sort()).toEqual(['HTL', 'SKY']);
    // Awarding SKY works (the broken demo answered "No currency SKY").
    const award = await app.purchases.award(app.asPartner('ptr_skyair'), {
      member: { memberId: 'mbr_alice' },
      transactionId: 'AFTER-REPAIR',
      currency: 'SKY',
      points: 10n,
    });
    // The whole demo includes its tiers: Alice holds SkyAir Gold (x1.5).
    expect(ok(award)).toMatchObject({ points: 15n, tier: { code: 'GOLD' } });
    expect(await ledgerViolations(app.db)).toEqual([]);
  });

  it('leaves alone a database with partners that never was a demo', async () => {
    const app = await emptyApp();
    ok(await app.catalog.createPartner(app.systemContext(), { id: 'ptr_own', name: 'Own' }));
    expect(await seedDemoIfEmpty(app)).toBe(false);
    const partners = await app.db.query<{ id: string }>('select id from partner');
    expect(partners.rows).toEqual([{ id: 'ptr_own' }]);
  });
});
