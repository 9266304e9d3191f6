import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

let t: TestGateway;
let alice: string;
let telco: string;
let operator: string;
beforeAll(async () => {
  t = await createTestGateway();
  alice = await t.token('member', 'mbr_alice');
  telco = await t.token('partner', 'ptr_telcoone');
  operator = await t.token('operator', 'ops_1');
});
afterAll(() => t.close());

const wallet = `{
  wallet {
    totalValue { amount currency }
    unvaluedCurrencies
    balances {
      currency available
      value { amount currency }
      convertsTo { targetCurrency sourcePoints targetPoints feePoints rate { sourceUnits targetUnits } }
    }
  }
}`;

const quote = `mutation Quote($input: QuoteConversionInput!) {
  quoteConversion(input: $input) {
    __typename
    ... on ConversionQuote { id sourcePoints targetPoints feePoints totalSourcePoints expiresAt rate { id sourceUnits targetUnits } }
    ... on ErrorResult { code message }
    ... on NotConversionIncrementError { incrementPoints lowerPoints higherPoints }
  }
}`;

const convert = `mutation Convert($input: ConvertPointsInput!) {
  convertPoints(input: $input) {
    __typename
    ... on ConvertPointsSuccess { transferId sourceCurrency sourcePoints targetCurrency targetPoints rate { sourceUnits targetUnits } }
    ... on ErrorResult { code }
  }
}`;

describe('the unified wallet', () => {
  it('values each balance in EUR, totals them, and shows what each would convert to', async () => {
    const { body } = await t.graphql(alice, wallet);
    expect(body.errors).toBeUndefined();
    expect(body.data.wallet.totalValue).toEqual({ amount: '11.50', currency: 'EUR' });
    expect(body.data.wallet.unvaluedCurrencies).toEqual([]);
    expect(body.data.wallet.balances).toEqual([
      {
        currency: 'HTL',
        available: '3000',
        value: { amount: '6.00', currency: 'EUR' },
        convertsTo: [
          {
            targetCurrency: 'SKY',
            sourcePoints: '3000',
            targetPoints: '600',
            feePoints: '0',
            rate: { sourceUnits: '5', targetUnits: '1' },
          },
        ],
      },
      {
        currency: 'SKY',
        available: '550',
        value: { amount: '5.50', currency: 'EUR' },
        // Multiples of 100 SKY with a 1% fee: 500 + 5 fit in 550, 600 + 6 do not.
        convertsTo: [
          {
            targetCurrency: 'HTL',
            sourcePoints: '500',
            targetPoints: '2000',
            feePoints: '5',
            rate: { sourceUnits: '1', targetUnits: '4' },
          },
        ],
      },
    ]);
  });
});

describe('paying across programs through the API', () => {
  it('lets TelcoOne take its SKY price in HTL, showing the rate and the HTL spent', async () => {
    const { body } = await t.graphql(
      telco,
      `mutation Pay($input: PayAcrossProgramsInput!) {
        payAcrossPrograms(input: $input) {
          __typename
          ... on PayAcrossProgramsSuccess { currency points payWithCurrency sourcePoints feePoints rate { sourceUnits targetUnits } }
          ... on ErrorResult { code message }
        }
      }`,
      {
        input: {
          member: { externalId: 'TEL-77' },
          transactionId: 'TEL-E2E-1',
          currency: 'SKY',
          points: '200',
          payWith: 'HTL',
          purchase: { amount: '1.60', currency: 'EUR' },
        },
      },
    );
    expect(body.data.payAcrossPrograms).toEqual({
      __typename: 'PayAcrossProgramsSuccess',
      currency: 'SKY',
      points: '200',
      payWithCurrency: 'HTL',
      sourcePoints: '1000',
      feePoints: '0',
      rate: { sourceUnits: '5', targetUnits: '1' },
    });
  });
});

describe('a member converting through the API', () => {
  it('answers a non-multiple with the nearest valid amounts', async () => {
    const { body } = await t.graphql(alice, quote, {
      input: { sourceCurrency: 'HTL', targetCurrency: 'SKY', sourcePoints: '1500' },
    });
    expect(body.data.quoteConversion).toMatchObject({
      __typename: 'NotConversionIncrementError',
      code: 'NOT_CONVERSION_INCREMENT',
      incrementPoints: '1000',
      lowerPoints: '1000',
      higherPoints: '2000',
    });
  });

  it('quotes, converts at the quoted rate, and replays the same request', async () => {
    const quoted = (
      await t.graphql(alice, quote, {
        input: { sourceCurrency: 'HTL', targetCurrency: 'SKY', sourcePoints: '2000' },
      })
    ).body.data.quoteConversion;
    expect(quoted).toMatchObject({
      __typename: 'ConversionQuote',
      sourcePoints: '2000',
      targetPoints: '400',
      feePoints: '0',
      totalSourcePoints: '2000',
      rate: { sourceUnits: '5', targetUnits: '1' },
    });
    const input = { quoteId: quoted.id, sourcePoints: '2000' };
    const first = (await t.graphql(alice, convert, { input })).body.data.convertPoints;
    expect(first).toMatchObject({
      __typename: 'ConvertPointsSuccess',
      sourceCurrency: 'HTL',
      sourcePoints: '2000',
      targetCurrency: 'SKY',
      targetPoints: '400',
    });
    expect((await t.graphql(alice, convert, { input })).body.data.convertPoints).toEqual(first);
    const after = (await t.graphql(alice, wallet)).body.data.wallet;
    expect(
      after.balances.map((b: { currency: string; available: string }) => [b.currency, b.available]),
    ).toEqual([
      ['HTL', '0'],
      ['SKY', '950'],
    ]);
    expect(after.totalValue).toEqual({ amount: '9.50', currency: 'EUR' });
    const history = await t.graphql(
      alice,
      '{ wallet { history(first: 1) { entries { code description changes { currency available } } } } }',
    );
    expect(history.body.data.wallet.history.entries[0]).toEqual({
      code: 'convert',
      description: 'Converted 2000 HTL to 400 SKY (5 HTL = 1 SKY)',
      changes: [
        { currency: 'HTL', available: '-2000' },
        { currency: 'SKY', available: '400' },
      ],
    });
  });

  it('refuses a quote once it has expired', async () => {
    const quoted = (
      await t.graphql(alice, quote, {
        input: { sourceCurrency: 'SKY', targetCurrency: 'HTL', sourcePoints: '100' },
      })
    ).body.data.quoteConversion;
    t.app.clock.advance(61_000);
    const { body } = await t.graphql(alice, convert, {
      input: { quoteId: quoted.id, sourcePoints: '100' },
    });
    expect(body.data.convertPoints).toEqual({
      __typename: 'QuoteExpiredError',
      code: 'QUOTE_EXPIRED',
    });
  });
});

describe('the operator’s exchange settings', () => {
  it('refuses a rate that opens an arbitrage loop, and keeps the history queryable', async () => {
    const { body } = await t.graphql(
      operator,
      `mutation Set($input: SetExchangeRateInput!) {
        setExchangeRate(input: $input) {
          __typename
          ... on ArbitrageCycleError { cycle gain }
        }
      }`,
      {
        input: {
          sourceCurrency: 'SKY',
          targetCurrency: 'HTL',
          sourceUnits: '1',
          targetUnits: '6',
          incrementPoints: '100',
        },
      },
    );
    expect(body.data.setExchangeRate).toEqual({
      __typename: 'ArbitrageCycleError',
      cycle: ['SKY', 'HTL', 'SKY'],
      gain: '1.200000',
    });
    const history = await t.graphql(
      alice,
      '{ exchangeRateHistory(sourceCurrency: "SKY", targetCurrency: "HTL") { sourceUnits targetUnits feePerMille effectiveTo } }',
    );
    expect(history.body.data.exchangeRateHistory).toEqual([
      { sourceUnits: '1', targetUnits: '4', feePerMille: '10', effectiveTo: null },
    ]);
    const liquidity = await t.graphql(
      operator,
      '{ liquidityPositions { currency balancePoints floorPoints headroomPoints } }',
    );
    expect(liquidity.body.data.liquidityPositions).toEqual([
      {
        currency: 'HTL',
        balancePoints: '3000',
        floorPoints: '-50000000',
        headroomPoints: '50003000',
      },
      {
        currency: 'SKY',
        balancePoints: '-600',
        floorPoints: '-10000000',
        headroomPoints: '9999400',
      },
    ]);
    // SkyAir's finance team sees the currency SkyAir owns, not Nordic's.
    const skyairFinance = await t.token('finance', 'fin_sky', 'ptr_skyair');
    const own = await t.graphql(skyairFinance, '{ liquidityPositions { currency } }');
    expect(own.body.data.liquidityPositions).toEqual([{ currency: 'SKY' }]);
  });

  it('keeps exchange settings to the operator and rates to authenticated callers', async () => {
    const forbidden = await t.graphql(
      alice,
      'mutation { setLiquidityFloor(input: { currency: "SKY", floorPoints: "0" }) { __typename } }',
    );
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await t.graphql(undefined, '{ exchangeRates { id } }');
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const rates = await t.graphql(
      telco,
      '{ exchangeRates(sourceCurrency: "HTL") { sourceCurrency targetCurrency incrementPoints minimumPoints dailyLimitPoints } }',
    );
    expect(rates.body.data.exchangeRates).toEqual([
      {
        sourceCurrency: 'HTL',
        targetCurrency: 'SKY',
        incrementPoints: '1000',
        minimumPoints: '1000',
        dailyLimitPoints: '50000',
      },
    ]);
  });
});
