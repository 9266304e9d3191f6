import type { StatementLine } from '../../gateway/settlement/model';
import { ledgerViolations } from '../helpers/ledger-invariants';
import {
  closeAtEnd,
  openNextPeriod,
  priceSky,
  seedCoalitionWithoutHistory,
} from '../helpers/settlement-fixtures';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

/**
 * The two settlement rules docs/settlement.md states for refunds: a fixed per-transfer fee is not
 * reversed; a refund of points the member already spent reverses only what it takes back.
 * FuelCo pays SkyAir 0.012 EUR per SKY point it awards (the demo agreement).
 */
let app: TestApp;
beforeAll(async () => {
  app = await createTestApp({ demo: false });
  await seedCoalitionWithoutHistory(app);
});
afterAll(() => app.close());

const system = () => app.systemContext('test');
const alice = { memberId: 'mbr_alice' };
const step = () => app.clock.advance(60_000);

async function fuelcoLines(periodId: string): Promise<StatementLine[]> {
  return ok(await app.settlement.statementLines(system(), periodId, 'ptr_fuelco', 100, null)).items;
}

describe('refunds in settlement', () => {
  it('reverse an operator’s percentage fee with the purchase, never its fixed fee per transfer', async () => {
    const period = await openNextPeriod(app, 1);
    await priceSky(app, period, 'ptr_fuelco', {
      issuancePrice: '0.012',
      operatorFeePercent: '10',
      operatorFeePerTransferMinor: 5n,
    });
    step();
    const earn = ok(
      await app.purchases.award(app.asPartner('ptr_fuelco'), {
        member: alice,
        transactionId: 'FEE-1',
        currency: 'SKY',
        points: 100n,
      }),
    );
    step();
    const refund = ok(
      await app.purchases.refundPurchase(app.asPartner('ptr_fuelco'), {
        transactionId: 'FEE-1',
        refundId: 'FEE-1-R',
      }),
    );
    await closeAtEnd(app, period);
    const lines = (await fuelcoLines(period.id)).map((line) => [
      line.transferId,
      line.kind,
      line.counterpartyId,
      line.amountMinor,
    ]);
    expect(lines).toEqual(
      [
        [earn.transferId, 'issuance', 'ptr_skyair', -120n],
        [earn.transferId, 'issuance_fee', 'operator', -12n],
        [earn.transferId, 'transfer_fee', 'operator', -5n],
        [refund.transferId, 'issuance', 'ptr_skyair', 120n],
        [refund.transferId, 'issuance_fee', 'operator', 12n],
      ].sort(([a, b], [c, d]) => (`${a} ${b}` < `${c} ${d}` ? -1 : 1)),
    );
    const positions = ok(await app.settlement.periodSettlement(system(), period.id)).positions;
    expect(positions.map((p) => [p.partyId, p.positionMinor])).toEqual([
      ['operator', 5n],
      ['ptr_fuelco', -5n],
      ['ptr_skyair', 0n],
    ]);
  });

  it('take back only the earned points the member still has: spent ones stay billed', async () => {
    const period = await openNextPeriod(app, 1);
    await priceSky(app, period, 'ptr_fuelco', { issuancePrice: '0.012' });
    const before = (await app.ledger.balances(['mbr_alice'], app.clock.now()))[0]?.availablePoints;
    expect(before ?? 0n).toBe(0n);
    step();
    const earn = ok(
      await app.purchases.award(app.asPartner('ptr_fuelco'), {
        member: alice,
        transactionId: 'SPENT-1',
        currency: 'SKY',
        points: 100n,
      }),
    );
    step(); // alice spends 80 of the 100 points at TelcoOne
    ok(
      await app.purchases.payWithPoints(app.asPartner('ptr_telcoone'), {
        member: alice,
        transactionId: 'TEL-SPENT-1',
        currency: 'SKY',
        points: 80n,
      }),
    );
    step();
    const refund = ok(
      await app.purchases.refundPurchase(app.asPartner('ptr_fuelco'), {
        transactionId: 'SPENT-1',
        refundId: 'SPENT-1-R',
      }),
    );
    expect(refund).toMatchObject({ takenBack: { points: 20n }, shortfallPoints: 80n });
    await closeAtEnd(app, period);
    const reversal = (await fuelcoLines(period.id)).filter(
      (line) => line.transferId === refund.transferId,
    );
    // round(80 x 0.012) - round(100 x 0.012) = 0.96 - 1.20: FuelCo still pays for the 80 spent.
    expect(reversal).toEqual([
      expect.objectContaining({
        originTransferId: earn.transferId,
        kind: 'issuance',
        points: -20n,
        amountMinor: 24n,
      }),
    ]);
    const gross = ok(await app.settlement.periodSettlement(system(), period.id)).gross;
    expect(gross.map((flow) => [flow.debtorId, flow.creditorId, flow.amountMinor])).toEqual([
      ['ptr_fuelco', 'ptr_skyair', 96n],
      ['ptr_skyair', 'ptr_telcoone', 64n],
    ]);
  });

  it('store each reversal’s parts as it commits, which nothing can change (migration 0099)', async () => {
    step();
    ok(
      await app.purchases.award(app.asPartner('ptr_fuelco'), {
        member: alice,
        transactionId: 'PARTS-1',
        currency: 'SKY',
        points: 50n,
      }),
    );
    step();
    const refund = ok(
      await app.purchases.refundPurchase(app.asPartner('ptr_fuelco'), {
        transactionId: 'PARTS-1',
        refundId: 'PARTS-1-R',
      }),
    );
    const parts = await app.db.query<{ kind: string; currency_code: string; points: string }>(
      `select kind, currency_code, points::text from settlement_reversal_part
       where transfer_id = $1`,
      [refund.transferId],
    );
    expect(parts.rows).toEqual([{ kind: 'issuance', currency_code: 'SKY', points: '-50' }]);
    await expect(
      app.db.query('update settlement_reversal_part set points = -1 where transfer_id = $1', [
        refund.transferId,
      ]),
    ).rejects.toThrow(/immutable/);
    expect(await ledgerViolations(app.db)).toEqual([]);
  });
});
