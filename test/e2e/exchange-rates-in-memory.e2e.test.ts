import { SqlDatabase } from '../../gateway/db/sql';
import { appendRateVersion, ratesInForce } from '../../gateway/exchange/rate-book';
import { asOperator } from '../helpers/exchange-helpers';
import { ok } from '../helpers/test-app';
import { createTestGateway, type TestGateway } from '../helpers/test-gateway';

/**
 * The rates a reward's affordability reads (RatesInMemory): the same as the statement, read
 * once while the change feed listens, dropped by this process's rate changes at once and by
 * another process's when the feed delivers them (migration 0095).
 */
let t: TestGateway;
beforeAll(async () => {
  t = await createTestGateway();
});
afterAll(async () => {
  await t.close();
});

const minute = 60_000;
const htlToSky = (sourceUnits: bigint) => ({
  sourceCurrency: 'HTL',
  targetCurrency: 'SKY',
  sourceUnits,
  targetUnits: 1n,
  incrementPoints: 1000n,
  dailyLimitPoints: 50_000n,
  monthlyLimitPoints: 200_000n,
});
const htlToSkyUnits = async () =>
  (await t.app.exchangeRates.inForce(t.app.clock.now())).find(
    (rate) => rate.sourceCurrency === 'HTL' && rate.targetCurrency === 'SKY',
  )?.sourceUnits;

test('reads the rates in force once, then from memory, as the statement reads them', async () => {
  const now = t.app.clock.now();
  const fromStatement = await ratesInForce(t.app.db, now);
  expect(fromStatement.length).toBeGreaterThan(0);
  expect(await t.app.exchangeRates.inForce(now)).toEqual(fromStatement);
  const queries = jest.spyOn(t.app.db, 'query');
  try {
    t.app.clock.advance(minute);
    expect(await t.app.exchangeRates.inForce(t.app.clock.now())).toEqual(
      await ratesInForce(t.app.db, t.app.clock.now()),
    );
    // One statement: the comparison's own.
    expect(queries).toHaveBeenCalledTimes(1);
  } finally {
    queries.mockRestore();
  }
});

test('a rate this process sets is read at once', async () => {
  t.app.clock.advance(minute);
  ok(await t.app.exchangeAdmin.setRate(asOperator(t.app), htlToSky(7n)));
  expect(await htlToSkyUnits()).toBe(7n);
});

test('a rate another process sets is read once the change feed delivers it', async () => {
  expect(await htlToSkyUnits()).toBe(7n);
  t.app.clock.advance(minute);
  const other = new SqlDatabase({ url: t.app.databaseUrl });
  try {
    await other.transaction((sql) =>
      appendRateVersion(sql, {
        ...htlToSky(9n),
        minimumPoints: 1000n,
        feeFixedPoints: 0n,
        feePerMille: 0n,
        effectiveFrom: t.app.clock.now(),
        setBy: 'another process',
        createdAt: t.app.clock.now(),
      }),
    );
  } finally {
    await other.close();
  }
  // The feed delivers in milliseconds; the limit only catches a change that never arrives, so
  // it is generous enough for a machine busy with other work.
  const deadline = Date.now() + 60_000;
  while ((await htlToSkyUnits()) !== 9n && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(await htlToSkyUnits()).toBe(9n);
});

test('a moment before the rates were read asks the database', async () => {
  const later = t.app.clock.now();
  expect(await htlToSkyUnits()).toBe(9n);
  const earlier = new Date(later.getTime() - minute);
  expect(await t.app.exchangeRates.inForce(earlier)).toEqual(await ratesInForce(t.app.db, earlier));
  expect(
    (await t.app.exchangeRates.inForce(earlier)).find(
      (rate) => rate.sourceCurrency === 'HTL' && rate.targetCurrency === 'SKY',
    )?.sourceUnits,
  ).toBe(7n);
});
