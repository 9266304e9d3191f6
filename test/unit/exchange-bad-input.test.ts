import {
  BelowConversionMinimum,
  ConversionLimitExceeded,
  LiquidityFloorReached,
  NoExchangeRate,
  NotConversionIncrement,
  QuoteAlreadyUsed,
  QuoteExpired,
} from '../../gateway/exchange/errors';
import { InsufficientPoints } from '../../gateway/ledger/errors';
import { InvalidInput, NotFound } from '../../gateway/shared/errors';
import { asMember, asOperator, ledgerFingerprint, memberWith } from '../helpers/exchange-helpers';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
  const operator = asOperator(app);
  // A third currency with a tight rate from SKY: minimum 1,000, limits 1,000 a day and
  // 1,500 a month, and 1,500 points of liquidity below zero.
  ok(
    await app.catalog.createCurrency(operator, {
      code: 'FUEL',
      name: 'FuelCo drops',
      ownerPartnerId: 'ptr_fuelco',
      expiryMonths: null,
    }),
  );
  ok(
    await app.exchangeAdmin.setRate(operator, {
      sourceCurrency: 'SKY',
      targetCurrency: 'FUEL',
      sourceUnits: 1n,
      targetUnits: 1n,
      incrementPoints: 100n,
      minimumPoints: 1000n,
      dailyLimitPoints: 1000n,
      monthlyLimitPoints: 1500n,
    }),
  );
  ok(
    await app.exchangeAdmin.setLiquidityFloor(operator, { currency: 'FUEL', floorPoints: -1500n }),
  );
});
afterAll(async () => {
  await app.close();
});

/** Runs `attempt` and checks that it failed with `type` and that nothing was written. */
async function refusedWithoutWriting<T>(
  attempt: () => Promise<T>,
  type: abstract new (...args: never[]) => Error,
): Promise<Error> {
  const before = await ledgerFingerprint(app);
  const error = failure(await attempt());
  expect(error).toBeInstanceOf(type);
  expect(await ledgerFingerprint(app)).toEqual(before);
  return error;
}

const htlToSky = (sourcePoints: bigint) => ({
  sourceCurrency: 'HTL',
  targetCurrency: 'SKY',
  sourcePoints,
});

describe('quoting refuses, with a typed error and nothing written', () => {
  it('a pair without a rate, and a currency that does not exist', async () => {
    const alice = asMember(app, 'mbr_alice');
    const error = await refusedWithoutWriting(
      () =>
        app.exchange.quote(alice, {
          sourceCurrency: 'HTL',
          targetCurrency: 'FUEL',
          sourcePoints: 1000n,
        }),
      NoExchangeRate,
    );
    expect(error).toMatchObject({ sourceCurrency: 'HTL', targetCurrency: 'FUEL' });
    const unknown = await refusedWithoutWriting(
      () =>
        app.exchange.quote(alice, {
          sourceCurrency: 'HTL',
          targetCurrency: 'XYZ',
          sourcePoints: 1000n,
        }),
      NotFound,
    );
    expect(unknown).toMatchObject({ entity: 'currency', reference: 'XYZ' });
  });

  it('an amount below the minimum, naming the smallest valid amount', async () => {
    const member = await memberWith(app, 'below_min', { SKY: 5000n });
    const error = await refusedWithoutWriting(
      () =>
        app.exchange.quote(asMember(app, member), {
          sourceCurrency: 'SKY',
          targetCurrency: 'FUEL',
          sourcePoints: 500n,
        }),
      BelowConversionMinimum,
    );
    expect(error).toMatchObject({ minimumPoints: 1000n, requestedPoints: 500n });
  });

  it('an amount that is not a multiple of 1,000 HTL, naming the nearest valid amounts', async () => {
    const alice = asMember(app, 'mbr_alice');
    const between = await refusedWithoutWriting(
      () => app.exchange.quote(alice, htlToSky(2500n)),
      NotConversionIncrement,
    );
    expect(between).toMatchObject({
      incrementPoints: 1000n,
      requestedPoints: 2500n,
      lowerPoints: 2000n,
      higherPoints: 3000n,
    });
    const belowFirst = await refusedWithoutWriting(
      () => app.exchange.quote(alice, htlToSky(999n)),
      NotConversionIncrement,
    );
    expect(belowFirst).toMatchObject({ lowerPoints: null, higherPoints: 1000n });
  });

  it('more than the member holds, counting the fee', async () => {
    const alice = asMember(app, 'mbr_alice');
    const error = await refusedWithoutWriting(
      () => app.exchange.quote(alice, htlToSky(4000n)),
      InsufficientPoints,
    );
    expect(error).toMatchObject({ currency: 'HTL', needed: 4000n, available: 3000n });
    // SKY -> HTL charges 1%: 600 SKY need 606.
    const member = await memberWith(app, 'fee_short', { SKY: 605n });
    const withFee = await refusedWithoutWriting(
      () =>
        app.exchange.quote(asMember(app, member), {
          sourceCurrency: 'SKY',
          targetCurrency: 'HTL',
          sourcePoints: 600n,
        }),
      InsufficientPoints,
    );
    expect(withFee).toMatchObject({ needed: 606n, available: 605n });
  });

  it('more than the daily limit of 50,000 HTL', async () => {
    const member = await memberWith(app, 'big_spender', { HTL: 60_000n });
    const error = await refusedWithoutWriting(
      () => app.exchange.quote(asMember(app, member), htlToSky(51_000n)),
      ConversionLimitExceeded,
    );
    expect(error).toMatchObject({
      period: 'day',
      limitPoints: 50_000n,
      usedPoints: 0n,
      requestedPoints: 51_000n,
      resetsAt: new Date('2026-11-27T00:00:00Z'),
    });
  });
});

describe('converting refuses, with a typed error and nothing written', () => {
  it('an expired quote (at exactly 60 seconds)', async () => {
    const alice = asMember(app, 'mbr_alice');
    const quote = ok(await app.exchange.quote(alice, htlToSky(1000n)));
    app.clock.advance(60_000);
    const error = await refusedWithoutWriting(
      () => app.exchange.convert(alice, { quoteId: quote.id, sourcePoints: 1000n }),
      QuoteExpired,
    );
    expect(error).toMatchObject({ quoteId: quote.id, expiredAt: quote.expiresAt });
  });

  it('a quote of another member, or one that does not exist', async () => {
    const quote = ok(await app.exchange.quote(asMember(app, 'mbr_alice'), htlToSky(1000n)));
    const bob = asMember(app, 'mbr_bob');
    await refusedWithoutWriting(
      () => app.exchange.convert(bob, { quoteId: quote.id, sourcePoints: 1000n }),
      NotFound,
    );
    await refusedWithoutWriting(
      () =>
        app.exchange.convert(bob, { quoteId: 'qte_00000000000000000000000000', sourcePoints: 1n }),
      NotFound,
    );
  });

  it('an amount different from the quote’s', async () => {
    const alice = asMember(app, 'mbr_alice');
    const quote = ok(await app.exchange.quote(alice, htlToSky(2000n)));
    const error = await refusedWithoutWriting(
      () => app.exchange.convert(alice, { quoteId: quote.id, sourcePoints: 3000n }),
      InvalidInput,
    );
    expect(error).toMatchObject({ field: 'sourcePoints' });
  });

  it('a used quote with a different amount, while the same request replays the receipt', async () => {
    const member = await memberWith(app, 'reuser', { HTL: 5000n });
    const caller = asMember(app, member);
    const quote = ok(await app.exchange.quote(caller, htlToSky(2000n)));
    const receipt = ok(
      await app.exchange.convert(caller, { quoteId: quote.id, sourcePoints: 2000n }),
    );
    const error = await refusedWithoutWriting(
      () => app.exchange.convert(caller, { quoteId: quote.id, sourcePoints: 3000n }),
      QuoteAlreadyUsed,
    );
    expect(error).toMatchObject({ quoteId: quote.id, transferId: receipt.transferId });
    const before = await ledgerFingerprint(app);
    expect(
      ok(await app.exchange.convert(caller, { quoteId: quote.id, sourcePoints: 2000n })),
    ).toEqual(receipt);
    expect(await ledgerFingerprint(app)).toEqual(before);
    // Under another idempotency key the quote is still used up.
    await refusedWithoutWriting(
      () =>
        app.exchange.convert(caller, {
          quoteId: quote.id,
          sourcePoints: 2000n,
          idempotencyKey: 'another-key',
        }),
      QuoteAlreadyUsed,
    );
  });

  it('points spent elsewhere between the quote and the conversion', async () => {
    const member = await memberWith(app, 'spender', { HTL: 1000n });
    const caller = asMember(app, member);
    const quote = ok(await app.exchange.quote(caller, htlToSky(1000n)));
    ok(
      await app.purchases.payWithPoints(app.asPartner('ptr_nordic'), {
        member: { memberId: member },
        transactionId: 'NH-MINIBAR-1',
        currency: 'HTL',
        points: 1n,
      }),
    );
    const error = await refusedWithoutWriting(
      () => app.exchange.convert(caller, { quoteId: quote.id, sourcePoints: 1000n }),
      InsufficientPoints,
    );
    expect(error).toMatchObject({ needed: 1000n, available: 999n });
  });

  it('the monthly limit, on the next day, and the liquidity floor', async () => {
    const member = await memberWith(app, 'monthly', { SKY: 5000n });
    const caller = asMember(app, member);
    const skyToFuel = { sourceCurrency: 'SKY', targetCurrency: 'FUEL', sourcePoints: 1000n };
    const first = ok(await app.exchange.quote(caller, skyToFuel));
    ok(await app.exchange.convert(caller, { quoteId: first.id, sourcePoints: 1000n }));
    app.clock.advance(86_400_000);
    const month = await refusedWithoutWriting(
      () => app.exchange.quote(caller, skyToFuel),
      ConversionLimitExceeded,
    );
    expect(month).toMatchObject({ period: 'month', limitPoints: 1500n, usedPoints: 1000n });
    // Another member may convert, but FUEL's liquidity has only 500 points left above its floor.
    const other = await memberWith(app, 'liquidity', { SKY: 5000n });
    const floor = await refusedWithoutWriting(
      () => app.exchange.quote(asMember(app, other), skyToFuel),
      LiquidityFloorReached,
    );
    expect(floor).toMatchObject({ currency: 'FUEL', neededPoints: 1000n, headroomPoints: 500n });
  });
});
