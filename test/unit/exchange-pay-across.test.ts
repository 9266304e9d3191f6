import { ConversionLimitExceeded } from '../../gateway/exchange/errors';
import { IdempotencyKeyReused, InsufficientPoints } from '../../gateway/ledger/errors';
import { CurrencyNotSupported } from '../../gateway/programs/errors';
import { NotFound } from '../../gateway/shared/errors';
import { availablePoints, ledgerFingerprint, memberWith } from '../helpers/exchange-helpers';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

let app: TestApp;
let member: string;
beforeAll(async () => {
  app = await createTestApp();
  member = await memberWith(app, 'traveller', { HTL: 10_000n, SKY: 100n });
  ok(
    await app.members.linkMember(app.systemContext(), {
      partnerId: 'ptr_telcoone',
      externalId: 'TEL-TRAV',
      memberId: member,
    }),
  );
});
afterAll(async () => {
  await app.close();
});

const payPhoneBill = (transactionId: string, points: bigint) => ({
  member: { externalId: 'TEL-TRAV' },
  transactionId,
  currency: 'SKY',
  points,
  payWith: 'HTL',
  purchase: { amountMinor: 1200n, currency: 'EUR' },
});

describe('paying TelcoOne’s price in SKY with HTL', () => {
  let receipt: Awaited<ReturnType<typeof app.crossProgramPayments.pay>>;

  it('converts exactly the price and redeems it, in one operation that shows the rate', async () => {
    receipt = ok(
      await app.crossProgramPayments.pay(
        app.asPartner('ptr_telcoone'),
        payPhoneBill('TEL-BILL-1', 1500n),
      ),
    );
    expect(receipt).toMatchObject({
      memberId: member,
      currency: 'SKY',
      points: 1500n,
      payWithCurrency: 'HTL',
      sourcePoints: 7500n,
      feePoints: 0n,
      sourceUnits: 5n,
      targetUnits: 1n,
      feeTransferId: null,
    });
    expect(await availablePoints(app, member, 'HTL')).toBe(2500n);
    expect(await availablePoints(app, member, 'SKY')).toBe(100n);
  });

  it('writes a convert for the member and a redeem related to it, as the spend path does', async () => {
    const { transferId, conversionTransferId } = ok(receipt);
    const transfers = await app.ledger.findTransfers([conversionTransferId, transferId]);
    const byId = new Map(transfers.map((transfer) => [transfer.id, transfer]));
    expect(byId.get(conversionTransferId)).toMatchObject({
      code: 'convert',
      partnerId: 'ptr_telcoone',
      memberId: member,
      externalId: null,
    });
    expect(byId.get(transferId)).toMatchObject({
      code: 'redeem',
      partnerId: 'ptr_telcoone',
      externalId: 'TEL-BILL-1',
      relatedId: conversionTransferId,
      description: 'Paid at TelcoOne (12.00 EUR) with 7500 HTL',
    });
    expect(
      byId
        .get(transferId)!
        .postings.map((posting) => [
          posting.source.kind,
          posting.target.kind,
          posting.amountPoints,
        ]),
    ).toEqual([['member', 'redemption', 1500n]]);
    const conversion = await app.db.query(
      'select source_points, base_target_points, quote_id from conversion where transfer_id = $1',
      [conversionTransferId],
    );
    expect(conversion.rows).toEqual([
      { source_points: 7500n, base_target_points: 1500n, quote_id: null },
    ]);
  });

  it('pays with the converted points, leaving the member’s own SKY lots as they were', async () => {
    const lots = await app.db.query<{ transfer_id: string; remaining_points: bigint }>(
      `select l.transfer_id, l.remaining_points from lot l join account a on a.id = l.account_id
       where a.member_id = $1 and a.currency_code = 'SKY' order by l.id`,
      [member],
    );
    expect(lots.rows.map((lot) => lot.remaining_points)).toEqual([100n, 0n]);
    expect(lots.rows[1]!.transfer_id).toBe(ok(receipt).conversionTransferId);
  });

  it('answers a retry with the original receipt, and the same transaction id paid otherwise with a conflict', async () => {
    const telco = app.asPartner('ptr_telcoone');
    const before = await ledgerFingerprint(app);
    expect(
      ok(await app.crossProgramPayments.pay(telco, payPhoneBill('TEL-BILL-1', 1500n))),
    ).toEqual(ok(receipt));
    const conflict = failure(
      await app.purchases.payWithPoints(telco, {
        member: { externalId: 'TEL-TRAV' },
        transactionId: 'TEL-BILL-1',
        currency: 'SKY',
        points: 100n,
      }),
    );
    expect(conflict).toBeInstanceOf(IdempotencyKeyReused);
    expect(await ledgerFingerprint(app)).toEqual(before);
  });

  it('refunds in the partner’s currency: the exchange is final', async () => {
    const refund = ok(
      await app.purchases.refundPurchase(app.asPartner('ptr_telcoone'), {
        transactionId: 'TEL-BILL-1',
        refundId: 'TEL-RF-1',
      }),
    );
    expect(refund.returned).toEqual({ currency: 'SKY', points: 1500n });
    expect(await availablePoints(app, member, 'SKY')).toBe(1600n);
    expect(await availablePoints(app, member, 'HTL')).toBe(2500n);
  });
});

describe('paying across programs refuses, writing nothing', () => {
  it('a currency the partner does not accept, too few points, or more than the daily limit', async () => {
    const telco = app.asPartner('ptr_telcoone');
    const before = await ledgerFingerprint(app);
    const notAccepted = failure(
      await app.crossProgramPayments.pay(telco, {
        ...payPhoneBill('TEL-BILL-2', 100n),
        currency: 'HTL',
        payWith: 'SKY',
      }),
    );
    expect(notAccepted).toBeInstanceOf(CurrencyNotSupported);
    const short = failure(
      await app.crossProgramPayments.pay(telco, payPhoneBill('TEL-BILL-3', 501n)),
    );
    expect(short).toBeInstanceOf(InsufficientPoints);
    expect(short).toMatchObject({ currency: 'HTL', needed: 2505n, available: 2500n });
    const rich = await memberWith(app, 'rich', { HTL: 100_000n });
    ok(
      await app.members.linkMember(app.systemContext(), {
        partnerId: 'ptr_telcoone',
        externalId: 'TEL-RICH',
        memberId: rich,
      }),
    );
    const afterSetup = await ledgerFingerprint(app);
    const limit = failure(
      await app.crossProgramPayments.pay(telco, {
        ...payPhoneBill('TEL-BILL-4', 10_001n),
        member: { externalId: 'TEL-RICH' },
      }),
    );
    expect(limit).toBeInstanceOf(ConversionLimitExceeded);
    expect(limit).toMatchObject({ period: 'day', requestedPoints: 50_005n });
    expect(await ledgerFingerprint(app)).toEqual(afterSetup);
    expect(before).not.toEqual(afterSetup);
  });
});

describe('paying Nordic’s price in HTL with SKY', () => {
  it('takes the SKY needed rounded up, plus the rate’s 1% fee rounded up', async () => {
    const guest = await memberWith(app, 'guest', { SKY: 500n });
    const paid = ok(
      await app.crossProgramPayments.pay(app.asPartner('ptr_nordic'), {
        member: { externalId: 'NH-guest' },
        transactionId: 'NH-SPA-1',
        currency: 'HTL',
        points: 1550n,
        payWith: 'SKY',
      }),
    );
    // 1,550 HTL at 1 SKY = 4 HTL is 387.5 SKY: 388; the fee, 1% of 388 = 3.88: 4.
    expect(paid).toMatchObject({
      sourcePoints: 388n,
      feePoints: 4n,
      sourceUnits: 1n,
      targetUnits: 4n,
    });
    expect(await availablePoints(app, guest, 'SKY')).toBe(500n - 392n);
    expect(await availablePoints(app, guest, 'HTL')).toBe(0n);
  });
});

describe('a partner converting for a member it enrolled', () => {
  it('owns the quote with the member; another partner cannot use it', async () => {
    const nordic = app.asPartner('ptr_nordic');
    const quote = ok(
      await app.exchange.quote(nordic, {
        member: { externalId: 'NH-5501' },
        sourceCurrency: 'HTL',
        targetCurrency: 'SKY',
        sourcePoints: 1000n,
      }),
    );
    expect(quote).toMatchObject({ memberId: 'mbr_alice', partnerId: 'ptr_nordic' });
    const stranger = failure(
      await app.exchange.convert(app.asPartner('ptr_skyair'), {
        quoteId: quote.id,
        sourcePoints: 1000n,
      }),
    );
    expect(stranger).toBeInstanceOf(NotFound);
    const receipt = ok(
      await app.exchange.convert(nordic, { quoteId: quote.id, sourcePoints: 1000n }),
    );
    const [transfer] = await app.ledger.findTransfers([receipt.transferId]);
    expect(transfer).toMatchObject({
      code: 'convert',
      partnerId: 'ptr_nordic',
      memberId: 'mbr_alice',
    });
  });

  it('cannot quote for a member it has not enrolled', async () => {
    const error = failure(
      await app.exchange.quote(app.asPartner('ptr_telcoone'), {
        member: { memberId: 'mbr_bob' },
        sourceCurrency: 'HTL',
        targetCurrency: 'SKY',
        sourcePoints: 1000n,
      }),
    );
    expect(error).toMatchObject({ entity: 'member', reference: 'mbr_bob' });
  });
});
