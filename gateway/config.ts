import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { type DatabaseTimeouts, defaultDatabaseTimeouts } from './db/sql';
import { defaultRequestLimits, type RequestLimits } from './http/admission';
import {
  defaultRateLimits,
  parseRateLimitOverrides,
  type RateLimitSettings,
} from './http/rate-limits';
import { defaultWebhookDeliverySettings, type WebhookDeliverySettings } from './webhooks/delivery';

/**
 * Everything the gateway reads from its environment, in one place. Every setting has a default
 * that works on a fresh clone: no variable is required to start the demo.
 */
export interface Config {
  /** `production` hardens the API (no introspection, no dev tokens, no generated keys). */
  production: boolean;
  /** HTTP port of the gateway. */
  port: number;
  /**
   * Gateway processes serving the port (GATEWAY_WORKERS; node:cluster): the number of cores, at
   * most `gatewayWorkersDefaultMax`, by default; 1 runs everything in one process.
   */
  workers: number;
  /** Interface to listen on; 127.0.0.1 unless HOST says otherwise (0.0.0.0 in a container). */
  host: string;
  /** External PostgreSQL; when unset an embedded server is started under `dataDir`. */
  databaseUrl: string | undefined;
  /** Git-ignored folder for the embedded database and development keys. */
  dataDir: string;
  /** Origins allowed by CORS; empty means same-origin clients (POS systems, curl) only. */
  corsOrigins: string[];
  /**
   * How often the sweeps (maturity, expiry, holds, quotes) run, once across all gateway
   * processes; 0: this process runs no scheduled jobs at all.
   */
  sweepIntervalMs: number;
  /** Seed the demo coalition when the database is empty. */
  seedDemo: boolean;
  /** Request deadline and admission limits (REQUEST_DEADLINE_MS, GATEWAY_*). */
  limits: RequestLimits;
  /** How long the database may make a request wait (DB_*_TIMEOUT_MS). */
  databaseTimeouts: DatabaseTimeouts;
  /**
   * Requests per window per partner (PARTNER_RATE_LIMIT, PARTNER_RATE_LIMITS), the window in
   * seconds (PARTNER_RATE_WINDOW_SECONDS, default 1).
   */
  rateLimits: RateLimitSettings;
  /** Who may read the Prometheus metrics, and where (METRICS_TOKEN, METRICS_PORT, METRICS_HOST). */
  metrics: MetricsSettings;
  /** The webhook delivery worker (WEBHOOK_*; WEBHOOK_POLL_MS=0: this process delivers nothing). */
  webhooks: WebhookDeliverySettings;
}

/** Each webhook setting and its variable. */
const webhookVariables: Record<keyof WebhookDeliverySettings, string> = {
  pollMs: 'WEBHOOK_POLL_MS',
  attemptsMax: 'WEBHOOK_ATTEMPTS_MAX',
  backoffMs: 'WEBHOOK_BACKOFF_MS',
  backoffMaxMs: 'WEBHOOK_BACKOFF_MAX_MS',
  timeoutMs: 'WEBHOOK_TIMEOUT_MS',
  batchSizeMax: 'WEBHOOK_BATCH_SIZE',
  concurrency: 'WEBHOOK_CONCURRENCY',
};

export const webhookVariableNames = Object.freeze(Object.values(webhookVariables));

function webhookSettings(env: NodeJS.ProcessEnv): WebhookDeliverySettings {
  const settings = { ...defaultWebhookDeliverySettings };
  for (const [key, name] of Object.entries(webhookVariables)) {
    const setting = key as keyof WebhookDeliverySettings;
    settings[setting] = integer(env[name], settings[setting], name);
  }
  settings.attemptsMax = Math.max(1, settings.attemptsMax);
  settings.batchSizeMax = Math.min(1_000, Math.max(1, settings.batchSizeMax));
  settings.timeoutMs = Math.max(1, settings.timeoutMs);
  return settings;
}

/**
 * /metrics is open on the gateway's port in development. In production it is served there only
 * to `Authorization: Bearer $METRICS_TOKEN`; or, with METRICS_PORT, on a port of its own bound
 * to METRICS_HOST (127.0.0.1 unless set), for an agent on the same host or network namespace.
 */
export interface MetricsSettings {
  token: string | undefined;
  /** A separate listener for /metrics alone; undefined: none. */
  port: number | undefined;
  host: string;
}

/** METRICS_TOKEN is a shared secret: long enough not to be guessed. */
export const metricsTokenLengthMin = 16;
/** More processes than this only add memory unless the machine has the cores and the database keeps up. */
export const gatewayWorkersDefaultMax = 4;

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
    workers: Math.max(
      1,
      integer(
        env.GATEWAY_WORKERS,
        Math.min(availableParallelism(), gatewayWorkersDefaultMax),
        'GATEWAY_WORKERS',
      ),
    ),
    host: env.HOST || '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.COALITION_DATA_DIR ?? resolve(projectRoot, '.data')),
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    sweepIntervalMs: integer(env.SWEEP_INTERVAL_MS, 60_000, 'SWEEP_INTERVAL_MS'),
    seedDemo: env.SEED_DEMO ? env.SEED_DEMO !== 'false' : !production,
    limits: {
      deadlineMs: integer(
        env.REQUEST_DEADLINE_MS,
        defaultRequestLimits.deadlineMs,
        'REQUEST_DEADLINE_MS',
      ),
      concurrencyMax: integer(
        env.GATEWAY_CONCURRENCY_MAX,
        defaultRequestLimits.concurrencyMax,
        'GATEWAY_CONCURRENCY_MAX',
      ),
      callerConcurrencyMax: integer(
        env.GATEWAY_CALLER_CONCURRENCY_MAX,
        defaultRequestLimits.callerConcurrencyMax,
        'GATEWAY_CALLER_CONCURRENCY_MAX',
      ),
      queueWaitMs: integer(
        env.GATEWAY_QUEUE_WAIT_MS,
        defaultRequestLimits.queueWaitMs,
        'GATEWAY_QUEUE_WAIT_MS',
      ),
    },
    rateLimits: {
      defaultPerWindow: integer(
        env.PARTNER_RATE_LIMIT,
        defaultRateLimits.defaultPerWindow,
        'PARTNER_RATE_LIMIT',
      ),
      perPartner: parseRateLimitOverrides(env.PARTNER_RATE_LIMITS),
      // At least a second (0 would make rate-limiter-flexible count forever).
      windowSeconds: Math.max(
        1,
        integer(
          env.PARTNER_RATE_WINDOW_SECONDS,
          defaultRateLimits.windowSeconds,
          'PARTNER_RATE_WINDOW_SECONDS',
        ),
      ),
    },
    metrics: {
      token: env.METRICS_TOKEN || undefined,
      port: env.METRICS_PORT ? integer(env.METRICS_PORT, 0, 'METRICS_PORT') : undefined,
      host: env.METRICS_HOST || '127.0.0.1',
    },
    webhooks: webhookSettings(env),
    databaseTimeouts: {
      lockTimeoutMs: integer(
        env.DB_LOCK_TIMEOUT_MS,
        defaultDatabaseTimeouts.lockTimeoutMs,
        'DB_LOCK_TIMEOUT_MS',
      ),
      statementTimeoutMs: integer(
        env.DB_STATEMENT_TIMEOUT_MS,
        defaultDatabaseTimeouts.statementTimeoutMs,
        'DB_STATEMENT_TIMEOUT_MS',
      ),
      idleInTransactionTimeoutMs: integer(
        env.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
        defaultDatabaseTimeouts.idleInTransactionTimeoutMs,
        'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS',
      ),
    },
  };
}

function integer(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  return nonNegativeInteger(name, value);
}

/** A setting of digits only, within the safe integer range; else an error naming it. */
export function nonNegativeInteger(name: string, value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed)) {
    throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  }
  return parsed;
}
