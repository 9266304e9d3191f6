import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, parse } from 'graphql';
import { SignJWT } from 'jose';
import { generateSigningKey } from '../../gateway/auth/keys';
import { assertionHeader } from '../../gateway/federation/assertions';
import { buildCoalitionSubgraph } from '../../gateway/federation/coalition-subgraph';
import { splitRootFields } from '../../gateway/federation/root-split';
import { createGraphQLContext } from '../../gateway/graphql/context';
import { buildCoalitionSchema } from '../../gateway/graphql/schema';
import { gatewayKeys } from '../../partners/shared/assertion-verifier';
import { generatePartnerKey, publicJwksOf } from '../../partners/shared/partner-keys';
import {
  type RunningPartnerServer,
  startPartnerServer,
} from '../../partners/shared/partner-server';
import { createTestFederation, type TestFederation } from '../helpers/test-federation';

// Long enough that a normal answer never times out on a busy machine; the hang case waits it out.
const subgraphTimeoutMs = 5_000;
let t: TestFederation;
let alice: string;
beforeAll(async () => {
  t = await createTestFederation({ subgraphTimeoutMs });
  alice = await t.token('member', 'mbr_alice');
});
afterAll(() => t.close());

const rewardsAndWallet = `{
  wallet { balances { currency available } }
  skyAirAwardFlights { id price { currency points affordability { affordable shortfallPoints } } }
  nordicHotelRewards { id price { currency points affordability { affordable shortfallPoints } } }
}`;

const price = (currency: string, points: string, shortfallPoints: string) => ({
  currency,
  points,
  affordability: { affordable: shortfallPoints === '0', shortfallPoints },
});

describe('one graph across the coalition and its partners', () => {
  it('answers a member’s wallet and two partners’ rewards, with affordability, in one query', async () => {
    const { status, body } = await t.graphql(alice, rewardsAndWallet);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      wallet: {
        balances: [
          { currency: 'HTL', available: '3000' },
          { currency: 'SKY', available: '550' },
        ],
      },
      skyAirAwardFlights: [
        { id: 'awd_osl_lhr_0312', price: price('SKY', '1000', '450') },
        { id: 'awd_osl_jfk_0420', price: price('SKY', '25000', '24450') },
        { id: 'awd_cph_bkk_0605', price: price('SKY', '60000', '59450') },
      ],
      nordicHotelRewards: [
        { id: 'nh_osl_1n', price: price('HTL', '2500', '0') },
        { id: 'nh_brg_2n', price: price('HTL', '6000', '3000') },
        { id: 'nh_sto_3n', price: price('HTL', '12000', '9000') },
      ],
    });
  });

  it('adds each partner’s fields to the coalition’s Member', async () => {
    const { body } = await t.graphql(
      alice,
      '{ member(ref: { memberId: "mbr_alice" }) { displayName skyAirFlights { route milesEarned } nordicStays { hotel nights } freshMartReceipts { receiptId } } }',
    );
    expect(body.data.member).toEqual({
      displayName: 'Alice Andersen',
      skyAirFlights: [
        { route: 'OSL-BGO', milesEarned: '1200' },
        { route: 'BGO-OSL', milesEarned: '800' },
      ],
      nordicStays: [{ hotel: 'Nordic Bergen Harbour', nights: 3 }],
      freshMartReceipts: [],
    });
  });

  it('sends coalition-only operations straight to the coalition schema, the rest through the planner', () => {
    const route = (query: string) => t.gateway.federation.gateway.routeOf(parse(query), query);
    expect(route('{ wallet { balances { currency available } } }')).toBe('coalition');
    expect(
      route(
        'mutation { awardPoints(input: { member: { memberId: "m" }, transactionId: "t", currency: "SKY" }) { __typename } }',
      ),
    ).toBe('coalition');
    expect(route(rewardsAndWallet)).toBe('federated');
    expect(route('{ member(ref: { memberId: "mbr_alice" }) { skyAirFlights { route } } }')).toBe(
      'federated',
    );
    expect(route('{ __schema { queryType { name } } }')).toBe('federated');
  });

  it('splits a query’s root fields between the coalition and the planner only when it is safe', async () => {
    const schema = await buildCoalitionSchema();
    const split = (query: string) => splitRootFields(schema, parse(query), undefined);
    expect(split(rewardsAndWallet)).toMatchObject({
      keys: ['wallet', 'skyAirAwardFlights', 'nordicHotelRewards'],
      coalition: {
        source: '{\n  wallet {\n    balances {\n      currency\n      available\n    }\n  }\n}',
      },
    });
    // The coalition's own root field selecting a partner's field on Member is the planner's.
    expect(
      split('{ viewer { kind } member(ref: { memberId: "m" }) { nordicStays { hotel } } }')
        ?.partners.source,
    ).toMatch(/^\{\n {2}member/);
    expect(split('{ wallet { memberId } }')).toBeNull();
    expect(split('{ skyAirAwardFlights { id } ... on Query { wallet { memberId } } }')).toBeNull();
    expect(split('{ wallet { memberId } wallet: skyAirAwardFlights { id } }')).toBeNull();
    expect(
      split('mutation { redeemHotelReward(rewardId: "r", idempotencyKey: "k") { status } }'),
    ).toBeNull();
  });

  it('runs the coalition’s root fields beside the planned partner fields, answering as the planner alone would', async () => {
    const home = `query Home($first: Int!, $city: String) {
      hotels: nordicHotelRewards(city: $city) { id ...Priced }
      me: wallet { memberId history(first: $first) { entries { code ...Entry } } }
      viewer { kind }
      skyAirAwardFlights { id }
    }
    fragment Priced on HotelReward { price { currency points affordability { shortfallPoints } } }
    fragment Entry on WalletEntry { changes { currency available } }`;
    const partner = await t.token('partner', 'ptr_skyair');
    const asked = [
      [alice, { first: 2, city: 'Oslo' }],
      [alice, { first: 0 }],
      [partner, { first: 1 }],
    ] as const;
    const split = [];
    for (const [token, variables] of asked) split.push(await t.graphql(token, home, variables));
    t.gateway.federation.gateway.directRouteEnabled = false;
    try {
      for (const [index, [token, variables]] of asked.entries()) {
        const planned = await t.graphql(token, home, variables);
        expect(split[index]!.status).toBe(planned.status);
        expect(JSON.stringify(split[index]!.body.data)).toBe(JSON.stringify(planned.body.data));
        expect(split[index]!.body.errors?.map((error) => error.extensions?.code)).toEqual(
          planned.body.errors?.map((error) => error.extensions?.code),
        );
      }
    } finally {
      t.gateway.federation.gateway.directRouteEnabled = true;
    }
    expect(Object.keys(split[0]!.body.data)).toEqual([
      'hotels',
      'me',
      'viewer',
      'skyAirAwardFlights',
    ]);
    expect(split[0]!.body.data.hotels).toHaveLength(1);
    expect(split[1]!.body.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
    expect(split[2]!.body.data).toBeNull();
  });
});

describe('entity resolution through _entities, called directly', () => {
  it('SkyAir resolves Member representations, showing flights only to the member themself', async () => {
    const assertion = await t.gateway.federation.signer.sign(
      { kind: 'member', memberId: 'mbr_alice' },
      'ptr_skyair',
    );
    const response = await fetch(t.partners.ptr_skyair!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [assertionHeader]: assertion },
      body: JSON.stringify({
        query:
          'query($r: [_Any!]!) { _entities(representations: $r) { ... on Member { id skyAirFlights { route } } } }',
        variables: {
          r: [
            { __typename: 'Member', id: 'mbr_alice' },
            { __typename: 'Member', id: 'mbr_chloe' },
          ],
        },
      }),
    });
    expect(await response.json()).toEqual({
      data: {
        _entities: [
          { id: 'mbr_alice', skyAirFlights: [{ route: 'OSL-BGO' }, { route: 'BGO-OSL' }] },
          { id: 'mbr_chloe', skyAirFlights: null },
        ],
      },
    });
  });

  it('the coalition resolves PointsPrice affordability and only visible members', async () => {
    const subgraph = buildCoalitionSubgraph(await buildCoalitionSchema());
    const result = await execute({
      schema: subgraph.schema,
      document: parse(
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on PointsPrice { currency points affordability { affordable availablePoints shortfallPoints } } ... on Member { id displayName } } }',
      ),
      variableValues: {
        r: [
          { __typename: 'PointsPrice', currency: 'HTL', points: '2500' },
          { __typename: 'PointsPrice', currency: 'SKY', points: '1000' },
          { __typename: 'Member', id: 'mbr_alice' },
          { __typename: 'Member', id: 'mbr_bob' },
        ],
      },
      contextValue: createGraphQLContext(t.app, { kind: 'member', memberId: 'mbr_alice' }, 'test'),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([
      {
        currency: 'HTL',
        points: '2500',
        affordability: { affordable: true, availablePoints: '3000', shortfallPoints: '0' },
      },
      {
        currency: 'SKY',
        points: '1000',
        affordability: { affordable: false, availablePoints: '550', shortfallPoints: '450' },
      },
      { id: 'mbr_alice', displayName: 'Alice Andersen' },
      null,
    ]);
  });
});

describe('trust between the gateway and partner services', () => {
  const call = (headers: Record<string, string>) =>
    fetch(t.partners.ptr_skyair!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: '{ skyAirAwardFlights { id } }' }),
    });

  it('refuses a call without the gateway’s assertion', async () => {
    const response = await call({});
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      errors: [
        {
          message: 'Call this service through the coalition gateway (no assertion)',
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ],
    });
  });

  it('refuses a member’s bearer token, another partner’s assertion and a forged one', async () => {
    expect((await call({ [assertionHeader]: alice })).status).toBe(401);
    const forNordic = await t.gateway.federation.signer.sign({ kind: 'system' }, 'ptr_nordic');
    expect((await call({ [assertionHeader]: forNordic })).status).toBe(401);
    const forgedKey = await generateSigningKey('gateway-1');
    const forged = await new SignJWT({ caller_kind: 'operator' })
      .setProtectedHeader({ alg: 'ES256', kid: 'gateway-1', typ: 'coalition-assertion+jwt' })
      .setIssuer('coalition-gateway')
      .setAudience('ptr_skyair')
      .setSubject('admin')
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(await import('jose').then((jose) => jose.importJWK(forgedKey, 'ES256')));
    expect((await call({ [assertionHeader]: forged })).status).toBe(401);
    const genuine = await t.gateway.federation.signer.sign({ kind: 'system' }, 'ptr_skyair');
    expect((await call({ [assertionHeader]: genuine })).status).toBe(200);
  });
});

describe('a partner service that is slow or down', () => {
  beforeEach(() => {
    // Past the max-age of catalogue answers read earlier, which the gateway may reuse.
    t.app.clock.advance(60_000);
  });
  afterEach(() => {
    t.proxies.ptr_skyair!.mode = 'pass';
  });

  it('answers the rest of the query, within the per-subgraph timeout, with a clear error', async () => {
    t.proxies.ptr_skyair!.mode = 'hang';
    // The proxy never answers: without the per-subgraph timeout this request would hang.
    const { status, body } = await t.graphql(alice, rewardsAndWallet);
    expect(status).toBe(200);
    expect(body.data.wallet.balances).toHaveLength(2);
    expect(body.data.skyAirAwardFlights).toBeNull();
    expect(body.data.nordicHotelRewards).toHaveLength(3);
    expect(body.errors).toEqual([
      {
        message: `The service of partner ptr_skyair did not answer within ${subgraphTimeoutMs} ms; its fields are null.`,
        extensions: {
          code: 'SUBGRAPH_UNAVAILABLE',
          partnerId: 'ptr_skyair',
          serviceName: 'ptr_skyair',
        },
      },
    ]);
  });

  it('keeps queries that do not touch it working, and says so when it is down', async () => {
    t.proxies.ptr_skyair!.mode = 'down';
    const wallet = await t.graphql(alice, '{ wallet { balances { currency available } } }');
    expect(wallet.body).toEqual({
      data: {
        wallet: {
          balances: [
            { currency: 'HTL', available: '3000' },
            { currency: 'SKY', available: '550' },
          ],
        },
      },
    });
    const { body } = await t.graphql(
      alice,
      '{ member(ref: { memberId: "mbr_alice" }) { displayName skyAirFlights { route } nordicStays { hotel } } }',
    );
    expect(body.data.member).toEqual({
      displayName: 'Alice Andersen',
      skyAirFlights: null,
      nordicStays: [{ hotel: 'Nordic Bergen Harbour' }],
    });
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.extensions?.code).toBe('SUBGRAPH_UNAVAILABLE');
    expect(body.errors![0]!.message).toMatch(/^The service of partner ptr_skyair is unavailable/);
  });
});

describe('onboarding a partner service', () => {
  const services: RunningPartnerServer[] = [];
  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
  });

  /** A partner service with a hand-written SDL, served like the demo partners. */
  async function serviceWith(partnerId: string, sdl: string, resolvers = {}) {
    const signingKey = await generatePartnerKey(partnerId);
    const service = await startPartnerServer({
      partnerId,
      name: partnerId,
      schema: buildSubgraphSchema({ typeDefs: parse(sdl), resolvers }),
      port: 0,
      host: '127.0.0.1',
      gatewayKeys: gatewayKeys({ jwks: t.gateway.federation.signer.publicJwks }),
      signingKey,
      coalitionUrl: t.url,
      log: () => undefined,
    });
    services.push(service);
    return { service, jwks: JSON.stringify(publicJwksOf(signingKey)) };
  }
  const link =
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';

  it('composes a new service in-process and serves it without a restart', async () => {
    const { service, jwks } = await serviceWith(
      'ptr_telcoone',
      `${link}\n"TelcoOne plans." type TelcoPlan { name: String! }\ntype Query { "TelcoOne plans for points." telcoOnePlans: [TelcoPlan!] }`,
      { Query: { telcoOnePlans: () => [{ name: 'Unlimited 5G' }] } },
    );
    const before = await t.graphql(alice, '{ telcoOnePlans { name } }');
    expect(before.status).toBe(400);
    const outcome = await t.register('ptr_telcoone', service.url, jwks);
    expect(outcome).toEqual({
      __typename: 'PartnerService',
      partnerId: 'ptr_telcoone',
      url: service.url,
      keyIds: ['ptr_telcoone-1'],
    });
    const after = await t.graphql(alice, '{ telcoOnePlans { name } }');
    expect(after.body).toEqual({ data: { telcoOnePlans: [{ name: 'Unlimited 5G' }] } });
  });

  it('reports a composition error and keeps serving the previous graph', async () => {
    const subgraphsBefore = t.gateway.federation.subgraphNames;
    const supergraphBefore = t.gateway.federation.supergraphSdl;
    const { service, jwks } = await serviceWith(
      'ptr_fuelco',
      `${link}\ntype Member @key(fields: "id") { id: ID! displayName: Int }\ntype Query { fuelCoStations: [String] }`,
    );
    const outcome = await t.register('ptr_fuelco', service.url, jwks);
    expect(outcome).toMatchObject({
      __typename: 'CompositionFailedError',
      code: 'COMPOSITION_FAILED',
    });
    expect((outcome.messages as string[]).join('\n')).toMatch(/Member\.displayName/);
    expect(t.gateway.federation.subgraphNames).toEqual(subgraphsBefore);
    expect(t.gateway.federation.supergraphSdl).toBe(supergraphBefore);
    const { body } = await t.graphql(alice, '{ skyAirAwardFlights { id } wallet { memberId } }');
    expect(body.errors).toBeUndefined();
    expect(body.data.skyAirAwardFlights).toHaveLength(3);
    const operator = await t.token('operator', 'admin');
    const listed = await t.graphql(operator, '{ partnerServices { partnerId } }');
    expect(
      listed.body.data.partnerServices.map((row: { partnerId: string }) => row.partnerId),
    ).toEqual(['ptr_freshmart', 'ptr_nordic', 'ptr_skyair', 'ptr_telcoone']);
  });

  it('refuses a service that would take over or read coalition fields', async () => {
    const override = await serviceWith(
      'ptr_fuelco',
      'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@override", "@external", "@requires"])\n' +
        'type Query { wallet: String @override(from: "coalition") }\n' +
        'type Member @key(fields: "id") { id: ID! email: String @external fuelCoNote: String @requires(fields: "email") }',
    );
    const outcome = await t.register('ptr_fuelco', override.service.url, override.jwks);
    expect(outcome).toMatchObject({ __typename: 'CompositionFailedError' });
    expect(outcome.messages).toEqual([
      '[ptr_fuelco] @override is not allowed in partner subgraphs',
      '[ptr_fuelco] @external is not allowed in partner subgraphs',
      '[ptr_fuelco] @requires is not allowed in partner subgraphs',
    ]);
    const { body } = await t.graphql(alice, '{ wallet { memberId } }');
    expect(body.data).toEqual({ wallet: { memberId: 'mbr_alice' } });
  });

  it('refuses unknown partners, unreachable services and callers who are not the operator', async () => {
    expect(await t.register('ptr_nobody', 'http://127.0.0.1:9/graphql')).toMatchObject({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
    });
    expect(await t.register('ptr_fuelco', 'http://127.0.0.1:9/graphql')).toMatchObject({
      __typename: 'PartnerServiceUnavailableError',
      code: 'PARTNER_SERVICE_UNAVAILABLE',
    });
    expect(await t.register('ptr_fuelco', 'ftp://example.com/x')).toMatchObject({
      __typename: 'InvalidInputError',
    });
    const { body } = await t.graphql(alice, '{ partnerServices { partnerId } }');
    expect(body.errors![0]!.extensions?.code).toBe('FORBIDDEN');
  });
});
