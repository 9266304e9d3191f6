import type { RequestContext } from '../../gateway/shared/context';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

let app: TestApp;
let alice: RequestContext;
beforeAll(async () => {
  app = await createTestApp();
  alice = memberContext(app, 'mbr_alice');
});
afterAll(async () => {
  await app.close();
});

function memberContext(testApp: TestApp, memberId: string): RequestContext {
  return { caller: { kind: 'member', memberId }, requestId: 'test', em: testApp.orm.em.fork() };
}

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
