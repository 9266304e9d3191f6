import { type EarnEntry, type EarnReceipt, postEarns } from '../../gateway/ledger/earn';
import { IdempotencyKeyReused } from '../../gateway/ledger/errors';
import { DomainError, NotFound } from '../../gateway/shared/errors';
import { newId } from '../../gateway/shared/ids';
import { toJson } from '../../gateway/shared/json';
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
  options: { maturesAt?: Date; requestHash?: string; transactionId?: string } = {},
): EarnEntry {
  return {
    transferId: newId('trf'),
    partnerId,
    member,
    currency,
    points,
    // The key is the transaction id unless the partner names another (idempotencyKey).
    transactionId: options.transactionId ?? key,
    purchase: { amountMinor: points * 100n, currency: 'EUR' },
    createdAt: now,
    maturesAt: options.maturesAt ?? null,
    lotExpiresAt: new Date('2029-11-26T10:00:00Z'),
    description: `test ${key}`,
    lines: [{ kind: 'base', points, description: 'test' }],
    // As PurchaseService.award claims it: the partner's 'earn' key, stored on the transfer.
    claim: {
      scope: partnerId,
      operation: 'earn',
      key,
      requestHash: options.requestHash ?? `hash-${key}`,
    },
  };
}

/** JSON text with every object's keys sorted. */
function canonical(value: unknown): string {
  return JSON.stringify(toJson(value), (_key, field: unknown) =>
    field !== null && typeof field === 'object' && !Array.isArray(field)
      ? Object.fromEntries(Object.entries(field).sort(([a], [b]) => (a < b ? -1 : 1)))
      : field,
  );
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
  let pending: EarnReceipt;

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
    pending = outcomes[4] as EarnReceipt;
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
       union all select 'claim', count(*) from transfer where id = any($1) and request_hash is not null
       union all select 'key', count(*) from idempotency_key where key like 'B1-%'`,
      [entries.map((entry) => entry.transferId)],
    );
    expect(Object.fromEntries(written.rows.map((row) => [row.kind, row.rows]))).toEqual({
      transfer: 4n,
      lot: 3n,
      pending: 1n,
      // Each earn's claim is on its transfer (migrations/0081), none in idempotency_key.
      claim: 4n,
      key: 0n,
    });
    expect(await ledgerViolations(app.ledger.db)).toEqual([]);
  });

  it('answers a replay from its stored receipt and a reused key with an error, moving nothing for either', async () => {
    const before = await totals();
    const outcomes = await postEarns(app.ledger.db, [
      earn('ptr_fuelco', { externalId: 'FC-0001' }, 'SKY', 10n, 'B1-a'),
      earn('ptr_fuelco', { memberId: 'mbr_alice' }, 'SKY', 6n, 'B1-b', { requestHash: 'other' }),
      earn('ptr_fuelco', { externalId: 'FC-0003' }, 'SKY', 4n, 'B2-new'),
      earn('ptr_nordic', { externalId: 'NH-5502' }, 'HTL', 100n, 'B1-pending', {
        maturesAt: new Date('2026-12-26T10:00:00Z'),
      }),
    ]);
    expect(outcomes[3]).toEqual(pending);
    expect(canonical(outcomes[3])).toBe(canonical(pending));
    expect(outcomes[0]).toEqual(first);
    // Every field as answered the first time, as text (the API renders fields in its own order).
    expect(canonical(outcomes[0])).toBe(canonical(first));
    expect(outcomes[1]).toBeInstanceOf(IdempotencyKeyReused);
    expect(outcomes[2]).toMatchObject({ memberId: 'mbr_chloe', points: 4n });
    expect(moved(before, await totals())).toEqual({
      'ptr_fuelco/issuance/SKY': { posted: -4n, pending: 0n },
    });
    expect(await ledgerViolations(app.ledger.db)).toEqual([]);
  });

  it('claims an explicit key beside the transaction id: replays it, refuses it for another purchase or as a transaction id', async () => {
    const [claimed] = await postEarns(app.ledger.db, [
      earn('ptr_fuelco', { externalId: 'FC-0001' }, 'SKY', 3n, 'K-explicit', {
        transactionId: 'T-explicit',
      }),
    ]);
    expect(claimed).toMatchObject({ memberId: 'mbr_alice', points: 3n });
    // Such a key is claimed in idempotency_key, with its receipt; the transfer holds no claim.
    const stored = await app.ledger.db.query<{ external_id: string; claim: boolean; keys: number }>(
      `select external_id, request_hash is not null as claim,
              (select count(*)::int from idempotency_key where key = 'K-explicit') as keys
       from transfer where id = $1`,
      [(claimed as EarnReceipt).transferId],
    );
    expect(stored.rows).toEqual([{ external_id: 'T-explicit', claim: false, keys: 1 }]);
    const before = await totals();
    const outcomes = await postEarns(app.ledger.db, [
      earn('ptr_fuelco', { externalId: 'FC-0001' }, 'SKY', 3n, 'K-explicit', {
        transactionId: 'T-explicit',
      }),
      // The same key on another purchase, and as another purchase's transaction id.
      earn('ptr_fuelco', { externalId: 'FC-0003' }, 'SKY', 3n, 'K-explicit-2', {
        transactionId: 'T-other',
        requestHash: 'other',
      }),
    ]);
    expect(outcomes[0]).toEqual(claimed);
    expect(outcomes[1]).toMatchObject({ memberId: 'mbr_chloe' });
    const again = await postEarns(app.ledger.db, [
      earn('ptr_fuelco', { externalId: 'FC-0003' }, 'SKY', 2n, 'K-explicit', {
        transactionId: 'T-third',
        requestHash: 'third',
      }),
      earn('ptr_fuelco', { externalId: 'FC-0003' }, 'SKY', 2n, 'K-explicit-2', {
        requestHash: 'fourth',
      }),
    ]);
    expect(again[0]).toBeInstanceOf(IdempotencyKeyReused);
    expect(again[1]).toBeInstanceOf(IdempotencyKeyReused);
    expect(moved(before, await totals())).toEqual({
      'ptr_fuelco/issuance/SKY': { posted: -3n, pending: 0n },
    });
    expect(await ledgerViolations(app.ledger.db)).toEqual([]);
  });

  it('replays an earn claimed in idempotency_key before migration 0081 from its stored response', async () => {
    const legacy = {
      transferId: newId('trf'),
      memberId: 'mbr_alice',
      currency: 'SKY',
      points: '8',
      lines: [{ kind: 'base', points: '8', description: 'as stored before 0081' }],
      tier: null,
      maturesAt: null,
      expiresAt: '2029-11-26T10:00:00.000Z',
      createdAt: '2026-11-20T10:00:00.000Z',
    };
    await app.ledger.db.query(
      `insert into idempotency_key (scope, operation, key, request_hash, response)
       values ('ptr_fuelco', 'earn', 'L-1', 'hash-L-1', $1)`,
      [JSON.stringify(legacy)],
    );
    const before = await totals();
    const outcomes = await postEarns(app.ledger.db, [
      earn('ptr_fuelco', { externalId: 'FC-0001' }, 'SKY', 5n, 'L-1'),
      earn('ptr_fuelco', { externalId: 'FC-0001' }, 'SKY', 5n, 'L-2'),
    ]);
    expect(outcomes[0]).toEqual({
      ...legacy,
      points: 8n,
      lines: [{ ...legacy.lines[0], points: 8n }],
      expiresAt: new Date(legacy.expiresAt),
      createdAt: new Date(legacy.createdAt),
    });
    expect(outcomes[1]).toMatchObject({ memberId: 'mbr_alice', points: 5n });
    const third = await postEarns(app.ledger.db, [
      earn('ptr_fuelco', { externalId: 'FC-0003' }, 'SKY', 5n, 'L-1', { requestHash: 'x' }),
    ]);
    expect(third[0]).toBeInstanceOf(IdempotencyKeyReused);
    expect(moved(before, await totals())).toEqual({
      'mbr_alice/member/SKY': { posted: 5n, pending: 0n },
      'ptr_fuelco/issuance/SKY': { posted: -5n, pending: 0n },
    });
  });

  it('posts an earn once when two transactions send it at once: the second waits, then replays it', async () => {
    const before = await totals();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let firstPosted!: () => void;
    const posted = new Promise<void>((resolve) => {
      firstPosted = resolve;
    });
    const entry = () => earn('ptr_fuelco', { externalId: 'FC-0001' }, 'SKY', 2n, 'RACE-1');
    // The first transaction posts and holds its commit; the second sends the same earn meanwhile.
    const first = app.ledger.db.transaction(async (sql) => {
      const outcomes = await postEarns(sql, [entry()]);
      firstPosted();
      await held;
      return outcomes;
    });
    await posted;
    const second = app.ledger.db.transaction((sql) => postEarns(sql, [entry()]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    const [[a], [b]] = await Promise.all([first, second]);
    expect(a).toMatchObject({ memberId: 'mbr_alice', points: 2n });
    expect(b).toEqual(a);
    expect(moved(before, await totals())).toEqual({
      'mbr_alice/member/SKY': { posted: 2n, pending: 0n },
      'ptr_fuelco/issuance/SKY': { posted: -2n, pending: 0n },
    });
  });

  it('refuses an explicit key and a transaction id that name one key at once: the second waits on the first', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let firstPosted!: () => void;
    const posted = new Promise<void>((resolve) => {
      firstPosted = resolve;
    });
    const first = app.ledger.db.transaction(async (sql) => {
      const outcomes = await postEarns(sql, [
        earn('ptr_fuelco', { externalId: 'FC-0001' }, 'SKY', 2n, 'RACE-K', {
          transactionId: 'RACE-T1',
        }),
      ]);
      firstPosted();
      await held;
      return outcomes;
    });
    await posted;
    const second = app.ledger.db.transaction((sql) =>
      postEarns(sql, [
        earn('ptr_fuelco', { externalId: 'FC-0001' }, 'SKY', 2n, 'RACE-K', {
          requestHash: 'another request',
        }),
      ]),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    const [[a], [b]] = await Promise.all([first, second]);
    expect(a).toMatchObject({ memberId: 'mbr_alice', points: 2n });
    expect(b).toBeInstanceOf(IdempotencyKeyReused);
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
