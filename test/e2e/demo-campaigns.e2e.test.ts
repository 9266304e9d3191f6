import { seedDemoCharity, seedDemoRules } from '../../gateway/demo/rules';
import { seedDemoTiers } from '../../gateway/demo/tiers';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Every demo campaign (issue 14, gateway/demo/rules.ts) end to end through the API, giving
 * exactly the documented points, discounts and vouchers: FreshMart Club's step-by-step vouchers,
 * toys multipliers and big-basket discount; SkyAir's weekend double miles and birthday month;
 * the coalition referral; a gift to the charity.
 */
let t: TestGateway;
let freshmart: string;
let skyair: string;
beforeAll(async () => {
  t = await createTestGateway();
  await seedDemoTiers(t.app);
  await seedDemoRules(t.app);
  await seedDemoCharity(t.app);
  freshmart = await t.token('partner', 'ptr_freshmart');
  skyair = await t.token('partner', 'ptr_skyair');
});
afterAll(() => t.close());

const award = `mutation Award($input: AwardPointsInput!) {
  awardPoints(input: $input) {
    __typename
    ... on AwardPointsSuccess { points discount { amount currency }
      lines { kind points description voucher { reward sku percentOff } } }
    ... on ErrorResult { code message }
  }
}`;

const lines = (answer: { body: { data?: unknown } }) =>
  (answer.body.data as { awardPoints: { lines: Record<string, string>[] } }).awardPoints.lines.map(
    (line) => `${line.kind} ${line.points} ${line.description}`,
  );

const toysAndFood = [
  { sku: 'TOY-1', category: 'toys', quantity: 2, unitPrice: '20.00' },
  { sku: 'FOOD-1', category: 'food', quantity: 1, unitPrice: '60.00' },
];

describe('the demo campaigns through the API', () => {
  it('FreshMart Club: vouchers step by step, toys x2 (x3 for VIP, then stop), 20% off a big basket once', async () => {
    const clubPurchase = (member: string, transactionId: string, euros: string, basket: object[]) =>
      t.graphql(freshmart, award, {
        input: {
          member: { externalId: member },
          transactionId,
          currency: 'FRM',
          purchase: { amount: euros, currency: 'EUR' },
          basket,
          channel: 'STORE',
        },
      });
    // A new member's first purchase at FreshMart: the free-delivery voucher, toys x2.
    const enrolled = await t.graphql(
      freshmart,
      `mutation { enrollMember(input: { externalId: "FM-900", displayName: "Dana" }) { __typename } }`,
    );
    expect(enrolled.body.data.enrollMember.__typename).toBe('EnrollMemberSuccess');
    const dana1 = await clubPurchase('FM-900', 'DEMO-D1', '100.00', toysAndFood);
    expect(lines(dana1)).toEqual([
      'base 100 1 per 100 minor units of EUR',
      'rule 0 Welcome step 1: a free delivery voucher',
      'rule 40 Toys x2: x2 on toys',
    ]);
    expect(dana1.body.data.awardPoints.lines[1].voucher).toEqual({
      reward: 'FREE_DELIVERY',
      sku: null,
      percentOff: null,
    });
    const dana2 = await clubPurchase('FM-900', 'DEMO-D2', '20.00', [
      { sku: 'FOOD-1', category: 'food', quantity: 1, unitPrice: '20.00' },
    ]);
    expect(lines(dana2)).toEqual([
      'base 20 1 per 100 minor units of EUR',
      'rule 0 Welcome step 2: a voucher for a free GIFT-BAG',
    ]);
    const dana3 = await clubPurchase('FM-900', 'DEMO-D3', '250.00', [
      { sku: 'FOOD-1', category: 'food', quantity: 1, unitPrice: '250.00' },
    ]);
    expect(lines(dana3)).toEqual([
      'base 250 1 per 100 minor units of EUR',
      'rule 0 Welcome step 3: a voucher for 10% off the next purchase',
      'rule 0 Big basket: 20% off: -50.00 EUR',
    ]);
    expect(dana3.body.data.awardPoints.discount).toEqual({ amount: '50.00', currency: 'EUR' });
    // The big basket was once per member; the steps are over.
    const dana4 = await clubPurchase('FM-900', 'DEMO-D4', '250.00', [
      { sku: 'FOOD-1', category: 'food', quantity: 1, unitPrice: '250.00' },
    ]);
    expect(lines(dana4)).toEqual(['base 250 1 per 100 minor units of EUR']);
    expect(dana4.body.data.awardPoints.discount).toBeNull();

    // Bob is a VIP of the club: toys x3, and nothing after it (stop); his tier doubles the base.
    const bob = await clubPurchase('FM-42', 'DEMO-B1', '100.00', toysAndFood);
    expect(lines(bob)).toEqual([
      'base 100 1 per 100 minor units of EUR',
      'rule 0 Welcome step 2: a voucher for a free GIFT-BAG',
      'rule 80 Toys x3 for VIP: x3 on toys',
      'tier 100 VIP x2',
    ]);
  });

  it('SkyAir: double miles at weekends (half funded by the partner), and the birthday month', async () => {
    const miles = (transactionId: string) =>
      t.graphql(skyair, award, {
        input: {
          member: { externalId: 'SK-100001' },
          transactionId,
          currency: 'SKY',
          points: '1000',
        },
      });
    // Saturday 2026-11-28, 09:00 in Helsinki.
    t.app.clock.set(new Date('2026-11-28T07:00:00Z'));
    expect(lines(await miles('DEMO-S1'))).toEqual([
      'base 1000 points given by the partner',
      'rule 1000 Double miles weekends: x2',
      'tier 500 Gold x1.5',
    ]);
    // Alice's birthday is 14 March: a Wednesday in March gives the bonus once.
    t.app.clock.set(new Date('2027-03-10T10:00:00Z'));
    expect(lines(await miles('DEMO-S2'))).toEqual([
      'base 1000 points given by the partner',
      'rule 1000 Birthday month: +1000',
      'tier 500 Gold x1.5',
    ]);
    expect(lines(await miles('DEMO-S3'))).toEqual([
      'base 1000 points given by the partner',
      'tier 500 Gold x1.5',
    ]);
  });

  it('the coalition referral gives 500 miles to each, and a gift reaches the charity', async () => {
    const bob = await t.token('member', 'mbr_bob');
    const code = (await t.graphql(bob, '{ myReferrals { code } }')).body.data.myReferrals.code;
    const joined = await t.graphql(
      skyair,
      `mutation($code: String!) { enrollMember(input: { externalId: "SK-900", displayName: "Eve",
        referralCode: $code }) { ... on EnrollMemberSuccess { member { id } } } }`,
      { code },
    );
    const eve: string = joined.body.data.enrollMember.member.id;
    await t.graphql(skyair, award, {
      input: {
        member: { externalId: 'SK-900' },
        transactionId: 'DEMO-R1',
        currency: 'SKY',
        points: '10',
      },
    });
    expect(await t.app.referrals.rewardDue(t.app.clock.now())).toBe(1);
    const rewards = await t.app.db.query<{
      member_id: string;
      points: string;
      description: string;
    }>(
      `select t.member_id, p.amount_points::text as points, t.description from transfer t
       join posting p on p.transfer_id = t.id where t.external_id like 'referral:%' order by t.description`,
    );
    expect(rewards.rows).toEqual([
      { member_id: 'mbr_bob', points: '500', description: 'Referral reward: a friend joined' },
      { member_id: eve, points: '500', description: 'Welcome reward: referred by a friend' },
    ]);

    const alice = await t.token('member', 'mbr_alice');
    const gift = await t.graphql(
      alice,
      `mutation { donatePoints(input: { charityId: "ptr_helpinghands", currency: "SKY", points: "100",
        idempotencyKey: "GIFT-1" }) { __typename ... on DonationSuccess { charityName points } } }`,
    );
    expect(gift.body.data.donatePoints).toEqual({
      __typename: 'DonationSuccess',
      charityName: 'Helping Hands',
      points: '100',
    });
    const history = await t.graphql(
      alice,
      '{ wallet { history(first: 1) { entries { description } } } }',
    );
    expect(history.body.data.wallet.history.entries[0].description).toBe(
      'Donated to Helping Hands',
    );
    expect(await ledgerViolations(t.app.db)).toEqual([]);
  });
});
