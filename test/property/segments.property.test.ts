import fc from 'fast-check';
import { segmentWindows } from '../../gateway/segments/segment-definition';
import type { RequestContext } from '../../gateway/shared/context';
import { DomainError } from '../../gateway/shared/errors';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

/**
 * Segments (issue 18, item 1): after random activity (earns, payments with points and refunds
 * at random times across partners, by members linked to some partners only), the membership the
 * refresh stores equals a brute-force recomputation in SQL, written independently (one
 * correlated subquery per member and fact, no window functions) for every built-in segment of
 * every partner and of the coalition, and for a custom segment of each scope. Then the clock
 * moves past the activity window and, refreshed again, the members active before are lapsed and
 * the stored membership still equals the recomputation.
 */

const earners = [
  { partnerId: 'ptr_skyair', currency: 'SKY' },
  { partnerId: 'ptr_fuelco', currency: 'SKY' },
  { partnerId: 'ptr_nordic', currency: 'HTL' },
  { partnerId: 'ptr_freshmart', currency: 'HTL' },
];
const scopes: (string | null)[] = [
  null,
  'ptr_skyair',
  'ptr_fuelco',
  'ptr_nordic',
  'ptr_freshmart',
  'ptr_telcoone',
];
const dayMs = 86_400_000;
const membersPerRun = 4;

type Op =
  | { kind: 'earn'; earner: number; member: number; euros: number }
  | { kind: 'pay'; earner: number; member: number; points: number }
  | { kind: 'refund'; purchase: number; percent: number }
  | { kind: 'advance'; days: number };

const member = fc.integer({ min: 0, max: membersPerRun - 1 });
const earner = fc.integer({ min: 0, max: earners.length - 1 });
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('earn' as const),
      earner,
      member,
      euros: fc.integer({ min: 1, max: 900 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      earner,
      member,
      points: fc.integer({ min: 1, max: 300 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      purchase: fc.nat(),
      percent: fc.integer({ min: 1, max: 100 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      days: fc.integer({ min: 1, max: 120 }),
    }),
  },
);
/** Which partners each member of a run is linked to (bit e: earners[e]). */
const linksArbitrary = fc.array(fc.integer({ min: 1, max: 15 }), {
  minLength: membersPerRun,
  maxLength: membersPerRun,
});

let app: TestApp;
let runNumber = 0;
const seen = { lapsedAfterMove: 0, customMembers: 0, byKind: new Map<string, number>() };
const customIds = new Map<string | null, string>();

beforeAll(async () => {
  app = await createTestApp();
  // A custom segment per scope: at least two purchases in 60 days and 50 EUR of spend in 120.
  for (const scope of scopes) {
    const ctx: RequestContext =
      scope === null
        ? { ...app.systemContext(), caller: { kind: 'operator', userId: 'property' } }
        : app.asPartner(scope);
    const segment = ok(
      await app.segments.create(ctx, {
        name: 'Regulars',
        conditions: [
          { kind: 'visits', min: 2, max: null, days: 60 },
          { kind: 'spend', currency: 'EUR', minMinor: 5_000n, belowMinor: null, days: 120 },
        ],
      }),
    );
    customIds.set(scope, segment.id);
  }
});
afterAll(() => app.close());

/** A built-in segment's members, recomputed member by member from the transfers. */
function bruteForceBuiltIn(kind: string): string {
  const w = segmentWindows;
  // $1 scope partner (null: coalition), $2 as of. "in scope" transfers of member m.
  const inScope = `t.member_id = m.member_id and ($1::text is null or t.partner_id = $1)
    and t.created_at <= $2`;
  const activity = `${inScope} and t.code in ('earn', 'redeem', 'hold', 'convert')`;
  const purchase = `${inScope} and t.code = 'earn' and t.purchase_amount_minor is not null`;
  // Net spend of member m in currency c over (from, to].
  const spend = (who: string, from: string, to: string) => `(
    coalesce((select sum(t.purchase_amount_minor) from transfer t
              where ${purchase.replaceAll('m.member_id', who)} and t.purchase_currency = c.currency
                and t.created_at > ${from} and t.created_at <= ${to}), 0)
    - coalesce((select sum(t.purchase_amount_minor) from transfer t
                join transfer e on e.id = t.related_id and e.code = 'earn'
                where ${inScope.replaceAll('m.member_id', who)} and t.code = 'refund'
                  and t.purchase_currency = c.currency
                  and t.created_at > ${from} and t.created_at <= ${to}), 0))`;
  const year = (who: string) => spend(who, `$2 - interval '${w.highValueDays} days'`, '$2');
  const members = `(select m.id as member_id from member m
      where m.erased_at is null and ($1::text is null or exists (
        select 1 from member_link l where l.partner_id = $1 and l.member_id = m.id)))`;
  const currencies =
    '(select distinct purchase_currency as currency from transfer where purchase_currency is not null)';
  const predicate: Record<string, string> = {
    new: `(select min(t.created_at) from transfer t where ${purchase}) > $2 - interval '${w.newDays} days'`,
    active: `(select max(t.created_at) from transfer t where ${activity}) > $2 - interval '${w.activeDays} days'`,
    lapsed: `(select max(t.created_at) from transfer t where ${activity}) <= $2 - interval '${w.activeDays} days'`,
    // Over each member's year spend per currency (computed once per member and currency).
    high_value: `exists (select 1 from year_spend y where y.member_id = m.member_id and y.minor > 0
      and (select count(*) from year_spend o where o.currency = y.currency and o.minor > y.minor)
        < ceil((select count(*) from year_spend o where o.currency = y.currency and o.minor > 0)
               * ${w.highValueShareBp} / 10000.0))`,
    at_risk: `exists (select 1 from ${currencies} c
      where ${spend('m.member_id', `$2 - interval '${2 * w.quarterDays} days'`, `$2 - interval '${w.quarterDays} days'`)} > 0
        and ${spend('m.member_id', `$2 - interval '${w.quarterDays} days'`, '$2')}
          < ${spend('m.member_id', `$2 - interval '${2 * w.quarterDays} days'`, `$2 - interval '${w.quarterDays} days'`)})`,
  };
  return `with year_spend as materialized (
      select m.member_id, c.currency, ${year('m.member_id')} as minor
      from ${members} m cross join ${currencies} c)
    select m.member_id from ${members} m where ${predicate[kind]} order by 1`;
}

/** The custom "Regulars" segment, recomputed member by member. */
const bruteForceCustom = `select m.id as member_id from member m
  where m.erased_at is null
    and ($1::text is null or exists (select 1 from member_link l where l.partner_id = $1 and l.member_id = m.id))
    and (select count(*) from transfer t where t.member_id = m.id and ($1::text is null or t.partner_id = $1)
         and t.code = 'earn' and t.purchase_amount_minor is not null
         and t.created_at <= $2 and t.created_at > $2 - interval '60 days') >= 2
    and coalesce((select sum(case when t.code = 'earn' then t.purchase_amount_minor else -t.purchase_amount_minor end)
         from transfer t where t.member_id = m.id and ($1::text is null or t.partner_id = $1)
         and t.purchase_currency = 'EUR' and t.created_at <= $2 and t.created_at > $2 - interval '120 days'
         and (t.code = 'earn' or (t.code = 'refund'
              and (select e.code from transfer e where e.id = t.related_id) = 'earn'))), 0) >= 5000
  order by 1`;

async function stored(segmentId: string): Promise<string[]> {
  const rows = await app.db.query<{ member_id: string }>(
    'select member_id from segment_member where segment_id = $1 order by 1',
    [segmentId],
  );
  return rows.rows.map((row) => row.member_id);
}

async function expectMembershipMatches(asOf: Date): Promise<void> {
  for (const scope of scopes) {
    for (const kind of ['new', 'active', 'high_value', 'lapsed', 'at_risk']) {
      const id = scope === null ? `seg_${kind}` : `seg_${kind}_${scope}`;
      const expected = await app.db.query<{ member_id: string }>(bruteForceBuiltIn(kind), [
        scope,
        asOf,
      ]);
      const members = await stored(id);
      expect({ id, members }).toEqual({ id, members: expected.rows.map((row) => row.member_id) });
      const count = await app.db.query<{ member_count: bigint; as_of: Date }>(
        'select member_count, as_of from segment where id = $1',
        [id],
      );
      expect(count.rows[0]).toEqual({ member_count: BigInt(members.length), as_of: asOf });
      seen.byKind.set(kind, (seen.byKind.get(kind) ?? 0) + members.length);
    }
    const customId = customIds.get(scope)!;
    const expected = await app.db.query<{ member_id: string }>(bruteForceCustom, [scope, asOf]);
    const members = await stored(customId);
    expect({ customId, members }).toEqual({
      customId,
      members: expected.rows.map((row) => row.member_id),
    });
    seen.customMembers += members.length;
  }
}

async function runSequence(links: number[], ops: Op[]): Promise<void> {
  const run = ++runNumber;
  const system = app.systemContext('property');
  const members: string[] = [];
  for (const [index, mask] of links.entries()) {
    const created = ok(
      await app.members.createMember(system, { displayName: `Segment member ${run}-${index}` }),
    );
    for (const [e, { partnerId }] of earners.entries()) {
      if (!((mask >> e) & 1)) continue;
      ok(
        await app.members.linkMember(system, {
          partnerId,
          externalId: `S${run}-${index}`,
          memberId: created.id,
        }),
      );
    }
    members.push(created.id);
  }
  const purchases: { partnerId: string; transactionId: string }[] = [];
  for (const [index, op] of ops.entries()) {
    if (op.kind === 'advance') {
      app.clock.advance(op.days * dayMs);
      continue;
    }
    if (op.kind === 'refund') {
      if (purchases.length === 0) continue;
      const purchase = purchases[op.purchase % purchases.length]!;
      // A purchase refunded in full already is refused: fine.
      await app.purchases.refundPurchase(app.asPartner(purchase.partnerId), {
        transactionId: purchase.transactionId,
        refundId: `${purchase.transactionId}-R${index}`,
        ...(op.percent === 100
          ? {}
          : { amount: { amountMinor: BigInt(op.percent) * 10n, currency: 'EUR' } }),
      });
      continue;
    }
    const { partnerId, currency } = earners[op.earner]!;
    // Unlinked members are NotFound at that partner: nothing happens, which is the point.
    if (!((links[op.member]! >> op.earner) & 1)) continue;
    const transactionId = `SP${run}-${index}`;
    if (op.kind === 'earn') {
      ok(
        await app.purchases.award(app.asPartner(partnerId), {
          member: { externalId: `S${run}-${op.member}` },
          transactionId,
          currency,
          purchase: { amountMinor: BigInt(op.euros) * 100n, currency: 'EUR' },
        }),
      );
      purchases.push({ partnerId, transactionId });
    } else {
      // Too few points is refused (InsufficientPoints): fine, nothing was written.
      const paid = await app.purchases.payWithPoints(app.asPartner(partnerId), {
        member: { externalId: `S${run}-${op.member}` },
        transactionId,
        currency,
        points: BigInt(op.points),
      });
      if (!(paid instanceof DomainError)) purchases.push({ partnerId, transactionId });
    }
  }
  const asOf = app.clock.now();
  await app.segments.refreshAll(asOf);
  await expectMembershipMatches(asOf);

  // The clock moves past the activity window: everyone active before has lapsed.
  const activeBefore = await stored('seg_active');
  app.clock.advance((segmentWindows.activeDays + 1) * dayMs);
  const later = app.clock.now();
  await app.segments.refreshAll(later);
  await expectMembershipMatches(later);
  const lapsed = new Set(await stored('seg_lapsed'));
  expect(await stored('seg_active')).toEqual([]);
  for (const id of activeBefore) expect(lapsed.has(id)).toBe(true);
  seen.lapsedAfterMove += activeBefore.filter((id) => members.includes(id)).length;
}

describe('segment membership', () => {
  it('equals a brute-force SQL recomputation after random activity, and after members lapse', async () => {
    await fc.assert(
      fc.asyncProperty(
        linksArbitrary,
        fc.array(opArbitrary, { minLength: 1, maxLength: 25 }),
        runSequence,
      ),
      {
        numRuns: Number(process.env.SEGMENT_RUNS ?? 20),
        endOnFailure: true,
        // One run that surely fills the custom segment (two purchases of 100 EUR at one partner),
        // so its check below does not hang on the random runs' luck.
        examples: [
          [
            [15, 15, 15, 15],
            [
              { kind: 'earn', earner: 0, member: 0, euros: 100 },
              { kind: 'earn', earner: 0, member: 0, euros: 100 },
            ],
          ],
        ],
      },
    );
    // The runs exercised what they claim: members in segments, and members lapsing.
    for (const kind of ['new', 'active', 'high_value', 'lapsed', 'at_risk']) {
      expect({ kind, seen: (seen.byKind.get(kind) ?? 0) > 0 }).toEqual({ kind, seen: true });
    }
    expect(seen.customMembers).toBeGreaterThan(0);
    expect(seen.lapsedAfterMove).toBeGreaterThan(0);
  });
});
