import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

let t: TestGateway;
let skyair: string;
let nordic: string;
let alice: string;
let bob: string;
let operator: string;
beforeAll(async () => {
  t = await createTestGateway();
  skyair = await t.token('partner', 'ptr_skyair');
  nordic = await t.token('partner', 'ptr_nordic');
  alice = await t.token('member', 'mbr_alice');
  bob = await t.token('member', 'mbr_bob');
  operator = await t.token('operator', 'ops-1');
});
afterAll(() => t.close());

const defineLadder = `mutation Define($input: DefineTierLadderInput!) {
  defineTierLadder(input: $input) {
    __typename
    ... on TierLadderVersion { version tiers { rank code multiplier discountPercent perks } }
    ... on ErrorResult { code }
    ... on InvalidInputError { field reason }
  }
}`;

const ladder = {
  currency: 'SKY',
  metric: 'POINTS',
  window: 'CALENDAR_YEAR',
  tiers: [
    { code: 'BASIC', name: 'Basic', threshold: '0', multiplier: '1' },
    { code: 'SILVER', name: 'Silver', threshold: '1000', multiplier: '1.25', discountPercent: '2' },
    { code: 'GOLD', name: 'Gold', threshold: '2500', multiplier: '1.5', perks: ['lounge'] },
  ],
};

const award = `mutation Award($input: AwardPointsInput!) {
  awardPoints(input: $input) {
    __typename
    ... on AwardPointsSuccess { points lines { kind points description } tier { code multiplier discountPercent perks } }
    ... on ErrorResult { code }
  }
}`;

const awardInput = (transactionId: string, points: string) => ({
  input: {
    member: { externalId: 'SK-100001' },
    transactionId,
    currency: 'SKY',
    points,
  },
});

describe('tiers through the API', () => {
  it('refuses bad ladders with typed errors and lets only the owner or operator define one', async () => {
    const bad = await t.graphql(skyair, defineLadder, {
      input: {
        ...ladder,
        tiers: [ladder.tiers[0], { ...ladder.tiers[1], multiplier: '0' }],
      },
    });
    expect(bad.body.data.defineTierLadder).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'tiers[1].multiplier',
    });
    const unknownMetric = await t.graphql(skyair, defineLadder, {
      input: { ...ladder, metric: 'MILES' },
    });
    expect(unknownMetric.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const foreign = await t.graphql(nordic, defineLadder, { input: ladder });
    expect(foreign.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const member = await t.graphql(alice, defineLadder, { input: ladder });
    expect(member.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const versions = await t.graphql(alice, '{ tierLadder(currency: "SKY") { version } }');
    expect(versions.body.data.tierLadder).toEqual([]);

    const defined = await t.graphql(skyair, defineLadder, { input: ladder });
    expect(defined.body.data.defineTierLadder).toMatchObject({
      __typename: 'TierLadderVersion',
      version: 1,
      tiers: [
        { rank: 0, code: 'BASIC', multiplier: '1', discountPercent: '0', perks: [] },
        { rank: 1, code: 'SILVER', multiplier: '1.25', discountPercent: '2', perks: [] },
        { rank: 2, code: 'GOLD', multiplier: '1.5', discountPercent: '0', perks: ['lounge'] },
      ],
    });
  });

  it('prices earns at the tier, explains the points, and shows members their status', async () => {
    await t.graphql(skyair, award, awardInput('API-TIER-1', '1200'));
    const silver = await t.graphql(skyair, award, awardInput('API-TIER-2', '100'));
    expect(silver.body.data.awardPoints).toEqual({
      __typename: 'AwardPointsSuccess',
      points: '125',
      lines: [
        { kind: 'base', points: '100', description: 'points given by the partner' },
        { kind: 'tier', points: '25', description: 'Silver x1.25' },
      ],
      tier: { code: 'SILVER', multiplier: '1.25', discountPercent: '2', perks: [] },
    });
    const mine = await t.graphql(
      alice,
      '{ memberTiers { currency source qualifyingTotal reviewAt tier { code } nextTier { code needed } history { fromTier toTier reason } } }',
    );
    expect(mine.body.data.memberTiers).toEqual([
      {
        currency: 'SKY',
        source: 'qualified',
        qualifyingTotal: '1300',
        reviewAt: '2027-01-01T00:00:00.000Z',
        tier: { code: 'SILVER' },
        nextTier: { code: 'GOLD', needed: '1200' },
        history: [
          { fromTier: 'BASIC', toTier: 'SILVER', reason: 'qualified' },
          { fromTier: null, toTier: 'BASIC', reason: 'enrolled' },
        ],
      },
    ]);
    // A member sees only their own status.
    const other = await t.graphql(bob, '{ memberTiers(memberId: "mbr_alice") { currency } }');
    expect(other.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('gives a point-of-sale the member’s benefits before the purchase, for its own members only', async () => {
    const query = `query B($member: MemberRefInput!) { memberBenefits(member: $member, currency: "SKY") {
      __typename ... on MemberBenefitsSuccess { status { tier { code discountPercent } } } ... on ErrorResult { code } } }`;
    const own = await t.graphql(skyair, query, { member: { externalId: 'SK-100001' } });
    expect(own.body.data.memberBenefits).toEqual({
      __typename: 'MemberBenefitsSuccess',
      status: { tier: { code: 'SILVER', discountPercent: '2' } },
    });
    // Bob is not SkyAir's member: the same answer as a member that does not exist.
    const notOwn = await t.graphql(skyair, query, { member: { memberId: 'mbr_bob' } });
    expect(notOwn.body.data.memberBenefits).toEqual({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
    });
  });

  it('lists a tier’s members and counts for the owner and the operator only', async () => {
    const counts = await t.graphql(skyair, '{ tierCounts(currency: "SKY") { tierCode members } }');
    expect(counts.body.data.tierCounts).toEqual([
      { tierCode: 'BASIC', members: '0' },
      { tierCode: 'SILVER', members: '1' },
      { tierCode: 'GOLD', members: '0' },
    ]);
    const page = await t.graphql(
      operator,
      '{ tierMembers(currency: "SKY", tierCode: "SILVER", first: 10) { members { memberId tierCode } nextCursor } }',
    );
    expect(page.body.data.tierMembers).toEqual({
      members: [{ memberId: 'mbr_alice', tierCode: 'SILVER' }],
      nextCursor: null,
    });
    const foreign = await t.graphql(nordic, '{ tierCounts(currency: "SKY") { tierCode } }');
    expect(foreign.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
