import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

let t: TestGateway;
let fuelco: string;
let alice: string;
beforeAll(async () => {
  t = await createTestGateway();
  fuelco = await t.token('partner', 'ptr_fuelco');
  alice = await t.token('member', 'mbr_alice');
});
afterAll(() => t.close());

const award = `mutation Award($input: AwardPointsInput!) {
  awardPoints(input: $input) {
    __typename
    ... on AwardPointsSuccess { transferId memberId currency points available }
    ... on ErrorResult { code message }
    ... on InvalidInputError { field reason }
  }
}`;

describe('a partner awards points through the API', () => {
  it('prices the purchase and shows up in the member’s wallet with its why', async () => {
    const { status, body } = await t.graphql(fuelco, award, {
      input: {
        member: { externalId: 'FC-0001' },
        transactionId: 'E2E-1',
        currency: 'SKY',
        purchase: { amount: '42.00', currency: 'EUR' },
      },
    });
    expect(status).toBe(200);
    expect(body.data.awardPoints).toMatchObject({
      __typename: 'AwardPointsSuccess',
      memberId: 'mbr_alice',
      currency: 'SKY',
      points: '42',
      available: true,
    });
    const wallet = await t.graphql(
      alice,
      '{ wallet { balances { currency available } history(first: 1) { entries { code description partnerId reference changes { currency available } } } } }',
    );
    expect(wallet.body.data.wallet.balances).toContainEqual({ currency: 'SKY', available: '592' });
    expect(wallet.body.data.wallet.history.entries[0]).toEqual({
      code: 'earn',
      description: 'Earned at FuelCo (42.00 EUR)',
      partnerId: 'ptr_fuelco',
      reference: 'E2E-1',
      changes: [{ currency: 'SKY', available: '42' }],
    });
  });

  it('answers a malformed amount with a typed error', async () => {
    const { body } = await t.graphql(fuelco, award, {
      input: {
        member: { externalId: 'FC-0001' },
        transactionId: 'E2E-2',
        currency: 'SKY',
        purchase: { amount: '1.001', currency: 'EUR' },
      },
    });
    expect(body.data.awardPoints).toMatchObject({
      __typename: 'InvalidInputError',
      code: 'INVALID_INPUT',
      field: 'purchase.amount',
    });
  });
});

describe('a partner enrolls a new member', () => {
  const enroll = `mutation ($input: EnrollMemberInput!) { enrollMember(input: $input) {
    __typename ... on EnrollMemberSuccess { member { id displayName } externalId created }
    ... on ErrorResult { code } } }`;

  it('creates the member and the link, and answers a repeat with the same member', async () => {
    const input = { externalId: 'FC-NEW-1', displayName: 'Dana Dahl', email: 'dana@example.com' };
    const first = await t.graphql(fuelco, enroll, { input });
    expect(first.body.data.enrollMember).toMatchObject({
      __typename: 'EnrollMemberSuccess',
      member: { displayName: 'Dana Dahl' },
      externalId: 'FC-NEW-1',
      created: true,
    });
    const again = await t.graphql(fuelco, enroll, { input });
    expect(again.body.data.enrollMember).toEqual({
      ...first.body.data.enrollMember,
      created: false,
    });
    const { body } = await t.graphql(fuelco, award, {
      input: {
        member: { externalId: 'FC-NEW-1' },
        transactionId: 'E2E-NEW-1',
        currency: 'SKY',
        points: '25',
      },
    });
    expect(body.data.awardPoints).toMatchObject({ __typename: 'AwardPointsSuccess', points: '25' });
  });
});
