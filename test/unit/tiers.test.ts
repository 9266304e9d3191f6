import type { EarnEntry, EarnReceipt } from '../../gateway/ledger/earn';
import type { RequestContext } from '../../gateway/shared/context';
import { InvalidInput, NotFound } from '../../gateway/shared/errors';
import { newId } from '../../gateway/shared/ids';
import type { TierInput } from '../../gateway/tiers/ladder';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

let app: TestApp;
let operator: RequestContext;
beforeAll(async () => {
  app = await createTestApp();
  operator = { ...app.systemContext(), caller: { kind: 'operator', userId: 'ops-1' } };
});
afterAll(async () => {
  await app.close();
});

const skyTiers: TierInput[] = [
  { code: 'BASIC', name: 'Basic', threshold: 0n, multiplier: '1' },
  { code: 'SILVER', name: 'Silver', threshold: 1000n, multiplier: '1.25', discountPercent: '2' },
  { code: 'GOLD', name: 'Gold', threshold: 2500n, multiplier: '1.5', perks: ['lounge'] },
  { code: 'PLATINUM', name: 'Platinum', threshold: 5000n, multiplier: '2' },
];

async function tierEvents(memberId: string, currency: string) {
  const rows = await app.db.query<{ from_rank: number | null; to_rank: number; reason: string }>(
    'select from_rank, to_rank, reason from tier_event where member_id = $1 and currency_code = $2 order by id',
    [memberId, currency],
  );
  return rows.rows;
}

async function award(transactionId: string, points: bigint, externalId = 'SK-100001') {
  return ok(
    await app.purchases.award(app.asPartner('ptr_skyair'), {
      member: { externalId },
      transactionId,
      currency: 'SKY',
      points,
      purchase: { amountMinor: points * 100n, currency: 'EUR' },
    }),
  );
}

describe('tier ladders', () => {
  it('refuses bad definitions with typed errors and writes nothing', async () => {
    const cases: [string, Partial<Parameters<typeof app.tiers.defineLadder>[1]>][] = [
      [
        'tiers[1].threshold',
        { tiers: [skyTiers[0]!, { ...skyTiers[1]!, threshold: 0n }, skyTiers[2]!] },
      ],
      ['tiers[1].multiplier', { tiers: [skyTiers[0]!, { ...skyTiers[1]!, multiplier: '0' }] }],
      ['tiers[1].multiplier', { tiers: [skyTiers[0]!, { ...skyTiers[1]!, multiplier: '10.5' }] }],
      ['tiers[1].multiplier', { tiers: [skyTiers[0]!, { ...skyTiers[1]!, multiplier: '-1' }] }],
      ['metric', { metric: 'miles' as never }],
      ['tiers[0].threshold', { tiers: [{ ...skyTiers[1]! }] }],
      ['spendCurrency', { metric: 'spend' }],
    ];
    for (const [field, change] of cases) {
      const error = failure(
        await app.tiers.defineLadder(operator, {
          currency: 'SKY',
          metric: 'points',
          window: 'calendar_year',
          tiers: skyTiers,
          ...change,
        }),
      );
      expect(error).toBeInstanceOf(InvalidInput);
      expect((error as InvalidInput).field).toBe(field);
    }
    expect(await app.tiers.ladderVersions('SKY')).toEqual([]);
  });

  it('lets only the operator or the program’s owner define a ladder', async () => {
    await expect(
      app.tiers.defineLadder(app.asPartner('ptr_nordic'), {
        currency: 'SKY',
        metric: 'points',
        window: 'calendar_year',
        tiers: skyTiers,
      }),
    ).resolves.toMatchObject({ code: 'FORBIDDEN' });
    const version = ok(
      await app.tiers.defineLadder(app.asPartner('ptr_skyair'), {
        currency: 'SKY',
        metric: 'points',
        window: 'calendar_year',
        tiers: skyTiers,
      }),
    );
    expect(version.version).toBe(1);
    expect(version.tiers[1]).toMatchObject({
      code: 'SILVER',
      multiplierBp: 12500,
      discountBp: 200,
    });
  });

  it('refuses a version that overlaps an existing one', async () => {
    const error = failure(
      await app.tiers.defineLadder(operator, {
        currency: 'SKY',
        metric: 'points',
        window: 'calendar_year',
        tiers: skyTiers,
        effectiveFrom: app.clock.now(),
      }),
    );
    expect((error as InvalidInput).field).toBe('effectiveFrom');
    expect(await app.tiers.ladderVersions('SKY')).toHaveLength(1);
  });
});

describe('earning with tiers', () => {
  it('prices at the member’s tier, upgrades at once when the threshold is crossed', async () => {
    const first = await award('TIER-1', 800n);
    expect(first.points).toBe(800n);
    expect(first.tier).toMatchObject({ code: 'BASIC', multiplierBp: 10000 });
    expect(first.lines.map((line) => line.kind)).toEqual(['base']);
    // Crosses Silver: priced at Basic, then upgraded.
    const crossing = await award('TIER-2', 300n);
    expect(crossing.points).toBe(300n);
    expect(await tierEvents('mbr_alice', 'SKY')).toEqual([
      { from_rank: null, to_rank: 0, reason: 'enrolled' },
      { from_rank: 0, to_rank: 1, reason: 'qualified' },
    ]);
    const silver = await award('TIER-3', 101n);
    // floor(101 x 1.25) = 126: the tier line is 25, rounded down.
    expect(silver.points).toBe(126n);
    expect(silver.lines).toEqual([
      expect.objectContaining({ kind: 'base', points: 101n }),
      { kind: 'tier', points: 25n, description: 'Silver x1.25' },
    ]);
    expect(silver.tier).toMatchObject({ code: 'SILVER', discountBp: 200 });
    // A replay answers the same receipt, tier line included.
    expect(await award('TIER-3', 101n)).toEqual(silver);
    const status = (await app.tiers.memberStatus('mbr_alice', 'SKY'))!;
    expect(status.tier.code).toBe('SILVER');
    expect(status.qualifyingTotal).toBe(1201n);
    expect(status.nextTier).toMatchObject({ code: 'GOLD', needed: 1299n });
    expect(status.reviewAt.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(await ledgerViolations(app.db)).toEqual([]);
  });

  it('takes qualification back on refund, without downgrading before the review', async () => {
    ok(
      await app.purchases.refundPurchase(app.asPartner('ptr_skyair'), {
        transactionId: 'TIER-2',
        refundId: 'TIER-2-R1',
        amount: { amountMinor: 15000n, currency: 'EUR' },
      }),
    );
    // Half of 300 qualifying points go back: 1201 - 150.
    expect((await app.tiers.memberStatus('mbr_alice', 'SKY'))!.qualifyingTotal).toBe(1051n);
    ok(
      await app.purchases.refundPurchase(app.asPartner('ptr_skyair'), {
        transactionId: 'TIER-2',
        refundId: 'TIER-2-R2',
      }),
    );
    const status = (await app.tiers.memberStatus('mbr_alice', 'SKY'))!;
    expect(status.qualifyingTotal).toBe(901n);
    expect(status.tier.code).toBe('SILVER');
    expect(await ledgerViolations(app.db)).toEqual([]);
  });

  it('multiplies the base line only: other steps’ bonus lines are added as they are', async () => {
    // Alice is Silver (x1.25). A base of 50 and a rule's bonus of 40: 40 + floor(50 x 1.25).
    const entry: EarnEntry = {
      transferId: newId('trf'),
      partnerId: 'ptr_skyair',
      member: { externalId: 'SK-100001' },
      currency: 'SKY',
      points: 90n,
      transactionId: 'TIER-BONUS-1',
      purchase: { amountMinor: 10_000n, currency: 'EUR' },
      createdAt: app.clock.now(),
      maturesAt: null,
      lotExpiresAt: null,
      description: 'bonus test',
      lines: [
        { kind: 'base', points: 50n, description: 'base' },
        { kind: 'rule', points: 40n, description: 'double points on toys' },
      ],
      claim: {
        scope: 'partner:ptr_skyair',
        operation: 'awardPoints',
        key: 'TIER-BONUS-1',
        requestHash: 'h',
      },
    };
    const [receipt] = await app.ledger.earn([entry]);
    const earned = receipt as EarnReceipt;
    expect(earned.points).toBe(102n);
    expect(earned.lines.map((line) => [line.kind, line.points])).toEqual([
      ['base', 50n],
      ['rule', 40n],
      ['tier', 12n],
    ]);
    // Only the base qualifies: 901 + 50.
    expect((await app.tiers.memberStatus('mbr_alice', 'SKY'))!.qualifyingTotal).toBe(951n);
    // A replay answers the same priced receipt (its tier parts rebuilt from the transfer).
    const [replayed] = await app.ledger.earn([{ ...entry, transferId: newId('trf') }]);
    expect(replayed).toEqual(earned);
    expect((await app.tiers.memberStatus('mbr_alice', 'SKY'))!.qualifyingTotal).toBe(951n);
    expect(await ledgerViolations(app.db)).toEqual([]);
    // Receipts are built from a version's parts, cached: a version is never edited.
    await expect(
      app.db.query("update tier_ladder_version set created_by = 'someone'"),
    ).rejects.toThrow(/never updated or deleted/);
  });

  it('upgrades once when concurrent earns cross a threshold together', async () => {
    // Chloe: 20 concurrent earns of 60 cross Silver (1000) once, whatever the batches.
    await Promise.all(
      Array.from({ length: 20 }, (_, index) => award(`TIER-C-${index}`, 60n, 'SK-100002')),
    );
    const events = await tierEvents('mbr_chloe', 'SKY');
    expect(events.filter((event) => event.reason === 'qualified')).toEqual([
      { from_rank: 0, to_rank: 1, reason: 'qualified' },
    ]);
    expect((await app.tiers.memberStatus('mbr_chloe', 'SKY'))!.tier.code).toBe('SILVER');
    // Then to Gold (2500) in one earn.
    await award('TIER-C-GOLD', 1300n, 'SK-100002');
    expect((await app.tiers.memberStatus('mbr_chloe', 'SKY'))!.tier.code).toBe('GOLD');
  });
});

describe('reviews', () => {
  it('lowers a tier one level at the review date, not before', async () => {
    // Alice holds Silver on 951 qualifying points of 2026: at the 2027 review, Basic.
    app.clock.set(new Date('2026-12-31T23:00:00Z'));
    expect(await app.tiers.reviewDue()).toBe(0);
    expect((await app.tiers.memberStatus('mbr_alice', 'SKY'))!.tier.code).toBe('SILVER');
    app.clock.set(new Date('2027-01-01T00:00:01Z'));
    expect(await app.tiers.reviewDue()).toBeGreaterThanOrEqual(1);
    expect((await app.tiers.memberStatus('mbr_alice', 'SKY'))!.tier.code).toBe('BASIC');
    // Chloe qualified Gold in 2026 and keeps it for the 2027 review; with nothing in 2027
    // she goes down one level (to Silver) at the 2028 review, not to Basic.
    expect((await app.tiers.memberStatus('mbr_chloe', 'SKY'))!.tier.code).toBe('GOLD');
    expect(await app.tiers.reviewDue()).toBe(0);
    app.clock.set(new Date('2028-01-01T00:00:01Z'));
    await app.tiers.reviewDue();
    expect((await app.tiers.memberStatus('mbr_chloe', 'SKY'))!.tier.code).toBe('SILVER');
    app.clock.set(new Date('2026-11-26T10:00:00Z'));
  });
});

describe('manual assignment and status match', () => {
  it('assigns a tier with a reason and an end date, recorded with who did it', async () => {
    app.clock.set(new Date('2028-02-01T00:00:00Z'));
    const status = ok(
      await app.tiers.assignTier(operator, {
        memberId: 'mbr_alice',
        currency: 'SKY',
        tierCode: 'GOLD',
        reason: 'goodwill after a cancelled flight',
        until: new Date('2028-06-01T00:00:00Z'),
      }),
    );
    expect(status).toMatchObject({ source: 'manual', tier: { code: 'GOLD' } });
    const error = failure(
      await app.tiers.assignTier(app.asPartner('ptr_skyair'), {
        memberId: 'mbr_bob',
        currency: 'SKY',
        tierCode: 'GOLD',
        reason: 'not linked to SkyAir',
        until: new Date('2028-06-01T00:00:00Z'),
      }),
    );
    expect(error).toBeInstanceOf(NotFound);
  });

  it('gives the matched tier in the other program while the first is held', async () => {
    ok(
      await app.tiers.defineLadder(operator, {
        currency: 'HTL',
        metric: 'activities',
        window: 'rolling_12_months',
        tiers: [
          { code: 'MEMBER', name: 'Member', threshold: 0n, multiplier: '1' },
          { code: 'SILVER', name: 'Silver', threshold: 5n, multiplier: '1.25' },
          { code: 'GOLD', name: 'Gold', threshold: 10n, multiplier: '1.5' },
        ],
      }),
    );
    const match = ok(
      await app.tiers.defineStatusMatch(operator, {
        fromCurrency: 'SKY',
        fromTierCode: 'GOLD',
        toCurrency: 'HTL',
        toTierCode: 'SILVER',
        endsAt: new Date('2029-01-01T00:00:00Z'),
      }),
    );
    expect(match.toTierCode).toBe('SILVER');
    // Alice (manual Gold) gets Nordic Silver at once.
    const htl = (await app.tiers.memberStatus('mbr_alice', 'HTL'))!;
    expect(htl).toMatchObject({ source: 'match', tier: { code: 'SILVER' } });
    // When the manual Gold ends, the match ends with it.
    app.clock.set(new Date('2028-06-01T00:00:01Z'));
    await app.tiers.reviewDue();
    expect((await app.tiers.memberStatus('mbr_alice', 'SKY'))!.tier.code).toBe('BASIC');
    expect((await app.tiers.memberStatus('mbr_alice', 'HTL'))!.tier.code).toBe('MEMBER');
    app.clock.set(new Date('2026-11-26T10:00:00Z'));
  });
});
