import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import request from 'supertest';
import { registerTracing, type Tracing } from '../../gateway/observability/tracing';
import { createTestFederation, type TestFederation } from '../helpers/test-federation';

/**
 * Tracing (issue 17, item 2): with a tracer provider registered (here an in-memory exporter,
 * in production the OTLP exporter OTEL_TRACES_EXPORTER=otlp starts), a caller's W3C
 * `traceparent` is continued through the gateway to the partner subgraph it calls.
 */
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let f: TestFederation;

beforeAll(async () => {
  tracing = await registerTracing(new SimpleSpanProcessor(exporter));
  f = await createTestFederation();
});
afterAll(async () => {
  await f?.close();
  await tracing?.stop();
});

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;

function spansOf(trace: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === trace);
}

it('one trace from the caller through the gateway to the partner subgraph, which receives its traceparent', async () => {
  const alice = await f.token('member', 'mbr_alice');
  const response = await request(f.gateway.httpServer)
    .post('/graphql')
    .set('content-type', 'application/json')
    .set('authorization', `Bearer ${alice}`)
    .set('traceparent', traceparent)
    .send({ query: '{ wallet { balances { currency available } } nordicHotelRewards { id } }' });
  expect(response.body.errors).toBeUndefined();
  expect(response.body.data.nordicHotelRewards.length).toBeGreaterThan(0);

  // What the partner's service received: the same trace, its parent the gateway's fetch span.
  const sent = String(f.proxies.ptr_nordic!.lastHeaders?.traceparent);
  expect(sent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  const spans = spansOf(traceId);
  const byName = (name: string) => spans.find((span) => span.name === name);
  const server = byName('POST /graphql');
  const operation = byName('graphql other');
  const fetch = byName('subgraph ptr_nordic');
  expect([server, operation, fetch].map((span) => span !== undefined)).toEqual([true, true, true]);
  expect(sent.split('-')[2]).toBe(fetch!.spanContext().spanId);
  expect(server!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  expect(operation!.parentSpanContext?.spanId).toBe(server!.spanContext().spanId);
  expect(fetch!.attributes).toMatchObject({
    'coalition.partner_id': 'ptr_nordic',
    'coalition.outcome': 'ok',
  });
  expect(server!.attributes).toMatchObject({
    'http.response.status_code': 200,
    'graphql.operation.name': 'other',
  });
});

it('an earn: the request, its operation and the batch statement in the caller’s trace', async () => {
  const earnTrace = 'a'.repeat(32);
  const skyair = await f.token('partner', 'ptr_skyair');
  const response = await request(f.gateway.httpServer)
    .post('/graphql')
    .set('content-type', 'application/json')
    .set('authorization', `Bearer ${skyair}`)
    .set('traceparent', `00-${earnTrace}-${'b'.repeat(16)}-01`)
    .send({
      query: 'mutation ($input: AwardPointsInput!) { awardPoints(input: $input) { __typename } }',
      variables: {
        input: {
          member: { memberId: 'mbr_alice' },
          transactionId: 'TRACE-1',
          currency: 'SKY',
          points: '5',
        },
      },
    });
  expect(response.body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
  const names = spansOf(earnTrace).map((span) => span.name);
  expect(names).toEqual(
    expect.arrayContaining(['POST /graphql', 'graphql awardPoints', 'db earn batch']),
  );
});
