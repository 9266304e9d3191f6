import type { RequestContext } from '../../gateway/shared/context';
import { AlreadyExists, InvalidInput, NotFound } from '../../gateway/shared/errors';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

/**
 * Receipt registration (issue 14): Bob registers FreshMart purchases made without his card. A
 * confirmed receipt earns like a purchase (once, however often it is confirmed); one FreshMart
 * had reported is matched, not earned twice; duplicates, foreign receipts and bad dates are
 * typed errors that write nothing.
 */
let app: TestApp;
let bob: RequestContext;
const eur = (euros: number) => ({ amountMinor: BigInt(euros * 100), currency: 'EUR' });
beforeAll(async () => {
  app = await createTestApp();
  bob = { ...app.systemContext('test'), caller: { kind: 'member', memberId: 'mbr_bob' } };
});
afterAll(() => app.close());

const register = (receiptNumber: string, overrides: object = {}) =>
  app.receipts.register(bob, {
    partnerId: 'ptr_freshmart',
    receiptNumber,
    purchasedAt: new Date(app.clock.now().getTime() - 86_400_000),
    amount: eur(30),
    currency: 'HTL',
    ...overrides,
  });

describe('receipt registration', () => {
  it('waits for the partner, earns once when confirmed, and lists what is pending', async () => {
    const pending = ok(await register('TILL-1'));
    expect(pending).toMatchObject({ status: 'pending', transferId: null });
    const freshmart = app.asPartner('ptr_freshmart');
    const listed = await app.receipts.receipts(freshmart, {});
    expect(listed.receipts.map((receipt) => receipt.id)).toEqual([pending.id]);
    // Another partner sees nothing of it and cannot decide it.
    expect(
      failure(await app.receipts.confirm(app.asPartner('ptr_skyair'), pending.id)),
    ).toBeInstanceOf(NotFound);
    const confirmed = ok(await app.receipts.confirm(freshmart, pending.id));
    expect(confirmed).toMatchObject({ status: 'confirmed' });
    expect(ok(await app.receipts.confirm(freshmart, pending.id))).toEqual(confirmed);
    const earn = await app.db.query<{ external_id: string; points: string }>(
      `select t.external_id, p.amount_points::text as points from transfer t
       join posting p on p.transfer_id = t.id where t.id = $1`,
      [confirmed.transferId],
    );
    expect(earn.rows).toEqual([{ external_id: 'TILL-1', points: '60' }]);
    expect((await app.receipts.receipts(freshmart, {})).receipts).toEqual([]);
  });

  it('matches a purchase the partner reported instead of earning it twice', async () => {
    const reported = ok(
      await app.purchases.award(app.asPartner('ptr_freshmart'), {
        member: { externalId: 'FM-42' },
        transactionId: 'TILL-2',
        currency: 'HTL',
        purchase: eur(30),
      }),
    );
    expect(ok(await register('TILL-2'))).toMatchObject({
      status: 'matched',
      transferId: reported.transferId,
    });
    // Reported after registration: the confirmation finds it and matches it.
    const pending = ok(await register('TILL-3'));
    const later = ok(
      await app.purchases.award(app.asPartner('ptr_freshmart'), {
        member: { externalId: 'FM-42' },
        transactionId: 'TILL-3',
        currency: 'HTL',
        purchase: eur(30),
      }),
    );
    expect(
      ok(await app.receipts.confirm(app.asPartner('ptr_freshmart'), pending.id)),
    ).toMatchObject({
      status: 'matched',
      transferId: later.transferId,
    });
  });

  it('refuses duplicates, rejected receipts, bad dates and unknown partners, writing nothing', async () => {
    const before = await app.db.query('select count(*)::int as n from member_receipt');
    expect(failure(await register('TILL-1'))).toBeInstanceOf(AlreadyExists);
    expect(
      failure(
        await register('TILL-9', { purchasedAt: new Date(app.clock.now().getTime() + 60_000) }),
      ),
    ).toBeInstanceOf(InvalidInput);
    expect(failure(await register('TILL-9', { partnerId: 'ptr_nowhere' }))).toBeInstanceOf(
      NotFound,
    );
    // Bob has no card at SkyAir.
    expect(
      failure(await register('TILL-9', { partnerId: 'ptr_skyair', currency: 'SKY' })),
    ).toBeInstanceOf(InvalidInput);
    expect((await app.db.query('select count(*)::int as n from member_receipt')).rows).toEqual(
      before.rows,
    );
    const rejected = ok(
      await app.receipts.reject(
        app.asPartner('ptr_freshmart'),
        ok(await register('TILL-4')).id,
        'not our till',
      ),
    );
    expect(rejected).toMatchObject({ status: 'rejected', reason: 'not our till' });
    expect(
      failure(await app.receipts.confirm(app.asPartner('ptr_freshmart'), rejected.id)),
    ).toBeInstanceOf(InvalidInput);
    expect((await app.receipts.receipts(bob, { status: 'rejected' })).receipts).toHaveLength(1);
    expect(await ledgerViolations(app.db)).toEqual([]);
  });
});
