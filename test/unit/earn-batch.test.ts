import { type EarnEntry, type EarnReceipt, postEarns } from '../../gateway/ledger/earn';
import { IdempotencyKeyReused } from '../../gateway/ledger/errors';
import { DomainError, NotFound } from '../../gateway/shared/errors';
import { newId } from '../../gateway/shared/ids';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { createTestApp, type TestApp } from '../helpers/test-app';

/**
 * `ledger_earn_batch` called directly with one batch holding every kind of entry the gateway can
 * send it: two earns for one member account, a member's first earn in a currency (the account is
 * created), pending points, an unknown member, and in a second batch a replay and a reused key.
 * Every outcome comes back in entry order and only the claimed entries move points.
 */
let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
  await app.ledger.db.query(
    `insert into member (id, display_name) values ('mbr_dora', 'Dora');
     insert into member_link (partner_id, external_id, member_id) values ('ptr_fuelco', 'FC-0004', 'mbr_dora');`,
  );
});
afterAll(async () => {
  await app.close();
});

const now = new Date('2026-11-26T10:00:00Z');

function earn(
  partnerId: string,
  member: EarnEntry['member'],
  currency: string,
  points: bigint,
  key: string,
  options: { maturesAt?: Date; requestHash?: string } = {},
): EarnEntry {
  return {
    transferId: newId('trf'),
    partnerId,
    member,
    currency,
    points,
    transactionId: key,
    purchase: { amountMinor: points * 100n, currency: 'EUR' },
    createdAt: now,
    maturesAt: options.maturesAt ?? null,
    lotExpiresAt: new Date('2029-11-26T10:00:00Z'),
    description: `test ${key}`,
    lines: [{ kind: 'base', points, description: 'test' }],
    claim: {
      scope: `partner:${partnerId}`,
      operation: 'awardPoints',
      key,
      requestHash: options.requestHash ?? `hash-${key}`,
    },
  };
}

interface Totals {
  posted: bigint;
  pending: bigint;
}

/** Net posted and pending points of the accounts these tests touch, by owner/kind/currency. */
async function totals(): Promise<Record<string, Totals>> {
  const rows = await app.ledger.db.query<Totals & { owner: string }>(
    `select owner_id || '/' || kind || '/' || currency_code as owner,
            credits_posted - debits_posted as posted, credits_pending - debits_pending as pending
     from account where owner_id in ('mbr_alice', 'mbr_bob', 'mbr_dora', 'ptr_fuelco', 'ptr_nordic')`,
  );
  return Object.fromEntries(
    rows.rows.map((row) => [row.owner, { posted: row.posted, pending: row.pending }]),
  );
}

/** What moved between two readings, for the accounts that moved (a new account from zero). */
function moved(
  before: Record<string, Totals>,
  after: Record<string, Totals>,
): Record<string, Totals> {
  const changes: Record<string, Totals> = {};
  for (const [owner, now] of Object.entries(after)) {
    const then = before[owner] ?? { posted: 0n, pending: 0n };
    if (now.posted !== then.posted || now.pending !== then.pending) {
      changes[owner] = { posted: now.posted - then.posted, pending: now.pending - then.pending };
    }
  }
  return changes;
}

describe('one batch of earns', () => {
  let first: EarnReceipt;

  it('answers every entry in order and moves only what the claimed entries earned', async () => {
    const before = await totals();
    const entries = [
      earn('ptr_fuelco', { externalId: 'FC-0001' }, 'SKY', 10n, 'B1-a'),
      earn('ptr_fuelco', { externalId: 'FC-NOBODY' }, 'SKY', 3n, 'B1-unknown'),
      earn('ptr_fuelco', { memberId: 'mbr_alice' }, 'SKY', 5n, 'B1-b'),
      earn('ptr_fuelco', { externalId: 'FC-0004' }, 'SKY', 7n, 'B1-first'),
      earn('ptr_nordic', { externalId: 'NH-5502' }, 'HTL', 100n, 'B1-pending', {
        maturesAt: new Date('2026-12-26T10:00:00Z'),
      }),
      // Bob is not FuelCo's member: a partner reaches only the members it enrolled.
      earn('ptr_fuelco', { memberId: 'mbr_bob' }, 'SKY', 9n, 'B1-not-linked'),
    ];
    const outcomes = await postEarns(app.ledger.db, entries);

    expect(
      outcomes.map((outcome) => (outcome instanceof DomainError ? outcome.code : 'ok')),
    ).toEqual(['ok', 'NOT_FOUND', 'ok', 'ok', 'ok', 'NOT_FOUND']);
    first = outcomes[0] as EarnReceipt;
    expect(first).toMatchObject({ transferId: entries[0]!.transferId, memberId: 'mbr_alice' });
    expect(outcomes[2]).toMatchObject({ memberId: 'mbr_alice', points: 5n });
    expect(outcomes[3]).toMatchObject({ memberId: 'mbr_dora', points: 7n });
    expect(outcomes[4]).toMatchObject({ memberId: 'mbr_bob', maturesAt: entries[4]!.maturesAt });
    expect(outcomes[1]).toBeInstanceOf(NotFound);

    expect(before['mbr_dora/member/SKY']).toBeUndefined();
    expect(moved(before, await totals())).toEqual({
      'mbr_alice/member/SKY': { posted: 15n, pending: 0n },
      'mbr_dora/member/SKY': { posted: 7n, pending: 0n },
      'ptr_fuelco/issuance/SKY': { posted: -22n, pending: 0n },
      'mbr_bob/member/HTL': { posted: 0n, pending: 100n },
      'ptr_nordic/issuance/HTL': { posted: 0n, pending: -100n },
    });
    const written = await app.ledger.db.query<{ kind: string; rows: bigint }>(
      `select 'transfer' as kind, count(*) as rows from transfer where id = any($1)
       union all select 'lot', count(*) from lot where transfer_id = any($1)
       union all select 'pending', count(*) from pending_transfer where transfer_id = any($1)
       union all select 'key', count(*) from idempotency_key where key like 'B1-%'`,
      [entries.map((entry) => entry.transferId)],
    );
    expect(Object.fromEntries(written.rows.map((row) => [row.kind, row.rows]))).toEqual({
      transfer: 4n,
      lot: 3n,
      pending: 1n,
      key: 4n,
    });
    expect(await ledgerViolations(app.ledger.db)).toEqual([]);
  });

  it('answers a replay from its stored receipt and a reused key with an error, moving nothing for either', async () => {
    const before = await totals();
    const outcomes = await postEarns(app.ledger.db, [
      earn('ptr_fuelco', { externalId: 'FC-0001' }, 'SKY', 10n, 'B1-a'),
      earn('ptr_fuelco', { memberId: 'mbr_alice' }, 'SKY', 6n, 'B1-b', { requestHash: 'other' }),
      earn('ptr_fuelco', { externalId: 'FC-0003' }, 'SKY', 4n, 'B2-new'),
    ]);
    expect(outcomes[0]).toEqual(first);
    expect(outcomes[1]).toBeInstanceOf(IdempotencyKeyReused);
    expect(outcomes[2]).toMatchObject({ memberId: 'mbr_chloe', points: 4n });
    expect(moved(before, await totals())).toEqual({
      'ptr_fuelco/issuance/SKY': { posted: -4n, pending: 0n },
    });
    expect(await ledgerViolations(app.ledger.db)).toEqual([]);
  });

  it('refuses a batch holding one key twice, writing nothing', async () => {
    const before = await totals();
    await expect(
      app.ledger.db.query(
        `select * from ledger_earn_batch(
           array['${newId('trf')}', '${newId('trf')}'], array['ptr_fuelco', 'ptr_fuelco'],
           array['mbr_alice', 'mbr_alice'], array[null, null]::text[], array['SKY', 'SKY'],
           array[1, 1]::bigint[], array['T', 'T'], array[null, null]::bigint[], array[null, null]::text[],
           array[now(), now()], array[null, null]::timestamptz[], array[null, null]::timestamptz[],
           array['', ''], array['partner:ptr_fuelco', 'partner:ptr_fuelco'],
           array['awardPoints', 'awardPoints'], array['dup', 'dup'], array['h', 'h'],
           array['{}', '{}']::jsonb[])`,
      ),
    ).rejects.toThrow('idempotency keys must be unique within a batch');
    expect(await totals()).toEqual(before);
  });
});
