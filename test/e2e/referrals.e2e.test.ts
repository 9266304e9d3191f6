import { ledgerViolations } from '../helpers/ledger-invariants';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Referrals through the API (issue 14): a member's code, a friend enrolled with it, both
 * rewarded once after the friend's first qualifying purchase; refusals (self-referral, a code
 * past its cap, someone already a member, an unknown code) are typed and write nothing.
 */
let t: TestGateway;
let skyair: string;
let freshmart: string;
let bob: string;
let operator: string;
beforeAll(async () => {
  t = await createTestGateway();
  skyair = await t.token('partner', 'ptr_skyair');
  freshmart = await t.token('partner', 'ptr_freshmart');
  bob = await t.token('member', 'mbr_bob');
  operator = await t.token('operator', 'ops-1');
});
afterAll(() => t.close());

const setProgram = `mutation Set($input: SetReferralProgramInput!) {
  setReferralProgram(input: $input) {
    __typename
    ... on ReferralProgramSuccess { program { currency referrerPoints refereePoints referralsPerMemberMax active } }
    ... on ErrorResult { code }
  }
}`;

const enroll = `mutation Enroll($input: EnrollMemberInput!) {
  enrollMember(input: $input) {
    __typename
    ... on EnrollMemberSuccess { member { id } created }
    ... on ReferralRefusedError { referralCode reason }
    ... on ErrorResult { code }
  }
}`;

const balance = async (memberId: string) => {
  const rows = await t.app.db.query<{ points: string }>(
    `select coalesce(sum(credits_posted - debits_posted), 0)::text as points from account
     where member_id = $1 and currency_code = 'SKY'`,
    [memberId],
  );
  return BigInt(rows.rows[0]!.points);
};

describe('referrals through the API', () => {
  it('rewards both members once after the friend’s first purchase, and refuses what cannot count', async () => {
    const program = await t.graphql(operator, setProgram, {
      input: {
        currency: 'SKY',
        referrerPoints: '500',
        refereePoints: '500',
        referralsPerMemberMax: 2,
      },
    });
    expect(program.body.errors).toBeUndefined();
    expect(program.body.data.setReferralProgram.program).toEqual({
      currency: 'SKY',
      referrerPoints: '500',
      refereePoints: '500',
      referralsPerMemberMax: 2,
      active: true,
    });
    expect(
      (
        await t.graphql(freshmart, setProgram, {
          input: {
            currency: 'SKY',
            referrerPoints: '1',
            refereePoints: '1',
            referralsPerMemberMax: 1,
          },
        })
      ).body.errors?.[0]?.extensions?.code,
    ).toBe('FORBIDDEN');

    const mine = await t.graphql(
      bob,
      '{ myReferrals { code programs { currency referred left } } }',
    );
    const code: string = mine.body.data.myReferrals.code;
    expect(code).toMatch(/^[A-Z0-9]{10}$/);
    expect((await t.graphql(bob, '{ myReferrals { code } }')).body.data.myReferrals.code).toBe(
      code,
    );

    const refused = async (input: object, expected: object) => {
      const before = await t.app.db.query('select count(*)::int as n from member');
      const answer = await t.graphql(skyair, enroll, { input });
      expect(answer.body.data.enrollMember).toMatchObject(expected);
      const after = await t.app.db.query('select count(*)::int as n from member');
      expect(after.rows[0]).toEqual(before.rows[0]);
    };
    // Bob himself (same email), Bob under his own id at FreshMart, Alice (already a member),
    // an unknown code.
    await refused(
      {
        externalId: 'SK-NEW-1',
        displayName: 'Bobby',
        email: 'BOB@example.com',
        referralCode: code,
      },
      { __typename: 'ReferralRefusedError', reason: 'self_referral' },
    );
    const own = await t.graphql(freshmart, enroll, {
      input: { externalId: 'FM-42', referralCode: code },
    });
    expect(own.body.data.enrollMember).toMatchObject({ reason: 'self_referral' });
    await refused(
      { externalId: 'SK-100001', referralCode: code },
      { __typename: 'ReferralRefusedError', reason: 'already_member' },
    );
    await refused(
      { externalId: 'SK-NEW-2', displayName: 'Eve', referralCode: 'ZZZZZZZZZZ' },
      { code: 'NOT_FOUND' },
    );

    // Dana joins SkyAir with Bob's code; a retry answers the same.
    const dana = { externalId: 'SK-NEW-3', displayName: 'Dana', referralCode: code };
    const joined = await t.graphql(skyair, enroll, { input: dana });
    const danaId: string = joined.body.data.enrollMember.member.id;
    expect(joined.body.data.enrollMember.created).toBe(true);
    expect((await t.graphql(skyair, enroll, { input: dana })).body.data.enrollMember).toMatchObject(
      { member: { id: danaId }, created: false },
    );
    // Nothing before her first purchase.
    expect(await t.app.referrals.rewardDue(t.app.clock.now())).toBe(0);
    const bobBefore = await balance('mbr_bob');
    const award = await t.graphql(
      skyair,
      `mutation { awardPoints(input: { member: { externalId: "SK-NEW-3" }, transactionId: "R-1",
        currency: "SKY", points: "100" }) { __typename } }`,
    );
    expect(award.body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
    const runs = await Promise.all([
      t.app.referrals.rewardDue(t.app.clock.now()),
      t.app.referrals.rewardDue(t.app.clock.now()),
    ]);
    expect(runs[0]! + runs[1]!).toBe(1);
    expect(await t.app.referrals.rewardDue(t.app.clock.now())).toBe(0);
    expect((await balance('mbr_bob')) - bobBefore).toBe(500n);
    expect(await balance(danaId)).toBe(600n);
    // Each reward is an earn the program's owner issued: its partner gets points.earned.
    const rewarded = await t.app.db.query<{ member_id: string; points: number }>(
      `select e.member_id, (e.data ->> 'points')::integer as points from webhook_event e
       where e.type = 'points.earned' and e.data ->> 'externalId' like 'referral:%' order by e.id`,
    );
    expect(rewarded.rows.map((row) => [row.member_id, row.points]).sort()).toEqual(
      [
        ['mbr_bob', 500],
        [danaId, 500],
      ].sort(),
    );

    // The cap is 2: one more friend counts, the next is refused.
    const frank = await t.graphql(skyair, enroll, {
      input: { externalId: 'SK-NEW-4', displayName: 'Frank', referralCode: code },
    });
    expect(frank.body.data.enrollMember.created).toBe(true);
    await refused(
      { externalId: 'SK-NEW-5', displayName: 'Gina', referralCode: code },
      { __typename: 'ReferralRefusedError', reason: 'code_exhausted' },
    );
    const counts = await t.graphql(
      bob,
      '{ myReferrals { programs { currency referred rewarded left } } }',
    );
    expect(counts.body.data.myReferrals.programs).toEqual([
      { currency: 'SKY', referred: 2, rewarded: 1, left: 0 },
    ]);
    expect(await ledgerViolations(t.app.db)).toEqual([]);
  });
});
