import type { IncomingHttpHeaders } from 'node:http';
import {
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * OpenTelemetry tracing, off unless OTEL_TRACES_EXPORTER names an exporter (`otlp`, `console`).
 * Off, the SDK is never loaded and every helper here returns at its first line (`enabled`), so
 * requests pay one boolean test; only @opentelemetry/api is imported, which Apollo's gateway
 * loads anyway. On, spans go to the exporter the standard variables describe
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS,
 * OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER...), W3C `traceparent` is
 * read from callers and written on calls to partner subgraphs, and @apollo/gateway's own spans
 * (plan, fetch) join the request's trace.
 */
let enabled = false;
const tracer = trace.getTracer('coalition-gateway');

/** Whether spans are recorded in this process. */
export function tracingEnabled(): boolean {
  return enabled;
}

/** What `startTracing` started; `stop` flushes the spans still buffered. */
export interface Tracing {
  stop(): Promise<void>;
}

/** The exporters OTEL_TRACES_EXPORTER may name; `none` (or unset) leaves tracing off. */
const exporters = ['otlp', 'console', 'none'] as const;

/** Throws naming the variable when OTEL_TRACES_EXPORTER has a value we do not support. */
export function tracesExporter(env: NodeJS.ProcessEnv): (typeof exporters)[number] {
  if (env.OTEL_SDK_DISABLED === 'true') return 'none';
  const value = (env.OTEL_TRACES_EXPORTER ?? 'none').trim() || 'none';
  if (!(exporters as readonly string[]).includes(value)) {
    throw new Error(`OTEL_TRACES_EXPORTER must be one of ${exporters.join(', ')}, got "${value}"`);
  }
  return value as (typeof exporters)[number];
}

/**
 * Starts tracing as the environment says; undefined (and nothing loaded) when it says nothing.
 * Call before the gateway is built, so its modules find the provider registered.
 */
export async function startTracing(env: NodeJS.ProcessEnv): Promise<Tracing | undefined> {
  const exporter = tracesExporter(env);
  if (exporter === 'none') return undefined;
  const sdk = await import('@opentelemetry/sdk-trace-node');
  const spanExporter =
    exporter === 'otlp'
      ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter()
      : new sdk.ConsoleSpanExporter();
  return registerTracing(new sdk.BatchSpanProcessor(spanExporter));
}

/**
 * Registers a tracer provider with `processor` (tests pass an in-memory exporter's) and turns
 * the helpers on: W3C trace context, AsyncLocalStorage for the active span, and a resource from
 * OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES (service.name `coalition-gateway` otherwise).
 */
export async function registerTracing(
  processor: import('@opentelemetry/sdk-trace-node').SpanProcessor,
): Promise<Tracing> {
  const sdk = await import('@opentelemetry/sdk-trace-node');
  const resources = await import('@opentelemetry/resources');
  const resource = resources
    .resourceFromAttributes({ 'service.name': 'coalition-gateway' })
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new sdk.NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  enabled = true;
  return {
    stop: async () => {
      enabled = false;
      await provider.shutdown();
    },
  };
}

/** The caller's trace context from its `traceparent`/`tracestate` headers (W3C). */
export function callerContext(headers: IncomingHttpHeaders): Context {
  return propagation.extract(context.active(), headers);
}

/** A span for `work`, made the active one while it runs, ended (with its error) after. */
export function inSpan<T>(
  name: string,
  kind: SpanKind,
  work: (span: Span | undefined) => Promise<T>,
  parent?: Context,
): Promise<T> {
  // Off: no span, no context switch, not even an extra await.
  if (!enabled) return work(undefined);
  return inRecordedSpan(name, kind, work, parent ?? context.active());
}

async function inRecordedSpan<T>(
  name: string,
  kind: SpanKind,
  work: (span: Span | undefined) => Promise<T>,
  parent: Context,
): Promise<T> {
  const span = tracer.startSpan(name, { kind }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

/** Writes the active trace context into outgoing headers (a partner subgraph call). */
export function injectTraceContext(headers: Record<string, string>): void {
  if (enabled) propagation.inject(context.active(), headers);
}

export { SpanKind, SpanStatusCode };
