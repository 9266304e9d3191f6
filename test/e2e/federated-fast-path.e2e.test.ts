import { parse } from 'graphql';
import request from 'supertest';
import { createTestFederation, type TestFederation } from '../helpers/test-federation';

/**
 * A query that also asks partners, once Apollo Server has answered it with 200, runs again past
 * Apollo Server's request pipeline (CompiledOperations, CoalitionGateway.runLearned): the same
 * answer byte for byte, errors still formatted by Apollo from the result already made (the
 * partner is asked once), and nothing learned under a graph that has since been swapped.
 * Each read carries a variable never sent before, so no member answer is reused from memory.
 */
let t: TestFederation;
let alice: string;
let sent = 0;
beforeAll(async () => {
  // Long enough that a normal answer never times out on a busy machine.
  t = await createTestFederation({ subgraphTimeoutMs: 5_000 });
  alice = await t.token('member', 'mbr_alice');
});
afterAll(() => t.close());
afterEach(() => {
  jest.restoreAllMocks();
  for (const proxy of Object.values(t.proxies)) proxy.mode = 'pass';
});

const homeScreen = `{
  wallet { balances { currency available } }
  skyAirAwardFlights { id price { currency points affordability { affordable shortfallPoints } } }
  nordicHotelRewards { id price { currency points affordability { affordable shortfallPoints } } }
}`;

/** A read Apollo Server would answer, with a variable never sent before (no reuse from memory). */
async function send(query: string, variables: Record<string, unknown> = {}) {
  return request(t.gateway.httpServer)
    .post('/graphql')
    .set('content-type', 'application/json')
    .set('authorization', `Bearer ${alice}`)
    .send({ query, variables: { nonce: sent++, ...variables } });
}

function apolloCalls() {
  return jest.spyOn(t.gateway.apollo, 'executeHTTPGraphQLRequest');
}

describe('queries with partners, past Apollo Server', () => {
  it('answers a learned query without Apollo Server, byte for byte as Apollo did', async () => {
    const apollo = apolloCalls();
    const first = await send(homeScreen);
    expect(apollo).toHaveBeenCalledTimes(1);
    expect(first.status).toBe(200);
    expect(first.body.errors).toBeUndefined();
    const second = await send(homeScreen);
    expect(apollo).toHaveBeenCalledTimes(1);
    expect(second.status).toBe(200);
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(second.text).toBe(first.text);
  });

  it('lets Apollo answer a result with errors from the result made: the partner is asked once', async () => {
    await send(homeScreen);
    const apollo = apolloCalls();
    const skyAir = t.proxies.ptr_skyair!;
    skyAir.mode = 'hang';
    t.app.clock.advance(60_000); // past its catalogue's max-age: the gateway must ask again
    const before = skyAir.requests;
    const { status, body } = await send(homeScreen);
    expect(skyAir.requests - before).toBe(1);
    expect(apollo).toHaveBeenCalledTimes(1);
    expect(status).toBe(200);
    expect(body.data.skyAirAwardFlights).toBeNull();
    expect(body.data.nordicHotelRewards).toHaveLength(3);
    expect(body.errors).toEqual([
      {
        message:
          'The service of partner ptr_skyair did not answer within 5000 ms; its fields are null.',
        extensions: {
          code: 'SUBGRAPH_UNAVAILABLE',
          partnerId: 'ptr_skyair',
          serviceName: 'ptr_skyair',
        },
      },
    ]);
  });

  it('answers variables that do not coerce as Apollo does', async () => {
    const stays = `query ($id: ID!) {
      member(ref: { memberId: $id }) { displayName nordicStays { hotel } }
    }`;
    const refused = await send(stays, { id: { not: 'an id' } }); // Apollo's, nothing learned
    expect(refused.status).toBe(400);
    const ok = await send(stays, { id: 'mbr_alice' }); // learned
    expect(ok.status).toBe(200);
    expect(ok.body.data.member.nordicStays).toEqual([{ hotel: 'Nordic Bergen Harbour' }]);
    const apollo = apolloCalls();
    const again = await send(stays, { id: { not: 'an id' } });
    expect(apollo).toHaveBeenCalledTimes(1); // handed the gateway's result to format
    expect(again.status).toBe(refused.status);
    expect(again.body).toEqual(refused.body);
  });

  it('validates a learned query again once the graph has been swapped', async () => {
    await send(homeScreen);
    const apollo = apolloCalls();
    await send(homeScreen);
    expect(apollo).toHaveBeenCalledTimes(0);
    const gateway = t.gateway.federation.gateway;
    const version = gateway.graphVersion;
    await t.gateway.federation.gateway.swap(t.gateway.federation.supergraphSdl);
    expect(gateway.graphVersion).not.toBe(version);
    const after = await send(homeScreen);
    expect(after.status).toBe(200);
    expect(apollo).toHaveBeenCalledTimes(1);
    await send(homeScreen);
    expect(apollo).toHaveBeenCalledTimes(1); // learned again, under the new graph
  });

  it('learns only queries it can run as Apollo would', () => {
    const gateway = t.gateway.federation.gateway;
    const learn = (text: string, version = gateway.graphVersion) =>
      gateway.learn(parse(text), text, undefined, version);
    expect(learn(homeScreen)).not.toBeNull();
    expect(learn(homeScreen, gateway.graphVersion - 1)).toBeNull();
    // The coalition's own operations are compiled instead; mutations never run twice.
    expect(learn('{ wallet { balances { currency } } }')).toBeNull();
    expect(learn('mutation { __typename }')).toBeNull();
    expect(learn('{ nordicHotelRewards { id ... @defer { hotel } } }')).toBeNull();
    expect(
      learn(
        'query ($first: Int) { nordicHotelRewards { id } wallet { history(first: $first) { entries { id } } } }',
      ),
    ).toBeNull();
  });
});
