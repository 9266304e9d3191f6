import { getIntrospectionQuery, graphqlSync } from 'graphql';
import request from 'supertest';
import { coalitionApiSchema } from '../../gateway/federation/coalition-api-schema';
import { buildCoalitionSchema } from '../../gateway/graphql/schema';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * The compiled path answers an operation exactly as Apollo Server did the first time it saw it:
 * same status, same body, for successes, typed error results, variables that do not coerce,
 * authorization failures and internal errors.
 */
let t: TestGateway;
beforeAll(async () => {
  t = await createTestGateway();
});
afterAll(() => t.close());

async function twice(token: string, query: string, variables?: Record<string, unknown>) {
  const send = () =>
    request(t.server)
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${token}`)
      .send({ query, variables });
  const first = await send(); // Apollo Server
  const second = await send(); // compiled, when the first was a 200
  return { first, second };
}

const award = `mutation ($input: AwardPointsInput!) { awardPoints(input: $input) {
  __typename ... on AwardPointsSuccess { points currency } ... on ErrorResult { code message }
  ... on InvalidInputError { field } } }`;

describe('the compiled path', () => {
  it('answers a success and a typed error result as Apollo did', async () => {
    const fuelco = await t.token('partner', 'ptr_fuelco');
    const input = {
      member: { externalId: 'FC-0001' },
      transactionId: 'JIT-1',
      currency: 'SKY',
      points: '7',
    };
    const ok = await twice(fuelco, award, { input });
    expect(ok.second.status).toBe(ok.first.status);
    expect(ok.second.text).toBe(ok.first.text); // a replay: the same receipt
    const bad = await twice(fuelco, award, {
      input: { ...input, transactionId: 'JIT-2', points: '0' },
    });
    expect(bad.first.body.data.awardPoints.__typename).toBe('InvalidInputError');
    expect(bad.second.text).toBe(bad.first.text);
  });

  it('refuses variables that do not coerce with a 400 BAD_USER_INPUT, as Apollo does', async () => {
    const fuelco = await t.token('partner', 'ptr_fuelco');
    const input = {
      member: { externalId: 'FC-0001' },
      transactionId: 'JIT-3',
      currency: 'SKY',
      points: '7',
    };
    await twice(fuelco, award, { input }); // learned
    const wrong = await request(t.server)
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${fuelco}`)
      .send({ query: award, variables: { input: { ...input, points: '1.5' } } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(wrong.body.data).toBeUndefined();
  });

  it('answers an authorization failure as Apollo did', async () => {
    const member = await t.token('member', 'mbr_alice');
    const input = {
      member: { externalId: 'FC-0001' },
      transactionId: 'JIT-4',
      currency: 'SKY',
      points: '7',
    };
    const denied = await twice(member, award, { input });
    expect(denied.first.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(denied.second.status).toBe(denied.first.status);
    expect(denied.second.body).toEqual(denied.first.body);
  });

  it('answers a query with its data as Apollo did', async () => {
    const alice = await t.token('member', 'mbr_alice');
    const read = await twice(alice, '{ viewer { kind id } partners { id } }');
    expect(read.first.status).toBe(200);
    expect(read.second.text).toBe(read.first.text);
  });
});

describe('a gateway without partner services', () => {
  it('answers introspection (the one operation needing Apollo’s gateway, loaded for it) with the coalition-only API', async () => {
    const alice = await t.token('member', 'mbr_alice');
    const source = getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true });
    const answer = await request(t.server)
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${alice}`)
      .send({ query: source });
    expect(answer.status).toBe(200);
    // Byte for byte what the API schema served before Apollo's gateway was loaded answers
    // (coalition-api-schema.test.ts: which is what Apollo's gateway serves).
    const expected = graphqlSync({
      schema: coalitionApiSchema(await buildCoalitionSchema()),
      source,
    });
    expect(answer.text).toBe(`${JSON.stringify({ data: expected.data })}\n`);
    const after = await twice(alice, '{ viewer { kind id } }');
    expect(after.second.text).toBe(after.first.text);
  });
});
