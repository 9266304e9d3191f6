import cluster from 'node:cluster';
import { printBanner } from './banner';
import { runPrimary } from './cluster';
import { type Config, loadConfig } from './config';
import { environmentProblems } from './config-check';
import { exitWithParent, Lifecycle, StartInterrupted } from './lifecycle';
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
  const log = (line: string) => console.log(`[gateway${worker ? ` ${worker.id}` : ''}] ${line}`);
  const lifecycle = new Lifecycle(log);
  let starting: Promise<unknown> = Promise.resolve();
  let stopping = false;
  const shutdown = async (reason: string) => {
    // A worker is told twice when Ctrl-C reaches it and its primary: it finishes its drain (the
    // primary kills it if that takes too long).
    if (stopping && worker) return;
    if (stopping) {
      log(`${reason} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log(`${reason}: stopping (finishing in-flight requests, then the database)...`);
    // The step in flight finishes and nothing more starts; then all of it stops.
    lifecycle.requestStop();
    await starting.catch(() => undefined);
    await lifecycle.stop();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // Started by a test or a harness that died: nobody will send the signal.
  exitWithParent(process.env, () => void shutdown('parent process exited'));
  // A worker whose primary is gone (killed) stops too.
  if (worker) process.on('disconnect', () => void shutdown('primary process exited'));

  starting = startGateway(config, log, lifecycle);
  let gateway: RunningGateway;
  try {
    gateway = (await starting) as RunningGateway;
  } catch (error) {
    if (error instanceof StartInterrupted || stopping) return;
    throw error;
  }
  if (stopping) return;
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
