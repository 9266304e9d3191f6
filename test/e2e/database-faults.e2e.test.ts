import pg from 'pg';
import {
  availablePoints,
  checkWorkload,
  Workload,
  type WorkloadMember,
} from '../../bench/chaos/workload';
import { type DatabaseProxy, startDatabaseProxy } from '../helpers/database-proxy';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { testServerUrl } from '../helpers/test-database';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * The gateway when its database goes away (issue 11, item 2): it never exits; requests answer
 * the typed, retryable DATABASE_UNAVAILABLE until the database is back, then it serves again
 * with no restart. Connections terminated under load lose nothing acknowledged and double
 * nothing once the unacknowledged requests are re-sent with their keys.
 */
let t: TestGateway;
let proxy: DatabaseProxy;
let admin: pg.Client;
let fuelco: string;
let url: string;
const members: WorkloadMember[] = [
  { memberId: 'mbr_alice', externalId: 'FC-0001' },
  { memberId: 'mbr_chloe', externalId: 'FC-0003' },
];

beforeAll(async () => {
  t = await createTestGateway({
    connectThrough: async (databaseUrl) => {
      proxy = await startDatabaseProxy(databaseUrl);
      return proxy.url;
    },
  });
  fuelco = await t.token('partner', 'ptr_fuelco');
  url = `http://127.0.0.1:${(t.server.address() as { port: number }).port}/graphql`;
  admin = new pg.Client(testServerUrl());
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await t?.close();
  await proxy?.close();
});

const award = `mutation ($input: AwardPointsInput!) { awardPoints(input: $input) {
  __typename ... on AwardPointsSuccess { transferId points } ... on ErrorResult { code } } }`;

describe('the database goes away', () => {
  it('requests answer DATABASE_UNAVAILABLE (retryable) until it is back, then the same request succeeds once', async () => {
    const input = { member: { externalId: 'FC-0001' }, transactionId: 'DOWN-1', currency: 'SKY' };
    const variables = { input: { ...input, points: '40' } };
    proxy.mode = 'down';
    for (const attempt of [1, 2]) {
      const down = await t.graphql(fuelco, award, variables);
      expect({ attempt, error: down.body.errors?.[0]?.extensions }).toEqual({
        attempt,
        error: { code: 'DATABASE_UNAVAILABLE', retryable: true, retryAfterSeconds: 1 },
      });
      expect(down.headers['retry-after']).toBe('1');
    }
    const read = await t.graphql(
      await t.token('member', 'mbr_alice'),
      '{ wallet { balances { currency available } } }',
    );
    expect(read.body.errors?.[0]?.extensions?.code).toBe('DATABASE_UNAVAILABLE');

    proxy.mode = 'pass';
    const back = await t.graphql(fuelco, award, variables);
    expect(back.body.data.awardPoints).toMatchObject({ __typename: 'AwardPointsSuccess' });
    const again = await t.graphql(fuelco, award, variables);
    expect(again.body.data.awardPoints.transferId).toBe(back.body.data.awardPoints.transferId);
    const transfers = await t.app.db.query(
      "select 1 from transfer where partner_id = 'ptr_fuelco' and external_id = 'DOWN-1'",
    );
    expect(transfers.rowCount).toBe(1);
  });

  it('connections terminated under load: the gateway keeps serving, nothing lost or doubled', async () => {
    const database = new URL(t.app.databaseUrl).pathname.slice(1);
    const start = new Map<string, bigint>();
    for (const member of members) {
      start.set(member.memberId, await availablePoints(t.app.db, member.memberId, 'SKY'));
    }
    const workload = new Workload({
      url,
      partnerToken: fuelco,
      members,
      currency: 'SKY',
      keyPrefix: 'TERM',
    });
    let running = true;
    const load = workload.run(6, () => running);
    let terminated = 0;
    try {
      // Five rounds, each after the load got answers again: progress, not the clock, paces it.
      for (let round = 0; round < 5; round++) {
        const answered = workload.acknowledged.size;
        while (workload.acknowledged.size < answered + 20) await sleep(5);
        const killed = await admin.query(
          'select pg_terminate_backend(pid) as done from pg_stat_activity where datname = $1',
          [database],
        );
        terminated += killed.rows.filter((row) => row.done).length;
      }
      const answered = workload.acknowledged.size;
      while (workload.acknowledged.size < answered + 20) await sleep(5);
    } finally {
      running = false;
      await load;
    }
    expect(terminated).toBeGreaterThan(0);
    console.log(
      `${terminated} backends terminated; ${workload.operations.length} operations, ` +
        `${workload.unacknowledged.size} unacknowledged before re-sending ` +
        `(${JSON.stringify(Object.fromEntries(workload.failures))})`,
    );
    await workload.resendUnacknowledged(performance.now() + 60_000);
    expect([...workload.unacknowledged.keys()]).toEqual([]);
    const check = await checkWorkload(t.app.db, workload, start, 'SKY', 'ptr_fuelco');
    expect(check).toEqual({ lost: [], doubled: [], balanceMismatches: [] });
    expect(await ledgerViolations(t.app.db)).toEqual([]);
    // Only retryable answers or dropped connections were unacknowledged.
    for (const reason of workload.failures.keys()) {
      expect(reason).toMatch(/DATABASE_UNAVAILABLE|LOCK_TIMEOUT|DEADLINE_EXCEEDED|BUSY/);
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
