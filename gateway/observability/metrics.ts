import cluster from 'node:cluster';
import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  Registry,
} from 'prom-client';

/**
 * The process's Prometheus metrics (prom-client), served at /metrics. One registry per process:
 * the process is what Prometheus scrapes. Every label takes values from a bounded set (operation
 * names from the schema or the registered documents, error codes from the schema's list,
 * partner ids the operator registered, pool and job names from the code), so a caller cannot
 * grow the series.
 *
 * Names follow Prometheus' conventions: a `coalition_` prefix, seconds and totals as suffixes.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'coalition_' });
// A cluster worker answers its primary's requests for metrics with this registry, so the
// primary's METRICS_PORT serves every worker's metrics summed (gateway/cluster.ts).
if (cluster.isWorker) {
  AggregatorRegistry.setRegistries([metricsRegistry]);
  // Constructing one installs the worker's listener for the primary's requests (prom-client).
  new AggregatorRegistry();
}

/** Request latencies: 1 ms to 10 s (the deadline is 5 s by default). */
const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const requestsTotal = new Counter({
  name: 'coalition_requests_total',
  help: 'GraphQL requests answered, by operation and outcome (ok, an error code, or the HTTP status).',
  labelNames: ['operation', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const requestDuration = new Histogram({
  name: 'coalition_request_duration_seconds',
  help: 'Time from a GraphQL request arriving to its answer being sent, by operation and outcome.',
  labelNames: ['operation', 'outcome'] as const,
  buckets: latencyBuckets,
  registers: [metricsRegistry],
});

export const earnBatchSize = new Histogram({
  name: 'coalition_earn_batch_size',
  help: 'Earns posted per transaction by the earn batcher (shared batches, and partner lanes).',
  labelNames: ['queue'] as const,
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
  registers: [metricsRegistry],
});

/**
 * Earning rules priced in this process (issue 14): the earns and the time spent evaluating the
 * rules in force and making their candidates (synchronous work, so about its CPU time).
 */
export const rulePricings = new Counter({
  name: 'coalition_rule_pricings_total',
  help: 'Earns whose earning rules were priced (a program with rules in force).',
  registers: [metricsRegistry],
});

export const rulePricingSeconds = new Counter({
  name: 'coalition_rule_pricing_seconds_total',
  help: 'Time spent evaluating earning rules and making their candidates, over every earn priced.',
  registers: [metricsRegistry],
});

export const cacheLookups = new Counter({
  name: 'coalition_cache_lookups_total',
  help: 'Lookups in the gateway’s caches, by cache and result (hit, miss, or joined: a miss that waited for the same fetch in flight).',
  labelNames: ['cache', 'result'] as const,
  registers: [metricsRegistry],
});

export const subgraphRequestDuration = new Histogram({
  name: 'coalition_subgraph_request_duration_seconds',
  help: 'Partner subgraph requests, by partner and outcome (ok, timeout, error).',
  labelNames: ['subgraph', 'outcome'] as const,
  buckets: latencyBuckets,
  registers: [metricsRegistry],
});

export const subgraphFailuresTotal = new Counter({
  name: 'coalition_subgraph_failures_total',
  help: 'Partner subgraph requests that failed (the partner’s fields answered SUBGRAPH_UNAVAILABLE).',
  labelNames: ['subgraph', 'reason'] as const,
  registers: [metricsRegistry],
});

export const jobRunsTotal = new Counter({
  name: 'coalition_job_runs_total',
  help: 'Runs of the scheduled jobs (sweeps), by job and outcome (ok, failed).',
  labelNames: ['job', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const jobDuration = new Histogram({
  name: 'coalition_job_duration_seconds',
  help: 'Duration of the scheduled jobs’ runs, by job.',
  labelNames: ['job'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120],
  registers: [metricsRegistry],
});

/** What a connection pool says of itself when scraped. */
export interface PoolCounts {
  total: number;
  idle: number;
  waiting: number;
}

const pools = new Map<object, { name: string; counts: () => PoolCounts }>();

/** Read at each scrape: the pools alive now, summed per name (tests run several apps). */
new Gauge({
  name: 'coalition_db_pool_connections',
  help: 'Database pool connections by pool and state: total (open), idle, waiting (requests queued for one).',
  labelNames: ['pool', 'state'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const { name, counts } of pools.values()) {
      const now = counts();
      this.inc({ pool: name, state: 'total' }, now.total);
      this.inc({ pool: name, state: 'idle' }, now.idle);
      this.inc({ pool: name, state: 'waiting' }, now.waiting);
    }
  },
});

/** Reports a pool's counts under `name` until the returned function is called (on close). */
export function observePool(name: string, counts: () => PoolCounts): () => void {
  const key = {};
  pools.set(key, { name, counts });
  return () => {
    pools.delete(key);
  };
}

/** Seconds since `startedAt` (a performance.now() reading). */
export function secondsSince(startedAt: number): number {
  return (performance.now() - startedAt) / 1_000;
}

/** Runs a scheduled job, counting the run and its outcome and timing it. */
export async function measuredJob<T>(job: string, work: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  try {
    const result = await work();
    jobRunsTotal.inc({ job, outcome: 'ok' });
    return result;
  } catch (error) {
    jobRunsTotal.inc({ job, outcome: 'failed' });
    throw error;
  } finally {
    jobDuration.observe({ job }, secondsSince(startedAt));
  }
}
