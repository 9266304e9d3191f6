import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * In production nothing about the schema may be learned without introspection (issue 17): a
 * schema-recovery tool rebuilt 12 types from validation messages that name types, fields and
 * arguments. Each such message becomes one sentence; codes and locations stay.
 */
let t: TestGateway;
let alice: string;
beforeAll(async () => {
  t = await createTestGateway({ production: true });
  alice = await t.token('member', 'mbr_alice');
});
afterAll(() => t.close());

const schemaWords = /Wallet|wallet|Member|member|email|String|ID!|argument|type "|Did you mean/;

describe('production error messages', () => {
  it.each([
    ['a field that needs a selection', '{ wallet }'],
    ['a field that does not exist, with an argument missing', '{ member { email } }'],
    ['an unknown field', '{ walet { balances { currency } } }'],
    ['an unknown argument', '{ viewer(as: 1) { kind } }'],
  ])('%s: a validation error that names nothing of the schema', async (_name, query) => {
    const { status, body } = await t.graphql(alice, query);
    expect(status).toBe(400);
    expect(body.errors?.length).toBeGreaterThan(0);
    for (const error of body.errors!) {
      expect(error.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(error.message).toBe('The operation is not valid for this API.');
    }
  });

  it('a variable of the wrong type names only the variable', async () => {
    const { status, body } = await t.graphql(
      alice,
      'query ($ref: MemberRefInput!) { member(ref: $ref) { id } }',
      { ref: { memberId: 'mbr_alice', nickname: 'x' } },
    );
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toBe('Variable "$ref" does not match its declared type.');
    expect(JSON.stringify(body)).not.toMatch(schemaWords);
  });

  it('limit breaches still say which limit', async () => {
    const aliases = Array.from({ length: 20 }, (_, index) => `a${index}: __typename`).join(' ');
    const { status, body } = await t.graphql(alice, `{ ${aliases} }`);
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toMatch(/^Aliases limit of 15 exceeded/);
  });
});
