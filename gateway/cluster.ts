import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { AggregatorRegistry } from 'prom-client';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import { demoPartnerServices } from '../partners/demo';
import { loadKeySet } from './auth/keys';
import { printBanner } from './banner';
import type { Config } from './config';
import { seedDemoIfEmpty } from './demo/seed';
import { AssertionSigner, loadAssertionKey } from './federation/assertions';
import { loadFederationConfig } from './federation/config';
import { startMetricsServer } from './http/operations-endpoints';
import { Lifecycle, StartInterrupted, stopOnSignals } from './lifecycle';
import { serveClusterMetrics } from './observability/cluster-metrics';
import { openDatabase, startDemoPartners } from './server';

/** A worker stopped (SIGTERM) and still running after this is killed. */
const workerStopMs = 20_000;
/** A worker that dies sooner than this after its start counts as crashing at start. */
const quickDeathMs = 30_000;
const restartDelayMsMax = 30_000;

/**
 * `npm start` with GATEWAY_WORKERS > 1: this primary process owns what exists once (the
 * embedded PostgreSQL, migrations and the demo seed, the development keys, the in-process demo
 * partner services), then forks the workers, each a whole gateway (gateway/server.ts) on the
 * same port (node:cluster hands connections round-robin). Each worker is told the database URL
 * and the partner services, and neither seeds nor starts partners. A worker that dies is
 * forked again (after a growing delay if it keeps dying at start). SIGINT/SIGTERM stops the
 * workers (each drains its requests), then the partner services and the database.
 */
export async function runPrimary(config: Config): Promise<void> {
  const log = (line: string) => console.log(`[gateway] ${line}`);
  const lifecycle = new Lifecycle(log);
  const workers = new WorkerPool(config.workers, log);
  let starting: Promise<unknown> = Promise.resolve();
  const signals = stopOnSignals({
    lifecycle,
    log,
    stopsWhat: 'the gateway processes, then the database',
    starting: () => starting,
    onStop: () => workers.stopRequested(),
    onForcedExit: () => workers.kill(),
  });

  starting = prepareAndFork(config, lifecycle, workers, log);
  try {
    const ready = (await starting) as Awaited<ReturnType<typeof prepareAndFork>>;
    if (signals.stopping) return;
    printBanner(ready);
  } catch (error) {
    if (error instanceof StartInterrupted || signals.stopping) return;
    await lifecycle.stop();
    throw error;
  }
}

/** Everything that exists once, then the workers; resolves when every worker serves. */
async function prepareAndFork(
  config: Config,
  lifecycle: Lifecycle,
  workers: WorkerPool,
  log: (line: string) => void,
) {
  const { database, app } = await openDatabase(config, lifecycle, log);
  let seeded: 'seeded' | 'repaired' | false;
  try {
    seeded = config.seedDemo ? await seedDemoIfEmpty(app) : false;
  } finally {
    await app.close();
  }
  lifecycle.checkpoint('demo seed');
  // Made here once (outside production), so the workers do not race to make them.
  await loadKeySet({ production: config.production, dataDir: config.dataDir });
  const assertionKey = await loadAssertionKey(config);
  const federationConfig = loadFederationConfig(process.env, config.production);
  const services = await startDemoPartners(
    config,
    federationConfig,
    new AssertionSigner(assertionKey).publicJwks,
    lifecycle,
    log,
  );
  lifecycle.started('gateway processes', () => workers.stop());
  serveClusterMetrics();
  // The workers' partner rate limits count here, once for the host (http/rate-limits.ts).
  new RateLimiterClusterMaster();
  await workers.start({
    DATABASE_URL: database.url,
    SEED_DEMO: 'false',
    DEMO_PARTNERS: 'off',
    PARTNER_SERVICES: Object.entries(services)
      .map(([partnerId, url]) => `${partnerId}=${url}`)
      .join(','),
  });
  lifecycle.checkpoint('gateway processes');
  if (config.metrics.port !== undefined) {
    // One scrape for the whole gateway: the workers' registries, summed.
    const aggregator = new AggregatorRegistry();
    await startMetricsServer(
      { port: config.metrics.port, host: config.metrics.host },
      lifecycle,
      log,
      { metrics: () => aggregator.clusterMetrics(), contentType: aggregator.contentType },
    );
  }
  return {
    url: `http://localhost:${config.port}/graphql`,
    production: config.production,
    dataDir: config.dataDir,
    embeddedDatabase: database.embedded,
    seeded,
    partnerServices: Object.entries(services).map(([partnerId, url]) => ({
      name:
        demoPartnerServices.find((partner) => partner.partnerId === partnerId)?.name ?? partnerId,
      url,
    })),
    workers: config.workers,
  };
}

/** The forked gateway processes: started together, restarted when one dies, stopped together. */
class WorkerPool {
  /** Each live worker and when it was forked. */
  private readonly live = new Map<Worker, number>();
  private env: NodeJS.ProcessEnv = {};
  private stopping = false;
  private quickDeaths = 0;

  constructor(
    private readonly size: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Forks every worker; resolves when each has started, rejects if one dies first. */
  async start(env: NodeJS.ProcessEnv): Promise<void> {
    this.env = env;
    await Promise.all(Array.from({ length: this.size }, () => this.fork()));
    // From here on a worker that dies is replaced.
    cluster.on('exit', (worker, code, signal) => this.replace(worker, code, signal));
  }

  private fork(): Promise<void> {
    const worker = cluster.fork(this.env);
    this.live.set(worker, Date.now());
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`gateway process ${worker.id} exited (${code}) while starting`));
      worker.once('exit', onExit);
      worker.on('message', (message: { ready?: boolean }) => {
        if (!message.ready) return;
        worker.off('exit', onExit);
        resolve();
      });
    });
  }

  private replace(worker: Worker, code: number | null, signal: string | null): void {
    const lived = Date.now() - (this.live.get(worker) ?? 0);
    this.live.delete(worker);
    if (this.stopping) return;
    this.quickDeaths = lived < quickDeathMs ? this.quickDeaths + 1 : 0;
    const delayMs = Math.min(restartDelayMsMax, 500 * 2 ** this.quickDeaths);
    this.log(
      `gateway process ${worker.id} died (${signal ?? `exit ${code}`}); starting another in ${delayMs} ms`,
    );
    setTimeout(() => {
      if (this.stopping) return;
      this.fork().catch((error: Error) => {
        if (!this.stopping) this.log(error.message);
      });
    }, delayMs).unref();
  }

  /** From now on a worker that exits is not replaced (a Ctrl-C reaches the workers too). */
  stopRequested(): void {
    this.stopping = true;
  }

  /** SIGTERM to each (it drains and exits), SIGKILL to one still running after workerStopMs. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.live.keys()].map(async (worker) => {
        if (worker.isDead()) return;
        const exited = once(worker, 'exit');
        worker.process.kill('SIGTERM');
        const timer = setTimeout(() => worker.process.kill('SIGKILL'), workerStopMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  kill(): void {
    this.stopping = true;
    for (const worker of this.live.keys()) worker.process.kill('SIGKILL');
  }
}
