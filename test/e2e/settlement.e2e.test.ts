import { reconciliationCsvBytesMax } from '../../gateway/settlement/limits';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * Settlement through real HTTP with the demo coalition: the operator's finance user opens and
 * closes a period; each partner's finance user reads only its own statement and reconciles it
 * by CSV upload; members and partners' point-of-sale tokens see nothing.
 */
let t: TestGateway;
let operatorFinance: string;
let fuelcoFinance: string;
let periodId: string;

beforeAll(async () => {
  t = await createTestGateway();
  operatorFinance = await t.token('finance', 'fin_ops');
  fuelcoFinance = await t.token('finance', 'fin_1', 'ptr_fuelco');
  // The demo history was written at the test clock's start; settle everything up to an hour on.
  const start = new Date(t.app.clock.now().getTime() - 3_600_000);
  const end = new Date(start.getTime() + 2 * 3_600_000);
  const opened = await t.graphql(
    operatorFinance,
    `mutation($input: OpenSettlementPeriodInput!) {
       openSettlementPeriod(input: $input) { __typename ... on SettlementPeriod { id status } }
     }`,
    { input: { startsAt: start.toISOString(), endsAt: end.toISOString() } },
  );
  periodId = opened.body.data.openSettlementPeriod.id;
  t.app.clock.set(end);
});
afterAll(() => t.close());

const close = `mutation($id: ID!) {
  closeSettlementPeriod(periodId: $id) {
    __typename
    ... on SettlementPeriod { status transferCount obligationCount reversalRounding }
    ... on ErrorResult { code message }
  }
}`;

const statement = `query($periodId: ID!, $partnerId: ID) {
  statement(periodId: $periodId, partnerId: $partnerId) {
    partnerId
    totals { counterpartyId net { amount currency } lineCount }
    positions { partyId position { amount } }
    lines(first: 10) { nodes { reference kind counterpartyId points amount { amount } } }
  }
}`;

describe('settlement through the API', () => {
  it('closes the period for the operator’s finance user, and again with the same result', async () => {
    const first = await t.graphql(operatorFinance, close, { id: periodId });
    expect(first.body.data.closeSettlementPeriod).toEqual({
      __typename: 'SettlementPeriod',
      status: 'closed',
      transferCount: '9',
      obligationCount: '5',
      reversalRounding: 'points_left',
    });
    const again = await t.graphql(operatorFinance, close, { id: periodId });
    expect(again.body.data).toEqual(first.body.data);
  });

  it('shows a partner’s finance user its own statement as JSON, lines summing to totals', async () => {
    const { body } = await t.graphql(fuelcoFinance, statement, { periodId });
    // FuelCo: 0.60 for Alice's fuel, 0.96 for Chloe's, 0.36 of that refunded.
    expect(body.data.statement).toEqual({
      partnerId: 'ptr_fuelco',
      totals: [
        { counterpartyId: 'ptr_skyair', net: { amount: '-1.20', currency: 'EUR' }, lineCount: '3' },
      ],
      positions: [{ partyId: 'ptr_fuelco', position: { amount: '-1.20' } }],
      lines: {
        nodes: [
          {
            reference: 'FC-POS-1001',
            kind: 'issuance',
            counterpartyId: 'ptr_skyair',
            points: '50',
            amount: { amount: '-0.60' },
          },
          {
            reference: 'FC-POS-1002',
            kind: 'issuance',
            counterpartyId: 'ptr_skyair',
            points: '80',
            amount: { amount: '-0.96' },
          },
          {
            reference: 'FC-RF-1002-1',
            kind: 'issuance',
            counterpartyId: 'ptr_skyair',
            points: '-30',
            amount: { amount: '0.36' },
          },
        ],
      },
    });
  });

  it('refuses another partner’s statement, and everything to members and point-of-sale tokens', async () => {
    const other = await t.graphql(fuelcoFinance, statement, { periodId, partnerId: 'ptr_skyair' });
    expect(other.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const network = await t.graphql(
      fuelcoFinance,
      `query($id: ID!) { periodSettlement(periodId: $id) { positions { partyId } } }`,
      { id: periodId },
    );
    expect(network.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    for (const token of [
      await t.token('member', 'mbr_alice'),
      await t.token('partner', 'ptr_fuelco'),
    ]) {
      const denied = await t.graphql(token, statement, { periodId });
      expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const periods = await t.graphql(token, '{ settlementPeriods { id } }');
      expect(periods.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('gives the operator’s finance user the network’s positions and payments, as JSON and CSV', async () => {
    const { body } = await t.graphql(
      operatorFinance,
      `query($id: ID!) {
         periodSettlement(periodId: $id) {
           positions { partyId position { amount } }
           payments { payerId payeeId amount { amount currency } }
         }
         positions: settlementCsv(periodId: $id, table: positions)
       }`,
      { id: periodId },
    );
    expect(body.data.periodSettlement).toEqual({
      positions: [
        { partyId: 'ptr_freshmart', position: { amount: '-0.42' } },
        { partyId: 'ptr_fuelco', position: { amount: '-1.20' } },
        { partyId: 'ptr_nordic', position: { amount: '0.42' } },
        { partyId: 'ptr_skyair', position: { amount: '-10.80' } },
        { partyId: 'ptr_telcoone', position: { amount: '12.00' } },
      ],
      payments: [
        {
          payerId: 'ptr_skyair',
          payeeId: 'ptr_telcoone',
          amount: { amount: '10.80', currency: 'EUR' },
        },
        {
          payerId: 'ptr_fuelco',
          payeeId: 'ptr_telcoone',
          amount: { amount: '1.20', currency: 'EUR' },
        },
        {
          payerId: 'ptr_freshmart',
          payeeId: 'ptr_nordic',
          amount: { amount: '0.42', currency: 'EUR' },
        },
      ],
    });
    expect(body.data.positions.split('\r\n')[0]).toBe(
      'period_id,settlement_currency,party_id,receivable,payable,position',
    );
  });

  it('takes a partner’s CSV upload and reports its exceptions; refuses an oversized one', async () => {
    const submit = `mutation($input: SubmitReconciliationInput!) {
      submitReconciliation(input: $input) {
        __typename
        ... on Reconciliation { partnerId source totals { status count ours { amount } theirs { amount } } }
        ... on InvalidInputError { field reason }
      }
    }`;
    const csv = 'transaction_id,amount,currency\nFC-POS-1001,-0.60,EUR\nFC-POS-1002,-0.90,EUR\n';
    const { body } = await t.graphql(fuelcoFinance, submit, { input: { periodId, csv } });
    expect(body.data.submitReconciliation).toEqual({
      __typename: 'Reconciliation',
      partnerId: 'ptr_fuelco',
      source: 'csv',
      totals: [
        {
          status: 'amount_differs',
          count: '1',
          ours: { amount: '-0.96' },
          theirs: { amount: '-0.90' },
        },
        { status: 'matched', count: '1', ours: { amount: '-0.60' }, theirs: { amount: '-0.60' } },
        {
          status: 'missing_on_their_side',
          count: '1',
          ours: { amount: '0.36' },
          theirs: { amount: '0.00' },
        },
      ],
    });
    const big = `transaction_id,amount,currency\n${'X,1.00,EUR\n'.repeat(reconciliationCsvBytesMax / 10)}`;
    const tooBig = await t.graphql(fuelcoFinance, submit, { input: { periodId, csv: big } });
    expect(tooBig.body.data.submitReconciliation).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'csv',
    });
  });

  it('pages a statement as CSV whose pages concatenate into one file', async () => {
    const page = `query($id: ID!, $after: String) {
      statementCsv(periodId: $id, first: 2, after: $after) { text pageInfo { endCursor hasNextPage } }
    }`;
    const first = await t.graphql(fuelcoFinance, page, { id: periodId });
    const second = await t.graphql(fuelcoFinance, page, {
      id: periodId,
      after: first.body.data.statementCsv.pageInfo.endCursor,
    });
    expect(second.body.data.statementCsv.pageInfo.hasNextPage).toBe(false);
    const lines = (first.body.data.statementCsv.text + second.body.data.statementCsv.text)
      .trim()
      .split('\r\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^record,period_id,partner_id,transfer_id,/);
    expect(lines[4]).toBe(`total,${periodId},ptr_fuelco,,,,,,,ptr_skyair,,,,EUR,-1.20`);
  });

  it('lists a reconciliation’s exceptions and lets the operator’s finance user resolve one', async () => {
    const list = await t.graphql(
      fuelcoFinance,
      `query($periodId: ID!) {
         reconciliations(periodId: $periodId) {
           id items(status: amount_differs) { nodes { id reference ours { amount } theirs { amount } counterpartyId } }
         }
       }`,
      { periodId },
    );
    const [reconciliation] = list.body.data.reconciliations;
    const [item] = reconciliation.items.nodes;
    expect(item).toMatchObject({
      reference: 'FC-POS-1002',
      ours: { amount: '-0.96' },
      theirs: { amount: '-0.90' },
      counterpartyId: 'ptr_skyair',
    });
    const resolve = `mutation($input: ResolveReconciliationExceptionInput!) {
      resolveReconciliationException(input: $input) {
        __typename
        ... on SettlementAdjustment { exceptionId debtorId creditorId amount { amount currency } }
      }
    }`;
    const input = { exceptionId: item.id, note: 'FuelCo billed 0.90' };
    const denied = await t.graphql(fuelcoFinance, resolve, { input });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const { body } = await t.graphql(operatorFinance, resolve, { input });
    expect(body.data.resolveReconciliationException).toEqual({
      __typename: 'SettlementAdjustment',
      exceptionId: item.id,
      debtorId: 'ptr_skyair',
      creditorId: 'ptr_fuelco',
      amount: { amount: '0.06', currency: 'EUR' },
    });
    const other = await t.graphql(
      await t.token('finance', 'fin_2', 'ptr_skyair'),
      'query($id: ID!) { reconciliation(id: $id) { id } }',
      { id: reconciliation.id },
    );
    expect(other.body.data.reconciliation).toBeNull();
  });
});
