import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from '../../gateway/db/embedded-postgres';
import {
  runIdVariable,
  runPrefixVariable,
  serverUrlVariable,
  templateVariable,
} from './test-environment';

/**
 * The tests' embedded cluster runs without autovacuum, as the project's PostgreSQL 15 servers do:
 * a run creates a hundred short-lived databases, and the launcher visits each of them every
 * minute (connecting, reading its catalog, analysing what tests inserted) for nothing a test
 * reads. A test that needs statistics runs ANALYZE itself.
 */
const testServerSettings = { autovacuum: 'off' };

declare global {
  var embeddedTestServer: EmbeddedPostgres | undefined;
}

/**
 * Starts an embedded PostgreSQL unless DATABASE_URL names a server, and names the template
 * database the test files clone (the first test to need it migrates it: MikroORM must load inside
 * Jest's test realm, not here). Runs once per `jest` run, before any worker starts; workers
 * inherit the environment set here.
 */
export default async function globalSetup(): Promise<void> {
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    globalThis.embeddedTestServer = await EmbeddedPostgres.start({
      dataDir: resolve(__dirname, '../../.data/postgres-test'),
      preferredPort: 54339,
      log: (line) => console.log(`[test database] ${line}`),
      settings: testServerSettings,
    });
    serverUrl = globalThis.embeddedTestServer.url;
  }
  const runPrefix = `coalition_t${process.pid}`;
  const template = `${runPrefix}_template`;
  const client = new pg.Client(serverUrl);
  await client.connect();
  try {
    await dropAbandonedDatabases(client);
  } finally {
    await client.end();
  }
  process.env[serverUrlVariable] = serverUrl;
  process.env[templateVariable] = template;
  process.env[runPrefixVariable] = runPrefix;
  process.env[runIdVariable] = randomUUID();
}

/** Drops the databases of earlier runs whose Jest process is gone (killed, crashed). */
async function dropAbandonedDatabases(client: pg.Client): Promise<void> {
  const rows = await client.query<{ datname: string }>(
    "select datname from pg_database where datname ~ '^coalition_t[0-9]+_'",
  );
  const pids = new Set(rows.rows.map((row) => Number(/^coalition_t(\d+)_/.exec(row.datname)![1])));
  for (const pid of pids) {
    if (pid !== process.pid && !isAlive(pid)) await dropRunDatabases(client, `coalition_t${pid}_%`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Drops the databases whose names match a LIKE pattern. */
export async function dropRunDatabases(client: pg.Client, pattern: string): Promise<void> {
  const old = await client.query<{ datname: string }>(
    'select datname from pg_database where datname like $1',
    [pattern],
  );
  for (const { datname } of old.rows) {
    await client.query(`drop database if exists ${client.escapeIdentifier(datname)} with (force)`);
  }
}
