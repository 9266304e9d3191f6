import { relative } from 'node:path';
import { loadConfig, projectRoot } from './config';
import { environmentProblems } from './config-check';
import { demoPartners } from './demo/seed';
import { exitWithParent, Lifecycle, StartInterrupted } from './lifecycle';
import { createLogger, lineLogger, logSettings } from './observability/logger';
import { startTracing } from './observability/tracing';
import { type RunningGateway, startGateway } from './server';

/**
 * `npm start`: the gateway with the demo coalition, on an embedded PostgreSQL unless
 * DATABASE_URL is set. Ctrl-C (SIGINT) or SIGTERM stops everything cleanly, at any moment: the
 * handlers are installed before anything starts, and a signal during start-up stops what has
 * started (the embedded database included). A second signal exits at once.
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
  const logger = createLogger(logSettings(process.env));
  const log = lineLogger(logger);
  const lifecycle = new Lifecycle(log);
  let starting: Promise<unknown> = Promise.resolve();
  let stopping = false;
  const shutdown = async (reason: string) => {
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
    log('gateway stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // Started by a test or a harness that died: nobody will send the signal.
  exitWithParent(process.env, () => void shutdown('parent process exited'));

  const config = loadConfig();
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
    if (error instanceof StartInterrupted || stopping) return;
    throw error;
  }
  if (stopping) return;

  const dataDir = relative(projectRoot, config.dataDir) || config.dataDir;
  if (config.production) {
    // No demo coalition and no development tokens in production: say only what is true.
    console.log(`
Coalition gateway ready at ${gateway.url} (production)
  database: ${gateway.embeddedDatabase ? `embedded PostgreSQL in ${dataDir}/postgres` : 'DATABASE_URL'}
  partner subgraphs composed into the graph:${gateway.partnerServices.map((service) => `\n    ${service.name.padEnd(14)} ${service.url}`).join('') || ' none'}
  tokens: from your identity provider (JWT_PUBLIC_JWKS); health at /health
`);
    return;
  }
  const query =
    '{ wallet { balances { currency available pending expiringSoon } history(first: 5) { entries { code description changes { currency available } } } } }';
  const federatedQuery =
    '{ wallet { balances { currency available } } skyAirAwardFlights { id destination price { currency points affordability { affordable shortfallPoints } } } nordicHotelRewards { id city price { currency points affordability { affordable shortfallPoints } } } }';
  console.log(`
Coalition gateway ready at ${gateway.url}
  member wallet:    ${gateway.url.replace(/\/graphql$/, '/')}
  finance console:  ${gateway.url.replace(/\/graphql$/, '/finance')}
  database: ${gateway.embeddedDatabase ? `embedded PostgreSQL in ${dataDir}/postgres (set DATABASE_URL to use your own)` : 'DATABASE_URL'}
  demo coalition: ${demoPartners.map((partner) => partner.name).join(', ')}${gateway.seeded === 'seeded' ? ' (seeded just now)' : gateway.seeded === 'repaired' ? ' (a half-done seed repaired just now)' : ''}
  partner subgraphs composed into the graph:${gateway.partnerServices.map((service) => `\n    ${service.name.padEnd(14)} ${service.url}`).join('') || ' none'}

Get a token (development keys in ${dataDir}/keys; valid 12 hours):
  npm run -s token -- member mbr_alice        # or: partner ptr_fuelco | operator admin | finance ptr_skyair

Try a query:
  curl -s ${gateway.url} -H 'content-type: application/json' \\
    -H "authorization: Bearer $(npm run -s token -- member mbr_alice)" \\
    -d '{"query":"${query}"}'

Rewards of two partners with affordability, beside the wallet (one query, federated):
  curl -s ${gateway.url} -H 'content-type: application/json' \\
    -H "authorization: Bearer $(npm run -s token -- member mbr_alice)" \\
    -d '{"query":"${federatedQuery}"}'

Stop with Ctrl-C (stops the partner services and the database too).
`);
}

main().catch((error: unknown) => {
  console.error(`[gateway] failed to start: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
