import {
  generateTransfers,
  type SyntheticShape,
  seedSyntheticCoalition,
  syntheticAgreement,
} from '../../bench/synthetic-activity';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

/**
 * A small version of the million-transfer close (bench/settlement-close.ts): 2,000
 * generated transfers, closed by the set-based SQL, checked cent for cent against an
 * independent computation in TypeScript with exact rationals.
 */
const shape: SyntheticShape = { partners: 7, currencies: 3, members: 40 };
const count = 2_000;
let app: TestApp;

beforeAll(async () => {
  app = await createTestApp({ demo: false });
  const start = app.clock.now();
  await seedSyntheticCoalition(app, shape, start);
  await generateTransfers(app.db, shape, { count, firstId: 1, startsAt: start, spanMs: 3_600_000 });
});
afterAll(() => app.close());

describe('closing 2,000 generated transfers', () => {
  it('yields exactly the gross matrix an independent computation gives', async () => {
    const system = app.systemContext('test');
    const period = ok(
      await app.settlement.openPeriod(system, {
        startsAt: app.clock.now(),
        endsAt: new Date(app.clock.now().getTime() + 3_600_000),
      }),
    );
    app.clock.set(period.endsAt);
    const lines: string[] = [];
    const closed = ok(
      await app.settlement.closePeriod(system, period.id, (line) => lines.push(line)),
    );
    expect(closed.transferCount).toBe(BigInt(count));
    expect(lines.at(-1)).toMatch(/^closed per_/);
    const settlement = ok(await app.settlement.periodSettlement(system, period.id));
    const actual = new Map(
      settlement.gross.map((flow) => [`${flow.debtorId}>${flow.creditorId}`, flow.amountMinor]),
    );
    expect(actual).toEqual(expectedGross());
    expect(settlement.positions.reduce((sum, p) => sum + p.positionMinor, 0n)).toBe(0n);
  });
});

/** n/d, exact. */
interface Rational {
  n: bigint;
  d: bigint;
}

const decimal = (text: string): Rational => {
  const [whole, fraction = ''] = text.split('.');
  return { n: BigInt(whole! + fraction), d: 10n ** BigInt(fraction.length) };
};
const times = (a: Rational, b: Rational): Rational => ({ n: a.n * b.n, d: a.d * b.d });
/** points x unit in cents, rounded half up (points >= 0). */
const cents = (points: bigint, unit: Rational) =>
  (2n * points * unit.n * 100n + unit.d) / (2n * unit.d);

function expectedGross(): Map<string, bigint> {
  const gross = new Map<string, bigint>();
  const owe = (debtor: number | 'operator', creditor: number | 'operator', amount: bigint) => {
    const name = (party: number | 'operator') => (party === 'operator' ? party : `ptr_s${party}`);
    const key = `${name(debtor)}>${name(creditor)}`;
    gross.set(key, (gross.get(key) ?? 0n) + amount);
  };
  const terms = (partner: number, currency: number) =>
    syntheticAgreement(partner, currency, new Date());
  const fees = (
    partner: number,
    currency: number,
    points: bigint,
    unit: Rational,
    perTransfer: boolean,
  ) => {
    const agreement = terms(partner, currency);
    if (agreement.operatorFeePercent) {
      owe(
        partner,
        'operator',
        cents(points, times(unit, times(decimal(agreement.operatorFeePercent), decimal('0.01')))),
      );
    }
    if (perTransfer && agreement.operatorFeePerTransferMinor) {
      owe(partner, 'operator', agreement.operatorFeePerTransferMinor);
    }
  };
  const issuanceUnit = (partner: number, currency: number) => {
    const agreement = terms(partner, currency);
    return times(
      decimal(agreement.issuancePrice),
      times(decimal(agreement.billingPercent!), decimal('0.01')),
    );
  };
  for (let i = 0; i < count; i++) {
    const kind = i % 20;
    const j = kind === 18 ? i - 18 : i;
    const partner = j % shape.partners;
    const currency = Math.floor(j / 7) % shape.currencies;
    if (kind < 12 && partner !== currency) {
      const points = BigInt(1 + (j % 500));
      const unit = issuanceUnit(partner, currency);
      owe(partner, currency, cents(points, unit));
      fees(partner, currency, points, unit, true);
    } else if (kind < 18 && kind >= 12 && partner !== currency) {
      const points = BigInt(1 + (j % 300));
      const unit = decimal(terms(partner, currency).reimbursementPrice);
      owe(currency, partner, cents(points, unit));
      fees(partner, currency, points, unit, true);
    } else if (kind === 18 && partner !== currency) {
      const earned = BigInt(1 + (j % 500));
      const left = earned - (earned / 2n + 1n);
      const unit = issuanceUnit(partner, currency);
      owe(partner, currency, cents(left, unit) - cents(earned, unit));
      const percent = terms(partner, currency).operatorFeePercent;
      if (percent) {
        const feeUnit = times(unit, times(decimal(percent), decimal('0.01')));
        owe(partner, 'operator', cents(left, feeUnit) - cents(earned, feeUnit));
      }
    } else if (kind === 19) {
      const target = (currency + 1) % shape.currencies;
      const points = BigInt(1 + (i % 100));
      const unit = decimal(terms(currency, target).exchangePrice);
      owe(currency, target, cents(points, unit));
      fees(currency, target, points, unit, true);
    }
  }
  return gross;
}
