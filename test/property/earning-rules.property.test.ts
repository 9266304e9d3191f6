import fc from 'fast-check';
import type { EarnReceipt } from '../../gateway/ledger/earn';
import {
  type Channel,
  noLimits,
  type RuleCondition,
  type RuleDefinition,
  type RuleEffect,
} from '../../gateway/rules/rule-definition';
import type { RequestContext } from '../../gateway/shared/context';
import { DomainError } from '../../gateway/shared/errors';
import { maxBig } from '../../gateway/shared/money';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { closeAtEnd, openNextPeriod } from '../helpers/settlement-fixtures';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

/**
 * Random earning rules (issue 14) and random baskets, refunds and retries from concurrent
 * clients, in HTL (with a tier ladder, so rules naming a tier are priced per world). After
 * every sequence:
 * - no budget is exceeded, and what is left of each is exactly its budget less what stands
 *   granted (refunds give grants back in proportion, or whole below a rule's threshold);
 * - no per-member limit is exceeded (a ledger invariant), nor a use given twice;
 * - each earn's posting is its base, its tier line and its rule lines, and the rule lines are
 *   the grants stored on the transfer;
 * - a retry with the same key answers the same receipt and writes nothing;
 * - every ledger invariant holds (postings sum to zero per currency, lots, references).
 */

const categories = ['toys', 'food', 'garden'];
const channels: Channel[] = ['store', 'online', 'app'];

const conditionArbitrary: fc.Arbitrary<RuleCondition> = fc.oneof(
  fc.record({
    kind: fc.constant('channel' as const),
    channels: fc.subarray(channels, { minLength: 1 }),
  }),
  fc.record({
    kind: fc.constant('lines' as const),
    filter: fc.record({
      skus: fc.constant([] as string[]),
      categories: fc.subarray(categories, { minLength: 1 }),
    }),
    quantityMin: fc.integer({ min: 1, max: 3 }),
    amountMin: fc.constant(null),
  }),
  fc.record({
    kind: fc.constant('basketTotal' as const),
    currency: fc.constant('EUR'),
    amountMinorMin: fc.bigInt({ min: 100n, max: 30_000n }),
  }),
  fc.record({
    kind: fc.constant('memberTier' as const),
    tiers: fc.subarray(['MEMBER', 'SILVER', 'GOLD'], { minLength: 1 }),
  }),
  fc.record({
    kind: fc.constant('purchaseNumber' as const),
    number: fc.integer({ min: 1, max: 3 }),
  }),
  fc.constant({ kind: 'firstInCoalition' as const }),
);

const effectArbitrary: fc.Arbitrary<RuleEffect> = fc.oneof(
  fc.record({ kind: fc.constant('bonus' as const), points: fc.bigInt({ min: 1n, max: 300n }) }),
  fc.record({
    kind: fc.constant('multiply' as const),
    multiplierBp: fc.integer({ min: 10_001, max: 40_000 }),
    filter: fc.record({ skus: fc.constant([] as string[]), categories: fc.subarray(categories) }),
  }),
);

interface RuleSpec {
  priority: number;
  stacking: RuleDefinition['stacking'];
  conditions: RuleCondition[];
  effects: RuleEffect[];
  partnerShareBp: number;
  limits: RuleDefinition['limits'];
}

const ruleArbitrary: fc.Arbitrary<RuleSpec> = fc.record({
  priority: fc.integer({ min: -3, max: 3 }),
  stacking: fc.constantFrom(
    'stackable' as const,
    'stackable' as const,
    'stop' as const,
    'exclusive' as const,
  ),
  conditions: fc.array(conditionArbitrary, { maxLength: 2 }),
  effects: fc.array(effectArbitrary, { minLength: 1, maxLength: 2 }),
  partnerShareBp: fc.constantFrom(0, 2_500, 10_000),
  limits: fc.record({
    perMember: fc.option(
      fc.record({
        uses: fc.integer({ min: 1, max: 2 }),
        period: fc.constantFrom('day' as const, 'ever' as const),
      }),
    ),
    usesMax: fc.option(fc.integer({ min: 1, max: 6 })),
    pointsBudget: fc.option(fc.bigInt({ min: 1n, max: 2_000n })),
  }),
});

interface Basket {
  member: number;
  channel: Channel;
  lines: { category: string; quantity: number; euros: number }[];
}

type Op =
  | { kind: 'earns'; baskets: Basket[] }
  | { kind: 'refund'; purchase: number; percent: number }
  | { kind: 'retry'; purchase: number };

const basketArbitrary: fc.Arbitrary<Basket> = fc.record({
  member: fc.integer({ min: 0, max: 2 }),
  channel: fc.constantFrom(...channels),
  lines: fc.array(
    fc.record({
      category: fc.constantFrom(...categories),
      quantity: fc.integer({ min: 1, max: 3 }),
      euros: fc.integer({ min: 1, max: 120 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('earns' as const),
      baskets: fc.array(basketArbitrary, { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      purchase: fc.nat(),
      percent: fc.integer({ min: 1, max: 100 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retry' as const), purchase: fc.nat() }) },
);

let app: TestApp;
let operator: RequestContext;
let runNumber = 0;
const seen = { grants: 0, limited: 0, budgeted: 0, thresholdsBroken: 0 };

beforeAll(async () => {
  app = await createTestApp();
  operator = { ...app.systemContext(), caller: { kind: 'operator', userId: 'property' } };
  ok(
    await app.tiers.defineLadder(operator, {
      currency: 'HTL',
      metric: 'points',
      window: 'calendar_year',
      tiers: [
        { code: 'MEMBER', name: 'Member', threshold: 0n, multiplier: '1' },
        { code: 'SILVER', name: 'Silver', threshold: 300n, multiplier: '1.25' },
        { code: 'GOLD', name: 'Gold', threshold: 900n, multiplier: '1.5' },
      ],
    }),
  );
});
afterAll(() => app.close());

async function runSequence(specs: RuleSpec[], ops: Op[]): Promise<void> {
  const run = ++runNumber;
  const system = app.systemContext('property');
  // This run's rules only: the previous run's end.
  for (const rule of (await app.rules.rules(operator, { currency: 'HTL' })).rules) {
    ok(await app.rules.endRule(operator, rule.id));
  }
  const ruleIds: string[] = [];
  for (const [index, spec] of specs.entries()) {
    const limits = {
      ...noLimits,
      ...spec.limits,
    };
    const definition: RuleDefinition = {
      name: `R${run}-${index}`,
      window: {
        startsAt: app.clock.now(),
        endsAt: null,
        daysOfWeek: [],
        hours: null,
        timeZone: 'UTC',
      },
      match: 'all',
      ...spec,
      limits,
    };
    ruleIds.push(ok(await app.rules.createRule(operator, { currency: 'HTL', definition })).id);
  }
  for (let index = 0; index < 3; index++) {
    const member = ok(
      await app.members.createMember(system, { displayName: `Rules ${run}-${index}` }),
    );
    ok(
      await app.members.linkMember(system, {
        partnerId: 'ptr_freshmart',
        externalId: `RP${run}-${index}`,
        memberId: member.id,
      }),
    );
  }
  const purchases: { input: Parameters<TestApp['purchases']['award']>[1]; receipt: EarnReceipt }[] =
    [];
  let sent = 0;
  for (const op of ops) {
    if (op.kind === 'earns') {
      const inputs = op.baskets.map((basket) => {
        const lines = basket.lines.map((line, index) => ({
          sku: `${line.category}-${index}`,
          category: line.category,
          quantity: line.quantity,
          unitPriceMinor: BigInt(line.euros * 100),
        }));
        const total = lines.reduce(
          (sum, line) => sum + line.unitPriceMinor * BigInt(line.quantity),
          0n,
        );
        return {
          member: { externalId: `RP${run}-${basket.member}` },
          transactionId: `RP${run}-T${sent++}`,
          currency: 'HTL',
          purchase: { amountMinor: total, currency: 'EUR' },
          basket: lines,
          channel: basket.channel,
        };
      });
      // Concurrent clients: one batch or several, as the batcher groups them.
      const receipts = await Promise.all(
        inputs.map((input) => app.purchases.award(app.asPartner('ptr_freshmart'), input)),
      );
      for (const [index, receipt] of receipts.entries()) {
        purchases.push({ input: inputs[index]!, receipt: ok(receipt) });
      }
    } else if (op.kind === 'refund' && purchases.length > 0) {
      const purchase = purchases[op.purchase % purchases.length]!;
      const outcome = await app.purchases.refundPurchase(app.asPartner('ptr_freshmart'), {
        transactionId: purchase.input.transactionId,
        refundId: `${purchase.input.transactionId}-R${sent++}`,
        // A share of the purchase, so that refunds can leave a threshold rule's total unmet.
        amount: {
          amountMinor: maxBig(
            1n,
            (purchase.input.purchase!.amountMinor * BigInt(op.percent)) / 100n,
          ),
          currency: 'EUR',
        },
      });
      if (outcome instanceof DomainError) expect(outcome.code).toBe('REFUND_EXCEEDS_PURCHASE');
    } else if (op.kind === 'retry' && purchases.length > 0) {
      const purchase = purchases[op.purchase % purchases.length]!;
      const before = await app.db.query('select count(*)::int as n from transfer');
      const again = ok(await app.purchases.award(app.asPartner('ptr_freshmart'), purchase.input));
      expect(again).toEqual(purchase.receipt);
      expect((await app.db.query('select count(*)::int as n from transfer')).rows).toEqual(
        before.rows,
      );
    }
  }

  // Each receipt: posted = base + tier line + rule lines; rule lines = the stored grants.
  for (const { receipt } of purchases) {
    const stored = await app.db.query<{
      posted: string;
      grants: { r: string; p: number; f: number }[] | null;
    }>(
      `select p.amount_points::text as posted, t.rule_grants as grants
       from transfer t join posting p on p.transfer_id = t.id and p.index = 0 where t.id = $1`,
      [receipt.transferId],
    );
    const row = stored.rows[0]!;
    expect(BigInt(row.posted)).toBe(receipt.points);
    expect(receipt.lines.reduce((sum, line) => sum + line.points, 0n)).toBe(receipt.points);
    const ruleLines = receipt.lines.filter((line) => line.kind === 'rule');
    expect(ruleLines.map((line) => [line.ruleId, Number(line.points)])).toEqual(
      (row.grants ?? []).map((grant) => [grant.r, grant.p]),
    );
    seen.grants += ruleLines.length;
  }

  // Refunds take back floor(points x refunded / total), except a threshold rule's grant, taken
  // back whole once the purchase is left below its total (members here never spend, so there
  // is no shortfall).
  const refundedEarns = await app.db.query<{
    points: string;
    total: string;
    refunded: string;
    taken: string;
    grants: { p: number; th?: number }[] | null;
  }>(
    `select p.amount_points::text as points, t.purchase_amount_minor::text as total, t.rule_grants as grants,
            sum(r.purchase_amount_minor)::text as refunded, coalesce(sum(rp.amount_points), 0)::text as taken
     from transfer t join posting p on p.transfer_id = t.id and p.index = 0
     join transfer r on r.related_id = t.id and r.code = 'refund'
     left join posting rp on rp.transfer_id = r.id
     where t.code = 'earn' group by t.id, p.amount_points`,
  );
  for (const row of refundedEarns.rows) {
    const [points, total, refunded] = [BigInt(row.points), BigInt(row.total), BigInt(row.refunded)];
    let whole = 0n;
    for (const grant of row.grants ?? []) {
      if (grant.th !== undefined && total - refunded < BigInt(grant.th)) whole += BigInt(grant.p);
    }
    if (whole > 0n && refunded < total) seen.thresholdsBroken++;
    const expected = refunded >= total ? points : ((points - whole) * refunded) / total + whole;
    expect({ ...row, taken: BigInt(row.taken) }).toEqual({ ...row, taken: expected });
  }

  // Budgets: never exceeded, and exactly accounted for.
  for (const [index, spec] of specs.entries()) {
    const granted = await app.db.query<{ points: string | null; uses: string }>(
      // What stands granted: refunds give each grant back in proportion to the money refunded,
      // or whole (and its use) once the purchase is refunded in full or left below the rule's
      // threshold ('th').
      `select sum((g ->> 'p')::bigint - case when w.whole then (g ->> 'p')::bigint
                    else (g ->> 'p')::bigint * refunded.amount / t.purchase_amount_minor end)::text as points,
              (count(g) filter (where not w.whole))::text as uses
       from transfer t cross join lateral jsonb_array_elements(t.rule_grants) g
       cross join lateral (
         select coalesce(sum(r.purchase_amount_minor), 0)::bigint as amount
         from transfer r where r.related_id = t.id and r.code = 'refund') refunded
       cross join lateral (
         select refunded.amount >= t.purchase_amount_minor
                or coalesce(t.purchase_amount_minor - refunded.amount < (g ->> 'th')::bigint, false)
                as whole) w
       where g ->> 'r' = $1`,
      [ruleIds[index]],
    );
    const points = BigInt(granted.rows[0]!.points ?? '0');
    const uses = BigInt(granted.rows[0]!.uses);
    const { pointsBudget, usesMax, perMember } = spec.limits;
    if (pointsBudget !== null) expect(points).toBeLessThanOrEqual(pointsBudget);
    if (usesMax !== null) expect(uses).toBeLessThanOrEqual(BigInt(usesMax));
    if (pointsBudget !== null || usesMax !== null) {
      seen.budgeted++;
      const left = (
        await app.rules.rules(operator, { currency: 'HTL', includeEnded: true })
      ).rules.find((rule) => rule.id === ruleIds[index])!.budgetLeft!;
      expect(left.points).toBe((pointsBudget ?? 10n ** 15n) - points);
      expect(left.uses).toBe((usesMax === null ? 10n ** 15n : BigInt(usesMax)) - uses);
    }
    if (perMember) seen.limited++;
  }
  expect(await ledgerViolations(app.db)).toEqual([]);
}

describe('earning rules under random baskets, refunds, retries and concurrency', () => {
  it('keeps budgets, limits, receipts and the ledger exact', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(ruleArbitrary, { minLength: 1, maxLength: 5 }),
        fc.array(opArbitrary, { minLength: 3, maxLength: 12 }),
        runSequence,
      ),
      { numRuns: 25 },
    );
    console.log(
      `property runs granted ${seen.grants} rule lines; ${seen.limited} limited and ${seen.budgeted} budgeted rules; ${seen.thresholdsBroken} partial refunds below a threshold`,
    );
    expect(seen.grants).toBeGreaterThan(0);
  });

  it('bills the operator, at the close, exactly the issuance price of the campaign points it funds', async () => {
    // Every run's activity falls in one period (the clock does not move during the runs).
    const system = app.systemContext('property');
    const period = await openNextPeriod(app, 24 * 300);
    await closeAtEnd(app, period);
    const earns = await app.db.query<{
      id: string;
      net_funding: string | null;
      expected: string;
      funded: string;
    }>(
      `with earns as (
         select t.id, p.amount_points as points,
                (select sum((g ->> 'o')::bigint) from jsonb_array_elements(t.rule_grants) g) as funded,
                coalesce((select sum(rp.amount_points) from transfer r join posting rp on rp.transfer_id = r.id
                          where r.related_id = t.id and r.code = 'refund'), 0) as taken_back
         from transfer t join posting p on p.transfer_id = t.id and p.index = 0
         where t.code = 'earn' and t.partner_id = 'ptr_freshmart' and p.currency_code = 'HTL'
           and t.rule_grants @? '$[*].o'
       )
       select e.id, e.funded::text,
              (select sum(o.amount_minor) from settlement_obligation o
               where o.origin_transfer_id = e.id and o.kind = 'issuance_funding')::text as net_funding,
              -- What stands of the earn, at the funded share of the issuance price (the
              -- cumulative rule: a series of reversals nets to the rounding of what remains).
              settlement_amount_minor(e.points - e.taken_back,
                round(a.issuance_unit * e.funded / e.points, 12) * a.minor_factor)::text as expected
       from earns e
       cross join lateral (
         select * from settlement_agreement_span s
         where s.partner_id = 'ptr_freshmart' and s.currency_code = 'HTL'
         order by s.effective_from desc limit 1) a`,
    );
    expect(earns.rows.length).toBeGreaterThan(0);
    for (const row of earns.rows) {
      expect({ id: row.id, net: BigInt(row.net_funding ?? '0') }).toEqual({
        id: row.id,
        net: BigInt(row.expected),
      });
    }
    ok(await app.settlement.periodSettlement(system, period.id));
  });
});
