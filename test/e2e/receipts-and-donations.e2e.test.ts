import { demoCharity, seedDemoCharity } from '../../gateway/demo/rules';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Receipt registration and donations through the API (issue 14): who may call what, the typed
 * errors, and the answers' shapes over real HTTP.
 */
let t: TestGateway;
let bob: string;
let alice: string;
let freshmart: string;
let operator: string;
beforeAll(async () => {
  t = await createTestGateway();
  await seedDemoCharity(t.app);
  bob = await t.token('member', 'mbr_bob');
  alice = await t.token('member', 'mbr_alice');
  freshmart = await t.token('partner', 'ptr_freshmart');
  operator = await t.token('operator', 'ops-1');
});
afterAll(() => t.close());

const register = `mutation Register($input: RegisterReceiptInput!) {
  registerReceipt(input: $input) {
    __typename
    ... on ReceiptSuccess { receipt { id status receiptNumber amount { amount currency } transferId } }
    ... on ErrorResult { code }
  }
}`;

const confirm = `mutation Confirm($id: ID!) {
  confirmReceipt(receiptId: $id) {
    __typename
    ... on ReceiptSuccess { receipt { status transferId } }
    ... on ErrorResult { code }
  }
}`;

const donate = `mutation Donate($input: DonatePointsInput!) {
  donatePoints(input: $input) {
    __typename
    ... on DonationSuccess { charityName points currency }
    ... on ErrorResult { code }
  }
}`;

describe('receipts and donations through the API', () => {
  it('registers a receipt as a member and confirms it as the partner', async () => {
    const input = {
      partnerId: 'ptr_freshmart',
      receiptNumber: 'E2E-TILL-1',
      purchasedAt: new Date(t.app.clock.now().getTime() - 3_600_000).toISOString(),
      amount: { amount: '12.50', currency: 'EUR' },
      currency: 'HTL',
    };
    const registered = await t.graphql(bob, register, { input });
    expect(registered.body.data.registerReceipt).toMatchObject({
      __typename: 'ReceiptSuccess',
      receipt: {
        status: 'PENDING',
        amount: { amount: '12.50', currency: 'EUR' },
        transferId: null,
      },
    });
    const duplicate = await t.graphql(bob, register, { input });
    expect(duplicate.body.data.registerReceipt).toEqual({
      __typename: 'AlreadyExistsError',
      code: 'ALREADY_EXISTS',
    });
    // Partners register nothing; members decide nothing.
    expect(
      (await t.graphql(freshmart, register, { input })).body.errors?.[0]?.extensions?.code,
    ).toBe('FORBIDDEN');
    const id = registered.body.data.registerReceipt.receipt.id;
    expect((await t.graphql(bob, confirm, { id })).body.errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    const pending = await t.graphql(freshmart, '{ receipts { nodes { id status } } }');
    expect(pending.body.data.receipts.nodes).toEqual([{ id, status: 'PENDING' }]);
    const confirmed = await t.graphql(freshmart, confirm, { id });
    expect(confirmed.body.data.confirmReceipt).toMatchObject({
      __typename: 'ReceiptSuccess',
      receipt: { status: 'CONFIRMED' },
    });
    expect(confirmed.body.data.confirmReceipt.receipt.transferId).toMatch(/^trf_/);
    const mine = await t.graphql(bob, '{ receipts { nodes { status } } }');
    expect(mine.body.data.receipts.nodes).toEqual([{ status: 'CONFIRMED' }]);
  });

  it('gives points to a charity as a member, and designates charities as the operator only', async () => {
    const charities = await t.graphql(alice, '{ charities { partnerId name currencies } }');
    expect(charities.body.data.charities).toEqual([
      { partnerId: demoCharity.id, name: 'Helping Hands', currencies: ['SKY'] },
    ]);
    const gift = {
      charityId: demoCharity.id,
      currency: 'SKY',
      points: '10',
      idempotencyKey: 'e2e-1',
    };
    const given = await t.graphql(alice, donate, { input: gift });
    expect(given.body.data.donatePoints).toEqual({
      __typename: 'DonationSuccess',
      charityName: 'Helping Hands',
      points: '10',
      currency: 'SKY',
    });
    const tooMuch = await t.graphql(alice, donate, {
      input: { ...gift, points: '999999999', idempotencyKey: 'e2e-2' },
    });
    expect(tooMuch.body.data.donatePoints).toEqual({
      __typename: 'InsufficientPointsError',
      code: 'INSUFFICIENT_POINTS',
    });
    expect(
      (await t.graphql(freshmart, donate, { input: gift })).body.errors?.[0]?.extensions?.code,
    ).toBe('FORBIDDEN');
    const designate = `mutation { designateCharity(partnerId: "ptr_fuelco", charity: true) {
      __typename ... on CharitiesSuccess { charities { partnerId } } } }`;
    expect((await t.graphql(freshmart, designate)).body.errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    const designated = await t.graphql(operator, designate);
    expect(
      designated.body.data.designateCharity.charities.map(
        (c: { partnerId: string }) => c.partnerId,
      ),
    ).toContain('ptr_fuelco');
  });
});
