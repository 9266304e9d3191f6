import { ledgerViolations } from '../helpers/ledger-invariants';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Many clients hammer one member through the HTTP API at once. Every acknowledged operation is
 * counted by the client; at the end the member's balance must equal exactly the starting balance
 * plus what was acknowledged, and the ledger's invariants must hold.
 */
const clients = 10;
/** Operations per client: a count, not a duration, so a busy machine runs the same test. */
const operationsPerClient = 30;

let t: TestGateway;
let fuelco: string;
beforeAll(async () => {
  t = await createTestGateway();
  fuelco = await t.token('partner', 'ptr_fuelco');
});
afterAll(() => t.close());

const award = `mutation ($input: AwardPointsInput!) { awardPoints(input: $input) {
  __typename ... on AwardPointsSuccess { transferId points } ... on ErrorResult { code } } }`;
const pay = `mutation ($input: PayWithPointsInput!) { payWithPoints(input: $input) {
  __typename ... on PayWithPointsSuccess { points } ... on ErrorResult { code } } }`;
const refund = `mutation ($input: RefundPurchaseInput!) { refundPurchase(input: $input) {
  __typename ... on RefundPurchaseSuccess { takenBack { points } returned { points } shortfallPoints }
  ... on ErrorResult { code } } }`;

async function availableSky(): Promise<bigint> {
  const rows = await t.app.ledger.balances(['mbr_alice'], new Date());
  return rows.find((row) => row.currency === 'SKY')!.availablePoints;
}

const member = { externalId: 'FC-0001' };

/** One client: a loop of random earns, payments and refunds; returns its acknowledged net change. */
async function client(id: number): Promise<{ net: bigint; operations: number }> {
  let net = 0n;
  let operations = 0;
  const purchases: { transactionId: string; kind: 'earn' | 'pay' }[] = [];
  for (let n = 0; n < operationsPerClient; n++) {
    const transactionId = `C${id}-${n}`;
    const roll = Math.random();
    if (roll < 0.45) {
      const euros = 1 + Math.floor(Math.random() * 200);
      const input = {
        member,
        transactionId,
        currency: 'SKY',
        purchase: { amount: `${euros}.00`, currency: 'EUR' },
      };
      const { body } = await t.graphql(fuelco, award, { input });
      expect(body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
      net += BigInt(body.data.awardPoints.points);
      purchases.push({ transactionId, kind: 'earn' });
      if (Math.random() < 0.2) {
        // A retry of an acknowledged request must not count twice.
        const again = await t.graphql(fuelco, award, { input });
        expect(again.body.data.awardPoints.transferId).toBe(body.data.awardPoints.transferId);
      }
    } else if (roll < 0.8) {
      const points = 1 + Math.floor(Math.random() * 150);
      const input = {
        member,
        transactionId,
        currency: 'SKY',
        points: String(points),
        purchase: { amount: `${points}.00`, currency: 'EUR' },
      };
      const { body } = await t.graphql(fuelco, pay, { input });
      const result = body.data.payWithPoints;
      if (result.__typename === 'PayWithPointsSuccess') {
        net -= BigInt(result.points);
        purchases.push({ transactionId, kind: 'pay' });
      } else {
        expect(result.code).toBe('INSUFFICIENT_POINTS');
      }
    } else if (purchases.length > 0) {
      const purchase = purchases.splice(Math.floor(Math.random() * purchases.length), 1)[0]!;
      const partial = Math.random() < 0.5;
      const input = {
        transactionId: purchase.transactionId,
        refundId: `${purchase.transactionId}-refund`,
        ...(partial ? { amount: { amount: '1.00', currency: 'EUR' } } : {}),
      };
      const { body } = await t.graphql(fuelco, refund, { input });
      const result = body.data.refundPurchase;
      expect(result.__typename).toBe('RefundPurchaseSuccess');
      net -= BigInt(result.takenBack?.points ?? 0);
      net += BigInt(result.returned?.points ?? 0);
    }
    operations++;
  }
  return { net, operations };
}

describe('concurrent clients on one member', () => {
  it(`${clients} clients, ${operationsPerClient} operations each: the balance equals the sum of acknowledged operations`, async () => {
    const start = await availableSky();
    const results = await Promise.all(Array.from({ length: clients }, (_, id) => client(id)));
    const net = results.reduce((sum, result) => sum + result.net, 0n);
    const operations = results.reduce((sum, result) => sum + result.operations, 0);
    expect(operations).toBe(clients * operationsPerClient);
    console.log(
      `${clients} clients, ${operations} acknowledged-or-refused operations, net ${net} SKY`,
    );
    expect(await availableSky()).toBe(start + net);
    expect(await ledgerViolations(t.app.db)).toEqual([]);
  });

  it('the same key sent concurrently yields exactly one transfer', async () => {
    const input = { member, transactionId: 'SAME-KEY-1', currency: 'SKY', points: '77' };
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => t.graphql(fuelco, award, { input })),
    );
    const transferIds = new Set(
      responses.map((response) => response.body.data.awardPoints.transferId),
    );
    expect(transferIds.size).toBe(1);
    const rows = await t.app.db.query(
      "select id from transfer where partner_id = 'ptr_fuelco' and external_id = 'SAME-KEY-1'",
    );
    expect(rows.rowCount).toBe(1);
  });

  it('the same payment sent concurrently spends once', async () => {
    const before = await availableSky();
    const input = { member, transactionId: 'SAME-PAY-1', currency: 'SKY', points: '5' };
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => t.graphql(fuelco, pay, { input })),
    );
    expect(
      responses.every(
        (response) => response.body.data.payWithPoints.__typename === 'PayWithPointsSuccess',
      ),
    ).toBe(true);
    expect(await availableSky()).toBe(before - 5n);
  });
});
