import fc from 'fast-check';
import type { Page, Period, StatementLine } from '../../gateway/settlement/model';
import { DomainError } from '../../gateway/shared/errors';
import { convertAsMember } from '../helpers/exchange-conversions';
import { closeAtEnd, openNextPeriod } from '../helpers/settlement-fixtures';
import { derivedLines, lineKeys, oracleLines } from '../helpers/settlement-oracle';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

/**
 * Random activity under random agreements, settled over two periods. Each run builds its own
 * small coalition (fresh partners, currencies and members) in the same database, then checks
 * the invariants finance relies on.
 */
let app: TestApp;
beforeAll(async () => {
  app = await createTestApp({ demo: false });
});
afterAll(() => app.close());

const partnersPerRun = 4;
const membersPerRun = 2;

const decimal = (digits: number) =>
  fc
    .integer({ min: 0, max: 10 ** digits - 1 })
    .map((n) => `0.${n.toString().padStart(digits, '0')}`);

const agreementTerms = fc.record({
  settlementCurrency: fc.constantFrom('EUR', 'SEK'),
  issuancePrice: decimal(5),
  reimbursementPrice: decimal(5),
  exchangePrice: decimal(4),
  billingPercent: fc.integer({ min: 1, max: 100 }).map(String),
  operatorFeePercent: fc.option(fc.constantFrom('0.5', '1.25', '3'), { nil: null }),
  operatorFeePerTransferMinor: fc.option(fc.bigInt({ min: 1n, max: 25n }), { nil: null }),
});

// Weighted so that most runs hold balances to pay, redeem and cancel with.
const operation = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('earn' as const),
      partner: fc.nat(partnersPerRun - 1),
      member: fc.nat(membersPerRun - 1),
      currency: fc.nat(1),
      points: fc.bigInt({ min: 1n, max: 3000n }),
      pendingDays: fc.constantFrom(0, 0, 3),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      partner: fc.nat(partnersPerRun - 1),
      member: fc.nat(membersPerRun - 1),
      currency: fc.nat(1),
      points: fc.bigInt({ min: 1n, max: 600n }),
    }),
  },
  {
    weight: 1,
    // One purchase, part paid with points and earning points on the rest: a refund of it
    // takes back the earn and returns spent points, which reverse the payment (found by the
    // purchase's transaction id, as the refund relates to the earn).
    arbitrary: fc.record({
      kind: fc.constant('earnAndPay' as const),
      partner: fc.nat(partnersPerRun - 1),
      member: fc.nat(membersPerRun - 1),
      earnCurrency: fc.nat(1),
      payCurrency: fc.nat(1),
      points: fc.bigInt({ min: 1n, max: 600n }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      target: fc.nat(),
      share: fc.constantFrom(null, 1n, 3n),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('hold' as const),
      partner: fc.nat(partnersPerRun - 1),
      member: fc.nat(membersPerRun - 1),
      currency: fc.nat(1),
      points: fc.bigInt({ min: 2n, max: 600n }),
      // A redemption in two steps: confirmed (in full or in part), declined, or confirmed and
      // then cancelled (settlement reverses the confirmed part's reimbursement).
      outcome: fc.constantFrom('confirm', 'part', 'decline', 'cancel', 'cancelPart'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('convert' as const),
      member: fc.nat(membersPerRun - 1),
      source: fc.nat(1),
      points: fc.bigInt({ min: 5n, max: 500n }),
    }),
  },
);

const scenario = fc.record({
  terms: fc.array(agreementTerms, { minLength: 2 * partnersPerRun, maxLength: 2 * partnersPerRun }),
  during: fc.array(operation, { minLength: 3, maxLength: 18 }),
  afterClose: fc.array(fc.record({ target: fc.nat(), share: fc.constantFrom(null, 2n) }), {
    maxLength: 4,
  }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/**
 * Run first, before the random scenarios, so that every kind of transfer that yields lines is
 * met on every run of the suite (the random ones meet them nearly always, not always): partner
 * 2 (owning no currency) earns, pays, holds and cancels, sells in two legs; a refund in part
 * then in full; a conversion; a late refund after the close.
 */
const coveringScenario: Scenario = {
  terms: Array.from({ length: 2 * partnersPerRun }, (_, index) => ({
    settlementCurrency: index % 2 === 0 ? 'EUR' : 'SEK',
    issuancePrice: '0.01234',
    reimbursementPrice: '0.00987',
    exchangePrice: '0.0111',
    billingPercent: '90',
    operatorFeePercent: index % 3 === 0 ? '1.25' : null,
    operatorFeePerTransferMinor: index % 4 === 0 ? 3n : null,
  })),
  during: [
    { kind: 'earn', partner: 2, member: 0, currency: 0, points: 1_001n, pendingDays: 0 },
    { kind: 'pay', partner: 2, member: 0, currency: 1, points: 333n },
    { kind: 'hold', partner: 3, member: 1, currency: 0, points: 250n, outcome: 'cancelPart' },
    { kind: 'hold', partner: 2, member: 1, currency: 1, points: 99n, outcome: 'part' },
    { kind: 'earnAndPay', partner: 3, member: 0, earnCurrency: 1, payCurrency: 0, points: 77n },
    { kind: 'refund', target: 0, share: 3n },
    { kind: 'refund', target: 0, share: null },
    { kind: 'refund', target: 2, share: 1n },
    { kind: 'convert', member: 1, source: 0, points: 500n },
  ],
  afterClose: [{ target: 2, share: null }],
};

let run = 0;

interface Purchase {
  partnerId: string;
  transactionId: string;
}

async function buildCoalition(terms: Scenario['terms']) {
  run += 1;
  const system = app.systemContext('property');
  const partners = Array.from({ length: partnersPerRun }, (_, i) => `ptr_p${run}_${i}`);
  const currencies = [`C${run}A`, `C${run}B`];
  const members = Array.from({ length: membersPerRun }, (_, i) => `mbr_p${run}_${i}`);
  for (const id of partners) ok(await app.catalog.createPartner(system, { id, name: id }));
  for (const [index, code] of currencies.entries()) {
    ok(
      await app.catalog.createCurrency(system, {
        code,
        name: code,
        ownerPartnerId: partners[index]!,
        expiryMonths: null,
      }),
    );
  }
  // Rates both ways that lose points around the cycle (5 A = 1 B, 1 B = 4 A), so the arbitrage
  // guard accepts them; liquidity may run far negative.
  const [a, b] = currencies as [string, string];
  for (const [sourceCurrency, targetCurrency, sourceUnits, targetUnits, minimumPoints] of [
    [a, b, 5n, 1n, 5n],
    [b, a, 1n, 4n, 1n],
  ] as const) {
    ok(
      await app.exchangeAdmin.setRate(system, {
        sourceCurrency,
        targetCurrency,
        sourceUnits,
        targetUnits,
        incrementPoints: 1n,
        minimumPoints,
      }),
    );
  }
  for (const currency of currencies) {
    ok(
      await app.exchangeAdmin.setLiquidityFloor(system, { currency, floorPoints: -1_000_000_000n }),
    );
  }
  for (const id of members) ok(await app.members.createMember(system, { id, displayName: id }));
  for (const [p, partnerId] of partners.entries()) {
    for (const [c, currency] of currencies.entries()) {
      ok(
        await app.catalog.setPartnerCurrency(system, {
          partnerId,
          currency,
          earns: true,
          accepts: true,
          earnRatePoints: 1n,
          earnRatePerMinor: 100n,
          moneyCurrency: 'EUR',
        }),
      );
      if (partners[c] !== partnerId) {
        ok(
          await app.settlement.setAgreement(system, {
            partnerId,
            currency,
            effectiveFrom: app.clock.now(),
            ...terms[p * 2 + c]!,
          }),
        );
      }
    }
    for (const memberId of members) {
      ok(
        await app.members.linkMember(app.systemContext(), {
          partnerId,
          externalId: `${memberId}@${partnerId}`,
          memberId,
        }),
      );
    }
  }
  return { partners, currencies, members };
}

async function play(
  coalition: Awaited<ReturnType<typeof buildCoalition>>,
  operations: Scenario['during'],
): Promise<Purchase[]> {
  const purchases: Purchase[] = [];
  let sequence = 0;
  // Opening balances, earned at each currency's owner (a program's own issuance yields no
  // line), so that most payments and holds find points to spend.
  for (const memberId of coalition.members) {
    for (const [index, currency] of coalition.currencies.entries()) {
      sequence += 1;
      ok(
        await app.purchases.award(app.asPartner(coalition.partners[index]!), {
          member: { memberId },
          transactionId: `P${run}-${sequence}`,
          currency,
          points: 2_000n,
          purchase: { amountMinor: 200_000n, currency: 'EUR' },
        }),
      );
    }
  }
  for (const op of operations) {
    app.clock.advance(1_000);
    sequence += 1;
    const transactionId = `P${run}-${sequence}`;
    if (op.kind === 'earn' || op.kind === 'pay') {
      const partnerId = coalition.partners[op.partner]!;
      const common = {
        member: { memberId: coalition.members[op.member]! },
        transactionId,
        currency: coalition.currencies[op.currency]!,
        points: op.points,
        purchase: { amountMinor: op.points * 100n, currency: 'EUR' },
      };
      const outcome =
        op.kind === 'earn'
          ? await app.purchases.award(app.asPartner(partnerId), {
              ...common,
              pendingDays: op.pendingDays,
            })
          : await app.purchases.payWithPoints(app.asPartner(partnerId), common);
      if (!(outcome instanceof DomainError)) purchases.push({ partnerId, transactionId });
    } else if (op.kind === 'earnAndPay') {
      const partner = app.asPartner(coalition.partners[op.partner]!);
      const common = {
        member: { memberId: coalition.members[op.member]! },
        transactionId,
        points: op.points,
        purchase: { amountMinor: op.points * 100n, currency: 'EUR' },
      };
      const paid = await app.purchases.payWithPoints(partner, {
        ...common,
        currency: coalition.currencies[op.payCurrency]!,
      });
      if (paid instanceof DomainError) continue;
      ok(
        await app.purchases.award(partner, {
          ...common,
          currency: coalition.currencies[op.earnCurrency]!,
        }),
      );
      purchases.push({ partnerId: coalition.partners[op.partner]!, transactionId });
    } else if (op.kind === 'hold') {
      const partner = app.asPartner(coalition.partners[op.partner]!);
      const held = await app.redemptions.placeHold(partner, {
        member: { memberId: coalition.members[op.member]! },
        transactionId,
        currency: coalition.currencies[op.currency]!,
        points: op.points,
      });
      if (held instanceof DomainError) continue;
      app.clock.advance(1_000);
      const holdId = held.transferId;
      if (op.outcome === 'decline') {
        ok(await app.redemptions.decline(partner, { holdId }));
        continue;
      }
      const points =
        op.outcome === 'part' || op.outcome === 'cancelPart' ? op.points / 2n : undefined;
      ok(await app.redemptions.confirm(partner, { holdId, points }));
      if (op.outcome === 'cancel' || op.outcome === 'cancelPart') {
        app.clock.advance(1_000);
        ok(await app.redemptions.cancel(partner, { holdId }));
      }
    } else if (op.kind === 'refund') {
      await refund(purchases, op.target, op.share, `R${run}-${sequence}`);
    } else {
      const memberId = coalition.members[op.member]!;
      const source = coalition.currencies[op.source]!;
      const balance = (await app.ledger.balances([memberId], app.clock.now())).find(
        (b) => b.currency === source,
      );
      if ((balance?.availablePoints ?? 0n) < op.points) continue;
      // Refusals (below the minimum, a target of zero points...) write nothing, like any
      // other refused request in this random activity.
      await convertAsMember(app, {
        memberId,
        sourceCurrency: source,
        targetCurrency: coalition.currencies[1 - op.source]!,
        sourcePoints: op.points,
      });
    }
  }
  return purchases;
}

async function refund(
  purchases: Purchase[],
  target: number,
  share: bigint | null,
  refundId: string,
) {
  const purchase = purchases[target % Math.max(purchases.length, 1)];
  if (!purchase) return undefined;
  const outcome = await app.purchases.refundPurchase(app.asPartner(purchase.partnerId), {
    transactionId: purchase.transactionId,
    refundId,
    amount: share === null ? undefined : { amountMinor: share * 100n, currency: 'EUR' },
  });
  return outcome instanceof DomainError ? undefined : outcome.transferId;
}

async function checkPeriod(period: Period, partners: string[]) {
  const system = app.systemContext('property');
  const settlement = ok(await app.settlement.periodSettlement(system, period.id));
  for (const currency of ['EUR', 'SEK']) {
    const positions = settlement.positions.filter((p) => p.settlementCurrency === currency);
    expect(positions.reduce((sum, p) => sum + p.positionMinor, 0n)).toBe(0n);
    const nonZero = positions.filter((p) => p.positionMinor !== 0n).length;
    const payments = settlement.payments.filter((p) => p.settlementCurrency === currency);
    expect(payments.length).toBeLessThanOrEqual(Math.max(nonZero - 1, 0));
  }
  for (const partnerId of partners) {
    const statement = ok(await app.settlement.statement(system, period.id, partnerId));
    const sums = new Map<string, bigint>();
    let after: string | null = null;
    for (;;) {
      const page: Page<StatementLine> = ok(
        await app.settlement.statementLines(system, period.id, partnerId, 7, after),
      );
      for (const line of page.items) {
        const key = `${line.settlementCurrency}:${line.counterpartyId}`;
        sums.set(key, (sums.get(key) ?? 0n) + line.amountMinor);
      }
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    const totals = new Map(
      statement.totals.map((t) => [`${t.settlementCurrency}:${t.counterpartyId}`, t.netMinor]),
    );
    expect(sums).toEqual(totals);
  }
  return settlement;
}

/**
 * The cumulative rounding rule (line-sql.ts): an origin whose points were all taken back, in
 * any number of reversals over any periods, nets to exactly zero in money too, line kind by
 * line kind (the fixed fee per transfer is never reversed: the transfer was processed).
 */
async function fullyReversedNetToZero(partners: string[]): Promise<number> {
  const rows = await app.db.query<{ origin: string; kind: string; amount_minor: bigint }>(
    `select origin_transfer_id as origin, kind, sum(amount_minor)::bigint as amount_minor
     from settlement_obligation
     where kind <> 'transfer_fee' and origin_transfer_id in (
       select origin_transfer_id from settlement_obligation
       where points < 0 and (debtor_id = any($1::text[]) or creditor_id = any($1::text[])))
     group by 1, 2
     having sum(points) = 0`,
    [partners],
  );
  for (const row of rows.rows) expect(row).toEqual({ ...row, amount_minor: 0n });
  return rows.rowCount ?? 0;
}

async function snapshot() {
  const rows = await app.db.query<{ count: bigint; sum: bigint; items: bigint }>(
    `select count(*) as count, coalesce(sum(amount_minor), 0)::bigint as sum,
            (select count(*) from settlement_item) as items
     from settlement_obligation`,
  );
  return rows.rows[0];
}

describe('settlement over random activity and random agreements', () => {
  it('nets to zero, adds up, closes once, and bills a refund after close in the next period only', async () => {
    let fullyReversed = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (generated) => {
        const first = await openNextPeriod(app, 6);
        const coalition = await buildCoalition(generated.terms);
        const purchases = await play(coalition, generated.during);
        const closed = await closeAtEnd(app, first);
        const before = await snapshot();
        expect(await closeAtEnd(app, first)).toEqual(closed);
        expect(await snapshot()).toEqual(before);
        const firstSettlement = await checkPeriod(closed, coalition.partners);

        const second = await openNextPeriod(app, 6);
        const lateRefunds: string[] = [];
        for (const [index, late] of generated.afterClose.entries()) {
          app.clock.advance(1_000);
          const id = await refund(purchases, late.target, late.share, `L${run}-${index}`);
          if (id) lateRefunds.push(id);
        }
        await closeAtEnd(app, second);
        await checkPeriod(second, coalition.partners);
        const periods = await app.db.query<{
          transfer_id: string;
          period_id: string;
          origin_period: string | null;
        }>(
          `select o.transfer_id, o.period_id, origin.period_id as origin_period
           from settlement_obligation o
           left join settlement_item origin on origin.transfer_id = o.origin_transfer_id
           where o.transfer_id = any($1::text[])`,
          [lateRefunds],
        );
        for (const row of periods.rows) {
          expect(row.period_id).toBe(second.id);
          expect(row.origin_period).toBe(first.id);
        }
        fullyReversed += await fullyReversedNetToZero(coalition.partners);
        // Every line, as the documented rules give it (an independent model in TypeScript).
        const both = [first.id, second.id];
        expect(lineKeys(await derivedLines(app.db, both))).toEqual(
          lineKeys(await oracleLines(app.db, both)),
        );
        const firstAgain = ok(
          await app.settlement.periodSettlement(app.systemContext('property'), first.id),
        );
        expect(firstAgain).toEqual(firstSettlement);
      }),
      // Each run adds to one database, so shrinking replays runs on top of every earlier one
      // (slowly, and the state differs): report the first counterexample instead.
      { numRuns: 8, endOnFailure: true, examples: [[coveringScenario]] },
    );
    // Full refunds are common in the generated activity (a refund without an amount).
    expect(fullyReversed).toBeGreaterThan(0);
    // The oracle met every kind of transfer that yields lines.
    const codes = await app.db.query<{ transfer_code: string }>(
      'select distinct transfer_code from settlement_obligation order by 1',
    );
    expect(codes.rows.map((row) => row.transfer_code)).toEqual([
      'cancel',
      'convert',
      'earn',
      'post',
      'redeem',
      'refund',
    ]);
  });
});
