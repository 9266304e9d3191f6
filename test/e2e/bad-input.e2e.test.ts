import request from 'supertest';
import { bodyBytesMax } from '../../gateway/http/server';
import { ledgerFingerprint } from '../helpers/ledger-invariants';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Every bad input of ../shared/SECURITY.md, through real HTTP: each gets a clear, typed error
 * (a typed result in `data`, or a GraphQL error with a code) and the database is byte-for-byte
 * unchanged afterwards.
 */
let t: TestGateway;
let fuelco: string;
let ghost: string;
beforeAll(async () => {
  t = await createTestGateway();
  fuelco = await t.token('partner', 'ptr_fuelco');
  ghost = await t.token('partner', 'ptr_ghost');
  // One successful earn, so that reusing its key with another payload is a case below.
  const { body } = await t.graphql(fuelco, award, {
    input: earnInput({ transactionId: 'USED-1', points: '10' }),
  });
  expect(body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
});
afterAll(() => t.close());

const award = `mutation ($input: AwardPointsInput!) { awardPoints(input: $input) {
  __typename ... on ErrorResult { code message } ... on InvalidInputError { field } } }`;
const pay = `mutation ($input: PayWithPointsInput!) { payWithPoints(input: $input) {
  __typename ... on ErrorResult { code message } ... on InvalidInputError { field } } }`;
const refund = `mutation ($input: RefundPurchaseInput!) { refundPurchase(input: $input) {
  __typename ... on ErrorResult { code message } ... on InvalidInputError { field } } }`;

function earnInput(overrides: Record<string, unknown>) {
  return {
    member: { externalId: 'FC-0001' },
    transactionId: `BAD-${Math.random().toString(36).slice(2)}`,
    currency: 'SKY',
    ...overrides,
  };
}

type Expectation =
  | { result: string; code?: string; field?: string }
  | { error: string; status?: number };

const cases: [string, string, string, Record<string, unknown>, Expectation][] = [
  // name, token, document, input, expected
  [
    // Stored as U+FFFD it would collide with "inp-\ufffd-x", another id (issue 17).
    'a transaction id with a lone surrogate',
    'fuelco',
    award,
    earnInput({ transactionId: 'inp-\ud800-x', points: '5' }),
    { result: 'InvalidInputError', field: 'transactionId' },
  ],
  [
    'a transaction id with a right-to-left override',
    'fuelco',
    award,
    earnInput({ transactionId: 'inp-\u202ex-1', points: '5' }),
    { result: 'InvalidInputError', field: 'transactionId' },
  ],
  [
    'negative points',
    'fuelco',
    award,
    earnInput({ points: '-5' }),
    { result: 'InvalidInputError', field: 'points' },
  ],
  [
    'zero points',
    'fuelco',
    award,
    earnInput({ points: '0' }),
    { result: 'InvalidInputError', field: 'points' },
  ],
  ['fractional points', 'fuelco', award, earnInput({ points: '1.5' }), { error: 'BAD_USER_INPUT' }],
  [
    'fractional points as a JSON number',
    'fuelco',
    award,
    earnInput({ points: 1.5 }),
    { error: 'BAD_USER_INPUT' },
  ],
  [
    'points beyond 2^63',
    'fuelco',
    award,
    earnInput({ points: '9223372036854775808' }),
    { error: 'BAD_USER_INPUT' },
  ],
  [
    'huge points',
    'fuelco',
    award,
    earnInput({ points: '99999999999999999999999' }),
    { error: 'BAD_USER_INPUT' },
  ],
  [
    'points over the per-transfer limit',
    'fuelco',
    award,
    earnInput({ points: '1000000000001' }),
    { result: 'InvalidInputError', field: 'points' },
  ],
  [
    'non-numeric points',
    'fuelco',
    award,
    earnInput({ points: 'ten' }),
    { error: 'BAD_USER_INPUT' },
  ],
  [
    'negative money',
    'fuelco',
    award,
    earnInput({ purchase: { amount: '-5.00', currency: 'EUR' } }),
    { result: 'InvalidInputError', field: 'purchase.amount' },
  ],
  [
    'zero money',
    'fuelco',
    award,
    earnInput({ purchase: { amount: '0.00', currency: 'EUR' } }),
    { result: 'InvalidInputError', field: 'purchase.amount' },
  ],
  [
    'sub-cent money',
    'fuelco',
    award,
    earnInput({ purchase: { amount: '5.001', currency: 'EUR' } }),
    { result: 'InvalidInputError', field: 'purchase.amount' },
  ],
  [
    'huge money',
    'fuelco',
    award,
    earnInput({ purchase: { amount: '99999999999999999999', currency: 'EUR' } }),
    { result: 'InvalidInputError', field: 'purchase.amount' },
  ],
  [
    'non-numeric money',
    'fuelco',
    award,
    earnInput({ purchase: { amount: '1e5', currency: 'EUR' } }),
    { result: 'InvalidInputError', field: 'purchase.amount' },
  ],
  [
    'unknown money currency',
    'fuelco',
    award,
    earnInput({ purchase: { amount: '5.00', currency: 'XXX' } }),
    { result: 'InvalidInputError', field: 'purchase.currency' },
  ],
  [
    'unknown member id',
    'fuelco',
    award,
    earnInput({ points: '5', member: { memberId: 'mbr_nobody' } }),
    { result: 'NotFoundError', code: 'NOT_FOUND' },
  ],
  [
    'unknown external id',
    'fuelco',
    award,
    earnInput({ points: '5', member: { externalId: 'NOPE' } }),
    { result: 'NotFoundError' },
  ],
  [
    'malformed member id',
    'fuelco',
    award,
    earnInput({ points: '5', member: { memberId: "x' or 1=1 --" } }),
    { result: 'NotFoundError' },
  ],
  [
    'both member references',
    'fuelco',
    award,
    earnInput({ points: '5', member: { memberId: 'mbr_alice', externalId: 'FC-0001' } }),
    { result: 'InvalidInputError', field: 'member' },
  ],
  [
    'unknown currency',
    'fuelco',
    award,
    earnInput({ points: '5', currency: 'ZZZ' }),
    { result: 'NotFoundError' },
  ],
  [
    'malformed currency',
    'fuelco',
    award,
    earnInput({ points: '5', currency: 'sky;drop' }),
    { result: 'InvalidInputError', field: 'currency' },
  ],
  [
    'currency the partner does not award',
    'fuelco',
    award,
    earnInput({ points: '5', currency: 'HTL' }),
    { result: 'CurrencyNotSupportedError' },
  ],
  [
    'unknown partner (valid token)',
    'ghost',
    award,
    earnInput({ points: '5' }),
    { result: 'NotFoundError' },
  ],
  [
    'empty transaction id',
    'fuelco',
    award,
    earnInput({ points: '5', transactionId: '' }),
    { result: 'InvalidInputError', field: 'transactionId' },
  ],
  [
    'overlong transaction id',
    'fuelco',
    award,
    earnInput({ points: '5', transactionId: 'x'.repeat(201) }),
    { result: 'InvalidInputError', field: 'transactionId' },
  ],
  [
    'negative pending days',
    'fuelco',
    award,
    earnInput({ points: '5', pendingDays: -1 }),
    { result: 'InvalidInputError', field: 'pendingDays' },
  ],
  [
    'neither points nor purchase',
    'fuelco',
    award,
    earnInput({}),
    { result: 'InvalidInputError', field: 'points' },
  ],
  [
    'key reused with another payload',
    'fuelco',
    award,
    earnInput({ transactionId: 'USED-1', points: '11' }),
    { result: 'IdempotencyKeyReusedError' },
  ],
  [
    'paying more than the balance',
    'fuelco',
    pay,
    earnInput({ points: '100000' }),
    { result: 'InsufficientPointsError' },
  ],
  [
    'paying negative points',
    'fuelco',
    pay,
    earnInput({ points: '-1' }),
    { result: 'InvalidInputError', field: 'points' },
  ],
  [
    'refund of an unknown purchase',
    'fuelco',
    refund,
    { transactionId: 'NEVER', refundId: 'RF-X' },
    { result: 'NotFoundError' },
  ],
  [
    'refund beyond the purchase',
    'fuelco',
    refund,
    {
      transactionId: 'FC-POS-1001',
      refundId: 'RF-Y',
      amount: { amount: '50.01', currency: 'EUR' },
    },
    { result: 'RefundExceedsPurchaseError' },
  ],
  [
    'refund of another partner’s purchase',
    'fuelco',
    refund,
    { transactionId: 'NH-STAY-311', refundId: 'RF-Z' },
    { result: 'NotFoundError' },
  ],
];

const tokens = (): Record<string, string> => ({ fuelco, ghost });

describe('bad input gets a typed error and changes nothing', () => {
  it.each(cases)('%s', async (_name, tokenName, document, input, expected) => {
    const before = await ledgerFingerprint(t.app.db);
    const { status, body } = await t.graphql(tokens()[tokenName], document, { input });
    if ('result' in expected) {
      expect(status).toBe(200);
      const result = Object.values(body.data)[0] as Record<string, string>;
      expect(result.__typename).toBe(expected.result);
      if (expected.code) expect(result.code).toBe(expected.code);
      if (expected.field) expect(result.field).toBe(expected.field);
      expect(result.message.length).toBeGreaterThan(0);
    } else {
      expect(body.errors?.[0]?.extensions?.code).toBe(expected.error);
      expect(body.errors?.[0]?.message.length).toBeGreaterThan(0);
    }
    expect(await ledgerFingerprint(t.app.db)).toBe(before);
  });

  it('malformed JSON is a 400 with a code', async () => {
    const before = await ledgerFingerprint(t.app.db);
    const response = await request(t.server)
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${fuelco}`)
      .send('{"query": "mutation {');
    expect(response.status).toBe(400);
    expect(response.body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(await ledgerFingerprint(t.app.db)).toBe(before);
  });

  it('an oversized body is a 413 with a code', async () => {
    const before = await ledgerFingerprint(t.app.db);
    const response = await request(t.server)
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${fuelco}`)
      .send(JSON.stringify({ query: `{ viewer { kind } }`, padding: 'x'.repeat(bodyBytesMax) }));
    expect(response.status).toBe(413);
    expect(response.body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(await ledgerFingerprint(t.app.db)).toBe(before);
  });

  it('a variable that does not coerce is BAD_USER_INPUT with its reason, not an internal error', async () => {
    const { status, body } = await t.graphql(
      fuelco,
      'query ($ref: MemberRefInput!) { member(ref: $ref) { id } }',
      { ref: { externalId: 'FC-0001', nickname: 'x' } },
    );
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^Variable "\$ref" got invalid value/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('a query failing validation many times over gets one error (issue 17)', async () => {
    const unknown = `{ viewer ${Array.from({ length: 10 }, (_, n) => `@unknown${n}`).join(' ')} { kind } }`;
    const overLimit = `{ viewer ${'@include(if: true) '.repeat(11)}{ kind } }`;
    for (const [query, message] of [
      [unknown, /^Unknown directive "@unknown0"/],
      [overLimit, /^Directives limit of 10 exceeded/],
    ] as const) {
      const { status, body } = await t.graphql(fuelco, query);
      expect(status).toBe(400);
      expect(body.errors).toHaveLength(1);
      expect(body.errors?.[0]?.message).toMatch(message);
    }
  });

  it('a subscription is a client error, not an internal one (issue 17)', async () => {
    for (const query of ['subscription { wallet { memberId } }', 'subscription S { __typename }']) {
      const { status, body } = await t.graphql(fuelco, query);
      expect(status).toBe(400);
      expect(body.errors).toEqual([
        expect.objectContaining({
          message: 'Subscriptions are not supported: use a query or a mutation.',
          extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }),
        }),
      ]);
    }
  });

  it('a query over the alias, directive or token limits is refused with a 400, not a 500', async () => {
    const aliases = Array.from({ length: 20 }, (_, index) => `a${index}: viewer { kind }`).join(
      ' ',
    );
    const directives = `{ viewer ${'@include(if: true) '.repeat(11)}{ kind } }`;
    const tokensHeavy = `{ viewer { ${'kind '.repeat(2_100)} } }`;
    // `__typename` aliases count too (issue 17: 101 of them were answered).
    const typenames = Array.from({ length: 101 }, (_, index) => `t${index}: __typename`).join(' ');
    for (const query of [`{ ${aliases} }`, `{ ${typenames} }`, directives, tokensHeavy]) {
      const before = await ledgerFingerprint(t.app.db);
      const { status, body } = await t.graphql(fuelco, query);
      expect(status).toBe(400);
      expect(body.errors?.[0]?.message).toMatch(/limit|more that 2000 tokens|Directives/i);
      // A limit breach is a validation error, never worded as a syntax error.
      expect(body.errors?.[0]).toMatchObject({
        message: expect.not.stringMatching(/^Syntax Error/),
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      });
      expect(await ledgerFingerprint(t.app.db)).toBe(before);
    }
  });
});
