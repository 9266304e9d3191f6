import { NotConversionIncrement } from '../../gateway/exchange/errors';
import type { RequestContext } from '../../gateway/shared/context';
import { asMember, asOperator, memberWith } from '../helpers/exchange-helpers';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

let app: TestApp;
let alice: RequestContext;
beforeAll(async () => {
  app = await createTestApp();
  alice = asMember(app, 'mbr_alice');
});
afterAll(async () => {
  await app.close();
});

async function available(memberId: string, currency: string): Promise<bigint> {
  const rows = await app.ledger.balances([memberId], new Date('2030-01-01'));
  return rows.find((row) => row.currency === currency)?.availablePoints ?? 0n;
}

describe('DOMAIN.md step 4: Alice converts 3,000 HTL to 600 SKY', () => {
  let transferId: string;

  it('quotes 600 SKY for 3,000 HTL at 5 HTL = 1 SKY, without fee or bonus, for 60 seconds', async () => {
    const quote = ok(
      await app.exchange.quote(alice, {
        sourceCurrency: 'HTL',
        targetCurrency: 'SKY',
        sourcePoints: 3000n,
      }),
    );
    expect(quote).toMatchObject({
      memberId: 'mbr_alice',
      partnerId: null,
      sourcePoints: 3000n,
      baseTargetPoints: 600n,
      bonusPoints: 0n,
      feePoints: 0n,
    });
    expect(quote.expiresAt.getTime() - quote.createdAt.getTime()).toBe(60_000);
    const receipt = ok(
      await app.exchange.convert(alice, { quoteId: quote.id, sourcePoints: 3000n }),
    );
    transferId = receipt.transferId;
    expect(receipt).toMatchObject({
      quoteId: quote.id,
      baseTargetPoints: 600n,
      feeTransferId: null,
    });
    expect(await available('mbr_alice', 'HTL')).toBe(0n);
    expect(await available('mbr_alice', 'SKY')).toBe(1150n);
  });

  it('writes one convert transfer with the two postings of the settlement contract', async () => {
    const [transfer] = await app.ledger.findTransfers([transferId]);
    expect(transfer).toMatchObject({ code: 'convert', memberId: 'mbr_alice', partnerId: null });
    expect(
      transfer!.postings.map((posting) => [
        posting.source.kind,
        posting.target.kind,
        posting.currency,
        posting.amountPoints,
      ]),
    ).toEqual([
      ['member', 'liquidity', 'HTL', 3000n],
      ['liquidity', 'member', 'SKY', 600n],
    ]);
    const conversion = await app.db.query(
      'select source_currency, target_currency, source_points, base_target_points, bonus_points, fee_points from conversion where transfer_id = $1',
      [transferId],
    );
    expect(conversion.rows).toEqual([
      {
        source_currency: 'HTL',
        target_currency: 'SKY',
        source_points: 3000n,
        base_target_points: 600n,
        bonus_points: 0n,
        fee_points: 0n,
      },
    ]);
  });

  it('ends with the DOMAIN.md wallet after FuelCo refunds: 1,100 SKY and 0 HTL', async () => {
    ok(
      await app.purchases.refundPurchase(app.asPartner('ptr_fuelco'), {
        transactionId: 'FC-POS-1001',
        refundId: 'FC-RF-1001',
      }),
    );
    expect(await available('mbr_alice', 'SKY')).toBe(1100n);
    expect(await available('mbr_alice', 'HTL')).toBe(0n);
  });
});

describe('a conversion that is not a whole multiple', () => {
  it('refuses 2,500 HTL (not a multiple of 1,000), offering 2,000 or 3,000; 2,000 gives 400 SKY', async () => {
    const member = await memberWith(app, 'partial', { HTL: 2500n });
    const caller = asMember(app, member);
    const refused = failure(
      await app.exchange.quote(caller, {
        sourceCurrency: 'HTL',
        targetCurrency: 'SKY',
        sourcePoints: 2500n,
      }),
    );
    expect(refused).toBeInstanceOf(NotConversionIncrement);
    expect(refused).toMatchObject({ lowerPoints: 2000n, higherPoints: 3000n });
    const quote = ok(
      await app.exchange.quote(caller, {
        sourceCurrency: 'HTL',
        targetCurrency: 'SKY',
        sourcePoints: 2000n,
      }),
    );
    ok(await app.exchange.convert(caller, { quoteId: quote.id, sourcePoints: 2000n }));
    expect(await available(member, 'SKY')).toBe(400n);
    expect(await available(member, 'HTL')).toBe(500n);
  });

  it('rounds a ratio that does not divide down: 10 GRC at 3 GRC = 1 SKY give 3 SKY', async () => {
    const operator = asOperator(app);
    ok(
      await app.catalog.createCurrency(operator, {
        code: 'GRC',
        name: 'FreshMart stamps',
        ownerPartnerId: 'ptr_freshmart',
        expiryMonths: null,
      }),
    );
    ok(
      await app.exchangeAdmin.setRate(operator, {
        sourceCurrency: 'GRC',
        targetCurrency: 'SKY',
        sourceUnits: 3n,
        targetUnits: 1n,
        incrementPoints: 10n,
      }),
    );
    const member = await memberWith(app, 'stamps', {});
    ok(
      await app.catalog.setPartnerCurrency(operator, {
        partnerId: 'ptr_freshmart',
        currency: 'GRC',
        earns: true,
        accepts: true,
        earnRatePoints: 1n,
        earnRatePerMinor: 100n,
        moneyCurrency: 'EUR',
      }),
    );
    ok(
      await app.members.linkMember(app.systemContext(), {
        partnerId: 'ptr_freshmart',
        externalId: 'FM-STAMPS',
        memberId: member,
      }),
    );
    ok(
      await app.purchases.award(app.asPartner('ptr_freshmart'), {
        member: { externalId: 'FM-STAMPS' },
        transactionId: 'FM-STAMPS-1',
        currency: 'GRC',
        points: 10n,
      }),
    );
    const caller = asMember(app, member);
    const quote = ok(
      await app.exchange.quote(caller, {
        sourceCurrency: 'GRC',
        targetCurrency: 'SKY',
        sourcePoints: 10n,
      }),
    );
    // 10 / 3 = 3.33 SKY: the member gets 3, and the third of a SKY stays with the liquidity
    // accounts (rounding in their favour is what keeps conversions from creating points).
    expect(quote).toMatchObject({ baseTargetPoints: 3n, bonusPoints: 0n, feePoints: 0n });
    ok(await app.exchange.convert(caller, { quoteId: quote.id, sourcePoints: 10n }));
    expect(await available(member, 'SKY')).toBe(3n);
    expect(await available(member, 'GRC')).toBe(0n);
  });
});
