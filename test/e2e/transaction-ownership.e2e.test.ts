import { ledgerFingerprint, ledgerViolations } from '../helpers/ledger-invariants';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * A partner's transaction id names one purchase by one member (issue 11, item 1). The case that
 * broke the ledger: ptr_nordic awards under T to Alice, then lets Bob pay under the same T, then
 * refunds T without naming a member; the refund posted both legs to Alice, and lots no longer
 * summed to balances.
 */
let t: TestGateway;
let nordic: string;
beforeAll(async () => {
  t = await createTestGateway();
  nordic = await t.token('partner', 'ptr_nordic');
});
afterAll(() => t.close());

const award = `mutation ($input: AwardPointsInput!) { awardPoints(input: $input) {
  __typename ... on AwardPointsSuccess { transferId memberId points }
  ... on TransactionConflictError { code transactionId reason message } } }`;
const pay = `mutation ($input: PayWithPointsInput!) { payWithPoints(input: $input) {
  __typename ... on PayWithPointsSuccess { transferId memberId points }
  ... on TransactionConflictError { code transactionId reason } } }`;
const refund = `mutation ($input: RefundPurchaseInput!) { refundPurchase(input: $input) {
  __typename ... on RefundPurchaseSuccess { memberId takenBack { currency points } returned { currency points } }
  ... on ErrorResult { code } } }`;

async function available(memberId: string): Promise<bigint> {
  const rows = await t.app.db.query<{ available: bigint }>(
    `select credits_posted - debits_posted - debits_pending as available from account
     where owner_id = $1 and kind = 'member' and currency_code = 'HTL'`,
    [memberId],
  );
  return rows.rows[0]?.available ?? 0n;
}

describe('a transaction id names one purchase by one member', () => {
  it('refuses a payment by another member under an awarded transaction id, and the refund stays exact', async () => {
    const [aliceBefore, bobBefore] = [await available('mbr_alice'), await available('mbr_bob')];
    const earned = await t.graphql(nordic, award, {
      input: {
        member: { memberId: 'mbr_alice' },
        transactionId: 'T-SHARED-1',
        currency: 'HTL',
        purchase: { amount: '10.00', currency: 'EUR' },
        points: '100',
      },
    });
    expect(earned.body.data.awardPoints).toMatchObject({
      __typename: 'AwardPointsSuccess',
      points: '100',
    });

    const before = await ledgerFingerprint(t.app.db);
    const paid = await t.graphql(nordic, pay, {
      input: {
        member: { memberId: 'mbr_bob' },
        transactionId: 'T-SHARED-1',
        currency: 'HTL',
        points: '60',
      },
    });
    expect(paid.body.data.payWithPoints).toEqual({
      __typename: 'TransactionConflictError',
      code: 'TRANSACTION_CONFLICT',
      transactionId: 'T-SHARED-1',
      reason: 'ANOTHER_MEMBER',
    });
    expect(await ledgerFingerprint(t.app.db)).toBe(before);

    const refunded = await t.graphql(nordic, refund, {
      input: { transactionId: 'T-SHARED-1', refundId: 'R-SHARED-1' },
    });
    expect(refunded.body.data.refundPurchase).toEqual({
      __typename: 'RefundPurchaseSuccess',
      memberId: 'mbr_alice',
      takenBack: { currency: 'HTL', points: '100' },
      returned: null,
    });
    expect(await available('mbr_alice')).toBe(aliceBefore);
    expect(await available('mbr_bob')).toBe(bobBefore);
    expect(await ledgerViolations(t.app.db)).toEqual([]);
  });

  it('refuses an award to another member under a paid transaction id', async () => {
    const paid = await t.graphql(nordic, pay, {
      input: {
        member: { memberId: 'mbr_bob' },
        transactionId: 'T-SHARED-2',
        currency: 'HTL',
        points: '10',
      },
    });
    expect(paid.body.data.payWithPoints).toMatchObject({ __typename: 'PayWithPointsSuccess' });
    const earned = await t.graphql(nordic, award, {
      input: {
        member: { externalId: 'NH-5501' },
        transactionId: 'T-SHARED-2',
        currency: 'HTL',
        points: '5',
      },
    });
    expect(earned.body.data.awardPoints).toMatchObject({
      __typename: 'TransactionConflictError',
      reason: 'ANOTHER_MEMBER',
    });
    // The same member may both pay and earn under one purchase.
    const own = await t.graphql(nordic, award, {
      input: {
        member: { externalId: 'NH-5502' },
        transactionId: 'T-SHARED-2',
        currency: 'HTL',
        points: '5',
      },
    });
    expect(own.body.data.awardPoints).toMatchObject({
      __typename: 'AwardPointsSuccess',
      memberId: 'mbr_bob',
    });
    expect(await ledgerViolations(t.app.db)).toEqual([]);
  });

  it('allows one earn and one payment per purchase; a retry with the same key answers as before', async () => {
    const input = {
      member: { memberId: 'mbr_alice' },
      transactionId: 'T-ONCE',
      currency: 'HTL',
      points: '7',
    };
    const first = await t.graphql(nordic, award, { input });
    expect(first.body.data.awardPoints.__typename).toBe('AwardPointsSuccess');
    const retry = await t.graphql(nordic, award, { input });
    expect(retry.body.data.awardPoints).toEqual(first.body.data.awardPoints);

    const second = await t.graphql(nordic, award, {
      input: { ...input, idempotencyKey: 'another-key' },
    });
    expect(second.body.data.awardPoints).toMatchObject({
      __typename: 'TransactionConflictError',
      reason: 'ALREADY_EARNED',
    });

    const payInput = {
      member: { memberId: 'mbr_alice' },
      transactionId: 'T-ONCE',
      currency: 'HTL',
      points: '3',
    };
    expect(
      (await t.graphql(nordic, pay, { input: payInput })).body.data.payWithPoints.__typename,
    ).toBe('PayWithPointsSuccess');
    const secondPayment = await t.graphql(nordic, pay, {
      input: { ...payInput, idempotencyKey: 'pay-again' },
    });
    expect(secondPayment.body.data.payWithPoints).toMatchObject({
      __typename: 'TransactionConflictError',
      reason: 'ALREADY_PAID',
    });
    expect(await ledgerViolations(t.app.db)).toEqual([]);
  });

  it('lets exactly one of two members win a transaction id when they race', async () => {
    const races = 12;
    const outcomes = await Promise.all(
      Array.from({ length: races }, (_, index) => [
        t.graphql(nordic, award, {
          input: {
            member: { memberId: 'mbr_alice' },
            transactionId: `T-RACE-${index}`,
            currency: 'HTL',
            points: '2',
          },
        }),
        t.graphql(nordic, pay, {
          input: {
            member: { memberId: 'mbr_bob' },
            transactionId: `T-RACE-${index}`,
            currency: 'HTL',
            points: '1',
          },
        }),
      ]).flat(),
    );
    for (let index = 0; index < races; index++) {
      const earned = outcomes[2 * index]!.body.data.awardPoints.__typename;
      const paid = outcomes[2 * index + 1]!.body.data.payWithPoints.__typename;
      expect([earned, paid].filter((name) => name === 'TransactionConflictError')).toHaveLength(1);
    }
    const mixed = await t.app.db.query(
      `select partner_id, external_id from transfer where code in ('earn', 'redeem', 'hold')
       group by partner_id, external_id having count(distinct member_id) > 1`,
    );
    expect(mixed.rows).toEqual([]);
    expect(await ledgerViolations(t.app.db)).toEqual([]);
  });
});
