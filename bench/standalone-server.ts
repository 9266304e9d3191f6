import type { Server } from 'node:http';
import { exitWithParent } from '../gateway/lifecycle';

const keepAliveTimeoutMs = 5_000;

/**
 * Runs one of the bench's own servers (the bare baseline, the floors) as the harness starts
 * them (server-process.ts): listening on HOST and PORT once `ready` resolves, stopped on
 * SIGTERM, SIGINT or the harness's exit (EXIT_WITH_PARENT), when its connections are closed,
 * `release` has run (a pool ended) and the process exits 0.
 */
export function runStandaloneServer(
  server: Server,
  options: { ready?: Promise<unknown>; release?: () => Promise<unknown> } = {},
): void {
  server.keepAliveTimeout = keepAliveTimeoutMs;
  void (options.ready ?? Promise.resolve()).then(() =>
    server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1'),
  );
  const stop = () => {
    server.close(() => {
      void (options.release?.() ?? Promise.resolve()).finally(() => process.exit(0));
    });
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  exitWithParent(process.env, stop);
}
