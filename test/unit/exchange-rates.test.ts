import { ArbitrageCycle } from '../../gateway/exchange/errors';
import { InvalidInput } from '../../gateway/shared/errors';
import { asMember, asOperator, availablePoints, memberWith } from '../helpers/exchange-helpers';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

const minute = 60_000;
const htlToSky = (sourcePoints: bigint) => ({
  sourceCurrency: 'HTL',
  targetCurrency: 'SKY',
  sourcePoints,
});
const newHtlToSkyRate = (sourceUnits: bigint, effectiveFrom?: Date) => ({
  sourceCurrency: 'HTL',
  targetCurrency: 'SKY',
  sourceUnits,
  targetUnits: 1n,
  incrementPoints: 1000n,
  dailyLimitPoints: 50_000n,
  monthlyLimitPoints: 200_000n,
  effectiveFrom,
});

describe('rate versions', () => {
  it('closes the open version, keeps past conversions at their rate, and shows the history', async () => {
    const member = await memberWith(app, 'versions', { HTL: 20_000n });
    const caller = asMember(app, member);
    const before = ok(await app.exchange.quote(caller, htlToSky(10_000n)));
    const old = ok(
      await app.exchange.convert(caller, { quoteId: before.id, sourcePoints: 10_000n }),
    );
    app.clock.advance(minute);
    const changedAt = app.clock.now();
    const newer = ok(await app.exchangeAdmin.setRate(asOperator(app), newHtlToSkyRate(10n)));
    const after = ok(await app.exchange.quote(caller, htlToSky(10_000n)));
    ok(await app.exchange.convert(caller, { quoteId: after.id, sourcePoints: 10_000n }));
    expect(after.baseTargetPoints).toBe(1000n);
    expect(await availablePoints(app, member, 'SKY')).toBe(2000n + 1000n);

    const history = ok(await app.exchange.rateHistory('HTL', 'SKY', 10));
    expect(history.map((rate) => [rate.sourceUnits, rate.effectiveTo])).toEqual([
      [10n, null],
      [5n, changedAt],
    ]);
    expect(newer.effectiveFrom).toEqual(changedAt);
    const conversions = await app.db.query<{ rate_id: bigint; base_target_points: bigint }>(
      'select rate_id, base_target_points from conversion where transfer_id = $1',
      [old.transferId],
    );
    expect(conversions.rows).toEqual([{ rate_id: history[1]!.id, base_target_points: 2000n }]);
  });

  it('converts a quote made before a rate change at the quote’s rate', async () => {
    const member = await memberWith(app, 'pinned', { HTL: 5000n });
    const caller = asMember(app, member);
    const quote = ok(await app.exchange.quote(caller, htlToSky(5000n)));
    app.clock.advance(1000);
    ok(await app.exchangeAdmin.setRate(asOperator(app), newHtlToSkyRate(5n)));
    const receipt = ok(
      await app.exchange.convert(caller, { quoteId: quote.id, sourcePoints: 5000n }),
    );
    expect(receipt).toMatchObject({ baseTargetPoints: 500n, rateId: quote.rateId });
    expect(await availablePoints(app, member, 'SKY')).toBe(500n);
  });

  it('schedules a future version and refuses one in the past or before the latest', async () => {
    const operator = asOperator(app);
    const inAnHour = new Date(app.clock.now().getTime() + 60 * minute);
    ok(await app.exchangeAdmin.setRate(operator, newHtlToSkyRate(4n, inAnHour)));
    const member = await memberWith(app, 'scheduled', { HTL: 8000n });
    const now = ok(await app.exchange.quote(asMember(app, member), htlToSky(4000n)));
    expect(now.baseTargetPoints).toBe(800n);
    app.clock.set(inAnHour);
    const later = ok(await app.exchange.quote(asMember(app, member), htlToSky(4000n)));
    expect(later.baseTargetPoints).toBe(1000n);
    const past = failure(
      await app.exchangeAdmin.setRate(operator, newHtlToSkyRate(5n, new Date('2020-01-01'))),
    );
    expect(past).toMatchObject({ field: 'effectiveFrom', reason: 'must not be in the past' });
    const sameStart = failure(
      await app.exchangeAdmin.setRate(operator, newHtlToSkyRate(5n, inAnHour)),
    );
    expect(sameStart).toBeInstanceOf(InvalidInput);
    app.clock.advance(minute);
    ok(await app.exchangeAdmin.setRate(operator, newHtlToSkyRate(5n)));
  });

  it('is enforced by the database too: terms never change, versions never overlap', async () => {
    const [open] = ok(await app.exchange.rateHistory('HTL', 'SKY', 1));
    await expect(
      app.db.query('update exchange_rate set source_units = 1 where id = $1', [open!.id]),
    ).rejects.toThrow(/immutable/);
    const [, closed] = ok(await app.exchange.rateHistory('HTL', 'SKY', 2));
    await expect(
      app.db.query('update exchange_rate set effective_to = null where id = $1', [closed!.id]),
    ).rejects.toThrow(/immutable/);
    await expect(
      app.db.query('delete from exchange_rate where id = $1', [closed!.id]),
    ).rejects.toThrow(/immutable/);
    await expect(
      app.db.query(
        `insert into exchange_rate (source_currency, target_currency, source_units, target_units,
           increment_points, minimum_points, effective_from, effective_to, set_by, created_at)
         values ('HTL', 'SKY', 1, 1, 1, 1, $1, $2, 'test', now())`,
        [closed!.effectiveFrom, open!.effectiveFrom],
      ),
    ).rejects.toThrow(/must not overlap/);
    await expect(app.db.query('update conversion set bonus_points = 1')).rejects.toThrow(
      /immutable/,
    );
  });
});

describe('the arbitrage guard', () => {
  beforeAll(async () => {
    const operator = asOperator(app);
    for (const code of ['AAA', 'BBB', 'CCC']) {
      ok(
        await app.catalog.createCurrency(operator, {
          code,
          name: `Test ${code}`,
          ownerPartnerId: 'ptr_skyair',
          expiryMonths: null,
        }),
      );
    }
  });
  const rate = (
    sourceCurrency: string,
    targetCurrency: string,
    sourceUnits: bigint,
    targetUnits: bigint,
  ) =>
    app.exchangeAdmin.setRate(asOperator(app), {
      sourceCurrency,
      targetCurrency,
      sourceUnits,
      targetUnits,
      incrementPoints: 1n,
    });

  it('refuses a rate that would close a cycle gaining more than 1, and names it', async () => {
    ok(await rate('AAA', 'BBB', 1n, 2n));
    ok(await rate('BBB', 'CCC', 1n, 3n));
    const error = failure(await rate('CCC', 'AAA', 5n, 1n));
    expect(error).toBeInstanceOf(ArbitrageCycle);
    expect(error).toMatchObject({ cycle: ['CCC', 'AAA', 'BBB', 'CCC'], gain: '1.200000' });
    // A cycle gaining exactly 1 (6 CCC = 1 AAA = 2 BBB = 6 CCC) cannot make points: allowed.
    ok(await rate('CCC', 'AAA', 6n, 1n));
  });

  it('refuses a promotion whose bonus would make a cycle gain', async () => {
    const operator = asOperator(app);
    const inAWeek = new Date(app.clock.now().getTime() + 7 * 86_400_000);
    const error = failure(
      await app.exchangeAdmin.addPromotion(operator, {
        sourceCurrency: 'AAA',
        targetCurrency: 'BBB',
        bonusPerMille: 1n,
        endsAt: inAWeek,
      }),
    );
    expect(error).toMatchObject({ cycle: ['AAA', 'BBB', 'CCC', 'AAA'], gain: '1.001000' });
    // HTL -> SKY -> HTL gains 1/5 x 4 = 0.8, so up to +25% on HTL -> SKY keeps it at 1.
    ok(
      await app.exchangeAdmin.addPromotion(operator, {
        sourceCurrency: 'HTL',
        targetCurrency: 'SKY',
        bonusPerMille: 250n,
        endsAt: inAWeek,
        description: '+25% miles this week',
      }),
    );
    const tooMuch = failure(
      await app.exchangeAdmin.addPromotion(operator, {
        sourceCurrency: 'SKY',
        targetCurrency: 'HTL',
        bonusPerMille: 10n,
        endsAt: inAWeek,
      }),
    );
    expect(tooMuch).toMatchObject({ cycle: ['SKY', 'HTL', 'SKY'], gain: '1.010000' });
  });
});

describe('promotions and fees', () => {
  it('adds the running promotion’s bonus, recorded apart from the base points', async () => {
    const member = await memberWith(app, 'bonus', { HTL: 4000n });
    const caller = asMember(app, member);
    const quote = ok(await app.exchange.quote(caller, htlToSky(4000n)));
    expect(quote).toMatchObject({ baseTargetPoints: 800n, bonusPoints: 200n, feePoints: 0n });
    const receipt = ok(
      await app.exchange.convert(caller, { quoteId: quote.id, sourcePoints: 4000n }),
    );
    expect(await availablePoints(app, member, 'SKY')).toBe(1000n);
    const [transfer] = await app.ledger.findTransfers([receipt.transferId]);
    expect(transfer!.postings.map((posting) => posting.amountPoints)).toEqual([4000n, 1000n]);
    const row = await app.db.query(
      'select base_target_points, bonus_points, promotion_id from conversion where transfer_id = $1',
      [receipt.transferId],
    );
    expect(row.rows[0]).toEqual({
      base_target_points: 800n,
      bonus_points: 200n,
      promotion_id: quote.promotionId,
    });
  });

  it('charges the fee as its own transfer, in source points, on top', async () => {
    const member = await memberWith(app, 'fee', { SKY: 1000n });
    const caller = asMember(app, member);
    const quote = ok(
      await app.exchange.quote(caller, {
        sourceCurrency: 'SKY',
        targetCurrency: 'HTL',
        sourcePoints: 600n,
      }),
    );
    expect(quote).toMatchObject({ baseTargetPoints: 2400n, bonusPoints: 0n, feePoints: 6n });
    const receipt = ok(
      await app.exchange.convert(caller, { quoteId: quote.id, sourcePoints: 600n }),
    );
    expect(await availablePoints(app, member, 'SKY')).toBe(1000n - 606n);
    expect(await availablePoints(app, member, 'HTL')).toBe(2400n);
    const [fee] = await app.ledger.findTransfers([receipt.feeTransferId!]);
    expect(fee).toMatchObject({ code: 'fee', relatedId: receipt.transferId, memberId: member });
    expect(
      fee!.postings.map((posting) => [
        posting.source.kind,
        posting.target.kind,
        posting.amountPoints,
      ]),
    ).toEqual([['member', 'liquidity', 6n]]);
  });
});
