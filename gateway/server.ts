import cluster from 'node:cluster';
import { once } from 'node:events';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { demoPartnerServices } from '../partners/demo';
import { gatewayKeys } from '../partners/shared/assertion-verifier';
import { startPartnerServices } from '../partners/start';
import { type App, createApp } from './app';
import { loadKeySet } from './auth/keys';
import type { Config } from './config';
import { type DatabaseServer, openDatabaseServer } from './db/database';
import { seedDemoIfEmpty } from './demo/seed';
import { loadAssertionKey } from './federation/assertions';
import { type FederationConfig, loadFederationConfig } from './federation/config';
import { buildGateway, type Gateway } from './gateway';
import { metricsAccess, startMetricsServer } from './http/operations-endpoints';
import { startJobs } from './jobs/scheduler';
import { Lifecycle } from './lifecycle';
import { type Logger, lineLogger } from './observability/logger';
import { WebhookDelivery } from './webhooks/delivery';
import { WebhookSigner } from './webhooks/signing';

export interface RunningGateway {
  url: string;
  app: App;
  embeddedDatabase: boolean;
  /** Whether the demo coalition was seeded by this start, or a half-done seed repaired. */
  seeded: 'seeded' | 'repaired' | false;
  /** Partner services composed into the graph: name and URL. */
  partnerServices: { partnerId: string; name: string; url: string }[];
  /** Stops accepting requests, drains, stops the jobs, closes pools, stops an embedded database. */
  stop(): Promise<void>;
}

/**
 * The composition root: config -> database -> migrations and demo data -> keys -> schema ->
 * Apollo -> HTTP. Each step that starts something registers how to stop it with `lifecycle`;
 * a failure half-way, or a stop requested during the start (a signal), stops what was started,
 * in reverse order, and nothing more is started.
 */
export async function startGateway(
  config: Config,
  logger: Logger,
  lifecycle: Lifecycle = new Lifecycle(lineLogger(logger)),
): Promise<RunningGateway> {
  const log = lineLogger(logger);
  try {
    const { database, app } = await openDatabase(config, lifecycle, log);
    lifecycle.started('database pools', () => app.close());
    const seeded = config.seedDemo ? await seedDemoIfEmpty(app) : false;
    lifecycle.checkpoint('demo seed');
    const keySet = await loadKeySet({ production: config.production, dataDir: config.dataDir });
    const federationConfig = loadFederationConfig(process.env, config.production);
    const assertionKey = await loadAssertionKey(config);
    const gateway = await buildGateway({
      app,
      keySet,
      production: config.production,
      corsOrigins: config.corsOrigins,
      log,
      logger,
      metrics: metricsAccess(config.production, config.metrics.token),
      assertionKey,
      subgraphTimeoutMs: federationConfig.subgraphTimeoutMs,
      compositionCacheDir: join(config.dataDir, 'cache', 'supergraphs'),
      limits: config.limits,
      rateLimits: config.rateLimits,
    });
    lifecycle.started('gateway', () => gateway.stop());
    // Partner services stop after the gateway has drained (stops run in reverse order).
    const services = await startDemoPartners(
      config,
      federationConfig,
      gateway.federation.signer.publicJwks,
      lifecycle,
      log,
    );
    // SWEEP_INTERVAL_MS=0: this process runs no scheduled jobs (tests, benchmarks).
    if (config.sweepIntervalMs > 0) {
      const jobs = await startJobs({ app, settings: config, log });
      lifecycle.started('scheduled jobs', () => jobs.stop());
    }
    // Every process runs the webhook delivery worker; the database makes each subscription's
    // delivery happen in one process at a time (WEBHOOK_POLL_MS=0: none in this process).
    if (config.webhooks.pollMs > 0) {
      const delivery = new WebhookDelivery(
        app.db,
        new WebhookSigner(assertionKey),
        config.webhooks,
        log,
      );
      delivery.start();
      lifecycle.started('webhook delivery', () => delivery.stop());
    }
    gateway.httpServer.listen(config.port, config.host);
    await once(gateway.httpServer, 'listening');
    lifecycle.started(
      'HTTP server',
      () =>
        new Promise<void>((resolve) => {
          gateway.httpServer.close(() => resolve());
          gateway.httpServer.closeIdleConnections();
          // In-flight requests get a few seconds to finish, then their sockets are cut.
          setTimeout(() => gateway.httpServer.closeAllConnections(), 5_000).unref();
        }),
    );
    // A cluster worker's metrics are served summed by its primary (gateway/cluster.ts).
    if (config.metrics.port !== undefined && !cluster.isWorker) {
      await startMetricsServer(
        { port: config.metrics.port, host: config.metrics.host },
        lifecycle,
        log,
      );
    }
    await registerPartnerServices(app, gateway, services, log);
    const partnerServices = await servedPartnerServices(app, gateway);
    lifecycle.checkpoint('partner services registration');
    return {
      url: `http://localhost:${config.port}/graphql`,
      app,
      embeddedDatabase: database.embedded,
      seeded,
      partnerServices,
      stop: () => lifecycle.stop(),
    };
  } catch (error) {
    await lifecycle.stop();
    throw error;
  }
}

/**
 * The database server (DATABASE_URL, or an embedded one, registered with `lifecycle`) and the
 * app over it, migrated. The caller owns the app's pools.
 */
export async function openDatabase(
  config: Config,
  lifecycle: Lifecycle,
  log: (line: string) => void,
): Promise<{ database: DatabaseServer; app: App }> {
  const database = await openDatabaseServer({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    log,
  });
  lifecycle.started('database', () => database.stop());
  const app = await createApp({
    databaseUrl: database.url,
    databaseTimeouts: config.databaseTimeouts,
  });
  return { database, app };
}

/**
 * The configured partner services (PARTNER_SERVICES), and the demo partners' when they run
 * in-process (DEMO_PARTNERS), started here and registered with `lifecycle`: partner id -> URL.
 */
export async function startDemoPartners(
  config: Config,
  federationConfig: FederationConfig,
  gatewayPublicJwks: { keys: JWK[] },
  lifecycle: Lifecycle,
  log: (line: string) => void,
): Promise<Record<string, string>> {
  const services = { ...federationConfig.partnerServices };
  if (!federationConfig.demoPartnersInProcess) return services;
  const partners = await startPartnerServices(demoPartnerServices, {
    gatewayKeys: gatewayKeys({ jwks: gatewayPublicJwks }),
    coalitionUrl: `http://127.0.0.1:${config.port}/graphql`,
    host: federationConfig.partnerHost,
    dataDir: config.dataDir,
    log,
  });
  lifecycle.started('partner services', async () => {
    await Promise.all(partners.map((partner) => partner.stop()));
  });
  for (const partner of partners) services[partner.partnerId] = partner.url;
  return services;
}

/**
 * Registers the configured partner services (each start refreshes their SDL and keys). A
 * service that cannot be registered now is logged; if it was registered before, its stored SDL
 * keeps it in the graph (its fields answer SUBGRAPH_UNAVAILABLE while it is down).
 */
async function registerPartnerServices(
  app: App,
  gateway: Gateway,
  services: Record<string, string>,
  log: (line: string) => void,
): Promise<void> {
  for (const [partnerId, url] of Object.entries(services)) {
    const outcome = await gateway.federation.onboarding.register(app.systemContext('startup'), {
      partnerId,
      url,
    });
    if (outcome instanceof Error) {
      log(`partner service ${partnerId} not (re)registered: ${outcome.message}`);
    }
  }
}

/** Every partner service in the graph (registered now or earlier), for the start banner. */
async function servedPartnerServices(app: App, gateway: Gateway) {
  const served = await gateway.federation.onboarding.list(app.systemContext('startup'));
  return Promise.all(
    served.map(async (service) => ({
      partnerId: service.partnerId,
      name: (await app.catalog.partner(service.partnerId))?.name ?? service.partnerId,
      url: service.url,
    })),
  );
}
