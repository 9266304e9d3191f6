import { type EarnEntry, postEarns, type RuleCandidate } from '../../gateway/ledger/earn';
import { DomainError } from '../../gateway/shared/errors';
import { newId } from '../../gateway/shared/ids';
import { createTestApp, type TestApp } from '../helpers/test-app';

/**
 * `ledger_earn_batch` probes a member's history by index whatever the statistics say
 * (migrations/0082). Its generic plans estimate `member_id = $1` from n_distinct; here transfer
 * is analyzed while one member's earns fill it, so n_distinct is a handful and a probe with a
 * limit looks cheaper as a sequential scan. An earn priced with a step-by-step rule (the
 * member's 2nd earn at the partner) and a first-purchase rule must still read no transfer
 * sequentially: on a table of millions, each such earn would read them all.
 */
let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

const now = new Date('2026-11-26T10:00:00Z');

function earn(externalId: string, key: string, rules: EarnEntry['rules'] = null): EarnEntry {
  return {
    transferId: newId('trf'),
    partnerId: 'ptr_fuelco',
    member: { externalId },
    currency: 'SKY',
    points: 10n,
    transactionId: key,
    purchase: { amountMinor: 1_000n, currency: 'EUR' },
    createdAt: now,
    maturesAt: null,
    lotExpiresAt: new Date('2029-11-26T10:00:00Z'),
    description: `test ${key}`,
    lines: [{ kind: 'base', points: 10n, description: 'test' }],
    claim: { scope: 'ptr_fuelco', operation: 'earn', key, requestHash: `hash-${key}` },
    rules,
  };
}

function candidate(
  ruleId: string,
  guards: Pick<RuleCandidate, 'purchaseNumber' | 'firstInCoalition'>,
): RuleCandidate {
  return {
    ruleId,
    version: 1,
    points: 5n,
    partnerFundedPoints: 5n,
    stacking: 'stackable',
    description: ruleId,
    ...guards,
    perMember: null,
    budgeted: false,
    birthday: null,
    anniversaryDays: null,
    segmentId: null,
    offerId: null,
    localDate: null,
    timeZone: 'UTC',
    threshold: null,
    discount: null,
    voucher: null,
  };
}

/** Thrown to roll the measured transaction back. */
class RolledBack extends Error {}

it('probes the history by index when the statistics say one member fills transfer', async () => {
  // One member's 600 earns, then statistics taken on them.
  for (let batch = 0; batch < 3; batch++) {
    const outcomes = await postEarns(
      app.ledger.db,
      Array.from({ length: 200 }, (_, index) => earn('FC-0001', `SKEW-${batch}-${index}`)),
    );
    expect(outcomes.filter((outcome) => outcome instanceof DomainError)).toEqual([]);
  }
  await app.ledger.db.query('analyze transfer');
  const { rows } = await app.ledger.db.query<{ n_distinct: number }>(
    `select n_distinct from pg_stats where tablename = 'transfer' and attname = 'member_id'`,
  );
  // A handful of members (positive: a count; negative: a fraction of the rows).
  expect(Math.abs(rows[0]!.n_distinct) < 0.1 || rows[0]!.n_distinct < 20).toBe(true);

  const rules = {
    candidates: [
      candidate('rul_second_purchase', { purchaseNumber: 2, firstInCoalition: false }),
      candidate('rul_first_purchase', { purchaseNumber: null, firstInCoalition: true }),
    ],
    worlds: [[0, 1]],
  };
  let scans: { seq_scan: string; idx_scan: string } | undefined;
  await expect(
    app.ledger.db.transaction(async (sql) => {
      const [outcome] = await postEarns(sql, [earn('FC-0003', 'PROBED', rules)]);
      if (outcome instanceof DomainError) throw outcome;
      expect(outcome).toMatchObject({ memberId: 'mbr_chloe' });
      // What this transaction read, before the statistics collector sees it.
      scans = (
        await sql.query<{ seq_scan: string; idx_scan: string }>(
          `select seq_scan, idx_scan from pg_stat_xact_user_tables where relname = 'transfer'`,
        )
      ).rows[0];
      throw new RolledBack();
    }),
  ).rejects.toBeInstanceOf(RolledBack);
  expect(Number(scans?.idx_scan)).toBeGreaterThan(0);
  expect(Number(scans?.seq_scan)).toBe(0);
});
