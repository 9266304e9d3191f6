import { demoTerms } from '../../gateway/demo/seed';
import {
  IdempotencyKeyReused,
  InsufficientPoints,
  RefundExceedsPurchase,
} from '../../gateway/ledger/errors';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

async function balance(memberId: string, currency: string) {
  const rows = await app.ledger.balances([memberId], new Date('2030-01-01'));
  return rows.find((row) => row.currency === currency);
}

const eur = (euros: bigint) => ({ amountMinor: euros * 100n, currency: 'EUR' });

describe('the demo coalition', () => {
  it('leaves Alice with the DOMAIN.md balances before any exchange', async () => {
    expect((await balance('mbr_alice', 'SKY'))?.availablePoints).toBe(550n);
    expect((await balance('mbr_alice', 'HTL'))?.availablePoints).toBe(3000n);
  });

  it('keeps Bob’s hotel points pending until they mature', async () => {
    const htl = await balance('mbr_bob', 'HTL');
    expect(htl?.pendingPoints).toBe(4800n);
    expect(htl?.availablePoints).toBe(174n);
  });
});

describe('earning', () => {
  it('prices points from the purchase at the partner’s rate, rounding down', async () => {
    const receipt = ok(
      await app.purchases.award(app.asPartner('ptr_fuelco'), {
        member: { externalId: 'FC-0001' },
        transactionId: 'EARN-ROUND-1',
        currency: 'SKY',
        purchase: { amountMinor: 4999n, currency: 'EUR' },
      }),
    );
    expect(receipt.points).toBe(49n);
  });

  it('returns the original receipt when the same transaction is sent again', async () => {
    const request = {
      member: { externalId: 'FC-0001' },
      transactionId: 'EARN-REPLAY-1',
      currency: 'SKY',
      purchase: eur(10n),
    };
    const first = ok(await app.purchases.award(app.asPartner('ptr_fuelco'), request));
    const again = ok(await app.purchases.award(app.asPartner('ptr_fuelco'), request));
    expect(again).toEqual(first);
    const conflict = failure(
      await app.purchases.award(app.asPartner('ptr_fuelco'), { ...request, purchase: eur(11n) }),
    );
    expect(conflict).toBeInstanceOf(IdempotencyKeyReused);
  });

  it('returns the original receipt after the partner’s earn rate changed (the request is what is hashed)', async () => {
    const request = {
      member: { externalId: 'FC-0001' },
      transactionId: 'EARN-REPLAY-RATE-1',
      currency: 'SKY',
      purchase: eur(10n),
    };
    const first = ok(await app.purchases.award(app.asPartner('ptr_fuelco'), request));
    const terms = demoTerms.find(
      (term) => term.partnerId === 'ptr_fuelco' && term.currency === 'SKY',
    )!;
    const system = app.systemContext('test');
    ok(
      await app.catalog.setPartnerCurrency(system, {
        ...terms,
        moneyCurrency: 'EUR',
        earnRatePoints: terms.earnRatePoints * 3n,
      }),
    );
    try {
      const again = ok(await app.purchases.award(app.asPartner('ptr_fuelco'), request));
      expect(again).toEqual(first);
      // A new purchase is priced at the new rate.
      const next = ok(
        await app.purchases.award(app.asPartner('ptr_fuelco'), {
          ...request,
          transactionId: 'EARN-REPLAY-RATE-2',
        }),
      );
      expect(next.points).toBe(first.points * 3n);
      expect(next.lines[0]!.description).not.toBe(first.lines[0]!.description);
    } finally {
      ok(await app.catalog.setPartnerCurrency(system, { ...terms, moneyCurrency: 'EUR' }));
    }
  });
});

describe('paying with points', () => {
  it('refuses more than the available balance and writes nothing', async () => {
    const before = await balance('mbr_alice', 'SKY');
    const error = failure(
      await app.purchases.payWithPoints(app.asPartner('ptr_telcoone'), {
        member: { externalId: 'TEL-77' },
        transactionId: 'PAY-TOO-MUCH',
        currency: 'SKY',
        points: before!.availablePoints + 1n,
      }),
    );
    expect(error).toBeInstanceOf(InsufficientPoints);
    expect((error as InsufficientPoints).available).toBe(before!.availablePoints);
    expect(await balance('mbr_alice', 'SKY')).toEqual(before);
  });
});

describe('refunds', () => {
  it('takes back earned points in proportion and never beyond the purchase', async () => {
    const fuelco = app.asPartner('ptr_fuelco');
    const member = { externalId: 'FC-0003' };
    ok(
      await app.purchases.award(fuelco, {
        member,
        transactionId: 'RF-1',
        currency: 'SKY',
        purchase: eur(100n),
      }),
    );
    const first = ok(
      await app.purchases.refundPurchase(fuelco, {
        transactionId: 'RF-1',
        refundId: 'RF-1-a',
        amount: { amountMinor: 3333n, currency: 'EUR' },
      }),
    );
    expect(first.takenBack?.points).toBe(33n);
    const rest = ok(
      await app.purchases.refundPurchase(fuelco, { transactionId: 'RF-1', refundId: 'RF-1-b' }),
    );
    expect(rest.takenBack?.points).toBe(67n);
    const over = failure(
      await app.purchases.refundPurchase(fuelco, {
        transactionId: 'RF-1',
        refundId: 'RF-1-c',
        amount: eur(1n),
      }),
    );
    expect(over).toBeInstanceOf(RefundExceedsPurchase);
  });

  it('returns spent points to exactly the lots they came from', async () => {
    const telco = app.asPartner('ptr_telcoone');
    const refund = ok(
      await app.purchases.refundPurchase(telco, {
        transactionId: 'TEL-BILL-2026-11',
        refundId: 'TEL-RF-1',
      }),
    );
    expect(refund.returned).toEqual({ currency: 'SKY', points: 1500n });
    const lots = await app.db.query<{ transfer_id: string; remaining_points: bigint }>(
      `select l.transfer_id, l.remaining_points from lot l join account a on a.id = l.account_id
       where a.member_id = 'mbr_alice' and a.currency_code = 'SKY' order by l.id`,
    );
    const sum = lots.rows.reduce((total, lot) => total + lot.remaining_points, 0n);
    expect(sum).toBe((await balance('mbr_alice', 'SKY'))!.availablePoints);
  });
});

describe('maturity and expiry', () => {
  it('matures pending points when due and expires lots after the currency’s months', async () => {
    app.clock.advance(15 * 86_400_000);
    expect(await app.ledger.matureDue()).toBe(1);
    const bob = await balance('mbr_bob', 'HTL');
    expect(bob?.pendingPoints).toBe(0n);
    expect(bob?.availablePoints).toBe(4974n);
    app.clock.set(new Date('2029-01-01T00:00:00Z'));
    expect(await app.ledger.expireDue()).toBeGreaterThan(0);
    expect((await balance('mbr_bob', 'HTL'))?.availablePoints).toBe(0n);
  });
});
