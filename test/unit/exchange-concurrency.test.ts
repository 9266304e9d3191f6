import { ConversionLimitExceeded, QuoteAlreadyUsed } from '../../gateway/exchange/errors';
import type { ConversionReceipt, ExchangeQuote } from '../../gateway/exchange/exchange-model';
import { DomainError } from '../../gateway/shared/errors';
import { asMember, asOperator, availablePoints, memberWith } from '../helpers/exchange-helpers';
import { createTestApp, ok, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

const membersConverting = 24;
const rateChanges = 8;
const htlToSky = (sourcePoints: bigint) => ({
  sourceCurrency: 'HTL',
  targetCurrency: 'SKY',
  sourcePoints,
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('many members converting while the operator changes the rate', () => {
  it('converts every quote at exactly the rate version it was quoted at', async () => {
    const members = await Promise.all(
      Array.from({ length: membersConverting }, (_, index) =>
        memberWith(app, `crowd_${index}`, { HTL: 30_000n }),
      ),
    );
    const operator = async () => {
      for (let change = 0; change < rateChanges; change++) {
        await pause(5);
        app.clock.advance(1000);
        ok(
          await app.exchangeAdmin.setRate(asOperator(app), {
            sourceCurrency: 'HTL',
            targetCurrency: 'SKY',
            // 4 to 11 HTL per SKY: never better than the way back (1 SKY = 4 HTL).
            sourceUnits: BigInt(4 + ((change * 3) % 8)),
            targetUnits: 1n,
            incrementPoints: 1000n,
            dailyLimitPoints: 50_000n,
          }),
        );
      }
    };
    const convert = async (memberId: string, index: number) => {
      const caller = asMember(app, memberId);
      const results: { quote: ExchangeQuote; receipt: ConversionReceipt }[] = [];
      for (const points of [7000n, 11_000n]) {
        await pause(index % 7);
        const quote = ok(await app.exchange.quote(caller, htlToSky(points)));
        await pause((index * 5) % 11);
        results.push({
          quote,
          receipt: ok(
            await app.exchange.convert(caller, { quoteId: quote.id, sourcePoints: points }),
          ),
        });
      }
      return results;
    };
    const [, ...perMember] = await Promise.all([operator(), ...members.map(convert)]);
    const conversions = perMember.flat();

    const rates = await app.db.query<{
      id: bigint;
      source_units: bigint;
      effective_from: Date;
      effective_to: Date | null;
    }>(
      `select id, source_units, effective_from, effective_to from exchange_rate
       where source_currency = 'HTL' and target_currency = 'SKY'`,
    );
    const rateById = new Map(rates.rows.map((rate) => [rate.id, rate]));
    expect(rates.rows).toHaveLength(1 + rateChanges);
    const usedVersions = new Set<bigint>();
    for (const { quote, receipt } of conversions) {
      const rate = rateById.get(quote.rateId)!;
      usedVersions.add(rate.id);
      expect(receipt.rateId).toBe(quote.rateId);
      expect(receipt.baseTargetPoints).toBe(quote.sourcePoints / rate.source_units);
      expect(rate.effective_from <= quote.createdAt).toBe(true);
      expect(rate.effective_to === null || quote.createdAt < rate.effective_to).toBe(true);
    }
    const rows = await app.db.query<{
      transfer_id: string;
      rate_id: bigint;
      base_target_points: bigint;
    }>('select transfer_id, rate_id, base_target_points from conversion');
    const byTransfer = new Map(rows.rows.map((row) => [row.transfer_id, row]));
    for (const { receipt } of conversions) {
      expect(byTransfer.get(receipt.transferId)).toMatchObject({
        rate_id: receipt.rateId,
        base_target_points: receipt.baseTargetPoints,
      });
    }
    expect(rows.rows).toHaveLength(membersConverting * 2);
    // The crowd really straddled the changes: more than one version was used.
    expect(usedVersions.size).toBeGreaterThan(1);
    for (const [index, memberId] of members.entries()) {
      const credited = perMember[index]!.reduce(
        (sum, { receipt }) => sum + receipt.baseTargetPoints,
        0n,
      );
      expect(await availablePoints(app, memberId, 'SKY')).toBe(credited);
      expect(await availablePoints(app, memberId, 'HTL')).toBe(30_000n - 18_000n);
    }
  });
});

describe('races on one member', () => {
  it('makes one conversion out of ten identical requests with one quote', async () => {
    const member = await memberWith(app, 'double_click', { HTL: 5000n });
    const caller = asMember(app, member);
    const quote = ok(await app.exchange.quote(caller, htlToSky(5000n)));
    const receipts = await Promise.all(
      Array.from({ length: 10 }, () =>
        app.exchange.convert(caller, { quoteId: quote.id, sourcePoints: 5000n }),
      ),
    );
    const first = ok(receipts[0]!);
    for (const receipt of receipts) expect(ok(receipt)).toEqual(first);
    const count = await app.db.query(
      'select count(*)::int as n from conversion where quote_id = $1',
      [quote.id],
    );
    expect(count.rows[0].n).toBe(1);
  });

  it('lets one of ten keys use a quote and refuses the others', async () => {
    const member = await memberWith(app, 'many_keys', { HTL: 5000n });
    const caller = asMember(app, member);
    const quote = ok(await app.exchange.quote(caller, htlToSky(5000n)));
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        app.exchange.convert(caller, {
          quoteId: quote.id,
          sourcePoints: 5000n,
          idempotencyKey: `key-${index}`,
        }),
      ),
    );
    expect(outcomes.filter((outcome) => !(outcome instanceof DomainError))).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome instanceof QuoteAlreadyUsed)).toHaveLength(9);
    expect(await availablePoints(app, member, 'HTL')).toBe(0n);
  });

  it('never lets two concurrent conversions slip under the daily limit together', async () => {
    const member = await memberWith(app, 'limit_race', { HTL: 100_000n });
    const caller = asMember(app, member);
    // Both quotes pass the limit check on their own (30,000 of 50,000 each).
    const quotes = [
      ok(await app.exchange.quote(caller, htlToSky(30_000n))),
      ok(await app.exchange.quote(caller, htlToSky(30_000n))),
    ];
    const outcomes = await Promise.all(
      quotes.map((quote) =>
        app.exchange.convert(caller, { quoteId: quote.id, sourcePoints: 30_000n }),
      ),
    );
    expect(outcomes.filter((outcome) => !(outcome instanceof DomainError))).toHaveLength(1);
    const refused = outcomes.find((outcome) => outcome instanceof ConversionLimitExceeded);
    expect(refused).toMatchObject({ period: 'day', usedPoints: 30_000n, requestedPoints: 30_000n });
    expect(await availablePoints(app, member, 'HTL')).toBe(70_000n);
  });
});
