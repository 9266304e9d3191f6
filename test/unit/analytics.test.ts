import { type AnalyticsReport, dayRange } from '../../gateway/analytics/analytics';
import { seedDemoTiers } from '../../gateway/demo/tiers';
import type { RequestContext } from '../../gateway/shared/context';
import { DomainError, Forbidden, InvalidInput, NotFound } from '../../gateway/shared/errors';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

/**
 * Analytics against a brute-force recomputation (issue 18, item 5): random activity over ten
 * weeks (earns, pending earns, payments, refunds, redemption holds confirmed in part or
 * declined, maturing and expiry), then every figure of every scope recomputed in the test from
 * every posting, account, transfer, tier and link row, classified one by one.
 */
let app: TestApp;
const operator = (): RequestContext => ({
  caller: { kind: 'operator', userId: 'ops' },
  requestId: 'test',
  em: app.orm.em.fork(),
});

/** Who earns what where: partner, the member's card there, the currency. */
const cards = [
  ['ptr_skyair', 'SK-100001', 'SKY'],
  ['ptr_skyair', 'SK-100002', 'SKY'],
  ['ptr_nordic', 'NH-5501', 'HTL'],
  ['ptr_nordic', 'NH-5502', 'HTL'],
  ['ptr_fuelco', 'FC-0001', 'SKY'],
  ['ptr_fuelco', 'FC-0003', 'SKY'],
  ['ptr_freshmart', 'FM-42', 'HTL'],
] as const;
/** Where points are spent: the earning partners and TelcoOne. */
const tills = [...cards, ['ptr_telcoone', 'TEL-77', 'SKY']] as const;

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seed = 1812;

beforeAll(async () => {
  app = await createTestApp();
  await seedDemoTiers(app);
  // Points expire after a month here, so ten weeks of activity see expiry.
  await app.db.query('update currency set expiry_months = 1');
  app.catalog.clearCaches();
  await randomActivity(random(seed), 160);
}, 240_000);
afterAll(() => app.close());

async function randomActivity(next: () => number, steps: number): Promise<void> {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const awards: { partnerId: string; transactionId: string; externalId: string }[] = [];
  for (let step = 0; step < steps; step++) {
    app.clock.advance(Math.floor(next() * 14 * 3_600_000));
    const roll = next();
    if (roll < 0.4) {
      const [partnerId, externalId, currency] = pick(cards);
      const transactionId = `R-${step}`;
      ok(
        await app.purchases.award(app.asPartner(partnerId), {
          member: { externalId },
          transactionId,
          currency,
          purchase: { amountMinor: BigInt(1_000 + Math.floor(next() * 40_000)), currency: 'EUR' },
          pendingDays: next() < 0.25 ? 1 + Math.floor(next() * 3) : undefined,
        }),
      );
      awards.push({ partnerId, transactionId, externalId });
    } else if (roll < 0.6) {
      const [partnerId, externalId, currency] = pick(tills);
      const outcome = await app.purchases.payWithPoints(app.asPartner(partnerId), {
        member: { externalId },
        transactionId: `P-${step}`,
        currency,
        points: BigInt(1 + Math.floor(next() * 300)),
        purchase: { amountMinor: 5_000n, currency: 'EUR' },
      });
      if (outcome instanceof DomainError) expect(outcome.code).toBe('INSUFFICIENT_POINTS');
      else if (next() < 0.3) {
        ok(
          await app.purchases.refundPurchase(app.asPartner(partnerId), {
            transactionId: `P-${step}`,
            refundId: `PR-${step}`,
          }),
        );
      }
    } else if (roll < 0.75 && awards.length > 0) {
      const { partnerId, transactionId } = pick(awards);
      // A refund of a refunded purchase, or more than is left, is refused: a typed error.
      const outcome = await app.purchases.refundPurchase(app.asPartner(partnerId), {
        transactionId,
        refundId: `RF-${step}`,
        amount: next() < 0.5 ? { amountMinor: 500n, currency: 'EUR' } : undefined,
      });
      if (outcome instanceof DomainError) expect(outcome.code).not.toBe('FORBIDDEN');
    } else if (roll < 0.9) {
      const [partnerId, externalId, currency] = pick(tills);
      const partner = app.asPartner(partnerId);
      const held = await app.redemptions.placeHold(partner, {
        member: { externalId },
        transactionId: `H-${step}`,
        currency,
        points: BigInt(1 + Math.floor(next() * 200)),
      });
      if (held instanceof DomainError) expect(held.code).toBe('INSUFFICIENT_POINTS');
      else if (next() < 0.7) {
        const part = 1n + BigInt(Math.floor(next() * Number(held.points)));
        ok(await app.redemptions.confirm(partner, { holdId: held.transferId, points: part }));
      } else {
        ok(await app.redemptions.decline(partner, { holdId: held.transferId, reason: 'no' }));
      }
    } else {
      await app.ledger.matureDue();
      await app.ledger.expireDue();
    }
  }
  await app.ledger.matureDue();
  await app.ledger.expireDue();
}

interface Row {
  created_at: Date;
  code: string;
  transfer_partner_id: string | null;
  member_id: string | null;
  kind: string;
  currency_code: string;
  amount_points: bigint;
  source_kind: string;
  source_partner: string | null;
  target_kind: string;
  target_partner: string | null;
}

/** Every figure of a report, recomputed from every row. */
async function bruteForce(
  scope: { partnerId: string | null; currency: string | null },
  from: string,
  to: string,
): Promise<Omit<AnalyticsReport, 'generatedAt' | 'scope' | 'from' | 'to'>> {
  const range = dayRange(from, to);
  const rows = (
    await app.db.query<Row>(
      `select t.created_at, t.code, t.partner_id as transfer_partner_id, t.member_id, p.kind,
              p.currency_code, p.amount_points, s.kind as source_kind, s.partner_id as source_partner,
              g.kind as target_kind, g.partner_id as target_partner
       from posting p join transfer t on t.id = p.transfer_id
       join account s on s.id = p.source_account_id join account g on g.id = p.target_account_id`,
    )
  ).rows.filter((row) => row.created_at >= range.from && row.created_at < range.to);
  const inCurrency = (row: Row) => scope.currency === null || row.currency_code === scope.currency;
  const days = new Map<string, AnalyticsReport['days'][number]>();
  for (const row of rows.filter(inCurrency)) {
    const pair = `${row.source_kind}>${row.target_kind}`;
    const partner = row.source_partner ?? row.target_partner;
    if (scope.partnerId !== null && partner !== scope.partnerId) continue;
    const field =
      pair === 'issuance>member' && ['posted', 'pending'].includes(row.kind)
        ? 'earnedPoints'
        : (pair === 'member>issuance' && row.kind === 'posted') ||
            (pair === 'issuance>member' && row.kind === 'void_pending')
          ? 'earnReversedPoints'
          : pair === 'member>redemption' && ['posted', 'post_pending'].includes(row.kind)
            ? 'burnedPoints'
            : pair === 'redemption>member' && row.kind === 'posted'
              ? 'burnReversedPoints'
              : null;
    if (!field) continue;
    const day = row.created_at.toISOString().slice(0, 10);
    const key = `${day} ${row.currency_code}`;
    const figures = days.get(key) ?? {
      day,
      currency: row.currency_code,
      earnedPoints: 0n,
      earnReversedPoints: 0n,
      burnedPoints: 0n,
      burnReversedPoints: 0n,
    };
    figures[field] += row.amount_points;
    days.set(key, figures);
  }
  const active = new Set(
    rows
      .filter(
        (row) =>
          row.member_id !== null &&
          ['earn', 'redeem', 'hold', 'refund', 'convert'].includes(row.code) &&
          (scope.partnerId === null || row.transfer_partner_id === scope.partnerId) &&
          inCurrency(row),
      )
      .map((row) => row.member_id),
  );
  const currencies = (
    await app.db.query<{ code: string; owner_partner_id: string }>('select * from currency')
  ).rows
    .filter((c) => scope.partnerId === null || c.owner_partner_id === scope.partnerId)
    .filter((c) => scope.currency === null || c.code === scope.currency)
    .map((c) => c.code)
    .sort();
  const tierRows = (
    await app.db.query<{ member_id: string; currency_code: string; rank: number }>(
      'select member_id, currency_code, rank from member_tier',
    )
  ).rows;
  const links = (
    await app.db.query<{ partner_id: string; member_id: string }>('select * from member_link')
  ).rows;
  const terms = (
    await app.db.query<{ partner_id: string; currency_code: string }>(
      'select * from partner_currency',
    )
  ).rows;
  const tiers = new Map<string, bigint>();
  for (const tier of tierRows) {
    if (scope.currency !== null && tier.currency_code !== scope.currency) continue;
    if (
      scope.partnerId !== null &&
      (!links.some((l) => l.partner_id === scope.partnerId && l.member_id === tier.member_id) ||
        !terms.some(
          (t) => t.partner_id === scope.partnerId && t.currency_code === tier.currency_code,
        ))
    ) {
      continue;
    }
    const key = `${tier.currency_code} ${tier.rank}`;
    tiers.set(key, (tiers.get(key) ?? 0n) + 1n);
  }
  const accounts = (
    await app.db.query<{
      kind: string;
      currency_code: string;
      credits_posted: bigint;
      debits_posted: bigint;
      credits_pending: bigint;
    }>('select * from account')
  ).rows.filter((a) => a.kind === 'member');
  const values = new Map(
    (
      await app.db.query<{ currency_code: string; value_micros: bigint }>(
        'select * from currency_reference_value',
      )
    ).rows.map((v) => [v.currency_code, v.value_micros]),
  );
  const sum = (items: bigint[]) => items.reduce((total, item) => total + item, 0n);
  // Segments: the scope's partner's, or the coalition's; members counted row by row.
  const segments = (
    await app.db.query<{
      id: string;
      partner_id: string | null;
      kind: string;
      name: string;
      as_of: Date | null;
    }>('select id, partner_id, kind, name, as_of from segment order by id')
  ).rows;
  const segmentMembers = (
    await app.db.query<{ segment_id: string }>('select segment_id from segment_member')
  ).rows;
  return {
    membersBySegment: segments
      .filter((segment) => segment.partner_id === scope.partnerId)
      .map((segment) => ({
        segmentId: segment.id,
        kind: segment.kind,
        name: segment.name,
        members: BigInt(segmentMembers.filter((m) => m.segment_id === segment.id).length),
        asOf: segment.as_of,
      })),
    days: [...days.values()]
      .filter(
        (d) => d.earnedPoints + d.earnReversedPoints + d.burnedPoints + d.burnReversedPoints > 0n,
      )
      .sort((a, b) => (a.day + a.currency < b.day + b.currency ? -1 : 1)),
    activeMembers: BigInt(active.size),
    membersByTier: [...tiers.entries()].sort().map(([key, members]) => {
      const [currency, rank] = key.split(' ');
      return { currency: currency!, rank: Number(rank), members };
    }) as never,
    liabilities: currencies.map((currency) => {
      const mine = accounts.filter((a) => a.currency_code === currency);
      const outstanding = sum(mine.map((a) => a.credits_posted - a.debits_posted));
      const micros = values.get(currency) ?? null;
      return {
        currency,
        outstandingPoints: outstanding,
        pendingPoints: sum(mine.map((a) => a.credits_pending)),
        valueMicros: micros,
        // Rounded down to the cent: floor(points x micros / 10^4).
        valueMinor: micros === null ? null : (outstanding * micros) / 10_000n,
      };
    }) as never,
    breakage: currencies.map((currency) => {
      const mine = rows.filter((row) => row.currency_code === currency);
      const issued = sum(
        mine
          .filter(
            (r) =>
              r.source_kind === 'issuance' &&
              r.target_kind === 'member' &&
              ['posted', 'pending'].includes(r.kind),
          )
          .map((r) => r.amount_points),
      );
      const expired = sum(
        mine
          .filter((r) => r.source_kind === 'member' && r.target_kind === 'breakage')
          .map((r) => r.amount_points),
      );
      return {
        currency,
        issuedPoints: issued,
        expiredPoints: expired,
        rateBasisPoints: issued === 0n ? null : (expired * 10_000n) / issued,
      };
    }),
  };
}

function comparable(report: AnalyticsReport) {
  return {
    days: report.days,
    activeMembers: report.activeMembers,
    membersByTier: report.membersByTier.map(({ currency, rank, members }) => ({
      currency,
      rank,
      members,
    })),
    liabilities: report.liabilities.map(({ ownerPartnerId: _, ...rest }) => rest),
    breakage: report.breakage,
    membersBySegment: report.membersBySegment,
  };
}

describe('analytics', () => {
  const scopes = [
    { partnerId: null, currency: null },
    { partnerId: null, currency: 'SKY' },
    { partnerId: null, currency: 'HTL' },
    ...['ptr_skyair', 'ptr_nordic', 'ptr_fuelco', 'ptr_telcoone', 'ptr_freshmart'].map(
      (partnerId) => ({
        partnerId,
        currency: null,
      }),
    ),
    { partnerId: 'ptr_fuelco', currency: 'SKY' },
  ];
  const ranges = [
    ['2026-11-26', '2027-02-10'],
    ['2026-12-01', '2026-12-31'],
    ['2027-01-15', '2027-01-15'],
  ] as const;

  it(`equals a brute-force recomputation for every scope and range (seed ${seed})`, async () => {
    expect(await ledgerViolations(app.db)).toEqual([]);
    const whole = ok(
      await app.analytics.report(operator(), { from: ranges[0][0], to: ranges[0][1] }),
    );
    // The activity did happen: earns, burns, reversals and expiry are all in it.
    const total = (field: keyof AnalyticsReport['days'][number]) =>
      whole.days.reduce((sum, day) => sum + (day[field] as bigint), 0n);
    expect(total('earnedPoints')).toBeGreaterThan(0n);
    expect(total('burnedPoints')).toBeGreaterThan(0n);
    expect(total('earnReversedPoints')).toBeGreaterThan(0n);
    expect(total('burnReversedPoints')).toBeGreaterThan(0n);
    expect(whole.breakage.some((b) => b.expiredPoints > 0n)).toBe(true);
    expect(whole.membersByTier.length).toBeGreaterThan(0);
    // Segments as of the end of the activity (the refresh job's work).
    await app.segments.refreshAll(app.clock.now());
    for (const scope of scopes) {
      for (const [from, to] of ranges) {
        const report = ok(await app.analytics.report(operator(), { ...scope, from, to }));
        expect({ scope, from, to, ...comparable(report) }).toEqual({
          scope,
          from,
          to,
          ...(await bruteForce(scope, from, to)),
        });
      }
    }
  });

  it('limits partners to their own activity and the programs they own', async () => {
    const range = { from: '2026-11-26', to: '2026-12-31' };
    const fuelco = app.asPartner('ptr_fuelco');
    const own = ok(await app.analytics.report(fuelco, range));
    expect(own.scope).toEqual({ partnerId: 'ptr_fuelco', currency: null });
    // An earn partner owns no program: no liability, no breakage.
    expect(own.liabilities).toEqual([]);
    expect(
      await app.analytics.report(fuelco, { ...range, partnerId: 'ptr_skyair' }),
    ).toBeInstanceOf(Forbidden);
    expect(await app.analytics.report(fuelco, { ...range, currency: 'SKY' })).toBeInstanceOf(
      Forbidden,
    );
    const skyair = ok(
      await app.analytics.report(app.asPartner('ptr_skyair'), { ...range, currency: 'SKY' }),
    );
    expect(skyair.scope).toEqual({ partnerId: null, currency: 'SKY' });
    expect(skyair.liabilities.map((l) => l.currency)).toEqual(['SKY']);
    const financeFuelco: RequestContext = {
      caller: { kind: 'finance', userId: 'fin', partnerId: 'ptr_fuelco' },
      requestId: 'test',
      em: app.orm.em.fork(),
    };
    expect(ok(await app.analytics.report(financeFuelco, range)).scope.partnerId).toBe('ptr_fuelco');
    const member: RequestContext = {
      caller: { kind: 'member', memberId: 'mbr_bob' },
      requestId: 't',
      em: app.orm.em.fork(),
    };
    expect(await app.analytics.report(member, range)).toBeInstanceOf(Forbidden);
  });

  it('refuses bad ranges and unknown scopes with typed errors', async () => {
    const cases: [object, string][] = [
      [{ from: '2026-13-01', to: '2026-12-01' }, 'from'],
      [{ from: '2026-02-30', to: '2026-03-01' }, 'from'],
      [{ from: '26-11-01', to: '2026-12-01' }, 'from'],
      [{ from: '2026-12-01', to: '2026-11-30' }, 'to'],
      [{ from: '2026-01-01', to: '2027-01-02' }, 'to'],
    ];
    for (const [input, field] of cases) {
      const outcome = await app.analytics.report(operator(), input as never);
      expect(outcome).toBeInstanceOf(InvalidInput);
      expect((outcome as InvalidInput).field).toBe(field);
    }
    // 366 days is the most: a leap year's whole.
    ok(await app.analytics.report(operator(), { from: '2028-01-01', to: '2028-12-31' }));
    const range = { from: '2026-11-26', to: '2026-12-31' };
    expect(await app.analytics.report(operator(), { ...range, partnerId: 'ptr_nope' })).toEqual(
      new NotFound('partner', 'ptr_nope'),
    );
    expect(await app.analytics.report(operator(), { ...range, currency: 'NOPE' })).toEqual(
      new NotFound('currency', 'NOPE'),
    );
  });
});
