import { generateKeyPair, importJWK, SignJWT } from 'jose';
import { generateSigningKey, keySetFromPrivate } from '../../gateway/auth/keys';
import { TokenIssuer } from '../../gateway/auth/tokens';
import { ledgerFingerprint } from '../helpers/ledger-invariants';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Every kind of caller against every operation, aimed at another party's data: FuelCo's
 * partner token, Alice's member token, finance and operator tokens, and no token at all. The
 * target is always someone else's: Bob (enrolled at Nordic and FreshMart only), Nordic's
 * purchase, Bob's transfers. Denials write nothing. Then the JWT cases.
 */
let t: TestGateway;
const tokens: Record<string, string | undefined> = {};
let bobTransferId: string;
beforeAll(async () => {
  t = await createTestGateway();
  tokens.anonymous = undefined;
  tokens.partner = await t.token('partner', 'ptr_fuelco');
  tokens.member = await t.token('member', 'mbr_alice');
  tokens.finance = await t.token('finance', 'fin_fuelco', 'ptr_fuelco');
  tokens.operator = await t.token('operator', 'admin');
  const rows = await t.app.db.query<{ id: string }>(
    "select id from transfer where member_id = 'mbr_bob' order by id limit 1",
  );
  bobTransferId = rows.rows[0]!.id;
});
afterAll(() => t.close());

type Caller = 'anonymous' | 'partner' | 'member' | 'finance' | 'operator';
/** What a caller gets: an auth error code, or a predicate on the operation's data. */
type Outcome = 'UNAUTHENTICATED' | 'FORBIDDEN' | ((data: unknown) => boolean);

const denied = (typename: string) => (data: unknown) =>
  (data as { __typename?: string })?.__typename === typename;
const isNull = (data: unknown) => data === null;

interface Operation {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  expect: Record<Caller, Outcome>;
}

const result = '{ __typename ... on ErrorResult { code } }';
const onlyPartner = (partner: Outcome): Record<Caller, Outcome> => ({
  anonymous: 'UNAUTHENTICATED',
  partner,
  member: 'FORBIDDEN',
  finance: 'FORBIDDEN',
  operator: 'FORBIDDEN',
});
const onlyOperator: Record<Caller, Outcome> = {
  anonymous: 'UNAUTHENTICATED',
  partner: 'FORBIDDEN',
  member: 'FORBIDDEN',
  finance: 'FORBIDDEN',
  operator: () => true,
};

const operations = (): Operation[] => [
  {
    name: 'award points to a member enrolled elsewhere',
    query: `mutation { awardPoints(input: {member: {memberId: "mbr_bob"}, transactionId: "AZ-1", currency: "SKY", points: "5"}) ${result} }`,
    expect: onlyPartner(denied('NotFoundError')),
  },
  {
    name: 'pay with the points of a member enrolled elsewhere',
    query: `mutation { payWithPoints(input: {member: {memberId: "mbr_bob"}, transactionId: "AZ-2", currency: "SKY", points: "1"}) ${result} }`,
    expect: onlyPartner(denied('NotFoundError')),
  },
  {
    name: 'refund another partner’s purchase',
    query: `mutation { refundPurchase(input: {transactionId: "NH-STAY-312", refundId: "AZ-3"}) ${result} }`,
    expect: onlyPartner(denied('NotFoundError')),
  },
  {
    name: 'link a member by id without their link code',
    query: `mutation { enrollMember(input: {externalId: "AZ-4", memberId: "mbr_bob"}) ${result} }`,
    expect: onlyPartner(denied('InvalidInputError')),
  },
  {
    name: 'link a member by id with a made-up link code',
    query: `mutation { enrollMember(input: {externalId: "AZ-5", memberId: "mbr_bob", linkCode: "AAAAAAAAAA"}) ${result} }`,
    expect: onlyPartner(denied('NotFoundError')),
  },
  {
    name: 'read another member',
    query: `{ member(ref: {memberId: "mbr_bob"}) { id displayName } }`,
    expect: {
      anonymous: 'UNAUTHENTICATED',
      partner: isNull,
      member: isNull,
      finance: 'FORBIDDEN',
      operator: (data) => (data as { id: string }).id === 'mbr_bob',
    },
  },
  {
    name: 'read another member’s transfer',
    query: `query ($id: ID!) { transfer(id: $id) { id } }`,
    variables: { id: 'BOB_TRANSFER' },
    expect: {
      anonymous: 'UNAUTHENTICATED',
      partner: isNull,
      member: isNull,
      finance: 'FORBIDDEN',
      operator: (data) => data !== null,
    },
  },
  {
    name: 'read a wallet as someone else',
    query: `{ wallet { balances { currency } } }`,
    expect: {
      anonymous: 'UNAUTHENTICATED',
      partner: 'FORBIDDEN',
      member: () => true, // their own: the only wallet a member token can name
      finance: 'FORBIDDEN',
      operator: 'FORBIDDEN',
    },
  },
  {
    name: 'list another partner’s transfers',
    query: `{ transfers(partnerId: "ptr_nordic") { nodes { id } } }`,
    expect: {
      anonymous: 'UNAUTHENTICATED',
      partner: 'BAD_USER_INPUT' as Outcome,
      member: 'FORBIDDEN',
      finance: 'FORBIDDEN',
      operator: (data) => (data as { nodes: unknown[] }).nodes.length > 0,
    },
  },
  {
    name: 'create a partner',
    query: `mutation { createPartner(input: {name: "Evil Corp"}) { __typename } }`,
    expect: onlyOperator,
  },
  {
    name: 'change another partner’s terms',
    query: `mutation { setPartnerCurrency(input: {partnerId: "ptr_nordic", currency: "HTL", earns: true, accepts: true, earnRatePoints: "1000"}) { __typename } }`,
    expect: onlyOperator,
  },
  {
    name: 'link a member without a code',
    query: `mutation { linkMember(input: {partnerId: "ptr_fuelco", externalId: "AZ-6", memberId: "mbr_bob"}) { __typename } }`,
    expect: onlyOperator,
  },
  {
    name: 'read another member’s accounts',
    query: `{ accounts(ownerId: "mbr_bob") { id } }`,
    expect: onlyOperator,
  },
  {
    name: 'read the members of a segment not the partner’s own',
    query: `{ segmentMembers(segmentId: "seg_lapsed") ${result} }`,
    expect: {
      anonymous: 'UNAUTHENTICATED',
      partner: denied('NotFoundError'),
      member: 'FORBIDDEN',
      finance: 'FORBIDDEN',
      operator: denied('SegmentMembersPage'),
    },
  },
  {
    name: 'target an offer at a segment not the partner’s own',
    query: `mutation { createOffer(input: {currency: "SKY", name: "Poach", effects: [{bonusPoints: "5"}], targetSegmentIds: ["seg_lapsed"], endsAt: "2027-01-01T00:00:00Z"}) ${result} }`,
    expect: {
      anonymous: 'UNAUTHENTICATED',
      partner: denied('NotFoundError'),
      member: 'FORBIDDEN',
      finance: 'FORBIDDEN',
      operator: denied('OfferSuccess'),
    },
  },
  {
    name: 'activate an offer that is not there',
    query: `mutation { activateOffer(offerId: "ofr_00000000000000000000000000") ${result} }`,
    expect: {
      anonymous: 'UNAUTHENTICATED',
      partner: 'FORBIDDEN',
      member: denied('NotFoundError'),
      finance: 'FORBIDDEN',
      operator: 'FORBIDDEN',
    },
  },
  {
    name: 'issue a link code for a member',
    query: `mutation { issueLinkCode { code } }`,
    expect: { ...onlyOperator, member: () => true, operator: 'FORBIDDEN' },
  },
];

describe('authorization matrix', () => {
  const callers: Caller[] = ['anonymous', 'partner', 'member', 'finance', 'operator'];
  const cases = operations().flatMap((operation) =>
    callers.map((caller) => [operation.name, caller, operation] as const),
  );
  it.each(cases)('%s, as %s', async (_name, caller, operation) => {
    const before = await ledgerFingerprint(t.app.db);
    const variables =
      operation.variables?.id === 'BOB_TRANSFER' ? { id: bobTransferId } : operation.variables;
    const { body } = await t.graphql(tokens[caller], operation.query, variables);
    const expected = operation.expect[caller];
    if (typeof expected === 'string') {
      expect(body.errors?.[0]?.extensions?.code).toBe(expected);
      expect(Object.values(body.data ?? {})[0] ?? null).toBeNull();
    } else {
      expect(body.errors).toBeUndefined();
      expect(expected(Object.values(body.data)[0])).toBe(true);
    }
    // Only the operator's own onboarding and a member's own link code may write anything.
    const mayWrite =
      (caller === 'operator' && operation.query.startsWith('mutation')) ||
      (caller === 'member' && operation.name.startsWith('issue a link code'));
    if (!mayWrite) expect(await ledgerFingerprint(t.app.db)).toBe(before);
  });

  it('a partner sees balances only in the currencies it accepts, and no email or history', async () => {
    const { body } = await t.graphql(
      tokens.partner,
      '{ member(ref: {externalId: "FC-0001"}) { id email externalId balances { currency } } }',
    );
    expect(body.data.member).toEqual({
      id: 'mbr_alice',
      email: null,
      externalId: 'FC-0001',
      balances: [{ currency: 'SKY' }],
    });
    const history = await t.graphql(
      tokens.partner,
      '{ member(ref: {externalId: "FC-0001"}) { wallet { history { entries { id } } } } }',
    );
    expect(history.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('a partner links a member who gave it their link code', async () => {
    const bob = await t.token('member', 'mbr_bob');
    const issued = await t.graphql(bob, 'mutation { issueLinkCode { code expiresAt } }');
    const code = issued.body.data.issueLinkCode.code as string;
    const link = `mutation ($code: String!) { enrollMember(input: {externalId: "TEL-BOB", memberId: "mbr_bob", linkCode: $code}) { __typename ... on EnrollMemberSuccess { member { id } created } } }`;
    const telco = await t.token('partner', 'ptr_telcoone');
    const first = await t.graphql(telco, link, { code });
    expect(first.body.data.enrollMember).toEqual({
      __typename: 'EnrollMemberSuccess',
      member: { id: 'mbr_bob' },
      created: false,
    });
    // The code is single-use: another partner cannot reuse it.
    const skyair = await t.token('partner', 'ptr_skyair');
    const reused = await t.graphql(skyair, link.replace('TEL-BOB', 'SK-BOB'), { code });
    expect(reused.body.data.enrollMember.__typename).toBe('NotFoundError');
  });
});

describe('tokens that must be rejected', () => {
  const query = '{ viewer { kind id } }';
  const expectRejected = async (token: string) => {
    const { status, body } = await t.graphql(token, query);
    expect(status).toBe(401);
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  };
  const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => ({
    iss: 'coalition',
    aud: 'coalition:partner',
    sub: 'ptr_fuelco',
    iat: now(),
    exp: now() + 600,
  });

  it('alg none', async () => {
    await expectRejected(`${base64url({ alg: 'none', typ: 'at+jwt' })}.${base64url(claims())}.`);
  });

  it('signed with another key under the trusted kid', async () => {
    const other = new TokenIssuer({ ...(await generateSigningKey('test-1')) });
    await expectRejected(await other.issue({ kind: 'partner', subject: 'ptr_fuelco' }));
  });

  it('HS256 signed with the public key as the secret (algorithm confusion)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(t.keySet.publicJwks.keys[0]));
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'test-1' })
      .sign(secret);
    await expectRejected(token);
  });

  it('a key offered in the token header (jwk)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const { exportJWK } = await import('jose');
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', jwk: await exportJWK(publicKey) })
      .sign(privateKey);
    await expectRejected(token);
  });

  const signed = async (payload: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'test-1', ...header })
      .sign(await importJWK(t.keySet.privateJwk!, 'ES256'));

  it('wrong audience', async () => {
    await expectRejected(await signed({ ...claims(), aud: 'coalition:admin' }));
  });

  it('two audiences', async () => {
    await expectRejected(
      await signed({ ...claims(), aud: ['coalition:partner', 'coalition:operator'] }),
    );
  });

  it('wrong issuer', async () => {
    await expectRejected(await signed({ ...claims(), iss: 'someone-else' }));
  });

  it('expired', async () => {
    await expectRejected(await signed({ ...claims(), iat: now() - 7200, exp: now() - 3600 }));
  });

  it('issued more than a day ago', async () => {
    await expectRejected(await signed({ ...claims(), iat: now() - 2 * 86_400, exp: now() + 600 }));
  });

  it('without a subject', async () => {
    const { sub: _sub, ...rest } = claims();
    await expectRejected(await signed(rest));
  });

  it('a partner token whose subject is not a partner id', async () => {
    await expectRejected(await signed({ ...claims(), sub: 'mbr_alice' }));
  });

  it('without the at+jwt type', async () => {
    await expectRejected(await signed(claims(), { typ: 'JWT' }));
  });

  it('a tampered payload', async () => {
    const [header, , signature] = (await signed(claims())).split('.');
    await expectRejected(`${header}.${base64url({ ...claims(), sub: 'ptr_nordic' })}.${signature}`);
  });

  it('a member token used as a partner token is forbidden from partner operations', async () => {
    const { body } = await t.graphql(
      tokens.member,
      `mutation { awardPoints(input: {member: {memberId: "mbr_alice"}, transactionId: "AZ-9", currency: "SKY", points: "5"}) ${result} }`,
    );
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('a valid token is accepted', async () => {
    const { body } = await t.graphql(await signed(claims()), query);
    expect(body.data.viewer).toEqual({ kind: 'partner', id: 'ptr_fuelco' });
  });
});

describe('a partner-signed token', () => {
  it('does not reveal which partner ids have keys registered (issue 17)', async () => {
    // Nordic has a service with a key registered; FuelCo exists without one; ptr_ghost does not exist.
    const registered = keySetFromPrivate(await generateSigningKey('nordic-1'));
    await t.app.db.query(
      `insert into partner_service (partner_id, url, jwks, sdl, registered_at, updated_at)
       values ('ptr_nordic', 'http://127.0.0.1:9/graphql', $1, 'type Query { x: Int }', now(), now())`,
      [JSON.stringify(registered.publicJwks)],
    );
    const attacker = await importJWK(await generateSigningKey('nordic-1'), 'ES256');
    const answers = [];
    for (const partnerId of ['ptr_nordic', 'ptr_fuelco', 'ptr_ghost']) {
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({
        iss: partnerId,
        sub: partnerId,
        aud: 'coalition:partner',
        iat: now,
        exp: now + 600,
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'attacker-1' })
        .sign(attacker);
      const { status, body, headers } = await t.graphql(token, '{ viewer { kind } }');
      answers.push({ status, body, challenge: headers['www-authenticate'] });
    }
    expect(answers[0]!.status).toBe(401);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });
});
