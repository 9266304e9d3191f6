import { noLimits } from '../../gateway/rules/rule-definition';
import type { StatementLine } from '../../gateway/settlement/model';
import {
  closeAtEnd,
  openNextPeriod,
  seedCoalitionWithoutHistory,
} from '../helpers/settlement-fixtures';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

/**
 * Funding of earning campaigns in settlement (issue 14): a coalition campaign the operator
 * funds in part bills the operator, not the earning partner, for its share of the bonus, at the
 * partner's issuance price; refunds reverse it with the issuance, exactly; netting stays exact.
 * FuelCo pays SkyAir 0.012 EUR per SKY point it awards (the demo agreement).
 */
let app: TestApp;
beforeAll(async () => {
  app = await createTestApp({ demo: false });
  await seedCoalitionWithoutHistory(app);
});
afterAll(() => app.close());

const system = () => app.systemContext('test');
const operator = () => ({ ...system(), caller: { kind: 'operator' as const, userId: 'ops-1' } });
const step = () => app.clock.advance(60_000);

async function fuelcoLines(periodId: string): Promise<StatementLine[]> {
  return ok(await app.settlement.statementLines(system(), periodId, 'ptr_fuelco', 100, null)).items;
}

describe('campaign funding in settlement', () => {
  it('bills the operator its share of a coalition campaign, reversed exactly by refunds', async () => {
    const period = await openNextPeriod(app, 1);
    // +100 points on every SKY earn, 25% funded by the partner where they are earned.
    ok(
      await app.rules.createRule(operator(), {
        currency: 'SKY',
        definition: {
          name: 'Coalition week',
          window: {
            startsAt: app.clock.now(),
            endsAt: null,
            daysOfWeek: [],
            hours: null,
            timeZone: 'UTC',
          },
          priority: 0,
          stacking: 'stackable',
          match: 'all',
          conditions: [],
          effects: [{ kind: 'bonus', points: 100n }],
          partnerShareBp: 2_500,
          limits: noLimits,
        },
      }),
    );
    step();
    const earn = ok(
      await app.purchases.award(app.asPartner('ptr_fuelco'), {
        member: { memberId: 'mbr_alice' },
        transactionId: 'FUND-1',
        currency: 'SKY',
        points: 100n,
      }),
    );
    expect(earn.points).toBe(200n);
    // A second earn, refunded in full in the same period.
    const refunded = ok(
      await app.purchases.award(app.asPartner('ptr_fuelco'), {
        member: { memberId: 'mbr_alice' },
        transactionId: 'FUND-2',
        currency: 'SKY',
        points: 100n,
      }),
    );
    step();
    const refund = ok(
      await app.purchases.refundPurchase(app.asPartner('ptr_fuelco'), {
        transactionId: 'FUND-2',
        refundId: 'FUND-2-R',
      }),
    );
    await closeAtEnd(app, period);
    const lines = (await fuelcoLines(period.id)).map((line) => [
      line.transferId,
      line.kind,
      line.counterpartyId,
      line.amountMinor,
    ]);
    // 200 points at 0.012 EUR: FuelCo owes SkyAir 2.40; the operator owes FuelCo its 75 points'
    // share, 0.90. The refunded earn and its funding come back to zero.
    expect(lines).toEqual(
      [
        [earn.transferId, 'issuance', 'ptr_skyair', -240n],
        [earn.transferId, 'issuance_funding', 'operator', 90n],
        [refunded.transferId, 'issuance', 'ptr_skyair', -240n],
        [refunded.transferId, 'issuance_funding', 'operator', 90n],
        [refund.transferId, 'issuance', 'ptr_skyair', 240n],
        [refund.transferId, 'issuance_funding', 'operator', -90n],
      ].sort(([a, b], [c, d]) => (`${a} ${b}` < `${c} ${d}` ? -1 : 1)),
    );
    const positions = ok(await app.settlement.periodSettlement(system(), period.id)).positions;
    expect(positions.map((p) => [p.partyId, p.positionMinor])).toEqual([
      ['operator', -90n],
      ['ptr_fuelco', -150n],
      ['ptr_skyair', 240n],
    ]);
  });
});
