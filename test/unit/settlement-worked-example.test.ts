import { seedExchangeDemo } from '../../gateway/exchange/demo-exchange';
import type { Period, StatementLine } from '../../gateway/settlement/model';
import { convertAsMember } from '../helpers/exchange-conversions';
import {
  closeAtEnd,
  openNextPeriod,
  seedCoalitionWithoutHistory,
} from '../helpers/settlement-fixtures';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

/**
 * The worked example of ../shared/DOMAIN.md, reproduced to the cent: one member, one period,
 * four partners, net positions SkyAir -6.00, Nordic -6.00, TelcoOne +12.00, FuelCo 0.00.
 */
let app: TestApp;
let period: Period;
const ids: Record<string, string> = {};

beforeAll(async () => {
  app = await createTestApp({ demo: false });
  await seedCoalitionWithoutHistory(app);
  await seedExchangeDemo(app); // 5 HTL = 1 SKY, in multiples of 1,000 HTL
  period = await openNextPeriod(app, 24);
  const alice = { memberId: 'mbr_alice' };
  const step = () => app.clock.advance(60_000);

  step(); // 1. flies SkyAir: +2,000 SKY, SkyAir's own issuance.
  ok(
    await app.purchases.award(app.asPartner('ptr_skyair'), {
      member: alice,
      transactionId: 'SK-TKT-0001',
      currency: 'SKY',
      points: 2000n,
    }),
  );
  step(); // 2. buys 50 EUR of fuel at FuelCo: +50 SKY.
  ids.fuel = ok(
    await app.purchases.award(app.asPartner('ptr_fuelco'), {
      member: alice,
      transactionId: 'FC-POS-1001',
      currency: 'SKY',
      purchase: { amountMinor: 5000n, currency: 'EUR' },
    }),
  ).transferId;
  step(); // 3. stays at Nordic: +3,000 HTL, Nordic's own issuance.
  ok(
    await app.purchases.award(app.asPartner('ptr_nordic'), {
      member: alice,
      transactionId: 'NH-STAY-311',
      currency: 'HTL',
      points: 3000n,
    }),
  );
  step(); // 4. converts 3,000 HTL to 600 SKY (5 HTL = 1 SKY).
  const conversion = ok(
    await convertAsMember(app, {
      memberId: 'mbr_alice',
      sourceCurrency: 'HTL',
      targetCurrency: 'SKY',
      sourcePoints: 3000n,
    }),
  );
  expect(conversion.baseTargetPoints).toBe(600n);
  ids.convert = conversion.transferId;
  step(); // 5. pays a phone bill at TelcoOne with 1,500 SKY.
  ids.phone = ok(
    await app.purchases.payWithPoints(app.asPartner('ptr_telcoone'), {
      member: alice,
      transactionId: 'TEL-BILL-2026-11',
      currency: 'SKY',
      points: 1500n,
    }),
  ).transferId;
  step(); // 6. FuelCo refunds the fuel purchase: -50 SKY.
  ids.refund = ok(
    await app.purchases.refundPurchase(app.asPartner('ptr_fuelco'), {
      transactionId: 'FC-POS-1001',
      refundId: 'FC-RF-1001',
    }),
  ).transferId;
  period = await closeAtEnd(app, period);
});
afterAll(() => app.close());

const system = () => app.systemContext('test');

describe('the DOMAIN.md worked settlement example', () => {
  it('leaves the member with 1,100 SKY and 0 HTL', async () => {
    const balances = await app.ledger.balances(['mbr_alice'], app.clock.now());
    expect(balances.map((b) => [b.currency, b.availablePoints])).toEqual([
      ['HTL', 0n],
      ['SKY', 1100n],
    ]);
  });

  it('takes all six transfers into the period', () => {
    expect(period).toMatchObject({ status: 'closed', transferCount: 6n, obligationCount: 4n });
  });

  it('nets to SkyAir -6.00, Nordic -6.00, TelcoOne +12.00, FuelCo 0.00, summing to zero', async () => {
    const settlement = ok(await app.settlement.periodSettlement(system(), period.id));
    expect(settlement.positions.map((p) => [p.partyId, p.positionMinor])).toEqual([
      ['ptr_fuelco', 0n],
      ['ptr_nordic', -600n],
      ['ptr_skyair', -600n],
      ['ptr_telcoone', 1200n],
    ]);
    expect(settlement.positions.reduce((sum, p) => sum + p.positionMinor, 0n)).toBe(0n);
    expect(settlement.gross).toEqual([
      flow('ptr_fuelco', 'ptr_skyair', 0n, 2n),
      flow('ptr_nordic', 'ptr_skyair', 600n, 1n),
      flow('ptr_skyair', 'ptr_telcoone', 1200n, 1n),
    ]);
  });

  it('settles in two payments', async () => {
    const settlement = ok(await app.settlement.periodSettlement(system(), period.id));
    expect(settlement.payments).toEqual([
      {
        settlementCurrency: 'EUR',
        payerId: 'ptr_nordic',
        payeeId: 'ptr_telcoone',
        amountMinor: 600n,
      },
      {
        settlementCurrency: 'EUR',
        payerId: 'ptr_skyair',
        payeeId: 'ptr_telcoone',
        amountMinor: 600n,
      },
    ]);
  });

  it('gives SkyAir a statement whose lines sum to its totals per counterparty', async () => {
    const { totals, lines } = await statementOf('ptr_skyair');
    expect(totals).toEqual([
      ['ptr_fuelco', 0n],
      ['ptr_nordic', 600n],
      ['ptr_telcoone', -1200n],
    ]);
    expect(lines).toEqual([
      {
        transferId: ids.fuel,
        kind: 'issuance',
        counterpartyId: 'ptr_fuelco',
        points: 50n,
        amountMinor: 60n,
      },
      {
        transferId: ids.convert,
        kind: 'exchange',
        counterpartyId: 'ptr_nordic',
        points: 600n,
        amountMinor: 600n,
      },
      {
        transferId: ids.phone,
        kind: 'reimbursement',
        counterpartyId: 'ptr_telcoone',
        points: 1500n,
        amountMinor: -1200n,
      },
      {
        transferId: ids.refund,
        kind: 'issuance',
        counterpartyId: 'ptr_fuelco',
        points: -50n,
        amountMinor: -60n,
      },
    ]);
    expect(sumsByCounterparty(lines)).toEqual(new Map(totals));
  });

  it('gives FuelCo, Nordic and TelcoOne their statements', async () => {
    expect(await statementOf('ptr_fuelco')).toEqual({
      totals: [['ptr_skyair', 0n]],
      lines: [
        {
          transferId: ids.fuel,
          kind: 'issuance',
          counterpartyId: 'ptr_skyair',
          points: 50n,
          amountMinor: -60n,
        },
        {
          transferId: ids.refund,
          kind: 'issuance',
          counterpartyId: 'ptr_skyair',
          points: -50n,
          amountMinor: 60n,
        },
      ],
    });
    expect(await statementOf('ptr_nordic')).toEqual({
      totals: [['ptr_skyair', -600n]],
      lines: [
        {
          transferId: ids.convert,
          kind: 'exchange',
          counterpartyId: 'ptr_skyair',
          points: 600n,
          amountMinor: -600n,
        },
      ],
    });
    expect(await statementOf('ptr_telcoone')).toEqual({
      totals: [['ptr_skyair', 1200n]],
      lines: [
        {
          transferId: ids.phone,
          kind: 'reimbursement',
          counterpartyId: 'ptr_skyair',
          points: 1500n,
          amountMinor: 1200n,
        },
      ],
    });
  });

  it('references the fuel purchase from the refund that reverses it, at the same price', async () => {
    const page = ok(
      await app.settlement.statementLines(system(), period.id, 'ptr_fuelco', 10, null),
    );
    const refund = page.items.find((line) => line.transferId === ids.refund)!;
    expect(refund).toMatchObject({
      originTransferId: ids.fuel,
      transferCode: 'refund',
      reference: 'FC-RF-1001',
      unitPrice: '0.012',
    });
  });

  it('prints the positions and payments as CSV', async () => {
    expect(ok(await app.settlement.settlementCsv(system(), period.id, 'positions'))).toBe(
      [
        'period_id,settlement_currency,party_id,receivable,payable,position',
        `${period.id},EUR,ptr_fuelco,0.00,0.00,0.00`,
        `${period.id},EUR,ptr_nordic,0.00,6.00,-6.00`,
        `${period.id},EUR,ptr_skyair,6.00,12.00,-6.00`,
        `${period.id},EUR,ptr_telcoone,12.00,0.00,12.00`,
        '',
      ].join('\r\n'),
    );
    expect(ok(await app.settlement.settlementCsv(system(), period.id, 'payments'))).toBe(
      [
        'period_id,settlement_currency,payer_id,payee_id,amount',
        `${period.id},EUR,ptr_nordic,ptr_telcoone,6.00`,
        `${period.id},EUR,ptr_skyair,ptr_telcoone,6.00`,
        '',
      ].join('\r\n'),
    );
  });
});

function flow(debtorId: string, creditorId: string, amountMinor: bigint, obligationCount: bigint) {
  return { settlementCurrency: 'EUR', debtorId, creditorId, amountMinor, obligationCount };
}

async function statementOf(partnerId: string) {
  const statement = ok(await app.settlement.statement(system(), period.id, partnerId));
  const page = ok(await app.settlement.statementLines(system(), period.id, partnerId, 100, null));
  return {
    totals: statement.totals.map((total): [string, bigint] => [
      total.counterpartyId,
      total.netMinor,
    ]),
    lines: page.items.map((line: StatementLine) => ({
      transferId: line.transferId,
      kind: line.kind,
      counterpartyId: line.counterpartyId,
      points: line.points,
      amountMinor: line.amountMinor,
    })),
  };
}

function sumsByCounterparty(lines: { counterpartyId: string; amountMinor: bigint }[]) {
  const sums = new Map<string, bigint>();
  for (const line of lines) {
    sums.set(line.counterpartyId, (sums.get(line.counterpartyId) ?? 0n) + line.amountMinor);
  }
  return sums;
}
