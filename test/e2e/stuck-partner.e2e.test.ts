import pg from 'pg';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Nothing waits forever, and one stuck partner does not stop the others (issue 11, item 4).
 * A separate connection holds a lock on one of SkyAir's rows, as a slow or stuck transaction
 * would; Nordic's earns and payments must still be answered while it is held. No test here
 * depends on how fast the machine is: "while held" means before the test releases the lock.
 */

const award = `mutation ($input: AwardPointsInput!) { awardPoints(input: $input) {
  __typename ... on AwardPointsSuccess { transferId points } ... on ErrorResult { code } } }`;
const pay = `mutation ($input: PayWithPointsInput!) { payWithPoints(input: $input) {
  __typename ... on PayWithPointsSuccess { transferId points } ... on ErrorResult { code } } }`;

function earnOf(currency: string, transactionId: string, memberId = 'mbr_alice') {
  return { input: { member: { memberId }, transactionId, currency, points: '10' } };
}

/** A connection holding row locks until release(), like a transaction that never ends. */
async function holdLock(url: string, where: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('begin');
  const locked = await client.query(`select id from account where ${where} for update`);
  expect(locked.rowCount).toBeGreaterThan(0);
  return {
    release: async () => {
      await client.query('rollback');
      await client.end();
    },
  };
}

/** Runs `during` while SkyAir's issuance row is locked by another connection. */
async function whileSkyAirIssuanceLocked<T>(t: TestGateway, during: () => Promise<T>): Promise<T> {
  const lock = await holdLock(t.app.databaseUrl, `owner_id = 'ptr_skyair' and kind = 'issuance'`);
  try {
    return await during();
  } finally {
    await lock.release();
  }
}

/** A promise plus whether it has settled yet. */
function watched<T>(promise: Promise<T>) {
  const state = { settled: false, promise };
  promise.finally(() => {
    state.settled = true;
  });
  return state;
}

async function earnTransfers(t: TestGateway, partnerId: string, transactionId: string) {
  const rows = await t.app.db.query<{ count: bigint }>(
    `select count(*) as count from transfer where partner_id = $1 and external_id = $2 and code = 'earn'`,
    [partnerId, transactionId],
  );
  return Number(rows.rows[0]!.count);
}

describe('a partner whose rows are locked', () => {
  let t: TestGateway;
  let sky: string;
  let nordic: string;
  beforeAll(async () => {
    // Lock waits long enough that the stuck partner's requests are still waiting when the
    // test releases the lock, however slow the machine.
    t = await createTestGateway({ databaseTimeouts: { lockTimeoutMs: 120_000 } });
    sky = await t.token('partner', 'ptr_skyair');
    nordic = await t.token('partner', 'ptr_nordic');
  });
  afterAll(() => t.close());

  it("does not stop another partner's earns, and its own go through once the lock is released", async () => {
    const lock = await holdLock(t.app.databaseUrl, `owner_id = 'ptr_skyair' and kind = 'issuance'`);
    let stuck: ReturnType<typeof watched<Awaited<ReturnType<TestGateway['graphql']>>>>[] = [];
    try {
      stuck = [1, 2, 3].map((n) => watched(t.graphql(sky, award, earnOf('SKY', `STUCK-${n}`))));
      for (let n = 0; n < 5; n++) {
        const other = await t.graphql(nordic, award, earnOf('HTL', `FLOWING-${n}`));
        expect(other.body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
      }
      expect(stuck.some((request) => request.settled)).toBe(false);
    } finally {
      await lock.release();
    }
    for (const request of stuck) {
      const answered = await request.promise;
      expect(answered.body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
    }
    expect(await ledgerViolations(t.app.db)).toEqual([]);
  });

  it("does not stop another partner's payments", async () => {
    const lock = await holdLock(
      t.app.databaseUrl,
      `owner_id = 'ptr_skyair' and kind = 'redemption'`,
    );
    let stuck: ReturnType<typeof watched<Awaited<ReturnType<TestGateway['graphql']>>>>;
    try {
      stuck = watched(
        t.graphql(sky, pay, {
          input: {
            member: { memberId: 'mbr_alice' },
            transactionId: 'PAY-STUCK',
            currency: 'SKY',
            points: '5',
          },
        }),
      );
      for (let n = 0; n < 3; n++) {
        const other = await t.graphql(nordic, pay, {
          input: {
            member: { memberId: 'mbr_alice' },
            transactionId: `PAY-FLOWING-${n}`,
            currency: 'HTL',
            points: '1',
          },
        });
        expect(other.body.data.payWithPoints.__typename).toBe('PayWithPointsSuccess');
      }
      expect(stuck.settled).toBe(false);
    } finally {
      await lock.release();
    }
    expect((await stuck!.promise).body.data.payWithPoints.__typename).toBe('PayWithPointsSuccess');
    expect(await ledgerViolations(t.app.db)).toEqual([]);
  });
});

describe('timeouts answer typed, retryable errors', () => {
  it('a lock held past DB_LOCK_TIMEOUT_MS: LOCK_TIMEOUT, and the retry succeeds once', async () => {
    const t = await createTestGateway({ databaseTimeouts: { lockTimeoutMs: 200 } });
    try {
      const sky = await t.token('partner', 'ptr_skyair');
      const answered = await whileSkyAirIssuanceLocked(t, () =>
        t.graphql(sky, award, earnOf('SKY', 'LOCKED-1')),
      );
      expect(answered.body.errors?.[0]?.extensions).toEqual({
        code: 'LOCK_TIMEOUT',
        retryable: true,
        retryAfterSeconds: 1,
      });
      expect(answered.headers['retry-after']).toBe('1');
      expect(await earnTransfers(t, 'ptr_skyair', 'LOCKED-1')).toBe(0);
      const retried = await t.graphql(sky, award, earnOf('SKY', 'LOCKED-1'));
      expect(retried.body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
      expect(await earnTransfers(t, 'ptr_skyair', 'LOCKED-1')).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('a request past its deadline: 503 DEADLINE_EXCEEDED, and its retry returns one result', async () => {
    const t = await createTestGateway({
      limits: { deadlineMs: 300 },
      databaseTimeouts: { lockTimeoutMs: 120_000 },
    });
    try {
      const sky = await t.token('partner', 'ptr_skyair');
      const answered = await whileSkyAirIssuanceLocked(t, () =>
        t.graphql(sky, award, earnOf('SKY', 'LATE-1')),
      );
      expect(answered.status).toBe(503);
      expect(answered.headers['retry-after']).toBe('1');
      expect(answered.body.errors?.[0]?.extensions).toMatchObject({
        code: 'DEADLINE_EXCEEDED',
        retryable: true,
      });
      // The earn was waiting for the lock when its caller was answered; the retry with the same
      // key answers whatever happened, and there is never more than one earn.
      const retried = await t.graphql(sky, award, earnOf('SKY', 'LATE-1'));
      expect(retried.body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
      expect(await earnTransfers(t, 'ptr_skyair', 'LATE-1')).toBe(1);
      expect(await ledgerViolations(t.app.db)).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('a caller over its share waits at most GATEWAY_QUEUE_WAIT_MS, then gets 503 BUSY; others are served', async () => {
    const t = await createTestGateway({
      limits: { callerConcurrencyMax: 1, queueWaitMs: 50 },
      databaseTimeouts: { lockTimeoutMs: 120_000 },
    });
    try {
      const sky = await t.token('partner', 'ptr_skyair');
      const nordic = await t.token('partner', 'ptr_nordic');
      const lock = await holdLock(
        t.app.databaseUrl,
        `owner_id = 'ptr_skyair' and kind = 'issuance'`,
      );
      let first: ReturnType<typeof watched<Awaited<ReturnType<TestGateway['graphql']>>>>;
      try {
        first = watched(t.graphql(sky, award, earnOf('SKY', 'SLOT-1')));
        // Wait until the first holds SkyAir's one slot.
        while (!(await skyAdmitted(t))) await new Promise((resolve) => setTimeout(resolve, 10));
        const refused = await t.graphql(sky, award, earnOf('SKY', 'SLOT-2'));
        expect(refused.status).toBe(503);
        expect(refused.headers['retry-after']).toBe('1');
        expect(refused.body.errors?.[0]?.extensions).toMatchObject({
          code: 'BUSY',
          retryable: true,
        });
        const other = await t.graphql(nordic, award, earnOf('HTL', 'SLOT-OTHER'));
        expect(other.body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
        expect(first.settled).toBe(false);
      } finally {
        await lock.release();
      }
      expect((await first.promise).body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
      expect(await earnTransfers(t, 'ptr_skyair', 'SLOT-2')).toBe(0);
    } finally {
      await t.close();
    }
  });
});

/** Whether SkyAir's earn is inside the database, waiting for the held lock. */
async function skyAdmitted(t: TestGateway): Promise<boolean> {
  const rows = await t.app.db.query<{ waiting: bigint }>(
    `select count(*) as waiting from pg_stat_activity
     where datname = current_database() and wait_event_type = 'Lock'`,
  );
  return rows.rows[0]!.waiting > 0n;
}
