import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { HttpConnection } from './http-connection';
import { LatencyHistogram } from './latency-histogram';

const requestTimeoutMs = 30_000;
/** A load stops early when this many requests in a row fail to get any HTTP answer. */
const consecutiveTransportErrorsMax = 200;
const failureSamplesMax = 5;

export interface LoadTarget {
  host: string;
  port: number;
  path: string;
}

/** How long a window may stay open past its duration waiting for `minSuccesses`. */
const windowExtensionMaxMs = 120_000;

export interface LoadOptions {
  target: LoadTarget;
  clients: number;
  /** Unmeasured load first (JIT, caches, connection pools). */
  warmupMs: number;
  durationMs: number;
  /**
   * The window stays open past `durationMs` until this many successes were counted (default
   * 0), at most `windowExtensionMaxMs` more: a busy machine gives a slower rate, not an empty
   * window. The rate is taken over the window's actual length.
   */
  minSuccesses?: number;
  /** Request `sequence` of client `client` (e.g. with a unique transaction id). */
  request(client: number, sequence: number): OutgoingRequest;
  /** Whether an answer counts as a success (e.g. an AwardPointsSuccess). */
  succeeded(status: number, body: Buffer): boolean;
}

export interface OutgoingRequest {
  body: string;
  headers: Record<string, string>;
}

export interface LoadResult {
  /** Successful answers per second of the measured window. */
  ratePerSecond: number;
  successes: number;
  failures: number;
  /** Every answer received, warm-up and late ones included (to divide CPU time by). */
  answered: number;
  windowSeconds: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** A few failed answers, to say why in the report. */
  failureSamples: string[];
}

/**
 * Closed-loop load: `clients` loops, each sending its next request when the previous answer
 * has arrived, over its own keep-alive connection (a lean HttpConnection, see why there).
 * Answers received inside the window (after the warm-up, before the end) are counted, as wrk
 * and pgbench count completions, so the rate has no edge bias; no request is sent after the
 * window closes. Latency is recorded for the successes, in a fixed-size histogram.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const connections = Array.from(
    { length: options.clients },
    () => new HttpConnection(options.target.host, options.target.port, requestTimeoutMs),
  );
  const histogram = new LatencyHistogram();
  const failureSamples: string[] = [];
  let failures = 0;
  let answered = 0;
  let consecutiveTransportErrors = 0;
  const startedAt = performance.now();
  const measureFrom = startedAt + options.warmupMs;
  const endAt = measureFrom + options.durationMs;
  const minSuccesses = options.minSuccesses ?? 0;
  const extendedEndAt = endAt + windowExtensionMaxMs;
  /** Whether the window is open at `time`; past its end only while successes are missing. */
  const open = (time: number) =>
    time <= endAt || (histogram.count < minSuccesses && time <= extendedEndAt);
  let lastCountedAt = endAt;
  const note = (sample: string) => {
    if (failureSamples.length < failureSamplesMax) failureSamples.push(sample.slice(0, 300));
  };

  const client = async (clientIndex: number) => {
    for (let sequence = 0; ; sequence++) {
      const sentAt = performance.now();
      if (!open(sentAt)) return;
      try {
        const outgoing = options.request(clientIndex, sequence);
        const answer = await connections[clientIndex]!.post(
          options.target.path,
          outgoing.headers,
          outgoing.body,
        );
        consecutiveTransportErrors = 0;
        answered++;
        const answeredAt = performance.now();
        if (answeredAt < measureFrom || !open(answeredAt)) continue;
        if (answeredAt > lastCountedAt) lastCountedAt = answeredAt;
        if (options.succeeded(answer.status, answer.body)) {
          histogram.record((answeredAt - sentAt) * 1_000);
        } else {
          failures++;
          note(`HTTP ${answer.status}: ${answer.body.toString('utf8')}`);
        }
      } catch (error) {
        const failedAt = performance.now();
        if (failedAt >= measureFrom && open(failedAt)) failures++;
        note(`transport: ${(error as Error).message}`);
        if (++consecutiveTransportErrors >= consecutiveTransportErrorsMax) {
          throw new Error(
            `${consecutiveTransportErrors} requests in a row got no answer: ${(error as Error).message}`,
          );
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.clients }, (_, index) => client(index)));
  } finally {
    for (const connection of connections) connection.close();
  }
  const windowSeconds = Math.max(options.durationMs, lastCountedAt - measureFrom) / 1_000;
  return {
    ratePerSecond: histogram.count / windowSeconds,
    successes: histogram.count,
    failures,
    answered,
    windowSeconds,
    p50Ms: histogram.percentile(0.5) / 1_000,
    p99Ms: histogram.percentile(0.99) / 1_000,
    meanMs: histogram.meanMicros / 1_000,
    maxMs: histogram.maxRecordedMicros / 1_000,
    failureSamples,
  };
}

/** Sends one request and returns its answer (to capture a reference response). */
export function sendOnce(
  target: LoadTarget,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const call = request(
      {
        host: target.host,
        port: target.port,
        path: target.path,
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const flat: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (typeof value === 'string') flat[name] = value;
          }
          resolve({ status: response.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks) });
        });
        response.on('error', reject);
      },
    );
    call.setTimeout(requestTimeoutMs, () => call.destroy(new Error('request timed out')));
    call.on('error', reject);
    call.end(body);
  });
}
