import { seedDemoRules } from '../../gateway/demo/rules';
import { seedDemoTiers } from '../../gateway/demo/tiers';
import type { EarnReceipt } from '../../gateway/ledger/earn';
import type { AwardInput } from '../../gateway/purchases/purchase-service';
import { noLimits, type RuleDefinition } from '../../gateway/rules/rule-definition';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

/**
 * Earning rules that need the ledger (issue 14): the demo's FreshMart Club campaigns (step by
 * step, once per member, VIP multipliers) and SkyAir's weekend campaign, exactly as documented
 * in gateway/demo/rules.ts; limits and budgets under concurrent purchases.
 */
let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
  await seedDemoTiers(app);
  await seedDemoRules(app);
});
afterAll(() => app.close());

const eur = (euros: number) => ({ amountMinor: BigInt(euros * 100), currency: 'EUR' });

/** The operator, who may create rules over any partner's purchases. */
const operator = () => ({
  ...app.systemContext('test'),
  caller: { kind: 'operator' as const, userId: 'ops-1' },
});

/** An operator-funded rule that adds `points` to every purchase from now on. */
const bonusRule = (
  name: string,
  points: bigint,
  limits: RuleDefinition['limits'] = noLimits,
): RuleDefinition => ({
  name,
  window: { startsAt: app.clock.now(), endsAt: null, daysOfWeek: [], hours: null, timeZone: 'UTC' },
  priority: 0,
  stacking: 'stackable',
  match: 'all',
  conditions: [],
  effects: [{ kind: 'bonus', points }],
  partnerShareBp: 0,
  limits,
});

function award(partnerId: string, input: Partial<AwardInput> & { transactionId: string }) {
  return app.purchases.award(app.asPartner(partnerId), {
    member: { externalId: 'FM-42' },
    currency: 'FRM',
    ...input,
  });
}

const lines = (receipt: EarnReceipt) =>
  receipt.lines.map((line) => `${line.kind} ${line.points} ${line.description}`);

describe('earning rules decided by the ledger', () => {
  it('gives Bob the FreshMart Club campaigns step by step, once each, at his VIP tier', async () => {
    // Bob's purchases at FreshMart count in any of its programs: the demo story has one (HTL),
    // so his first club purchase is his 2nd at FreshMart.
    const toysAndFood = [
      { sku: 'TOY-1', category: 'toys', quantity: 2, unitPriceMinor: 2_000n },
      { sku: 'FOOD-1', category: 'food', quantity: 1, unitPriceMinor: 6_000n },
    ];
    const first = ok(
      await award('ptr_freshmart', {
        transactionId: 'FRM-1',
        purchase: eur(100),
        basket: toysAndFood,
      }),
    );
    expect(lines(first)).toEqual([
      'base 100 1 per 100 minor units of EUR',
      'rule 0 Welcome step 2: a voucher for a free GIFT-BAG',
      'rule 80 Toys x3 for VIP: x3 on toys',
      'tier 100 VIP x2',
    ]);
    expect(first.points).toBe(280n);
    expect(first.lines[1]!.voucher).toMatchObject({ reward: 'free_product', sku: 'GIFT-BAG' });
    const food = (euros: number) => [
      { sku: 'FOOD-1', category: 'food', quantity: 1, unitPriceMinor: BigInt(euros * 100) },
    ];
    const second = ok(
      await award('ptr_freshmart', {
        transactionId: 'FRM-2',
        purchase: eur(250),
        basket: food(250),
      }),
    );
    expect(lines(second)).toEqual([
      'base 250 1 per 100 minor units of EUR',
      'rule 0 Welcome step 3: a voucher for 10% off the next purchase',
      'rule 0 Big basket: 20% off: -50.00 EUR',
      'tier 250 VIP x2',
    ]);
    expect(second.lines[2]!.discount).toEqual({ amountMinor: 5_000n, currency: 'EUR' });
    const third = ok(
      await award('ptr_freshmart', { transactionId: 'FRM-3', purchase: eur(50), basket: food(50) }),
    );
    expect(lines(third)).toEqual(['base 50 1 per 100 minor units of EUR', 'tier 50 VIP x2']);
    // The big basket was once per member; the steps are over.
    const fourth = ok(
      await award('ptr_freshmart', {
        transactionId: 'FRM-4',
        purchase: eur(250),
        basket: food(250),
      }),
    );
    expect(lines(fourth)).toEqual(['base 250 1 per 100 minor units of EUR', 'tier 250 VIP x2']);
    // A retry of the second answers its receipt, rule lines included, and writes nothing.
    const retried = ok(
      await award('ptr_freshmart', {
        transactionId: 'FRM-2',
        purchase: eur(250),
        basket: food(250),
      }),
    );
    expect(retried).toEqual(second);
  });

  it('doubles SkyAir miles at weekends in Helsinki, half funded by the partner', async () => {
    const weekday = ok(
      await award('ptr_skyair', {
        transactionId: 'SKY-WEEKDAY',
        member: { externalId: 'SK-100001' },
        currency: 'SKY',
        points: 1_000n,
      }),
    );
    expect(weekday.lines.map((line) => line.kind)).toEqual(['base', 'tier']);
    // Saturday 2026-11-28, 09:00 in Helsinki.
    app.clock.set(new Date('2026-11-28T07:00:00Z'));
    const saturday = ok(
      await award('ptr_skyair', {
        transactionId: 'SKY-SATURDAY',
        member: { externalId: 'SK-100001' },
        currency: 'SKY',
        points: 1_000n,
      }),
    );
    expect(lines(saturday)).toEqual([
      'base 1000 points given by the partner',
      'rule 1000 Double miles weekends: x2',
      'tier 500 Gold x1.5',
    ]);
    const grant = await app.db.query<{ grants: { p: number; f: number }[] }>(
      'select rule_grants as grants from transfer where id = $1',
      [saturday.transferId],
    );
    expect(grant.rows[0]!.grants).toMatchObject([{ p: 1000, f: 500 }]);
  });

  it('grants a once-per-member rule once, and never beyond a budget, under concurrent purchases', async () => {
    ok(
      await app.rules.createRule(operator(), {
        currency: 'HTL',
        definition: bonusRule('Once ever', 10n, {
          ...noLimits,
          perMember: { uses: 1, period: 'ever' },
        }),
      }),
    );
    // 35 points: three grants of 10 fit, the 8 slots hold 5 or 4 each (drawn across slots).
    const budgeted = ok(
      await app.rules.createRule(operator(), {
        currency: 'HTL',
        definition: bonusRule('Small budget', 10n, { ...noLimits, pointsBudget: 35n }),
      }),
    );
    const purchases = Array.from({ length: 12 }, (_, index) =>
      award('ptr_freshmart', {
        transactionId: `HTL-CONCURRENT-${index}`,
        currency: 'HTL',
        purchase: eur(10),
      }),
    );
    const receipts = (await Promise.all(purchases)).map(ok);
    const granted = (name: string) =>
      receipts
        .flatMap((receipt) => receipt.lines)
        .filter((line) => line.description.startsWith(name));
    expect(granted('Once ever')).toHaveLength(1);
    expect(granted('Small budget')).toHaveLength(3);
    const left = (await app.rules.rules(operator(), { currency: 'HTL' })).rules.find(
      (found) => found.id === budgeted.id,
    );
    expect(left?.budgetLeft).toEqual({ points: 5n, uses: 10n ** 15n - 3n });

    // A partial refund gives the budget its share of the grant but no use; the rest of the
    // purchase gives the rest: the budget and the member's once-ever use return, and the next
    // purchase gets the rule again.
    const withOnce = receipts.find((receipt) =>
      receipt.lines.some((line) => line.description.startsWith('Once ever')),
    )!;
    const purchase = `HTL-CONCURRENT-${receipts.indexOf(withOnce)}`;
    const budgetPoints = withOnce.lines.some((line) => line.description.startsWith('Small budget'))
      ? 10n
      : 0n;
    const refund = (refundId: string, amountMinor?: bigint) =>
      app.purchases.refundPurchase(app.asPartner('ptr_freshmart'), {
        transactionId: purchase,
        refundId,
        ...(amountMinor === undefined ? {} : { amount: { amountMinor, currency: 'EUR' } }),
      });
    ok(await refund('R-PART', 400n));
    const again = ok(
      await award('ptr_freshmart', {
        transactionId: 'HTL-AFTER-PART',
        currency: 'HTL',
        purchase: eur(10),
      }),
    );
    expect(again.lines.some((line) => line.description.startsWith('Once ever'))).toBe(false);
    ok(await refund('R-REST'));
    const budgetAfter = (await app.rules.rules(operator(), { currency: 'HTL' })).rules.find(
      (found) => found.id === budgeted.id,
    )?.budgetLeft;
    expect(budgetAfter?.points).toBe(5n + budgetPoints);
    const restored = ok(
      await award('ptr_freshmart', {
        transactionId: 'HTL-AFTER-ALL',
        currency: 'HTL',
        purchase: eur(10),
      }),
    );
    expect(restored.lines.some((line) => line.description.startsWith('Once ever'))).toBe(true);
    expect(await ledgerViolations(app.db)).toEqual([]);
  });

  it('stores and answers a grant whose description holds quotes, backslashes and accents', async () => {
    // The batch receives grants as JSON texts separated by U+001E (migrations/0096; names
    // refuse control characters, and JSON.stringify would escape one): what JSON escapes must
    // come back unchanged.
    const name = 'Odd "name" \\ with {braces}, a comma and café';
    ok(
      await app.rules.createRule(operator(), {
        currency: 'HTL',
        definition: bonusRule(name, 7n),
      }),
    );
    const input = { transactionId: 'HTL-ODD-NAME', currency: 'HTL', purchase: eur(10) };
    const receipt = ok(await award('ptr_freshmart', input));
    const line = receipt.lines.find((found) => found.description.startsWith(name));
    expect(line?.points).toBe(7n);
    const stored = await app.db.query<{ d: string }>(
      `select g ->> 'd' as d from transfer t, jsonb_array_elements(t.rule_grants) g
       where t.id = $1 and g ->> 'd' like 'Odd%'`,
      [receipt.transferId],
    );
    expect(stored.rows.map((row) => row.d)).toEqual([line!.description]);
    // A replay answers the same lines, read back from the stored grants.
    const replay = ok(await award('ptr_freshmart', input));
    expect(replay.lines).toEqual(receipt.lines);
    expect(await ledgerViolations(app.db)).toEqual([]);
  });
});
