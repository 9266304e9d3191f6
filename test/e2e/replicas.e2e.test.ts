import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadKeySet } from '../../gateway/auth/keys';
import { TokenIssuer } from '../../gateway/auth/tokens';
import { loadAssertionKey } from '../../gateway/federation/assertions';
import { jobDefinitions } from '../../gateway/jobs/registry';
import { skyAir } from '../../partners/airline/schema';
import { gatewayKeys } from '../../partners/shared/assertion-verifier';
import { type StartedPartner, startPartnerServices } from '../../partners/start';
import { buildDist } from '../helpers/build';
import { runChild, stopChildren } from '../helpers/child-processes';
import {
  type GatewayProcess,
  projectRoot,
  startGatewayProcess,
} from '../helpers/gateway-processes';
import { createTestApp, type TestApp } from '../helpers/test-app';
import { registerMutation } from '../helpers/test-federation';

/**
 * Two gateway processes (`npm start`'s, as two replicas would run) sharing one database: what
 * must hold across processes (issue 16 part 1, issue 17 item 3). Nothing waits on the clock:
 * each step polls until what it expects has happened.
 */
const folder = mkdtempSync(join(tmpdir(), 'coalition-replicas-'));
chmodSync(folder, 0o755);
let app: TestApp;
let database: pg.Client;
let env: NodeJS.ProcessEnv;
let issuer: TokenIssuer;
let skyAirService: StartedPartner | undefined;
const replicas: GatewayProcess[] = [];
const sweeps = ['mature', 'expire', 'holds', 'quotes'];

beforeAll(async () => {
  await buildDist();
  app = await createTestApp({ demo: true });
  database = new pg.Client(app.databaseUrl);
  await database.connect();
  // Both replicas read the same development keys; made here so they do not race to make them.
  const keySet = await loadKeySet({ production: false, dataDir: folder, env: {} });
  issuer = new TokenIssuer(keySet.privateJwk!);
  const assertionKey = await loadAssertionKey({ production: false, dataDir: folder, env: {} });
  env = {
    ...process.env,
    DATABASE_URL: app.databaseUrl,
    COALITION_DATA_DIR: folder,
    DEMO_PARTNERS: 'off',
    SEED_DEMO: 'false',
    SWEEP_INTERVAL_MS: '1000',
    GATEWAY_WORKERS: '1',
  };
  delete env.NODE_ENV;
  replicas.push(...(await Promise.all([startGatewayProcess(env), startGatewayProcess(env)])));
  // SkyAir's service, trusting the replicas' shared assertion key; registered by a test below.
  const { kty, crv, x, y, kid, alg } = assertionKey;
  [skyAirService] = await startPartnerServices([skyAir], {
    gatewayKeys: gatewayKeys({ jwks: { keys: [{ kty, crv, x, y, kid, alg }] } }),
    coalitionUrl: `${replicas[0]!.origin}/graphql`,
    host: '127.0.0.1',
    ports: { [skyAir.partnerId]: 0 },
    log: () => undefined,
  });
});

afterAll(async () => {
  await skyAirService?.stop();
  await stopChildren();
  await database?.end();
  await app?.close();
  rmSync(folder, { recursive: true, force: true });
});

/** A GraphQL request to one replica, with a token of the replicas' development key. */
async function graphql(
  replica: GatewayProcess,
  token: string,
  query: string,
  variables?: Record<string, unknown>,
  // biome-ignore lint/suspicious/noExplicitAny: answers are inspected field by field.
): Promise<{ data?: any; errors?: { message: string }[] }> {
  const response = await fetch(`${replica.origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: unknown; errors?: { message: string }[] };
}

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('two gateway processes on one database', () => {
  it('run each sweep once per interval, not once per process', async () => {
    // Three slots of every sweep, whichever process took each.
    await until(async () => {
      const counts = await database.query<{ job_name: string; slots: string }>(
        `select job_name, count(distinct slot_at) as slots from job_run
         where trigger = 'schedule' and outcome = 'succeeded' group by job_name`,
      );
      const done = counts.rows.filter((row) => sweeps.includes(row.job_name));
      return done.length === sweeps.length && done.every((row) => Number(row.slots) >= 3)
        ? true
        : undefined;
    });
    // One queued job per slot in pg-boss's table, and one first attempt per slot in ours.
    const doubledJobs = await database.query(
      `select name, singleton_on, count(*) from pgboss.job
       group by name, singleton_on having count(*) > 1`,
    );
    expect(doubledJobs.rows).toEqual([]);
    const doubledRuns = await database.query(
      `select job_name, slot_at, count(*) from job_run
       where trigger = 'schedule' and attempt = 1 group by job_name, slot_at having count(*) > 1`,
    );
    expect(doubledRuns.rows).toEqual([]);
    // Both processes recorded the schedule they run.
    const schedules = await database.query('select job_name, interval_seconds from job_schedule');
    expect(schedules.rows).toEqual(
      expect.arrayContaining(sweeps.map((name) => ({ job_name: name, interval_seconds: 1 }))),
    );
  });

  it('read-your-writes: an earn acknowledged by one process is in the next read the other serves', async () => {
    const [first, second] = [replicas[0]!, replicas[1]!];
    const alice = await issuer.issue({ kind: 'member', subject: 'mbr_alice' });
    const fuelco = await issuer.issue({ kind: 'partner', subject: 'ptr_fuelco' });
    const sky = async () => {
      const answer = await graphql(second, alice, '{ wallet { balances { currency available } } }');
      const balances = answer.data.wallet.balances as { currency: string; available: string }[];
      return BigInt(balances.find((balance) => balance.currency === 'SKY')!.available);
    };
    for (let round = 0; round < 20; round++) {
      const before = await sky();
      expect(await sky()).toBe(before); // the second process now answers from memory
      const earned = await graphql(
        first,
        fuelco,
        'mutation Earn($id: String!) { awardPoints(input: {member: {externalId: "FC-0001"}, transactionId: $id, currency: "SKY", points: "1"}) { __typename } }',
        { id: `REPLICAS-${round}` },
      );
      expect(earned.data.awardPoints.__typename).toBe('AwardPointsSuccess');
      expect(await sky()).toBe(before + 1n);
    }
  });

  it('an erasure through one process is refused by it at once and by the other once its feed says so', async () => {
    const [first, second] = [replicas[0]!, replicas[1]!];
    const chloe = await issuer.issue({ kind: 'member', subject: 'mbr_chloe' });
    const wallet = (replica: GatewayProcess) =>
      fetch(`${replica.origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${chloe}` },
        body: JSON.stringify({ query: '{ wallet { balances { currency } } }' }),
      });
    // Both processes know her as not erased (from their erased-member sets, not the database).
    expect((await wallet(first)).status).toBe(200);
    expect((await wallet(second)).status).toBe(200);
    const erased = await graphql(
      first,
      chloe,
      'mutation { eraseMember(input: {confirm: true}) { __typename } }',
    );
    expect(erased.data.eraseMember.__typename).toBe('MemberErasure');
    expect((await wallet(first)).status).toBe(401);
    await until(async () => ((await wallet(second)).status === 401 ? true : undefined));
    // Another member still reads: the set holds the erased member only.
    const alice = await issuer.issue({ kind: 'member', subject: 'mbr_alice' });
    expect((await graphql(second, alice, '{ wallet { balances { currency } } }')).errors).toBe(
      undefined,
    );
  });

  it('a partner service registered through one process is served by the other at once', async () => {
    const [first, second] = [replicas[0]!, replicas[1]!];
    const alice = await issuer.issue({ kind: 'member', subject: 'mbr_alice' });
    const before = await graphql(second, alice, '{ skyAirAwardFlights { id } }');
    expect(before.errors?.[0]?.message).toMatch(/skyAirAwardFlights/);
    const operator = await issuer.issue({ kind: 'operator', subject: 'admin' });
    const registered = await graphql(first, operator, registerMutation, {
      input: { partnerId: skyAir.partnerId, url: skyAirService!.url },
    });
    expect(registered.data.registerPartnerService.__typename).toBe('PartnerService');
    const after = await graphql(second, alice, '{ skyAirAwardFlights { id } }');
    expect(after.errors).toBeUndefined();
    expect(after.data.skyAirAwardFlights.length).toBeGreaterThan(0);
  });

  it('`npm run jobs -- all` runs every job by hand and `status` lists them', async () => {
    const cli = join(projectRoot, 'dist/gateway/jobs/cli.js');
    const run = await runChild(process.execPath, [cli, 'all', '--as-of', '2027-06-01T00:00:00Z'], {
      env,
    });
    for (const definition of jobDefinitions) {
      expect(run.stdout).toContain(`[jobs] ${definition.name}: `);
    }
    expect(run.stdout).toContain('as of 2027-06-01T00:00:00.000Z');
    const byHand = await database.query(
      `select job_name, outcome from job_run where trigger = 'command' order by id`,
    );
    expect(byHand.rows).toEqual(
      jobDefinitions.map((definition) => ({ job_name: definition.name, outcome: 'succeeded' })),
    );
    const status = await runChild(process.execPath, [cli, 'status'], { env });
    expect(status.stdout).toMatch(/mature\s+every 1 s, next \S+; last \w+ run/);
  });
});
