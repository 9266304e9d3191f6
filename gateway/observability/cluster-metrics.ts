import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry } from 'prom-client';
import { metricsRegistry } from './metrics';

/**
 * /metrics across GATEWAY_WORKERS processes: whichever worker a scrape reaches asks the primary,
 * which collects every worker's registry with prom-client's AggregatorRegistry (counters and
 * histograms summed) and answers with the whole gateway's metrics.
 */
const messageType = 'coalition:metrics';
const answerTimeoutMs = 5_000;

interface MetricsMessage {
  type: typeof messageType;
  id: string;
  text?: string;
}

// Workers hand their registry to the primary's AggregatorRegistry: see observability/metrics.ts.

/** In the primary: answers the workers' requests for the aggregated metrics. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: MetricsMessage) => {
    if (message?.type !== messageType) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: messageType, id: message.id, text }),
      () => worker.send({ type: messageType, id: message.id }),
    );
  });
}

/** The metrics text to serve: the whole cluster's in a worker, else this process's. */
export async function gatewayMetricsText(): Promise<string> {
  if (!cluster.isWorker || !process.send) return metricsRegistry.metrics();
  const id = randomUUID();
  const text = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => finish(undefined), answerTimeoutMs);
    const onMessage = (message: MetricsMessage) => {
      if (message?.type === messageType && message.id === id) finish(message.text);
    };
    const finish = (answer: string | undefined) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve(answer);
    };
    process.on('message', onMessage);
    process.send?.({ type: messageType, id });
  });
  // The primary did not answer: this worker's own metrics beat none.
  return text ?? metricsRegistry.metrics();
}
