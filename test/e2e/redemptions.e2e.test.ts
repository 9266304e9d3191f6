import { createTestFederation, type TestFederation } from '../helpers/test-federation';

/** SkyAir's service "crashes" right after holding points when this is set: it never answers. */
let crashAfterHold = false;
/**
 * Long enough that a partner’s normal answer never times out on a busy machine (1 s did, with
 * the load average at 10), and below the request deadline (10 s); the crash case waits it out.
 */
const subgraphTimeoutMs = 5_000;
let t: TestFederation;
let alice: string;
let bob: string;
beforeAll(async () => {
  t = await createTestFederation({
    subgraphTimeoutMs,
    faults: {
      ptr_skyair: {
        afterHold: () => (crashAfterHold ? new Promise<void>(() => undefined) : Promise.resolve()),
      },
    },
  });
  alice = await t.token('member', 'mbr_alice');
  bob = await t.token('member', 'mbr_bob');
});
afterAll(() => t.close());

const redeemHotel = `mutation Redeem($rewardId: ID!, $key: String!) {
  redeemHotelReward(rewardId: $rewardId, idempotencyKey: $key) { status holdId reference reason price { currency points } }
}`;
const redeemFlight = `mutation Redeem($flightId: ID!, $key: String!) {
  redeemAwardFlight(flightId: $flightId, idempotencyKey: $key) { status holdId reference reason }
}`;
const balancesQuery = '{ wallet { balances { currency available held } } }';

async function balances(token: string) {
  const { body } = await t.graphql(token, balancesQuery);
  return Object.fromEntries(
    (body.data.wallet.balances as { currency: string; available: string; held: string }[]).map(
      (balance) => [balance.currency, { available: balance.available, held: balance.held }],
    ),
  );
}

async function holdStatus(holdId: string) {
  const operator = await t.token('operator', 'admin');
  const { body } = await t.graphql(
    operator,
    '{ redemptionHold(id: $id) { status } }'.replace('$id', JSON.stringify(holdId)),
  );
  return body.data.redemptionHold.status as string;
}

describe('redeeming a partner’s reward through the gateway', () => {
  it('confirmed: the points are held, the room reserved, the hold posted', async () => {
    const { body } = await t.graphql(alice, redeemHotel, { rewardId: 'nh_osl_1n', key: 'r-1' });
    expect(body.data.redeemHotelReward).toMatchObject({
      status: 'CONFIRMED',
      reference: 'NH-BKG-00001',
      reason: null,
      price: { currency: 'HTL', points: '2500' },
    });
    expect(await holdStatus(body.data.redeemHotelReward.holdId)).toBe('confirmed');
    expect((await balances(alice)).HTL).toEqual({ available: '500', held: '0' });
    expect(t.partners.ptr_nordic!.inventory.left('nh_osl_1n')).toBe(4);
  });

  it('retried with the same key: the same booking, charged once', async () => {
    const first = await t.graphql(alice, redeemHotel, { rewardId: 'nh_osl_1n', key: 'r-1' });
    expect(first.body.data.redeemHotelReward).toMatchObject({
      status: 'CONFIRMED',
      reference: 'NH-BKG-00001',
    });
    expect((await balances(alice)).HTL).toEqual({ available: '500', held: '0' });
    expect(t.partners.ptr_nordic!.inventory.left('nh_osl_1n')).toBe(4);
  });

  it('declined: a sold-out reward gives the points back', async () => {
    // Bob's hotel points mature first (his stay's cancellation window closes).
    t.app.clock.advance(15 * 86_400_000);
    expect(await t.app.ledger.matureDue()).toBe(1);
    t.partners.ptr_nordic!.inventory.setStock('nh_osl_1n', 0);
    const before = await balances(bob);
    expect(before.HTL).toEqual({ available: '4974', held: '0' });
    const { body } = await t.graphql(bob, redeemHotel, { rewardId: 'nh_osl_1n', key: 'bob-1' });
    expect(body.data.redeemHotelReward).toMatchObject({
      status: 'DECLINED',
      reference: null,
      reason: 'nh_osl_1n is sold out',
    });
    expect(await holdStatus(body.data.redeemHotelReward.holdId)).toBe('declined');
    expect(await balances(bob)).toEqual(before);
    t.partners.ptr_nordic!.inventory.setStock('nh_osl_1n', 4);
  });

  it('refuses a redemption beyond the balance without holding anything', async () => {
    const { body } = await t.graphql(alice, redeemFlight, {
      flightId: 'awd_osl_jfk_0420',
      key: 'too-dear',
    });
    expect(body.data.redeemAwardFlight).toEqual({
      status: 'INSUFFICIENT_POINTS',
      holdId: null,
      reference: null,
      reason: 'Insufficient SKY: 25000 needed, 550 available',
    });
    expect((await balances(alice)).SKY).toEqual({ available: '550', held: '0' });
  });

  it('partner down mid-way, then timed out: the hold expires and the points come back', async () => {
    // Give Alice enough miles for the flight first.
    const skyair = await t.token('partner', 'ptr_skyair');
    const award = await t.graphql(
      skyair,
      'mutation { awardPoints(input: { member: { memberId: "mbr_alice" }, transactionId: "E2E-MILES", currency: "SKY", points: "1000" }) { __typename } }',
    );
    expect(award.body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
    crashAfterHold = true;
    const { body } = await t.graphql(alice, redeemFlight, {
      flightId: 'awd_osl_lhr_0312',
      key: 'crash-1',
    });
    crashAfterHold = false;
    expect(body.data).toBeNull();
    expect(body.errors![0]!.extensions?.code).toBe('SUBGRAPH_UNAVAILABLE');
    expect(await balances(alice)).toMatchObject({ SKY: { available: '550', held: '1000' } });

    // Nobody confirms; after the hold's default 300 s the sweep voids it.
    t.app.clock.advance(301_000);
    expect(await t.app.ledger.voidExpiredHolds()).toBe(1);
    expect(await balances(alice)).toMatchObject({ SKY: { available: '1550', held: '0' } });

    // Retried with the same key, the member learns it expired; nothing is charged twice.
    const retry = await t.graphql(alice, redeemFlight, {
      flightId: 'awd_osl_lhr_0312',
      key: 'crash-1',
    });
    expect(retry.body.data.redeemAwardFlight).toMatchObject({
      status: 'EXPIRED',
      reference: null,
    });
    expect(await balances(alice)).toMatchObject({ SKY: { available: '1550', held: '0' } });

    // A new attempt goes through.
    const again = await t.graphql(alice, redeemFlight, {
      flightId: 'awd_osl_lhr_0312',
      key: 'crash-2',
    });
    expect(again.body.data.redeemAwardFlight).toMatchObject({ status: 'CONFIRMED' });
    expect(await balances(alice)).toMatchObject({ SKY: { available: '550', held: '0' } });
  });

  it('answers an unknown reward with a clear error and holds nothing', async () => {
    const before = await balances(alice);
    const { body } = await t.graphql(alice, redeemHotel, { rewardId: 'nh_nowhere', key: 'x' });
    expect(body.data).toBeNull();
    expect(body.errors![0]).toMatchObject({
      message: 'No reward "nh_nowhere" at this partner',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(await balances(alice)).toEqual(before);
  });

  it('lets only members redeem', async () => {
    const operator = await t.token('operator', 'admin');
    const { body } = await t.graphql(operator, redeemHotel, { rewardId: 'nh_osl_1n', key: 'op' });
    expect(body.data).toBeNull();
    expect(body.errors![0]!.extensions?.code).toBe('FORBIDDEN');
  });
});
