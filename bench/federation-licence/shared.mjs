// Helpers shared by the harness and its child processes (plain ESM: the main project's tsc and
// its node_modules never see this package; the project's code is loaded from /work/main/dist).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const projectRoot = join(benchDir, '..', '..');
export const distDir = join(projectRoot, 'dist');

/** `require` resolving from the main project: its compiled code and its node_modules. */
export const projectRequire = createRequire(join(projectRoot, 'package.json'));

/** A module of the main project's build, e.g. `gateway/app` -> dist/gateway/app.js. */
export function fromDist(path) {
  return projectRequire(join(distDir, `${path}.js`));
}

export const coalitionSubgraphName = 'coalition';

/** The bench's configuration, handed to each child process as JSON in an environment variable. */
export function childConfig() {
  return JSON.parse(process.env.FEDLIC_CONFIG ?? '{}');
}

/** The subgraphs' names, URLs and SDLs, written by subgraphs.mjs for both gateways. */
export function readSubgraphs(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Reads a request body as text. */
export function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** `Authorization: Bearer <token>`, as gateway/http/server.ts authenticate() reads it. */
export async function callerOf(verifier, header) {
  if (header === undefined || header === null || header === '') return { kind: 'anonymous' };
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{10,4096})$/.exec(header);
  if (!match) throw new Error('expected "Authorization: Bearer <token>"');
  return verifier.verify(match[1]);
}

/**
 * Runs `start` in a child process: reports `{ ready: ... }` to the harness over IPC, and stops
 * (the `stop` that `start` returned) on SIGTERM, SIGINT or when the harness goes away.
 */
export async function runChild(name, start) {
  let stop;
  let stopping = false;
  const shutdown = async (code) => {
    if (stopping) return;
    stopping = true;
    try {
      await stop?.();
    } catch (error) {
      console.error(`${name}: stopping: ${error.stack ?? error}`);
    }
    process.exit(code);
  };
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));
  process.on('disconnect', () => shutdown(0));
  try {
    const started = await start();
    stop = started.stop;
    process.send?.({ ready: started.ready });
  } catch (error) {
    console.error(`${name}: ${error.stack ?? error}`);
    process.send?.({ failed: String(error.message ?? error) });
    await shutdown(1);
  }
}

export function closeServer(server) {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}
