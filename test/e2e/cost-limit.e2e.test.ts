import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * The cost limit counts a page size given as a variable as it counts one written in the query:
 * armor alone counted `history(first: $n)` as one entry whatever n was.
 */
let t: TestGateway;
let alice: string;
beforeAll(async () => {
  t = await createTestGateway();
  alice = await t.token('member', 'mbr_alice');
});
afterAll(() => t.close());

const entries = `entries {
  id code description partnerId reference relatedTransferId
  purchase { amount currency }
  changes { currency available pending held }
  createdAt
}`;
const written = (n: number) => `{ wallet { history(first: ${n}) { ${entries} } } }`;
const byVariable = `query ($n: Int!) { wallet { history(first: $n) { ${entries} } } }`;
const byDefault = `query ($n: Int = 100) { wallet { history(first: $n) { ${entries} } } }`;

describe('the cost limit with page sizes in variables', () => {
  it('refuses a page size in a variable as it refuses the same number written, every time', async () => {
    const literal = await t.graphql(alice, written(100));
    expect(literal.status).toBe(400);
    expect(literal.body.errors?.[0]?.message).toMatch(/^Query Cost limit of 5000 exceeded/);
    // Twice: the second request must not be answered by a compiled fast path.
    for (let attempt = 0; attempt < 2; attempt++) {
      const { status, body } = await t.graphql(alice, byVariable, { n: 100 });
      expect(status).toBe(400);
      expect(body.errors?.[0]?.message).toBe(literal.body.errors?.[0]?.message);
      expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(body.data).toBeUndefined();
    }
    const { status, body } = await t.graphql(alice, byDefault);
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toMatch(/^Query Cost limit of 5000 exceeded/);
  });

  it('answers the same operation with a page size within the limit', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const { status, body } = await t.graphql(alice, byVariable, { n: 20 });
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(body.data).toHaveProperty('wallet.history.entries');
    }
    const { status } = await t.graphql(alice, written(20));
    expect(status).toBe(200);
  });
});
