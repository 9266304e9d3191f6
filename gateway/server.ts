import { once } from 'node:events';
import { type App, createApp } from './app';
import { loadKeySet } from './auth/keys';
import type { Config } from './config';
import { openDatabaseServer } from './db/database';
import { seedDemoIfEmpty } from './demo/seed';
import { buildGateway } from './gateway';
import { startSweeps } from './jobs/scheduler';

export interface RunningGateway {
  url: string;
  app: App;
  embeddedDatabase: boolean;
  seeded: boolean;
  /** Stops accepting requests, drains, stops the jobs, closes pools, stops an embedded database. */
  stop(): Promise<void>;
}

/**
 * The composition root: config -> database -> migrations and demo data -> keys -> schema ->
 * Apollo -> HTTP. Each step that starts something registers how to stop it, and a failure
 * half-way stops what was started, in reverse order.
 */
export async function startGateway(
  config: Config,
  log: (line: string) => void,
): Promise<RunningGateway> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        log(`while stopping: ${(error as Error).message}`);
      }
    }
  };
  try {
    const database = await openDatabaseServer({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      log,
    });
    stops.push(() => database.stop());
    const app = await createApp({ databaseUrl: database.url });
    stops.push(() => app.close());
    const seeded = config.seedDemo ? await seedDemoIfEmpty(app) : false;
    const keySet = await loadKeySet({ production: config.production, dataDir: config.dataDir });
    const gateway = await buildGateway({
      app,
      keySet,
      production: config.production,
      corsOrigins: config.corsOrigins,
      log,
    });
    stops.push(() => gateway.stop());
    const sweeps = startSweeps(app, config.sweepIntervalMs, log);
    stops.push(() => sweeps.stop());
    gateway.httpServer.listen(config.port, config.host);
    await once(gateway.httpServer, 'listening');
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          gateway.httpServer.close(() => resolve());
          gateway.httpServer.closeIdleConnections();
          // In-flight requests get a few seconds to finish, then their sockets are cut.
          setTimeout(() => gateway.httpServer.closeAllConnections(), 5_000).unref();
        }),
    );
    return {
      url: `http://localhost:${config.port}/graphql`,
      app,
      embeddedDatabase: database.embedded,
      seeded,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
