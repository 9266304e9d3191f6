import cluster from 'node:cluster';
import { printBanner } from './banner';
import { runPrimary } from './cluster';
import { type Config, loadConfig } from './config';
import { environmentProblems } from './config-check';
import { Lifecycle, StartInterrupted, stopOnSignals } from './lifecycle';
import { createLogger, lineLogger, logSettings } from './observability/logger';
import { startTracing } from './observability/tracing';
import { type RunningGateway, startGateway } from './server';

/**
 * `npm start`: the gateway with the demo coalition, on an embedded PostgreSQL unless
 * DATABASE_URL is set, served by GATEWAY_WORKERS processes on one port (gateway/cluster.ts; 1:
 * everything in this process). Ctrl-C (SIGINT) or SIGTERM stops everything cleanly, at any
 * moment: the handlers are installed before anything starts, and a signal during start-up stops
 * what has started (the embedded database included). A second signal exits at once.
 */
async function main(): Promise<void> {
  // Every problem with the environment at once, before anything starts.
  const problems = environmentProblems(process.env);
  if (problems.length > 0) {
    console.error(
      `[gateway] cannot start: ${problems.length === 1 ? 'a setting needs' : `${problems.length} settings need`} attention:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
    process.exit(2);
  }
  const config = loadConfig();
  if (cluster.isPrimary && config.workers > 1) return runPrimary(config);
  await runGateway(config);
}

/**
 * One gateway process: everything (GATEWAY_WORKERS=1), or a cluster worker, whose primary has
 * prepared the database, the keys and the partner services, and prints the banner.
 */
async function runGateway(config: Config): Promise<void> {
  const worker = cluster.worker;
  const logger = createLogger(
    logSettings(process.env),
    undefined,
    worker ? { service: 'coalition-gateway', worker: worker.id } : undefined,
  );
  const log = lineLogger(logger);
  const lifecycle = new Lifecycle(log);
  let starting: Promise<unknown> = Promise.resolve();
  const signals = stopOnSignals({
    lifecycle,
    log,
    stopsWhat: 'finishing in-flight requests, then the database',
    starting: () => starting,
    repeatIgnored: worker !== undefined,
    onForcedExit: () => logger.flush(),
  });
  // A worker whose primary is gone (killed) stops too.
  if (worker) process.on('disconnect', () => void signals.stop('primary process exited'));

  starting = (async () => {
    // Before anything is built, so Apollo's gateway and our modules find the provider; stopped
    // last, flushing the spans of the drain.
    const tracing = await startTracing(process.env);
    if (tracing) lifecycle.started('tracing', () => tracing.stop());
    return startGateway(config, logger, lifecycle);
  })();
  let gateway: RunningGateway;
  try {
    gateway = (await starting) as RunningGateway;
  } catch (error) {
    if (error instanceof StartInterrupted || signals.stopping) return;
    throw error;
  }
  if (signals.stopping) return;
  if (worker) {
    process.send?.({ ready: true });
    return;
  }
  printBanner({ ...gateway, production: config.production, dataDir: config.dataDir, workers: 1 });
}

main().catch((error: unknown) => {
  console.error(`[gateway] failed to start: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
