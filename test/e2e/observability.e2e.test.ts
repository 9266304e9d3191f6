import request from 'supertest';
import { createLogger } from '../../gateway/observability/logger';
import { type DatabaseProxy, startDatabaseProxy } from '../helpers/database-proxy';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Observability (issue 17, item 2): one structured log line per request with ids only, the
 * Prometheus metrics at /metrics (and who may read them), and /ready following the database.
 */
const lines: Record<string, unknown>[] = [];
const metricsToken = 'metrics-token-0123456789';
let t: TestGateway;
let proxy: DatabaseProxy;

beforeAll(async () => {
  const logger = createLogger(
    { level: 'info', format: 'json' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  t = await createTestGateway({
    logger,
    metrics: { onGatewayPort: true, token: metricsToken },
    connectThrough: async (databaseUrl) => {
      proxy = await startDatabaseProxy(databaseUrl);
      return proxy.url;
    },
  });
});
afterAll(async () => {
  await t?.close();
  await proxy?.close();
});

const award = `mutation Award($input: AwardPointsInput!) { awardPoints(input: $input) {
  __typename ... on AwardPointsSuccess { transferId } ... on ErrorResult { code } } }`;
const earn = (transactionId: string, memberId = 'mbr_alice') => ({
  input: { member: { memberId }, transactionId, currency: 'SKY', points: '5' },
});

/** The request line with this id (lines are written when the response closes). */
async function lineOf(requestId: string): Promise<Record<string, unknown>> {
  for (let waited = 0; waited < 100; waited++) {
    const line = lines.find((entry) => entry.requestId === requestId);
    if (line) return line;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`no log line for ${requestId}`);
}

async function post(token: string, query: string, variables: unknown, requestId?: string) {
  let call = request(t.server)
    .post('/graphql')
    .set('content-type', 'application/json')
    .set('authorization', `Bearer ${token}`);
  if (requestId !== undefined) call = call.set('x-request-id', requestId);
  return call.send({ query, variables });
}

describe('request log', () => {
  it('writes one line per request: id, caller, operation, outcome, duration; no token, no personal data', async () => {
    const skyair = await t.token('partner', 'ptr_skyair');
    const response = await post(skyair, award, earn('LOG-1'), 'req-log-1');
    expect(response.headers['x-request-id']).toBe('req-log-1');
    const line = await lineOf('req-log-1');
    expect(line).toEqual({
      level: 'info',
      time: expect.any(String),
      service: 'coalition-gateway',
      msg: 'request',
      requestId: 'req-log-1',
      method: 'POST',
      path: '/graphql',
      status: 200,
      callerKind: 'partner',
      callerId: 'ptr_skyair',
      operation: 'awardPoints',
      operationName: 'Award',
      outcome: 'ok',
      durationMs: expect.any(Number),
    });
    expect(lines.filter((entry) => entry.requestId === 'req-log-1')).toHaveLength(1);
    expect(JSON.stringify(line)).not.toContain(skyair.slice(20));
  });

  it('a member creating data: ids only, never the email or name sent or read', async () => {
    const alice = await t.token('member', 'mbr_alice');
    await post(
      alice,
      '{ viewer { id } member(ref: { memberId: "mbr_alice" }) { displayName email } }',
      {},
      'req-log-2',
    );
    const operator = await t.token('operator', 'admin');
    await post(
      operator,
      'mutation ($input: CreateMemberInput!) { createMember(input: $input) { __typename } }',
      { input: { displayName: 'Dora Dahl', email: 'dora@example.com' } },
      'req-log-3',
    );
    const text = JSON.stringify([await lineOf('req-log-2'), await lineOf('req-log-3')]);
    expect(await lineOf('req-log-2')).toMatchObject({
      callerKind: 'member',
      callerId: 'mbr_alice',
    });
    expect(await lineOf('req-log-3')).toMatchObject({ callerKind: 'operator', callerId: 'admin' });
    for (const personal of [
      '@',
      'Dora',
      'Alice',
      'alice@example.com',
      alice.slice(20),
      operator.slice(20),
    ]) {
      expect(text).not.toContain(personal);
    }
  });

  it('a typed error is the outcome; an insane x-request-id is replaced; a bad token is a 401 line', async () => {
    const skyair = await t.token('partner', 'ptr_skyair');
    await post(skyair, award, earn('LOG-E', 'mbr_nobody'), 'req-log-4');
    expect((await lineOf('req-log-4')).outcome).toBe('NOT_FOUND');

    const insane = await post(skyair, award, earn('LOG-5'), 'x'.repeat(101));
    expect(insane.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(await lineOf(insane.headers['x-request-id'] as string)).toMatchObject({ outcome: 'ok' });

    const refused = await post('not-a-valid-token-at-all', award, earn('LOG-6'), 'req-log-6');
    expect(refused.status).toBe(401);
    expect(await lineOf('req-log-6')).toMatchObject({ callerKind: 'anonymous', outcome: '401' });
    expect(JSON.stringify(await lineOf('req-log-6'))).not.toContain('not-a-valid-token');
  });
});

describe('/metrics', () => {
  it('after some earns: the request histogram, batch sizes, pool gauges, cache lookups, process metrics', async () => {
    const skyair = await t.token('partner', 'ptr_skyair');
    await Promise.all([1, 2, 3, 4, 5].map((n) => post(skyair, award, earn(`MET-${n}`))));
    const alice = await t.token('member', 'mbr_alice');
    for (const _ of [1, 2]) await post(alice, '{ wallet { balances { currency available } } }', {});

    const scraped = await request(t.server)
      .get('/metrics')
      .set('authorization', `Bearer ${metricsToken}`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers['content-type']).toMatch(/^text\/plain/);
    const text = scraped.text;
    expect(text).toMatch(
      /coalition_request_duration_seconds_bucket\{le="0\.5",operation="awardPoints",outcome="ok"\} \d+/,
    );
    expect(text).toMatch(
      /coalition_request_duration_seconds_count\{operation="awardPoints",outcome="ok"\} ([6-9]|\d\d)/,
    );
    expect(text).toMatch(
      /coalition_requests_total\{operation="awardPoints",outcome="NOT_FOUND"\} 1/,
    );
    expect(text).toMatch(/coalition_earn_batch_size_count\{queue="shared"\} \d+/);
    expect(
      Number(/coalition_earn_batch_size_sum\{queue="shared"\} (\d+)/.exec(text)?.[1]),
    ).toBeGreaterThanOrEqual(7);
    for (const state of ['total', 'idle', 'waiting']) {
      expect(text).toMatch(
        new RegExp(`coalition_db_pool_connections\\{pool="ledger",state="${state}"\\} \\d+`),
      );
      expect(text).toMatch(
        new RegExp(`coalition_db_pool_connections\\{pool="orm",state="${state}"\\} \\d+`),
      );
    }
    expect(text).toMatch(
      /coalition_cache_lookups_total\{cache="member_response",result="hit"\} [1-9]/,
    );
    expect(text).toMatch(
      /coalition_cache_lookups_total\{cache="member_response",result="miss"\} [1-9]/,
    );
    expect(text).toMatch(/coalition_process_cpu_seconds_total \d/);
    // Operation labels come from a bounded set: a caller-chosen name is not one.
    expect(text).not.toContain('operation="Award"');
  });

  it('counts a member read once in the cache lookups: the first a miss, each repeat a hit', async () => {
    const lookups = async () => {
      const text = (
        await request(t.server).get('/metrics').set('authorization', `Bearer ${metricsToken}`)
      ).text;
      const count = (result: string) =>
        Number(
          new RegExp(
            `coalition_cache_lookups_total\\{cache="member_response",result="${result}"\\} (\\d+)`,
          ).exec(text)?.[1] ?? 0,
        );
      return { hit: count('hit'), miss: count('miss') };
    };
    const alice = await t.token('member', 'mbr_alice');
    const before = await lookups();
    for (const _ of [1, 2, 3]) {
      const answered = await post(alice, '{ wallet { balances { available currency } } }', {});
      expect(answered.status).toBe(200);
    }
    const after = await lookups();
    expect({ hit: after.hit - before.hit, miss: after.miss - before.miss }).toEqual({
      hit: 2,
      miss: 1,
    });
  });

  it('needs the bearer token when one is set; is not served in production without one', async () => {
    expect((await request(t.server).get('/metrics')).status).toBe(401);
    const wrong = await request(t.server).get('/metrics').set('authorization', 'Bearer nope');
    expect(wrong.status).toBe(401);
    const production = await createTestGateway({ production: true, demo: false });
    try {
      expect((await request(production.server).get('/metrics')).status).toBe(404);
    } finally {
      await production.close();
    }
  });
});

describe('/ready and /health', () => {
  it('/ready answers 503 naming the database while it is unreachable, 200 once it is back; /health stays 200', async () => {
    expect((await request(t.server).get('/ready')).body).toEqual({
      status: 'ready',
      checks: { database: 'ok', graph: 'ok' },
    });
    proxy.mode = 'down';
    const down = await request(t.server).get('/ready');
    expect({ status: down.status, body: down.body }).toEqual({
      status: 503,
      body: { status: 'not ready', checks: { database: 'unreachable', graph: 'ok' } },
    });
    expect((await request(t.server).get('/health')).status).toBe(200);
    proxy.mode = 'pass';
    const back = await request(t.server).get('/ready');
    expect({ status: back.status, body: back.body }).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', graph: 'ok' } },
    });
  });
});
