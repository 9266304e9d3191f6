import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, closeSync, mkdtempSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadKeySet } from '../../gateway/auth/keys';
import { TokenIssuer } from '../../gateway/auth/tokens';
import { defaultDatabaseName } from '../../gateway/db/database';
import { SqlDatabase } from '../../gateway/db/sql';
import { exitWithParentEnv } from '../../gateway/lifecycle';
import { freePort, gatewayNodeArgs } from '../server-process';

const gatewayScript = resolve(__dirname, '../../gateway/main.js');
const readyTimeoutMs = 120_000;

/**
 * What the fault suite runs against: `npm start`'s gateway (dist/gateway/main.js, demo
 * coalition, embedded PostgreSQL) in a process of its own, on a fresh data folder, and a
 * connection of the suite's own to its database. Scenarios kill and restart both.
 */
export class ChaosEnvironment {
  private gateway: ChildProcess | undefined;
  /** The suite's own pool on the gateway's database (survives the server's restarts). */
  admin!: SqlDatabase;
  private adminPort = 0;
  partnerToken = '';

  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly log: (line: string) => void,
  ) {}

  static async start(log: (line: string) => void): Promise<ChaosEnvironment> {
    const folder = mkdtempSync(join(tmpdir(), 'coalition-chaos-'));
    // When run as root, PostgreSQL runs as the postgres user and must reach the folder.
    chmodSync(folder, 0o755);
    const environment = new ChaosEnvironment(folder, await freePort('127.0.0.1'), log);
    await environment.startGateway();
    await environment.reconnectAdmin();
    const keySet = await loadKeySet({ production: false, dataDir: folder });
    environment.partnerToken = await new TokenIssuer(keySet.privateJwk!).issue({
      kind: 'partner',
      subject: 'ptr_fuelco',
    });
    return environment;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  /** Starts the gateway and waits until it answers /health. */
  async startGateway(): Promise<void> {
    const logFile = openSync(join(this.dataDir, 'gateway.log'), 'a');
    try {
      this.gateway = spawn(process.execPath, [...gatewayNodeArgs, gatewayScript], {
        env: {
          ...withoutDatabaseUrl(process.env),
          COALITION_DATA_DIR: this.dataDir,
          PORT: String(this.port),
          HOST: '127.0.0.1',
          DEMO_PARTNERS: 'off',
          SWEEP_INTERVAL_MS: '0',
          // If the suite dies, the gateway (and its database) stop by themselves.
          ...exitWithParentEnv(),
        },
        stdio: ['ignore', logFile, logFile],
      });
    } finally {
      closeSync(logFile);
    }
    const started = performance.now();
    while (!(await this.answers())) {
      if (this.gateway.exitCode !== null || performance.now() - started > readyTimeoutMs) {
        throw new Error(`the gateway did not start; see ${join(this.dataDir, 'gateway.log')}`);
      }
      await sleep(50);
    }
  }

  /** kill -9 of the gateway process; resolves once it is gone. */
  async killGateway(): Promise<void> {
    const gateway = this.gateway;
    if (!gateway || gateway.exitCode !== null) return;
    const exited = once(gateway, 'exit');
    gateway.kill('SIGKILL');
    await exited;
  }

  /** The postmaster's pid and port, from its pid file. */
  async postmaster(): Promise<{ pid: number; port: number }> {
    const lines = (await readFile(join(this.dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split(
      '\n',
    );
    return { pid: Number(lines[0]), port: Number(lines[3]) };
  }

  /** (Re)opens the suite's pool when the database is new or moved (a restart picks a port). */
  async reconnectAdmin(): Promise<void> {
    const { port } = await this.postmaster();
    if (this.admin && port === this.adminPort) return;
    await this.admin?.close().catch(() => undefined);
    this.adminPort = port;
    this.admin = new SqlDatabase({
      url: `postgres://postgres@127.0.0.1:${port}/${defaultDatabaseName}`,
      poolSizeMax: 4,
      applicationName: 'coalition-chaos',
      // Holding a hot row's lock is a scenario: the suite's own statements may wait for it.
      timeouts: { lockTimeoutMs: 0, idleInTransactionTimeoutMs: 0 },
    });
  }

  /** Stops the gateway (SIGTERM: it drains and stops its database) and closes the pool. */
  async stop(): Promise<void> {
    await this.admin?.close().catch(() => undefined);
    const gateway = this.gateway;
    if (gateway && gateway.exitCode === null && gateway.signalCode === null) {
      const exited = once(gateway, 'exit');
      gateway.kill('SIGTERM');
      const timer = setTimeout(() => gateway.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    this.log(`gateway log and data in ${this.dataDir}`);
  }

  private async answers(): Promise<boolean> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.port}/health`, {
        signal: AbortSignal.timeout(1_000),
      });
      return response.status === 200;
    } catch {
      return false;
    }
  }
}

function withoutDatabaseUrl(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.DATABASE_URL;
  delete copy.NODE_ENV;
  return copy;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
