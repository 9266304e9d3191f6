import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Everything the gateway reads from its environment, in one place. Every setting has a default
 * that works on a fresh clone: no variable is required to start the demo.
 */
export interface Config {
  /** `production` hardens the API (no introspection, no dev tokens, no generated keys). */
  production: boolean;
  /** HTTP port of the gateway. */
  port: number;
  /** Interface to listen on; 127.0.0.1 unless HOST says otherwise (0.0.0.0 in a container). */
  host: string;
  /** External PostgreSQL; when unset an embedded server is started under `dataDir`. */
  databaseUrl: string | undefined;
  /** Git-ignored folder for the embedded database and development keys. */
  dataDir: string;
  /** Origins allowed by CORS; empty means same-origin clients (POS systems, curl) only. */
  corsOrigins: string[];
  /** How often the maturity and expiry sweeps run; 0 disables the in-process schedule. */
  sweepIntervalMs: number;
  /** Seed the demo coalition when the database is empty. */
  seedDemo: boolean;
}

/** The folder holding package.json, whether we run from TypeScript or from dist/. */
export const projectRoot = findProjectRoot(__dirname);

function findProjectRoot(start: string): string {
  let folder = start;
  while (!existsSync(resolve(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) return start;
    folder = parent;
  }
  return folder;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === 'production';
  return {
    production,
    port: integer(env.PORT, 4000, 'PORT'),
    host: env.HOST || '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.COALITION_DATA_DIR ?? resolve(projectRoot, '.data')),
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    sweepIntervalMs: integer(env.SWEEP_INTERVAL_MS, 60_000, 'SWEEP_INTERVAL_MS'),
    seedDemo: env.SEED_DEMO ? env.SEED_DEMO !== 'false' : !production,
  };
}

function integer(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  }
  return parsed;
}
