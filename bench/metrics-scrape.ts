import { request } from 'node:http';
import type { ServerProcess } from './server-process';

/** The bench gateway's METRICS_TOKEN (not a secret: the bench runs on loopback). */
export const benchMetricsToken = 'bench-metrics-token-not-a-secret';

/** What one scrape of the gateway's /metrics said, and what it cost. */
export interface MetricsScrape {
  status: number;
  scrapeMs: number;
  bytes: number;
  /** awardPoints requests answered ok so far (coalition_requests_total). */
  earnsOk: number;
  /** Mean earns per batch so far (coalition_earn_batch_size sum / count, shared batches). */
  earnBatchSizeMean: number;
  /** Earns and batches so far, per queue: shared batches, and partner lanes (rows busy). */
  earnBatches: Record<'shared' | 'lane', { earns: number; batches: number }>;
  /** The ledger pool's gauges at the scrape. */
  ledgerPool: { total: number; idle: number; waiting: number };
  /** Earns whose rules were priced so far, and the seconds it took (issue 14). */
  rulePricings: number;
  rulePricingSeconds: number;
}

/**
 * Scrapes /metrics as Prometheus would, during the load: the earn bench runs with metrics on
 * (they always are) and shows a scrape works under load, what it costs, and the batch sizes.
 */
export async function scrapeMetrics(server: ServerProcess): Promise<MetricsScrape> {
  const startedAt = performance.now();
  const { status, text } = await new Promise<{ status: number; text: string }>(
    (resolve, reject) => {
      const call = request(
        {
          host: server.host,
          port: server.port,
          path: '/metrics',
          headers: { authorization: `Bearer ${benchMetricsToken}` },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          response.on('error', reject);
        },
      );
      call.on('error', reject);
      call.end();
    },
  );
  const scrapeMs = performance.now() - startedAt;
  const value = (pattern: string) =>
    Number(new RegExp(`^${pattern} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const pool = (state: string) =>
    value(`coalition_db_pool_connections\\{pool="ledger",state="${state}"\\}`);
  // A queue that never posted has no series yet: none.
  const batches = (queue: string) => ({
    earns: value(`coalition_earn_batch_size_sum\\{queue="${queue}"\\}`) || 0,
    batches: value(`coalition_earn_batch_size_count\\{queue="${queue}"\\}`) || 0,
  });
  const shared = batches('shared');
  return {
    status,
    scrapeMs: Math.round(scrapeMs * 100) / 100,
    bytes: Buffer.byteLength(text),
    earnsOk: value('coalition_requests_total\\{operation="awardPoints",outcome="ok"\\}'),
    earnBatchSizeMean: Math.round((shared.earns / shared.batches) * 10) / 10,
    earnBatches: { shared, lane: batches('lane') },
    ledgerPool: { total: pool('total'), idle: pool('idle'), waiting: pool('waiting') },
    rulePricings: value('coalition_rule_pricings_total'),
    rulePricingSeconds: value('coalition_rule_pricing_seconds_total'),
  };
}
