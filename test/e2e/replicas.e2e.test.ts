import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadKeySet } from '../../gateway/auth/keys';
import { jobDefinitions } from '../../gateway/jobs/registry';
import { buildDist } from '../helpers/build';
import { runChild, stopChildren } from '../helpers/child-processes';
import {
  type GatewayProcess,
  projectRoot,
  startGatewayProcess,
} from '../helpers/gateway-processes';
import { createTestApp, type TestApp } from '../helpers/test-app';

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
const replicas: GatewayProcess[] = [];
const sweeps = ['mature', 'expire', 'holds', 'quotes'];

beforeAll(async () => {
  await buildDist();
  app = await createTestApp({ demo: true });
  database = new pg.Client(app.databaseUrl);
  await database.connect();
  // Both replicas read the same development keys; made here so they do not race to make them.
  await loadKeySet({ production: false, dataDir: folder, env: {} });
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
});

afterAll(async () => {
  await stopChildren();
  await database?.end();
  await app?.close();
  rmSync(folder, { recursive: true, force: true });
});

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
