import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../bench/server-process';
import { loadKeySet } from '../../gateway/auth/keys';
import { TokenIssuer } from '../../gateway/auth/tokens';
import { buildDist } from '../helpers/build';
import { spawnChild, stopChildren } from '../helpers/child-processes';
import { exitCode, gatewayScript, outputOf } from '../helpers/gateway-processes';

/**
 * `npm start`'s process (dist/gateway/main.js) with its embedded PostgreSQL, stopped at awkward
 * moments. A signal at any moment of the start stops what has started, the database included
 * (issue 11.6); a gateway whose parent dies without stopping it (a test runner killed on a
 * timeout) stops by itself (issue 11.5). Nothing here waits on the clock: each step waits for
 * the process to say or do something.
 */
const folder = mkdtempSync(join(tmpdir(), 'coalition-process-'));
// When tests run as root, PostgreSQL runs as the postgres user and must reach the folder.
chmodSync(folder, 0o755);
const dataDir = join(folder, 'data');

/** Started by a child of the test rather than by the test: killed here if the test failed. */
let grandchildPid: number | undefined;

beforeAll(() => buildDist());
afterAll(async () => {
  await stopChildren();
  if (grandchildPid !== undefined && isAlive(grandchildPid)) process.kill(grandchildPid, 'SIGKILL');
  // Whatever a failed test left: a server on this folder must not outlive the run.
  for (const pid of postgresUsing(dataDir)) process.kill(pid, 'SIGKILL');
  spawnSync('chmod', ['-R', 'u+rwX', folder]);
  rmSync(folder, { recursive: true, force: true });
});

async function gatewayEnv(): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    COALITION_DATA_DIR: dataDir,
    PORT: String(await freePort('127.0.0.1')),
    DEMO_PARTNERS: 'off',
    SWEEP_INTERVAL_MS: '0',
  };
  delete env.DATABASE_URL;
  delete env.NODE_ENV;
  return env;
}

/** PostgreSQL processes whose command line names this data folder. */
function postgresUsing(folderPath: string): number[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,stat=,args=']).stdout.toString();
  return ps
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((match) => match && !match[2]!.startsWith('Z') && match[3]!.includes(folderPath))
    .filter((match) => /postgres/.test(match![3]!))
    .map((match) => Number(match![1]));
}

describe('the gateway process', () => {
  it('SIGINT while the first start creates the database: everything started stops', async () => {
    const gateway = spawnChild(process.execPath, [gatewayScript], { env: await gatewayEnv() });
    const output = outputOf(gateway);
    await output.when('Creating an embedded PostgreSQL cluster');
    gateway.kill('SIGINT');
    expect(await exitCode(gateway)).toBe(0);
    expect(output.text()).toContain('gateway stopped');
    expect(output.text()).not.toContain('Coalition gateway ready');
    expect(postgresUsing(dataDir)).toEqual([]);
  });

  it('SIGINT once the port answers, before the banner or after: everything started stops', async () => {
    const env = await gatewayEnv();
    const gateway = spawnChild(process.execPath, [gatewayScript], { env });
    const output = outputOf(gateway);
    while (!(await answers(Number(env.PORT)))) {
      if (gateway.exitCode !== null) throw new Error(`exited:\n${output.text()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(postgresUsing(dataDir).length).toBeGreaterThan(0);
    gateway.kill('SIGINT');
    expect(await exitCode(gateway)).toBe(0);
    expect(output.text()).toContain('gateway stopped');
    expect(postgresUsing(dataDir)).toEqual([]);
  });

  it('stops by itself, with its database, when the process that started it dies', async () => {
    // A parent that starts the gateway (as a test or the bench harness does) and is then
    // killed with SIGKILL: no cleanup of its own runs.
    const parentScript = `
      const { spawn } = require('node:child_process');
      const child = spawn(process.execPath, [${JSON.stringify(gatewayScript)}], {
        env: { ...process.env, EXIT_WITH_PARENT: '1' }, stdio: ['ignore', 'inherit', 'inherit'],
      });
      console.log('gateway pid ' + child.pid);
      setInterval(() => undefined, 1000);`;
    const env = await gatewayEnv();
    const parent = spawnChild(process.execPath, ['-e', parentScript], { env });
    const output = outputOf(parent);
    await output.when('Coalition gateway ready');
    const gatewayPid = Number(/gateway pid (\d+)/.exec(output.text())![1]);
    grandchildPid = gatewayPid;
    expect(postgresUsing(dataDir).length).toBeGreaterThan(0);
    parent.kill('SIGKILL');
    await exitCode(parent);
    // As long as it takes: the gateway notices, drains, stops its database and exits.
    while (isAlive(gatewayPid) || postgresUsing(dataDir).length > 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(isAlive(gatewayPid)).toBe(false);
  });
});

describe('a partner service process', () => {
  it('stops by itself when the process that started it died while it was starting', async () => {
    // The parent starts the partner and exits at once, long before the partner has loaded its
    // modules: a harness killed during a start. The partner must not outlive it.
    const partnerScript = join(__dirname, '../../dist/partners/main.js');
    const parentScript = `
      const { spawn } = require('node:child_process');
      const child = spawn(process.execPath, [${JSON.stringify(partnerScript)}], {
        env: { ...process.env, EXIT_WITH_PARENT: String(process.pid) },
        stdio: 'ignore', detached: false,
      });
      console.log('partner pid ' + child.pid);
      process.exit(0);`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PARTNER: 'ptr_nordic',
      PORT: String(await freePort('127.0.0.1')),
      COALITION_DATA_DIR: dataDir,
    };
    const parent = spawnChild(process.execPath, ['-e', parentScript], { env });
    const output = outputOf(parent);
    await exitCode(parent);
    const partnerPid = Number(/partner pid (\d+)/.exec(output.text())![1]);
    grandchildPid = partnerPid;
    // As long as it takes; before the fix it lived on with init as its parent.
    while (isAlive(partnerPid)) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(isAlive(partnerPid)).toBe(false);
  });
});

async function answers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    return response.status === 200;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  const state = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)])
    .stdout.toString()
    .trim();
  return state !== '' && !state.startsWith('Z');
}

/** The children of a process (a cluster primary's workers), by pid. */
function childrenOf(pid: number): number[] {
  const ps = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)]).stdout.toString();
  return ps
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((child) => child > 0 && isAlive(child));
}

describe('GATEWAY_WORKERS', () => {
  it('serves one port from two worker processes, and replaces one that dies', async () => {
    const metricsPort = await freePort('127.0.0.1');
    const env: NodeJS.ProcessEnv = {
      ...(await gatewayEnv()),
      GATEWAY_WORKERS: '2',
      METRICS_PORT: String(metricsPort),
      // A window longer than any test: the count cannot reset mid-way on a slow machine.
      PARTNER_RATE_LIMIT: '3',
      PARTNER_RATE_WINDOW_SECONDS: '3600',
    };
    const gateway = spawnChild(process.execPath, [gatewayScript], { env });
    const output = outputOf(gateway);
    await output.when('Coalition gateway ready');
    expect(output.text()).toContain('(2 gateway processes)');
    // METRICS_PORT is the primary's: one scrape counts the requests every worker served.
    for (let request = 0; request < 6; request++) {
      const answer = await fetch(`http://127.0.0.1:${env.PORT}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ viewer { kind } }' }),
      });
      expect(answer.status).toBe(200);
    }
    // Either way, the whole cluster's: the primary's port, or /metrics on the shared port (the
    // worker that answers asks the primary).
    for (const url of [
      `http://127.0.0.1:${metricsPort}/metrics`,
      `http://127.0.0.1:${env.PORT}/metrics`,
    ]) {
      const scrape = await fetch(url);
      expect(scrape.status).toBe(200);
      const counted = (await scrape.text())
        .split('\n')
        .filter((line) => line.startsWith('coalition_requests_total{'))
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
      expect(counted).toBeGreaterThanOrEqual(6);
    }
    // A partner's limit is counted once for both workers: 8 requests, each on its own
    // connection (the cluster hands connections to the workers in turn), 3 answered.
    const { privateJwk } = await loadKeySet({ production: false, dataDir });
    const token = await new TokenIssuer(privateJwk!).issue({
      kind: 'partner',
      subject: 'ptr_skyair',
    });
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () => postOnNewConnection(Number(env.PORT), token)),
    );
    expect(statuses.filter((status) => status === 429)).toHaveLength(5);
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    const workers = childrenOf(gateway.pid!);
    expect(workers).toHaveLength(2);
    process.kill(workers[0]!, 'SIGKILL');
    await output.when('starting another');
    // As long as it takes: a new worker takes its place, and the port answers throughout.
    while (!childrenOf(gateway.pid!).some((pid) => !workers.includes(pid))) {
      expect(await answers(Number(env.PORT))).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(childrenOf(gateway.pid!)).toHaveLength(2);
    gateway.kill('SIGTERM');
    expect(await exitCode(gateway)).toBe(0);
    expect(childrenOf(gateway.pid!)).toEqual([]);
    expect(postgresUsing(dataDir)).toEqual([]);
  });
});

/** POSTs `{ viewer { kind } }` as a partner on a connection of its own; the HTTP status. */
function postOnNewConnection(port: number, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query: '{ viewer { kind } }' });
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          connection: 'close',
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('production start-up checks', () => {
  it('refuses to start with one message naming every problem, before starting anything (issue 17)', async () => {
    const env = { ...(await gatewayEnv()), NODE_ENV: 'production', JWT_PUBLIC_JWKS: '{oops' };
    const result = spawnSync(process.execPath, [gatewayScript], { env, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('cannot start: 2 settings need attention');
    expect(result.stderr).toContain('JWT_PUBLIC_JWKS is not valid JSON');
    expect(result.stderr).toContain('GATEWAY_ASSERTION_PRIVATE_JWK is required in production');
    expect(result.stdout).not.toContain('demo coalition');
    expect(postgresUsing(dataDir)).toEqual([]);
  });
});
