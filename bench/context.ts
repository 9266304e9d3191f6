import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { projectRoot } from '../gateway/config';
import { graphqlPath } from '../gateway/http/server';
import { seedBenchData } from './bench-data';
import type { BenchServer } from './database-server';
import { type LoadOptions, type LoadResult, type LoadTarget, runLoad } from './load-generator';
import { benchMetricsToken } from './metrics-scrape';
import type { BenchOptions } from './options';
import type { BenchKeys } from './requests';
import { gatewayNodeArgs, type ServerProcess, startServerProcess } from './server-process';

export const gatewayScript = resolve(projectRoot, 'dist/gateway/main.js');
/** The database seeded once per run that the others are copied from. */
const seedTemplatePurpose = 'seed';
export const bareHttpScript = resolve(projectRoot, 'dist/bench/bare-http-server.js');
export const partnerScript = resolve(projectRoot, 'dist/partners/main.js');

/**
 * What every experiment shares: the options, the one database server, the signing keys, the
 * seeded ledger database, and the processes started (all stopped by `close`).
 */
export class BenchContext {
  private readonly processes = new Set<ServerProcess>();
  private ledgerUrl: Promise<string> | undefined;
  private seedTemplate: Promise<void> | undefined;
  private sharedGateway: Promise<ServerProcess> | undefined;
  private processCount = 0;
  private readonly startedAt = performance.now();

  constructor(
    readonly options: BenchOptions,
    readonly server: BenchServer,
    readonly keys: BenchKeys,
  ) {
    for (const script of [gatewayScript, bareHttpScript, partnerScript]) {
      if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first`);
    }
  }

  /** A progress line with the time since the run started. */
  log(line: string): void {
    const seconds = ((performance.now() - this.startedAt) / 1_000).toFixed(1).padStart(6);
    console.log(`[bench ${seconds}s] ${line}`);
  }

  /** The bench coalition's database, created and seeded the first time it is asked for. */
  ledgerDatabase(): Promise<string> {
    this.ledgerUrl ??= this.seededDatabase('ledger');
    return this.ledgerUrl;
  }

  /**
   * One gateway on the ledger database, shared by the experiments that read and write it (each
   * warms it up again; earn_vs_tpcb, which runs first, resets its peak RSS per window).
   */
  ledgerGateway(): Promise<ServerProcess> {
    this.sharedGateway ??= this.ledgerDatabase().then((url) => this.startGateway(url, 'ledger'));
    return this.sharedGateway;
  }

  /**
   * A fresh database of the run holding the bench coalition: a copy of one seeded once per run
   * (CREATE DATABASE ... TEMPLATE copies files, far faster than seeding 10,000 members again).
   */
  async seededDatabase(purpose: string): Promise<string> {
    this.seedTemplate ??= this.seedOnce();
    await this.seedTemplate;
    return this.server.recreateDatabase(purpose, seedTemplatePurpose);
  }

  private async seedOnce(): Promise<void> {
    const url = await this.server.recreateDatabase(seedTemplatePurpose);
    this.log(
      `seeding the bench coalition: 20 partners, ${this.options.members.toLocaleString('en')} members`,
    );
    await seedBenchData(url, this.options.members);
  }

  /**
   * Another build of the gateway beside the one under test, on the same database, for a
   * before/after in one run: BENCH_BASELINE_GATEWAY names its main.js (e.g. a copy of dist/
   * before a change). Undefined when the variable is unset.
   */
  async startBaselineGateway(
    databaseUrl: string,
    label: string,
  ): Promise<ServerProcess | undefined> {
    const script = process.env.BENCH_BASELINE_GATEWAY;
    return script ? this.startGateway(databaseUrl, label, resolve(script)) : undefined;
  }

  /**
   * The gateway as deployed (`node` with `gatewayNodeArgs`, as `npm start` and the
   * Dockerfile run it, NODE_ENV=production) on one of the run's databases, trusting the
   * bench's key, with the sweeps off.
   */
  async startGateway(
    databaseUrl: string,
    label: string,
    script = gatewayScript,
  ): Promise<ServerProcess> {
    return this.track(
      await startServerProcess({
        script,
        nodeArgs: [
          ...gatewayNodeArgs,
          ...(this.options.profile
            ? ['--cpu-prof', `--cpu-prof-dir=${join(this.options.dataDir, 'profiles')}`]
            : []),
        ],
        env: {
          ...process.env,
          NODE_ENV: 'production',
          DATABASE_URL: databaseUrl,
          JWT_PUBLIC_JWKS: JSON.stringify(this.keys.publicJwks),
          GATEWAY_ASSERTION_PRIVATE_JWK: JSON.stringify(this.keys.assertionJwk),
          SWEEP_INTERVAL_MS: '0',
          // One process unless the run says otherwise (GATEWAY_WORKERS=2 npm run bench ...), so
          // figures stay comparable with earlier runs; gateway_rss measures each process.
          GATEWAY_WORKERS: process.env.GATEWAY_WORKERS ?? '1',
          SEED_DEMO: 'false',
          COALITION_DATA_DIR: this.options.dataDir,
          // In production /metrics is served only to this token (the earn bench scrapes it).
          METRICS_TOKEN: benchMetricsToken,
        },
        logFile: await this.logFile(`gateway-${label}`),
        readyPath: '/health',
      }),
    );
  }

  /**
   * A demo partner's subgraph service in its own process (`npm run partner`), trusting the
   * assertions of `gateway`; not yet registered with it.
   */
  async startPartnerService(partnerId: string, gateway: ServerProcess): Promise<ServerProcess> {
    const gatewayOrigin = `http://${gateway.host}:${gateway.port}`;
    return this.track(
      await startServerProcess({
        script: partnerScript,
        env: {
          ...process.env,
          NODE_ENV: 'production',
          PARTNER: partnerId,
          GATEWAY_JWKS_URL: `${gatewayOrigin}/.well-known/gateway-jwks.json`,
          COALITION_GRAPHQL_URL: `${gatewayOrigin}${graphqlPath}`,
          COALITION_DATA_DIR: this.options.dataDir,
        },
        logFile: await this.logFile(`partner-${partnerId}`),
        readyPath: '/health',
      }),
    );
  }

  /** The bare node:http baseline serving `bodyFile` with `headers`. */
  async startBareHttp(bodyFile: string, headers: Record<string, string>): Promise<ServerProcess> {
    return this.track(
      await startServerProcess({
        script: bareHttpScript,
        env: {
          ...process.env,
          NODE_ENV: 'production',
          BARE_BODY_FILE: bodyFile,
          BARE_HEADERS: JSON.stringify(headers),
        },
        logFile: await this.logFile('bare-http'),
        readyPath: '/health',
      }),
    );
  }

  async stopProcess(server: ServerProcess): Promise<void> {
    this.processes.delete(server);
    await server.stop();
  }

  /**
   * The options' clients and the load's request, against a server started here, with the CPU
   * time each answer cost the server process and this (client) process: machine-independent
   * enough to compare runs on a noisy machine.
   */
  async load(
    server: ServerProcess,
    load: Pick<LoadOptions, 'request' | 'succeeded'> & { warmupSeconds?: number; clients?: number },
  ): Promise<MeasuredLoad> {
    const serverCpuBefore = await server.cpuSeconds();
    const clientCpuBefore = process.cpuUsage();
    const result = await runLoad({
      target: graphqlTarget(server),
      clients: load.clients ?? this.options.clients,
      warmupMs: (load.warmupSeconds ?? 0) * 1_000,
      durationMs: this.options.durationSeconds * 1_000,
      minSuccesses: this.options.minSuccesses,
      request: load.request,
      succeeded: load.succeeded,
    });
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const serverCpuSeconds = (await server.cpuSeconds()) - serverCpuBefore;
    const answered = Math.max(result.answered, 1);
    return {
      ...result,
      serverCpuMsPerRequest: (serverCpuSeconds * 1_000) / answered,
      clientCpuMsPerRequest: (clientCpu.user + clientCpu.system) / 1_000 / answered,
    };
  }

  /** Unmeasured load for the options' warm-up time. */
  async warmUp(server: ServerProcess, load: Pick<LoadOptions, 'request' | 'succeeded'>) {
    if (this.options.warmupSeconds === 0) return;
    await runLoad({
      target: graphqlTarget(server),
      clients: this.options.clients,
      warmupMs: this.options.warmupSeconds * 1_000,
      durationMs: 0,
      request: load.request,
      succeeded: load.succeeded,
    });
  }

  async close(): Promise<void> {
    for (const server of this.processes) await server.stop().catch(() => undefined);
    this.processes.clear();
  }

  private track(server: ServerProcess): ServerProcess {
    this.processes.add(server);
    return server;
  }

  private async logFile(name: string): Promise<string> {
    const folder = join(this.options.dataDir, 'logs');
    await mkdir(folder, { recursive: true });
    return join(folder, `${name}-${++this.processCount}.log`);
  }
}

export interface MeasuredLoad extends LoadResult {
  /** CPU milliseconds of the server process per answer (PostgreSQL's own work excluded). */
  serverCpuMsPerRequest: number;
  /** CPU milliseconds of the load generator per answer. */
  clientCpuMsPerRequest: number;
}

export function graphqlTarget(server: ServerProcess): LoadTarget {
  return { host: server.host, port: server.port, path: graphqlPath };
}
