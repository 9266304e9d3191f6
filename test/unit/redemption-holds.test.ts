import {
  HoldNotActive,
  IdempotencyKeyReused,
  InsufficientPoints,
} from '../../gateway/ledger/errors';
import { NotFound } from '../../gateway/shared/errors';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

const nordic = () => app.asPartner('ptr_nordic');
const alice = { externalId: 'NH-5501' };

async function htl(memberId = 'mbr_alice') {
  const [balance] = (await app.ledger.balances([memberId], new Date('2030-01-01'))).filter(
    (row) => row.currency === 'HTL',
  );
  return balance!;
}

/** Open lots of Alice's HTL account, by lot id: must always sum to the available balance. */
async function lots() {
  const rows = await app.db.query<{ id: bigint; remaining_points: bigint; expires_at: Date }>(
    `select l.id, l.remaining_points, l.expires_at from lot l join account a on a.id = l.account_id
     where a.member_id = 'mbr_alice' and a.currency_code = 'HTL' order by l.id`,
  );
  return rows.rows;
}

async function expectLotsMatchBalance() {
  const sum = (await lots()).reduce((total, lot) => total + lot.remaining_points, 0n);
  expect(sum).toBe((await htl()).availablePoints);
}

function hold(transactionId: string, points: bigint, extra: { holdSeconds?: number } = {}) {
  return app.redemptions.placeHold(nordic(), {
    member: alice,
    transactionId,
    currency: 'HTL',
    points,
    rewardId: 'nh_osl_1n',
    ...extra,
  });
}

describe('a two-phase redemption', () => {
  it('confirmed: the held points are spent and stay off the lots', async () => {
    const before = await htl();
    const held = ok(await hold('RDM-CONFIRM', 1000n));
    expect(await htl()).toMatchObject({
      availablePoints: before.availablePoints - 1000n,
      heldPoints: 1000n,
    });
    await expectLotsMatchBalance();
    const settled = ok(await app.redemptions.confirm(nordic(), { holdId: held.transferId }));
    expect(settled).toMatchObject({ status: 'confirmed', points: 1000n, currency: 'HTL' });
    expect(await htl()).toMatchObject({
      availablePoints: before.availablePoints - 1000n,
      heldPoints: 0n,
    });
    await expectLotsMatchBalance();
    const [view] = await app.ledger.findHolds([held.transferId]);
    expect(view).toMatchObject({ status: 'confirmed', settledTransferId: settled.transferId });
  });

  it('declined: the points return to exactly the lots they came from, with their expiry', async () => {
    const lotsBefore = await lots();
    const before = await htl();
    const held = ok(await hold('RDM-DECLINE', 700n));
    const settled = ok(
      await app.redemptions.decline(nordic(), { holdId: held.transferId, reason: 'sold out' }),
    );
    expect(settled.status).toBe('declined');
    expect(await htl()).toMatchObject({
      availablePoints: before.availablePoints,
      heldPoints: 0n,
    });
    expect(await lots()).toEqual(lotsBefore);
    const [view] = await app.ledger.findHolds([held.transferId]);
    expect(view).toMatchObject({ status: 'declined', reason: 'sold out' });
  });

  it('timed out: the sweep voids an unconfirmed hold and a late confirm is refused', async () => {
    const before = await htl();
    const held = ok(await hold('RDM-TIMEOUT', 300n, { holdSeconds: 60 }));
    app.clock.advance(59_000);
    expect(await app.ledger.voidExpiredHolds()).toBe(0);
    app.clock.advance(2_000);
    expect(await app.ledger.voidExpiredHolds()).toBe(1);
    expect((await htl()).availablePoints).toBe(before.availablePoints);
    await expectLotsMatchBalance();
    const late = failure(await app.redemptions.confirm(nordic(), { holdId: held.transferId }));
    expect(late).toBeInstanceOf(HoldNotActive);
    expect((late as HoldNotActive).status).toBe('expired');
    expect(await app.ledger.voidExpiredHolds()).toBe(0);
  });

  it('partner down mid-way: nobody confirms, the hold expires, nothing is lost', async () => {
    const before = await htl();
    // The partner's service held the points and then died before fulfilling anything.
    ok(await hold('RDM-CRASH', 2000n, { holdSeconds: 30 }));
    expect((await htl()).heldPoints).toBe(2000n);
    app.clock.advance(31_000);
    expect(await app.ledger.voidExpiredHolds()).toBe(1);
    expect(await htl()).toMatchObject({ availablePoints: before.availablePoints, heldPoints: 0n });
    await expectLotsMatchBalance();
  });

  it('retried with the same key: one hold, one confirmation, the same answers', async () => {
    const before = await htl();
    const first = ok(await hold('RDM-RETRY', 400n));
    const again = ok(await hold('RDM-RETRY', 400n));
    expect(again).toEqual(first);
    expect((await htl()).heldPoints).toBe(400n);
    const changed = failure(await hold('RDM-RETRY', 401n));
    expect(changed).toBeInstanceOf(IdempotencyKeyReused);
    const confirmed = ok(await app.redemptions.confirm(nordic(), { holdId: first.transferId }));
    const confirmedAgain = ok(
      await app.redemptions.confirm(nordic(), { holdId: first.transferId }),
    );
    expect(confirmedAgain).toEqual(confirmed);
    const declined = failure(await app.redemptions.decline(nordic(), { holdId: first.transferId }));
    expect(declined).toBeInstanceOf(HoldNotActive);
    expect((await htl()).availablePoints).toBe(before.availablePoints - 400n);
    const settlements = await app.db.query<{ count: bigint }>(
      `select count(*)::bigint as count from transfer where related_id = $1`,
      [first.transferId],
    );
    expect(settlements.rows[0]!.count).toBe(1n);
  });

  it('confirm racing the sweep settles the hold exactly once', async () => {
    const before = await htl();
    const held = ok(await hold('RDM-RACE', 250n, { holdSeconds: 10 }));
    app.clock.advance(11_000);
    const [confirmed, voided] = await Promise.all([
      app.redemptions.confirm(nordic(), { holdId: held.transferId }),
      app.ledger.voidExpiredHolds(),
    ]);
    const [view] = await app.ledger.findHolds([held.transferId]);
    if (confirmed instanceof HoldNotActive) {
      expect(voided).toBe(1);
      expect(view!.status).toBe('expired');
      expect((await htl()).availablePoints).toBe(before.availablePoints);
    } else {
      expect(voided).toBe(0);
      expect(view!.status).toBe('confirmed');
      expect((await htl()).availablePoints).toBe(before.availablePoints - 250n);
    }
    await expectLotsMatchBalance();
  });

  it('refuses a hold beyond the balance, and another partner’s hold, writing nothing', async () => {
    const before = await htl();
    const tooMuch = failure(await hold('RDM-TOO-MUCH', before.availablePoints + 1n));
    expect(tooMuch).toBeInstanceOf(InsufficientPoints);
    expect(await htl()).toEqual(before);
    const held = ok(await hold('RDM-OTHER', 10n));
    const stranger = failure(
      await app.redemptions.confirm(app.asPartner('ptr_freshmart'), { holdId: held.transferId }),
    );
    expect(stranger).toBeInstanceOf(NotFound);
    expect((await app.ledger.findHolds([held.transferId]))[0]!.status).toBe('held');
  });
});
