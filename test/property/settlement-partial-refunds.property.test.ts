import fc from 'fast-check';
import {
  closeAtEnd,
  openNextPeriod,
  seedCoalitionWithoutHistory,
} from '../helpers/settlement-fixtures';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

/**
 * The cumulative rounding rule (line-sql.ts): each reversal moves round(points left x price) -
 * round(points before x price), so an earn refunded in any number of parts, over one period or
 * two, reverses exactly what it was billed, line kind by line kind (the fixed fee per transfer
 * is never reversed), and the close's gross matrix agrees with the lines. Prices with five
 * decimals make nearly every part round.
 */
let app: TestApp;
beforeAll(async () => {
  app = await createTestApp({ demo: false });
  await seedCoalitionWithoutHistory(app);
});
afterAll(() => app.close());

const price = fc.integer({ min: 1, max: 99_999 }).map((n) => `0.${n.toString().padStart(5, '0')}`);

const purchase = fc.record({
  points: fc.bigInt({ min: 2n, max: 3000n }),
  // Parts as shares of what is left (per mille), then the rest; how many fall in the first period.
  parts: fc.array(fc.integer({ min: 1, max: 999 }), { minLength: 1, maxLength: 4 }),
  inFirstPeriod: fc.nat(5),
});

const scenario = fc.record({
  issuancePrice: price,
  billingPercent: fc.integer({ min: 1, max: 100 }).map(String),
  operatorFeePercent: fc.option(fc.constantFrom('0.5', '1.25', '3'), { nil: null }),
  purchases: fc.array(purchase, { minLength: 1, maxLength: 4 }),
});

let sequence = 0;

describe('partial refunds under the cumulative rounding rule', () => {
  it('reverse exactly what was billed, in one period or two', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (generated) => {
        const first = await openNextPeriod(app, 1);
        ok(
          await app.settlement.setAgreement(app.systemContext('test'), {
            partnerId: 'ptr_fuelco',
            currency: 'SKY',
            settlementCurrency: 'EUR',
            effectiveFrom: first.startsAt,
            issuancePrice: generated.issuancePrice,
            billingPercent: generated.billingPercent,
            operatorFeePercent: generated.operatorFeePercent,
            reimbursementPrice: '0.008',
            exchangePrice: '0.01',
          }),
        );
        const later: Array<() => Promise<string>> = [];
        const earns: string[] = [];
        for (const bought of generated.purchases) {
          sequence += 1;
          const transactionId = `PR-${sequence}`;
          app.clock.advance(1_000);
          const earn = ok(
            await app.purchases.award(app.asPartner('ptr_fuelco'), {
              member: { memberId: 'mbr_alice' },
              transactionId,
              currency: 'SKY',
              points: bought.points,
              purchase: { amountMinor: bought.points * 100n, currency: 'EUR' },
            }),
          );
          earns.push(earn.transferId);
          let left = bought.points;
          const refunds = [...bought.parts.map((share) => (left * BigInt(share)) / 1000n), null];
          for (const [index, share] of refunds.entries()) {
            const part = share === null ? null : share > 0n && share < left ? share : null;
            if (share !== null && part === null) continue;
            if (part !== null) left -= part;
            const refund = async () => {
              sequence += 1;
              app.clock.advance(1_000);
              return ok(
                await app.purchases.refundPurchase(app.asPartner('ptr_fuelco'), {
                  transactionId,
                  refundId: `PR-REFUND-${sequence}`,
                  amount: part === null ? undefined : { amountMinor: part * 100n, currency: 'EUR' },
                }),
              ).transferId;
            };
            if (index < bought.inFirstPeriod) await refund();
            else later.push(refund);
          }
        }
        await closeAtEnd(app, first);
        const second = await openNextPeriod(app, 1);
        for (const refund of later) await refund();
        await closeAtEnd(app, second);

        const lines = await app.db.query<{
          origin: string;
          kind: string;
          points: bigint;
          amount_minor: bigint;
        }>(
          `select origin_transfer_id as origin, kind, sum(points)::bigint as points,
                  sum(amount_minor)::bigint as amount_minor
           from settlement_obligation
           where origin_transfer_id = any($1::text[]) and kind <> 'transfer_fee'
           group by 1, 2 order by 1, 2`,
          [earns],
        );
        expect(lines.rows.length).toBeGreaterThanOrEqual(earns.length);
        for (const row of lines.rows) expect(row).toEqual({ ...row, points: 0n, amount_minor: 0n });

        for (const period of [first, second]) {
          const mismatch = await app.db.query(
            `select settlement_currency, debtor_id, creditor_id, sum(amount_minor) as amount_minor,
                    count(*) as lines
             from settlement_obligation where period_id = $1 group by 1, 2, 3
             except
             select settlement_currency, debtor_id, creditor_id, amount_minor, obligation_count
             from settlement_gross where period_id = $1`,
            [period.id],
          );
          expect(mismatch.rows).toEqual([]);
        }
      }),
      { numRuns: 12 },
    );
  });
});
