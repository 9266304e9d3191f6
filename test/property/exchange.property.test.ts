import fc from 'fast-check';
import {
  ArbitrageCycle,
  BelowConversionMinimum,
  ConversionLimitExceeded,
  LiquidityFloorReached,
  NoExchangeRate,
  NotConversionIncrement,
} from '../../gateway/exchange/errors';
import type { ExchangePromotion, ExchangeRate } from '../../gateway/exchange/exchange-model';
import { largestConvertible } from '../../gateway/exchange/pricing';
import { InsufficientPoints } from '../../gateway/ledger/errors';
import { DomainError, InvalidInput } from '../../gateway/shared/errors';
import { asMember, availablePoints } from '../helpers/exchange-helpers';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

/**
 * No sequence of conversions creates points or value from nothing, whatever the amounts, rates,
 * fees and bonuses the operator may set (rates that would close a gaining cycle are refused by
 * the arbitrage guard, and the test checks that what is in force has none):
 * - each currency's accounts still sum to zero (points are only ever moved);
 * - the member's wealth W = sum of balance x w(currency) never grows, where w is the best that
 *   one point of a currency can become in the run's reference currency through the rates and
 *   bonuses in force (a potential: w(source) >= gain(edge) x w(target) for every edge);
 * - liquidity accounts never go below their floors; the member's lots sum to their balances;
 * - every conversion row gives at most source x targetUnits / sourceUnits base target points.
 * Each run gets three fresh currencies, so runs never interfere.
 */

let app: TestApp;
const issuer = 'ptr_prop_issuer';
let runNumber = 0;
beforeAll(async () => {
  app = await createTestApp({ demo: false });
  ok(await app.catalog.createPartner(app.systemContext(), { id: issuer, name: 'Property issuer' }));
});
afterAll(async () => {
  await app.close();
});

const pairs = [
  [0, 1],
  [1, 0],
  [1, 2],
  [2, 1],
  [2, 0],
  [0, 2],
] as const;

const rateArbitrary = fc.record({
  pair: fc.integer({ min: 0, max: 5 }),
  sourceUnits: fc.bigInt(1n, 12n),
  targetUnits: fc.bigInt(1n, 12n),
  incrementPoints: fc.bigInt(1n, 50n),
  minimumMultiple: fc.bigInt(1n, 3n),
  feeFixedPoints: fc.bigInt(0n, 5n),
  feePerMille: fc.bigInt(0n, 60n),
  dailyLimitPoints: fc.option(fc.bigInt(2_000n, 30_000n), { nil: undefined }),
});

/** Which of the edges in force a step uses (modulo their number), and per mille of the balance. */
const edge = fc.nat({ max: 5 });
const share = fc.bigInt(1n, 1100n);
const stepArbitrary = fc.oneof(
  fc.record({ kind: fc.constant('convert' as const), edge, share, snap: fc.boolean() }),
  fc.record({ kind: fc.constant('roundTrip' as const), edge, share }),
  fc.record({
    kind: fc.constant('chain' as const),
    start: fc.nat({ max: 2 }),
    reverse: fc.boolean(),
    share,
  }),
);

const scenarioArbitrary = fc.record({
  balances: fc.tuple(
    fc.bigInt(0n, 20_000n),
    fc.bigInt(1_000n, 20_000n),
    fc.bigInt(1_000n, 20_000n),
  ),
  floors: fc.tuple(fc.bigInt(-40_000n, 0n), fc.bigInt(-40_000n, 0n), fc.bigInt(-40_000n, 0n)),
  rates: fc.array(rateArbitrary, { minLength: 2, maxLength: 8 }),
  promotions: fc.array(
    fc.record({ pair: fc.integer({ min: 0, max: 5 }), bonusPerMille: fc.bigInt(1n, 300n) }),
    { maxLength: 3 },
  ),
  steps: fc.array(stepArbitrary, { minLength: 1, maxLength: 5 }),
});
type Scenario = typeof scenarioArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** Failures a conversion may meet with random input; anything else fails the property. */
const expectedFailures = [
  NotConversionIncrement,
  BelowConversionMinimum,
  InsufficientPoints,
  ConversionLimitExceeded,
  LiquidityFloorReached,
  NoExchangeRate,
  InvalidInput,
];

interface Fraction {
  n: bigint;
  d: bigint;
}
const fraction = (n: bigint, d: bigint): Fraction => ({ n, d });
const times = (a: Fraction, b: Fraction) => fraction(a.n * b.n, a.d * b.d);
const plus = (a: Fraction, b: Fraction) => fraction(a.n * b.d + b.n * a.d, a.d * b.d);
const atMost = (a: Fraction, b: Fraction) => a.n * b.d <= b.n * a.d;
const greater = (a: Fraction, b: Fraction) => a.n * b.d > b.n * a.d;

/** One run: fresh currencies, partner terms, a member with balances, floors, rates, promotions. */
async function setUp(scenario: Scenario) {
  runNumber += 1;
  const system = app.systemContext();
  const codes = ['A', 'B', 'C'].map((letter) => `Q${runNumber}${letter}`);
  for (const [index, code] of codes.entries()) {
    ok(
      await app.catalog.createCurrency(system, {
        code,
        name: code,
        ownerPartnerId: issuer,
        expiryMonths: null,
      }),
    );
    ok(
      await app.catalog.setPartnerCurrency(system, {
        partnerId: issuer,
        currency: code,
        earns: true,
        accepts: true,
        earnRatePoints: 1n,
        earnRatePerMinor: 100n,
        moneyCurrency: 'EUR',
      }),
    );
    ok(
      await app.exchangeAdmin.setLiquidityFloor(system, {
        currency: code,
        floorPoints: scenario.floors[index]!,
      }),
    );
  }
  const memberId = ok(
    await app.members.createMember(system, { displayName: `Run ${runNumber}` }),
  ).id;
  ok(
    await app.members.linkMember(system, {
      partnerId: issuer,
      externalId: `RUN-${runNumber}`,
      memberId,
    }),
  );
  for (const [index, code] of codes.entries()) {
    if (scenario.balances[index]! === 0n) continue;
    ok(
      await app.purchases.award(app.asPartner(issuer), {
        member: { memberId },
        transactionId: `RUN-${runNumber}-${code}`,
        currency: code,
        points: scenario.balances[index]!,
      }),
    );
  }
  for (const rate of scenario.rates) {
    app.clock.advance(1000);
    const [source, target] = pairs[rate.pair]!;
    const outcome = await app.exchangeAdmin.setRate(system, {
      sourceCurrency: codes[source]!,
      targetCurrency: codes[target]!,
      sourceUnits: rate.sourceUnits,
      targetUnits: rate.targetUnits,
      incrementPoints: rate.incrementPoints,
      minimumPoints: rate.incrementPoints * rate.minimumMultiple,
      feeFixedPoints: rate.feeFixedPoints,
      feePerMille: rate.feePerMille,
      dailyLimitPoints: rate.dailyLimitPoints,
    });
    if (outcome instanceof DomainError) expect(outcome).toBeInstanceOf(ArbitrageCycle);
  }
  for (const promotion of scenario.promotions) {
    const [source, target] = pairs[promotion.pair]!;
    const outcome = await app.exchangeAdmin.addPromotion(system, {
      sourceCurrency: codes[source]!,
      targetCurrency: codes[target]!,
      bonusPerMille: promotion.bonusPerMille,
      endsAt: new Date(app.clock.now().getTime() + 86_400_000),
    });
    if (outcome instanceof DomainError) expect(outcome).toBeInstanceOf(ArbitrageCycle);
  }
  app.clock.advance(1000);
  return { codes, memberId };
}

/** What one point of each currency gains along each edge in force (rate and best bonus). */
async function gainsInForce(
  codes: string[],
): Promise<Map<string, { rate: ExchangeRate; gain: Fraction }>> {
  const now = app.clock.now();
  const rates = (await app.exchange.currentRates({})).filter((rate) =>
    codes.includes(rate.sourceCurrency),
  );
  const running: ExchangePromotion[] = (await app.exchange.promotions({})).filter(
    (promotion) => codes.includes(promotion.sourceCurrency) && promotion.startsAt <= now,
  );
  const gains = new Map<string, { rate: ExchangeRate; gain: Fraction }>();
  for (const rate of rates) {
    const bonus = running
      .filter(
        (p) => p.sourceCurrency === rate.sourceCurrency && p.targetCurrency === rate.targetCurrency,
      )
      .reduce((best, p) => (p.bonusPerMille > best ? p.bonusPerMille : best), 0n);
    gains.set(`${rate.sourceCurrency}>${rate.targetCurrency}`, {
      rate,
      gain: fraction(rate.targetUnits * (1000n + bonus), rate.sourceUnits * 1000n),
    });
  }
  return gains;
}

/** w(currency): the best one point becomes in currency 0 over simple paths (0 if none). */
function potentials(codes: string[], gains: Map<string, { gain: Fraction }>): Fraction[] {
  const gain = (from: number, to: number) => gains.get(`${codes[from]}>${codes[to]}`)?.gain;
  const best = (candidates: (Fraction | undefined)[]) =>
    candidates
      .filter((c): c is Fraction => c !== undefined)
      .reduce((a, b) => (greater(b, a) ? b : a), fraction(0n, 1n));
  const path = (...hops: number[]) => {
    let product = fraction(1n, 1n);
    for (let i = 0; i + 1 < hops.length; i++) {
      const edge = gain(hops[i]!, hops[i + 1]!);
      if (!edge) return undefined;
      product = times(product, edge);
    }
    return product;
  };
  return [fraction(1n, 1n), best([path(1, 0), path(1, 2, 0)]), best([path(2, 0), path(2, 1, 0)])];
}

function noGainingCycle(codes: string[], gains: Map<string, { gain: Fraction }>): boolean {
  const one = fraction(1n, 1n);
  const cycles = [
    [0, 1, 0],
    [1, 2, 1],
    [2, 0, 2],
    [0, 1, 2, 0],
    [0, 2, 1, 0],
  ];
  return cycles.every((cycle) => {
    let product = one;
    for (let i = 0; i + 1 < cycle.length; i++) {
      const edge = gains.get(`${codes[cycle[i]!]}>${codes[cycle[i + 1]!]}`);
      if (!edge) return true;
      product = times(product, edge.gain);
    }
    return atMost(product, one);
  });
}

async function wealth(memberId: string, codes: string[], weights: Fraction[]): Promise<Fraction> {
  let total = fraction(0n, 1n);
  for (const [index, code] of codes.entries()) {
    total = plus(
      total,
      times(fraction(await availablePoints(app, memberId, code), 1n), weights[index]!),
    );
  }
  return total;
}

async function checkLedgerInvariants(codes: string[], memberId: string): Promise<void> {
  const sums = await app.db.query<{ currency_code: string; posted: bigint; pending: bigint }>(
    `select currency_code, sum(credits_posted - debits_posted)::bigint as posted,
            sum(credits_pending - debits_pending)::bigint as pending
     from account where currency_code = any($1) group by currency_code`,
    [codes],
  );
  for (const row of sums.rows) expect([row.posted, row.pending]).toEqual([0n, 0n]);
  const liquidity = await app.db.query<{ balance: bigint; floor: bigint }>(
    `select credits_posted - debits_posted as balance, liquidity_floor_points as floor
     from account where kind = 'liquidity' and currency_code = any($1)`,
    [codes],
  );
  for (const row of liquidity.rows) expect(row.balance >= row.floor).toBe(true);
  const lots = await app.db.query<{ available: bigint; lots: bigint }>(
    `select a.credits_posted - a.debits_posted - a.debits_pending as available,
            coalesce((select sum(remaining_points) from lot where account_id = a.id), 0)::bigint as lots
     from account a where a.member_id = $1`,
    [memberId],
  );
  for (const row of lots.rows) expect(row.lots).toBe(row.available);
  const rounding = await app.db.query<{ fair: boolean }>(
    `select c.base_target_points * r.source_units <= c.source_points * r.target_units as fair
     from conversion c join exchange_rate r on r.id = c.rate_id where c.member_id = $1`,
    [memberId],
  );
  for (const row of rounding.rows) expect(row.fair).toBe(true);
}

describe('conversions never create points or value', () => {
  it('holds for random rates, fees, bonuses, floors and sequences of conversions', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        const { codes, memberId } = await setUp(scenario);
        const gains = await gainsInForce(codes);
        expect(noGainingCycle(codes, gains)).toBe(true);
        const weights = potentials(codes, gains);
        const caller = asMember(app, memberId);
        let before = await wealth(memberId, codes, weights);

        /** One conversion attempt; returns the target points received (0 when refused). */
        const convert = async (from: number, to: number, requested: bigint, snap: boolean) => {
          const edge = gains.get(`${codes[from]}>${codes[to]}`);
          let points = requested;
          if (snap && edge) {
            const increment = edge.rate.incrementPoints;
            points = requested < increment ? increment : requested - (requested % increment);
          }
          const quote = await app.exchange.quote(caller, {
            sourceCurrency: codes[from]!,
            targetCurrency: codes[to]!,
            sourcePoints: points,
          });
          let received = 0n;
          if (quote instanceof DomainError) {
            expect(expectedFailures.some((type) => quote instanceof type)).toBe(true);
          } else {
            const receipt = await app.exchange.convert(caller, {
              quoteId: quote.id,
              sourcePoints: points,
            });
            if (receipt instanceof DomainError) {
              expect(expectedFailures.some((type) => receipt instanceof type)).toBe(true);
            } else {
              received = receipt.baseTargetPoints + receipt.bonusPoints;
            }
          }
          await checkLedgerInvariants(codes, memberId);
          const after = await wealth(memberId, codes, weights);
          expect(atMost(after, before)).toBe(true);
          before = after;
          return received;
        };
        const convertBack = async (from: number, to: number, received: bigint) => {
          const edge = gains.get(`${codes[from]}>${codes[to]}`);
          if (!edge || received === 0n) return 0n;
          const points = largestConvertible(edge.rate, received, null);
          return points > 0n ? convert(from, to, points, false) : 0n;
        };

        const edgesInForce = pairs.filter(([from, to]) => gains.has(`${codes[from]}>${codes[to]}`));
        const amountOf = async (from: number, perMille: bigint) => {
          const held = await availablePoints(app, memberId, codes[from]!);
          const points = (held * perMille) / 1000n;
          return points > 0n ? points : 1n;
        };
        for (const step of scenario.steps) {
          if (step.kind === 'chain') {
            const order = step.reverse ? [0, 2, 1] : [0, 1, 2];
            const hops = order.map((offset) => (step.start + offset) % 3);
            const points = await amountOf(hops[0]!, step.share);
            let received = await convert(hops[0]!, hops[1]!, points, true);
            received = await convertBack(hops[1]!, hops[2]!, received);
            await convertBack(hops[2]!, hops[0]!, received);
            continue;
          }
          if (edgesInForce.length === 0) continue;
          const [from, to] = edgesInForce[step.edge % edgesInForce.length]!;
          const points = await amountOf(from, step.share);
          if (step.kind === 'convert') {
            await convert(from, to, points, step.snap);
          } else {
            await convertBack(to, from, await convert(from, to, points, true));
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});
