import { demoCharity, seedDemoCharity } from '../../gateway/demo/rules';
import { InsufficientPoints } from '../../gateway/ledger/errors';
import { CurrencyNotSupported } from '../../gateway/programs/errors';
import type { RequestContext } from '../../gateway/shared/context';
import { Forbidden, NotFound } from '../../gateway/shared/errors';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { closeAtEnd, openNextPeriod } from '../helpers/settlement-fixtures';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

/**
 * Donations (issue 14): Alice gives SkyAir miles to the demo charity. The gift is a redemption at
 * the charity: her balance goes down, her history says "Donated to Helping Hands", and the close
 * reimburses the charity at its agreement's price (0.008 EUR a mile), owed by SkyAir.
 */
let app: TestApp;
let alice: RequestContext;
beforeAll(async () => {
  app = await createTestApp();
  await seedDemoCharity(app);
  alice = { ...app.systemContext('test'), caller: { kind: 'member', memberId: 'mbr_alice' } };
});
afterAll(() => app.close());

async function skyAvailable(): Promise<bigint> {
  const rows = await app.ledger.balances(['mbr_alice'], app.clock.now());
  return rows.find((row) => row.currency === 'SKY')?.availablePoints ?? 0n;
}

describe('donations', () => {
  it('gives points once per key, says so in the history, and settles like a redemption', async () => {
    const period = await openNextPeriod(app, 2);
    const before = await skyAvailable();
    const gift = {
      charityId: demoCharity.id,
      currency: 'SKY',
      points: 100n,
      idempotencyKey: 'gift-1',
    };
    const receipt = ok(await app.donations.donate(alice, gift));
    expect(receipt).toMatchObject({
      charityName: 'Helping Hands',
      points: 100n,
      memberId: 'mbr_alice',
    });
    expect(ok(await app.donations.donate(alice, gift))).toEqual(receipt);
    expect(await skyAvailable()).toBe(before - 100n);
    const history = await app.db.query<{ description: string; code: string }>(
      'select description, code from transfer where id = $1',
      [receipt.transferId],
    );
    expect(history.rows).toEqual([{ description: 'Donated to Helping Hands', code: 'redeem' }]);

    await closeAtEnd(app, period);
    const obligations = await app.db.query<{
      kind: string;
      debtor_id: string;
      creditor_id: string;
      amount_minor: string;
    }>(
      `select kind, debtor_id, creditor_id, amount_minor::text from settlement_obligation
       where transfer_id = $1`,
      [receipt.transferId],
    );
    expect(obligations.rows).toEqual([
      {
        kind: 'reimbursement',
        debtor_id: 'ptr_skyair',
        creditor_id: demoCharity.id,
        amount_minor: '80',
      },
    ]);
  });

  it('refuses what it cannot give with typed errors, writing nothing', async () => {
    const before = await skyAvailable();
    const gift = { charityId: demoCharity.id, currency: 'SKY', points: 100n, idempotencyKey: 'g' };
    expect(
      failure(await app.donations.donate(alice, { ...gift, points: before + 1n })),
    ).toBeInstanceOf(InsufficientPoints);
    expect(
      failure(await app.donations.donate(alice, { ...gift, charityId: 'ptr_skyair' })),
    ).toBeInstanceOf(NotFound);
    expect(failure(await app.donations.donate(alice, { ...gift, currency: 'HTL' }))).toBeInstanceOf(
      CurrencyNotSupported,
    );
    const partner = app.asPartner('ptr_skyair');
    expect(failure(await app.donations.donate(partner, gift))).toBeInstanceOf(Forbidden);
    expect(failure(await app.donations.designate(partner, 'ptr_skyair', true))).toBeInstanceOf(
      Forbidden,
    );
    expect(await skyAvailable()).toBe(before);
    expect(await ledgerViolations(app.db)).toEqual([]);
  });
});
