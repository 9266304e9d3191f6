import { timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { App } from '../app';
import type { Lifecycle } from '../lifecycle';
import { gatewayMetricsText } from '../observability/cluster-metrics';
import { metricsRegistry } from '../observability/metrics';
import { sendJson } from './send-json';

/** How long the readiness check waits for the database before calling it unreachable. */
export const readinessDatabaseTimeoutMs = 1_000;

/** Who may read /metrics on the gateway's own port. */
export interface MetricsAccess {
  /** Served on the gateway's port at all (development: yes; production: only with a token). */
  onGatewayPort: boolean;
  /** When set, /metrics there needs `Authorization: Bearer <token>` (METRICS_TOKEN). */
  token?: string;
}

/** Metrics served openly in development, and in production only to a holder of METRICS_TOKEN. */
export function metricsAccess(production: boolean, token: string | undefined): MetricsAccess {
  return { onGatewayPort: !production || Boolean(token), token: token || undefined };
}

/** What /ready checks: the database answers, and the composed graph is being served. */
export interface ReadinessChecks {
  app: App;
  /** Whether the supergraph has been loaded; absent when the gateway serves no supergraph. */
  graphLoaded?: () => boolean;
}

/**
 * /ready and /metrics. /ready answers 200 when the gateway can serve (the database answers
 * `select 1` within readinessDatabaseTimeoutMs and the composed graph is loaded), else 503 with
 * what is not ready; a load balancer takes the process out of rotation meanwhile. /health stays
 * a liveness check (the process answers): restarting a gateway whose database is away would not
 * bring the database back. True when the request was one of them and has been answered.
 */
export async function answeredOperationsEndpoint(
  pathname: string,
  request: IncomingMessage,
  response: ServerResponse,
  readiness: ReadinessChecks,
  metrics: MetricsAccess,
): Promise<boolean> {
  if (pathname === '/ready') {
    const checks = await readinessOf(readiness);
    const ready = Object.values(checks).every((check) => check === 'ok');
    sendJson(response, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
    return true;
  }
  if (pathname === '/metrics' && metrics.onGatewayPort) {
    if (metrics.token && !bearerMatches(request.headers.authorization, metrics.token)) {
      response.setHeader('www-authenticate', 'Bearer realm="metrics"');
      sendJson(response, 401, { error: 'a bearer token (METRICS_TOKEN) is required' });
      return true;
    }
    await sendMetrics(response);
    return true;
  }
  return false;
}

async function readinessOf(readiness: ReadinessChecks): Promise<Record<string, string>> {
  const checks: Record<string, string> = { database: await databaseCheck(readiness.app) };
  if (readiness.graphLoaded) checks.graph = readiness.graphLoaded() ? 'ok' : 'not loaded';
  return checks;
}

/** `ok`, or why not (without the driver's message: it may name hosts). */
async function databaseCheck(app: App): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`no answer within ${readinessDatabaseTimeoutMs} ms`),
      readinessDatabaseTimeoutMs,
    );
  });
  const answered = app.db.query('select 1').then(
    () => 'ok',
    () => 'unreachable',
  );
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Where a metrics answer comes from: this process's registry, or a cluster's aggregate. */
export interface MetricsSource {
  metrics(): Promise<string>;
  contentType: string;
}

/** This process's metrics, or in a cluster worker the whole cluster's (asked of the primary). */
const gatewayMetrics: MetricsSource = {
  metrics: gatewayMetricsText,
  contentType: metricsRegistry.contentType,
};

async function sendMetrics(
  response: ServerResponse,
  source: MetricsSource = gatewayMetrics,
): Promise<void> {
  const text = await source.metrics();
  response.writeHead(200, {
    'content-type': source.contentType,
    'cache-control': 'no-store',
  });
  response.end(text);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * /metrics alone on a port of its own (METRICS_PORT, on METRICS_HOST: 127.0.0.1 unless set), for
 * a Prometheus agent beside the gateway: nothing else is served there, and no token is asked.
 */
export function createMetricsServer(source: MetricsSource = gatewayMetrics): Server {
  return createServer((request, response) => {
    const pathname = (request.url ?? '/').split('?')[0];
    if (pathname !== '/metrics') return sendJson(response, 404, { error: 'not found' });
    sendMetrics(response, source).catch(() => response.destroy());
  });
}

/**
 * Serves /metrics alone on METRICS_PORT (bound to METRICS_HOST) until the lifecycle stops. A
 * single gateway process serves its own registry; a cluster's primary serves its workers'
 * registries summed (prom-client's AggregatorRegistry), so one scrape sees the whole gateway.
 */
export async function startMetricsServer(
  settings: { port: number; host: string },
  lifecycle: Lifecycle,
  log: (line: string) => void,
  source?: MetricsSource,
): Promise<void> {
  const server = createMetricsServer(source);
  server.listen(settings.port, settings.host);
  await once(server, 'listening');
  lifecycle.started(
    'metrics server',
    () => new Promise<void>((resolve) => server.close(() => resolve())),
  );
  log(`metrics at http://${settings.host}:${settings.port}/metrics`);
}
