import { ledgerViolations } from '../helpers/ledger-invariants';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Rule rewards through the API (issue 14): an instant discount and a voucher given by a rule,
 * the voucher redeemed at the till and seen in the member's wallet; birthdays set by members
 * and at enrolment; bad input and authorization, each a typed answer that writes nothing.
 */
let t: TestGateway;
let freshmart: string;
let skyair: string;
let bob: string;
beforeAll(async () => {
  t = await createTestGateway();
  freshmart = await t.token('partner', 'ptr_freshmart');
  skyair = await t.token('partner', 'ptr_skyair');
  bob = await t.token('member', 'mbr_bob');
});
afterAll(() => t.close());

const createRule = `mutation Create($input: CreateEarnRuleInput!) {
  createEarnRule(input: $input) {
    __typename
    ... on EarnRuleSuccess { rule { id effects { kind discountPercent discountCap { amount }
      voucherReward voucherValidDays } conditions { kind birthdayWithinDays } } }
    ... on ErrorResult { code }
    ... on InvalidInputError { field reason }
  }
}`;

const award = `mutation Award($input: AwardPointsInput!) {
  awardPoints(input: $input) {
    __typename
    ... on AwardPointsSuccess { points discount { amount currency }
      lines { kind points description discount { amount } voucher { code reward expiresAt } } }
    ... on ErrorResult { code }
  }
}`;

const redeem = `mutation Redeem($input: RedeemVoucherInput!) {
  redeemVoucher(input: $input) {
    __typename
    ... on RedeemVoucherSuccess { voucher { code state redeemedTransactionId partnerId } }
    ... on VoucherNotRedeemableError { voucherCode state }
    ... on ErrorResult { code }
  }
}`;

const window = { timeZone: 'UTC' };

describe('rule rewards through the API', () => {
  let voucherCode = '';

  it('refuses bad reward definitions with typed errors', async () => {
    const cases: [object, string][] = [
      [
        { discount: { percent: 10, amount: { amount: '5.00', currency: 'EUR' } } },
        'effects[0].discount',
      ],
      [{ discount: { percent: 150, currency: 'EUR' } }, 'effects[0].discount.percent'],
      [{ discount: { percent: 10 } }, 'effects[0].discount.currency'],
      [{ voucher: { reward: 'FREE_PRODUCT', validDays: 10 } }, 'effects[0].voucher.sku'],
      [{ voucher: { reward: 'FREE_DELIVERY', validDays: 0 } }, 'effects[0].voucher.validDays'],
    ];
    for (const [effect, field] of cases) {
      const answer = await t.graphql(freshmart, createRule, {
        input: { currency: 'HTL', definition: { name: 'Bad', ...window, effects: [effect] } },
      });
      expect({ field, answer: answer.body.data?.createEarnRule }).toMatchObject({
        field,
        answer: { __typename: 'InvalidInputError', field },
      });
    }
    const anyOfBirthday = await t.graphql(freshmart, createRule, {
      input: {
        currency: 'HTL',
        definition: {
          name: 'Bad',
          match: 'ANY',
          conditions: [{ birthdayWithinDays: 3 }, { channels: ['STORE'] }],
          effects: [{ bonusPoints: '5' }],
        },
      },
    });
    expect(anyOfBirthday.body.data.createEarnRule).toMatchObject({ field: 'match' });
    const written = await t.app.db.query('select count(*)::int as n from earn_rule');
    expect(written.rows[0]).toEqual({ n: 0 });
  });

  it('gives money off at the till and a voucher the partner redeems once', async () => {
    const created = await t.graphql(freshmart, createRule, {
      input: {
        currency: 'HTL',
        definition: {
          name: 'Spring',
          ...window,
          effects: [
            { discount: { percent: 10, cap: { amount: '15.00', currency: 'EUR' } } },
            { voucher: { reward: 'FREE_DELIVERY', validDays: 30 } },
          ],
        },
      },
    });
    expect(created.body.data.createEarnRule.rule.effects).toEqual([
      {
        kind: 'discount',
        discountPercent: 10,
        discountCap: { amount: '15.00' },
        voucherReward: null,
        voucherValidDays: null,
      },
      {
        kind: 'voucher',
        discountPercent: null,
        discountCap: null,
        voucherReward: 'FREE_DELIVERY',
        voucherValidDays: 30,
      },
    ]);
    const answer = await t.graphql(freshmart, award, {
      input: {
        member: { externalId: 'FM-42' },
        transactionId: 'RR-1',
        currency: 'HTL',
        purchase: { amount: '200.00', currency: 'EUR' },
      },
    });
    const success = answer.body.data.awardPoints;
    expect(success.discount).toEqual({ amount: '15.00', currency: 'EUR' });
    const rule = success.lines.find((line: { kind: string }) => line.kind === 'rule');
    expect(rule).toMatchObject({
      points: '0',
      description: 'Spring: 10% off: -15.00 EUR, a free delivery voucher',
      discount: { amount: '15.00' },
      voucher: { reward: 'FREE_DELIVERY' },
    });
    voucherCode = rule.voucher.code;

    // The wallet history shows the campaign's line on the earn.
    const history = await t.graphql(
      bob,
      '{ wallet { history(first: 3) { entries { reference campaignLines { description points voucher { code } } } } } }',
    );
    const earned = history.body.data.wallet.history.entries.find(
      (entry: { reference: string }) => entry.reference === 'RR-1',
    );
    expect(earned.campaignLines).toEqual([
      {
        description: 'Spring: 10% off: -15.00 EUR, a free delivery voucher',
        points: '0',
        voucher: { code: rule.voucher.code },
      },
    ]);
    const mine = await t.graphql(bob, '{ myVouchers { nodes { code state reward partnerId } } }');
    expect(mine.body.data.myVouchers.nodes).toEqual([
      {
        code: voucherCode,
        state: 'AVAILABLE',
        reward: 'FREE_DELIVERY',
        partnerId: 'ptr_freshmart',
      },
    ]);
    // Another partner cannot see or redeem it; a member cannot redeem.
    expect(
      (await t.graphql(skyair, `{ voucher(code: "${voucherCode}") { code } }`)).body.data,
    ).toEqual({ voucher: null });
    const foreign = await t.graphql(skyair, redeem, {
      input: { code: voucherCode, transactionId: 'S-1' },
    });
    expect(foreign.body.data.redeemVoucher).toMatchObject({ code: 'NOT_FOUND' });
    const byMember = await t.graphql(bob, redeem, {
      input: { code: voucherCode, transactionId: 'S-1' },
    });
    expect(byMember.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const first = await t.graphql(freshmart, redeem, {
      input: { code: voucherCode, transactionId: 'RR-2' },
    });
    expect(first.body.data.redeemVoucher).toEqual({
      __typename: 'RedeemVoucherSuccess',
      voucher: {
        code: voucherCode,
        state: 'REDEEMED',
        redeemedTransactionId: 'RR-2',
        partnerId: 'ptr_freshmart',
      },
    });
    const retry = await t.graphql(freshmart, redeem, {
      input: { code: voucherCode, transactionId: 'RR-2' },
    });
    expect(retry.body.data).toEqual(first.body.data);
    const again = await t.graphql(freshmart, redeem, {
      input: { code: voucherCode, transactionId: 'RR-3' },
    });
    expect(again.body.data.redeemVoucher).toEqual({
      __typename: 'VoucherNotRedeemableError',
      code: 'VOUCHER_NOT_REDEEMABLE',
      voucherCode,
      state: 'redeemed',
    });
    const malformed = await t.graphql(freshmart, redeem, {
      input: { code: 'no!', transactionId: 'RR-3' },
    });
    expect(malformed.body.data.redeemVoucher).toMatchObject({ code: 'INVALID_INPUT' });
    expect(await ledgerViolations(t.app.db)).toEqual([]);
  });

  it('lets a member set their birthday, seen only by them and the operator', async () => {
    const set = `mutation Set($birthday: String) {
      setMyBirthday(birthday: $birthday) {
        __typename
        ... on SetBirthdaySuccess { birthday }
        ... on InvalidInputError { field }
      }
    }`;
    expect((await t.graphql(bob, set, { birthday: '02-30' })).body.data.setMyBirthday).toEqual({
      __typename: 'InvalidInputError',
      field: 'birthday',
    });
    expect((await t.graphql(bob, set, { birthday: '1990-07-14' })).body.data.setMyBirthday).toEqual(
      { __typename: 'SetBirthdaySuccess', birthday: '07-14' },
    );
    const read = '{ member(ref: { memberId: "mbr_bob" }) { birthday } }';
    expect((await t.graphql(bob, read)).body.data.member).toEqual({ birthday: '07-14' });
    expect((await t.graphql(freshmart, read)).body.data.member).toEqual({ birthday: null });
    expect(
      (await t.graphql(skyair, set, { birthday: '07-14' })).body.errors?.[0]?.extensions?.code,
    ).toBe('FORBIDDEN');

    const enroll = `mutation Enroll($input: EnrollMemberInput!) {
      enrollMember(input: $input) { __typename ... on InvalidInputError { field } }
    }`;
    const bad = await t.graphql(freshmart, enroll, {
      input: { externalId: 'FM-NEW-1', displayName: 'Dana', birthday: '13-01' },
    });
    expect(bad.body.data.enrollMember).toEqual({
      __typename: 'InvalidInputError',
      field: 'birthday',
    });
    const links = await t.app.db.query(
      "select count(*)::int as n from member_link where external_id = 'FM-NEW-1'",
    );
    expect(links.rows[0]).toEqual({ n: 0 });
  });
});
