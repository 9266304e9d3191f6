import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Per-partner rate limits (issue 17.4): a partner over its limit gets 429 RATE_LIMITED with
 * Retry-After, and nothing of its request happens; other partners are served. The window is an
 * hour here, so no request can slip into a new window however slow the machine.
 */
let t: TestGateway;
beforeAll(async () => {
  t = await createTestGateway({
    rateLimits: { defaultPerWindow: 0, perPartner: { ptr_fuelco: 2 }, windowSeconds: 3_600 },
  });
});
afterAll(() => t.close());

const award = `mutation ($input: AwardPointsInput!) { awardPoints(input: $input) { __typename } }`;
const earn = (transactionId: string) => ({
  input: { member: { memberId: 'mbr_alice' }, transactionId, currency: 'SKY', points: '5' },
});

it('answers 429 with Retry-After past the limit, writes nothing, and serves other partners', async () => {
  const fuelco = await t.token('partner', 'ptr_fuelco');
  const skyair = await t.token('partner', 'ptr_skyair');
  for (const n of [1, 2]) {
    const { body } = await t.graphql(fuelco, award, earn(`RL-${n}`));
    expect(body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
  }
  const refused = await t.graphql(fuelco, award, earn('RL-3'));
  expect(refused.status).toBe(429);
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  expect(refused.body.errors?.[0]?.extensions).toMatchObject({
    code: 'RATE_LIMITED',
    retryable: true,
  });
  const written = await t.app.db.query(`select 1 from transfer where external_id = 'RL-3'`);
  expect(written.rowCount).toBe(0);
  // Another partner, without a limit of its own (the default is off here), is served.
  const other = await t.graphql(skyair, award, earn('RL-OTHER'));
  expect(other.body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
});
