import type { Period } from '../../gateway/settlement/model';
import { ledgerFingerprint, ledgerViolations } from '../helpers/ledger-invariants';
import { closeAtEnd, hourMs, openNextPeriod } from '../helpers/settlement-fixtures';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Issue 17.5 through the API: a hold confirmed in part (the rest back at once), a confirmed
 * redemption cancelled by its partner (the points back in the lots they came from, with their
 * original expiry), idempotent and typed, and settled: the confirm's reimbursement in its
 * period, the cancel's reversal in the later period it falls in, netting to zero.
 */
let t: TestGateway;
let fuelco: string;
let skyair: string;
let operatorFinance: string;
let first: Period;
let second: Period;
let holdId: string;
let lotsBeforeHold: LotRow[];

interface LotRow {
  id: string;
  remaining_points: string;
  expires_at: string | null;
}

beforeAll(async () => {
  t = await createTestGateway();
  fuelco = await t.token('partner', 'ptr_fuelco');
  skyair = await t.token('partner', 'ptr_skyair');
  operatorFinance = await t.token('finance', 'fin_ops');
  first = await openNextPeriod(t.app, 2);
  second = await openNextPeriod(t.app, 2);
  t.app.clock.advance(60_000);
});
afterAll(() => t.close());

afterEach(async () => {
  expect(await ledgerViolations(t.app.db)).toEqual([]);
});

const placedFields = `__typename
  ... on RedemptionHold { id status }
  ... on ErrorResult { code message }`;
const holdFields = `__typename
  ... on RedemptionHold { id status confirmedPoints cancelTransferId settledTransferId price { points } }
  ... on ErrorResult { code message }`;
const cancelErrorFields = `
  ... on RedemptionNotConfirmedError { notConfirmedStatus: status }
  ... on RedemptionAlreadyCancelledError { holdId cancelledBy: cancelTransferId }`;

async function placeHold(token: string, transactionId: string, points: string) {
  const response = await t.graphql(
    token,
    `mutation($input: PlaceRedemptionHoldInput!) { result: placeRedemptionHold(input: $input) { ${placedFields} } }`,
    {
      input: { member: { memberId: 'mbr_alice' }, transactionId, currency: 'SKY', points },
    },
  );
  if (!response.body.data) throw new Error(JSON.stringify(response.body.errors));
  return response;
}

async function settle(
  token: string,
  field: 'confirmRedemption' | 'declineRedemption' | 'cancelRedemption',
  input: Record<string, unknown>,
) {
  const { body } = await t.graphql(
    token,
    `mutation($input: SettleRedemptionInput!) { result: ${field}(input: $input) { ${holdFields} ${field === 'cancelRedemption' ? cancelErrorFields : ''} } }`,
    { input },
  );
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data.result;
}

async function aliceSky(): Promise<{ available: string; held: string }> {
  const alice = await t.token('member', 'mbr_alice');
  const { body } = await t.graphql(alice, '{ wallet { balances { currency available held } } }');
  const sky = body.data.wallet.balances.find(
    (balance: { currency: string }) => balance.currency === 'SKY',
  );
  return { available: sky.available, held: sky.held };
}

async function aliceSkyLots(): Promise<LotRow[]> {
  const rows = await t.app.db.query<LotRow>(
    `select l.id::text, l.remaining_points::text, l.expires_at::text
     from lot l join account a on a.id = l.account_id
     where a.member_id = 'mbr_alice' and a.currency_code = 'SKY' order by l.id`,
  );
  return rows.rows;
}

function sumAvailable(lots: LotRow[]): bigint {
  return lots.reduce((total, lot) => total + BigInt(lot.remaining_points), 0n);
}

describe('confirming a hold in part', () => {
  it('spends the confirmed points and returns the rest at once, to the lots they came from', async () => {
    lotsBeforeHold = await aliceSkyLots();
    const available = sumAvailable(lotsBeforeHold);
    const held = await placeHold(fuelco, 'FC-RWD-1', '400');
    expect(held.body.data.result).toMatchObject({ __typename: 'RedemptionHold', status: 'held' });
    holdId = held.body.data.result.id;
    expect(await aliceSky()).toEqual({ available: String(available - 400n), held: '400' });

    const tooMany = await settle(fuelco, 'confirmRedemption', { holdId, points: '401' });
    expect(tooMany).toMatchObject({ __typename: 'InvalidInputError', code: 'INVALID_INPUT' });
    const onDecline = await settle(fuelco, 'declineRedemption', { holdId, points: '1' });
    expect(onDecline).toMatchObject({ __typename: 'InvalidInputError' });

    const confirmed = await settle(fuelco, 'confirmRedemption', { holdId, points: '300' });
    expect(confirmed).toMatchObject({
      __typename: 'RedemptionHold',
      status: 'confirmed',
      confirmedPoints: '300',
      cancelTransferId: null,
      price: { points: '400' },
    });
    expect(await aliceSky()).toEqual({ available: String(available - 300n), held: '0' });
    // The 100 returned went back into lots the hold took them from, expiry unchanged.
    const lots = await aliceSkyLots();
    expect(lots.map(({ id, expires_at }) => ({ id, expires_at }))).toEqual(
      lotsBeforeHold.map(({ id, expires_at }) => ({ id, expires_at })),
    );
    const again = await settle(fuelco, 'confirmRedemption', { holdId, points: '300' });
    expect(again).toEqual(confirmed);
  });
});

describe('cancelling a confirmed redemption', () => {
  it('refuses what it cannot cancel with a typed error, and writes nothing', async () => {
    t.app.clock.set(new Date(first.endsAt.getTime() + 60_000)); // the second period
    const open = await placeHold(fuelco, 'FC-RWD-2', '10');
    const openId = open.body.data.result.id;
    const before = await ledgerFingerprint(t.app.db);
    expect(await settle(fuelco, 'cancelRedemption', { holdId: openId })).toMatchObject({
      __typename: 'RedemptionNotConfirmedError',
      code: 'REDEMPTION_NOT_CONFIRMED',
      notConfirmedStatus: 'held',
    });
    expect(await settle(skyair, 'cancelRedemption', { holdId })).toMatchObject({
      __typename: 'NotFoundError',
    });
    expect(
      await settle(fuelco, 'cancelRedemption', { holdId: 'trf_00000000000000000000000000' }),
    ).toMatchObject({ __typename: 'NotFoundError' });
    expect(await settle(fuelco, 'cancelRedemption', { holdId, points: '1' })).toMatchObject({
      __typename: 'InvalidInputError',
    });
    expect(await ledgerFingerprint(t.app.db)).toBe(before);
    await settle(fuelco, 'declineRedemption', { holdId: openId });
    expect(await settle(fuelco, 'cancelRedemption', { holdId: openId })).toMatchObject({
      __typename: 'RedemptionNotConfirmedError',
      notConfirmedStatus: 'declined',
    });
  });

  it('returns the confirmed points to the lots they came from, with their original expiry', async () => {
    const available = sumAvailable(await aliceSkyLots());
    const cancelled = await settle(fuelco, 'cancelRedemption', {
      holdId,
      reason: 'flight cancelled',
    });
    expect(cancelled).toMatchObject({
      __typename: 'RedemptionHold',
      status: 'cancelled',
      confirmedPoints: '300',
      cancelTransferId: expect.stringMatching(/^trf_/),
    });
    expect(await aliceSky()).toEqual({ available: String(available + 300n), held: '0' });
    expect(await aliceSkyLots()).toEqual(lotsBeforeHold);
    const transfer = await t.app.ledger.findTransfers([cancelled.cancelTransferId]);
    expect(transfer[0]).toMatchObject({
      code: 'cancel',
      relatedId: holdId,
      description: 'Redemption cancelled by the partner: flight cancelled; the points came back',
    });
  });

  it('the same cancel again answers the same; another key gets RedemptionAlreadyCancelled', async () => {
    const before = await ledgerFingerprint(t.app.db);
    const again = await settle(fuelco, 'cancelRedemption', {
      holdId,
      reason: 'flight cancelled',
    });
    expect(again.status).toBe('cancelled');
    const other = await settle(fuelco, 'cancelRedemption', { holdId, idempotencyKey: 'k-2' });
    expect(other).toEqual({
      __typename: 'RedemptionAlreadyCancelledError',
      code: 'REDEMPTION_ALREADY_CANCELLED',
      message: expect.any(String),
      holdId,
      cancelledBy: again.cancelTransferId,
    });
    const reused = await settle(fuelco, 'cancelRedemption', { holdId, reason: 'other' });
    expect(reused).toMatchObject({ __typename: 'IdempotencyKeyReusedError' });
    expect(
      await settle(fuelco, 'confirmRedemption', { holdId, idempotencyKey: 'k-3' }),
    ).toMatchObject({ __typename: 'HoldNotActiveError' });
    expect(await ledgerFingerprint(t.app.db)).toBe(before);
  });
});

describe('settlement of a confirm and its later cancel', () => {
  const statementQuery = `query($periodId: ID!) {
    statement(periodId: $periodId, partnerId: "ptr_fuelco") {
      lines(first: 100) { nodes { reference kind counterpartyId points amount { amount } } }
    }
  }`;

  async function linesOf(period: Period) {
    const { body } = await t.graphql(operatorFinance, statementQuery, { periodId: period.id });
    if (!body.data) throw new Error(JSON.stringify(body.errors));
    return (
      body.data.statement.lines.nodes as {
        reference: string;
        kind: string;
        amount: { amount: string };
      }[]
    ).filter((line) => line.reference === holdId);
  }

  it('bills the confirmed part in the confirm’s period and reverses it in the cancel’s', async () => {
    await closeAtEnd(t.app, first);
    await closeAtEnd(t.app, second);
    // 300 confirmed points at FuelCo's reimbursement price of 0.008 EUR: SkyAir owes 2.40.
    expect(await linesOf(first)).toEqual([
      {
        reference: holdId,
        kind: 'reimbursement',
        counterpartyId: 'ptr_skyair',
        points: '300',
        amount: { amount: '2.40' },
      },
    ]);
    expect(await linesOf(second)).toEqual([
      {
        reference: holdId,
        kind: 'reimbursement',
        counterpartyId: 'ptr_skyair',
        points: '-300',
        amount: { amount: '-2.40' },
      },
    ]);
    const net = await t.app.db.query<{ amount: bigint; periods: bigint }>(
      `select sum(o.amount_minor)::bigint as amount, count(distinct o.period_id)::bigint as periods
       from settlement_obligation o join transfer post on post.id = o.origin_transfer_id
       where post.related_id = $1 and post.code = 'post' and o.kind like 'reimbursement%'`,
      [holdId],
    );
    expect(net.rows[0]).toEqual({ amount: 0n, periods: 2n });
  });
});

describe('a cancel after the points’ lots expired', () => {
  it('returns them with their original expiry, and the next expiry sweep takes them', async () => {
    t.app.clock.set(new Date(second.endsAt.getTime() + hourMs));
    const held = await placeHold(fuelco, 'FC-RWD-3', '50');
    const id = held.body.data.result.id;
    await settle(fuelco, 'confirmRedemption', { holdId: id });
    const afterConfirm = sumAvailable(await aliceSkyLots());
    // Past every lot's expiry (SKY expires after 36 months), swept: nothing left to spend.
    t.app.clock.advance(37 * 31 * 24 * hourMs);
    await t.app.ledger.expireDue();
    expect(await aliceSky()).toEqual({ available: '0', held: '0' });
    expect(afterConfirm).toBeGreaterThan(0n);

    const cancelled = await settle(fuelco, 'cancelRedemption', { holdId: id });
    expect(cancelled.status).toBe('cancelled');
    expect(await aliceSky()).toEqual({ available: '50', held: '0' });
    const restored = (await aliceSkyLots()).filter((lot) => lot.remaining_points !== '0');
    expect(restored.every((lot) => new Date(lot.expires_at!) < t.app.clock.now())).toBe(true);
    await t.app.ledger.expireDue();
    expect(await aliceSky()).toEqual({ available: '0', held: '0' });
  });
});
