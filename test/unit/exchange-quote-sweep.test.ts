import { QuoteExpired } from '../../gateway/exchange/errors';
import { expiredQuoteRetentionMs } from '../../gateway/exchange/exchange-limits';
import { deleteExpiredQuotes } from '../../gateway/exchange/quotes';
import { NotFound } from '../../gateway/shared/errors';
import { asMember } from '../helpers/exchange-helpers';
import { createTestApp, failure, ok, type TestApp } from '../helpers/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app.close());

const htlToSky = { sourceCurrency: 'HTL', targetCurrency: 'SKY', sourcePoints: 1000n };

async function quoteExists(id: string): Promise<boolean> {
  const rows = await app.db.query('select 1 from exchange_quote where id = $1', [id]);
  return rows.rowCount === 1;
}

describe('the quote sweep', () => {
  it('keeps an expired quote for a day, then deletes it; a used quote stays', async () => {
    const alice = asMember(app, 'mbr_alice');
    const unused = ok(await app.exchange.quote(alice, htlToSky));
    const used = ok(await app.exchange.quote(alice, htlToSky));
    ok(await app.exchange.convert(alice, { quoteId: used.id, sourcePoints: 1000n }));

    app.clock.advance(expiredQuoteRetentionMs);
    expect(await app.exchange.deleteExpiredQuotes()).toBe(0);
    expect(
      failure(await app.exchange.convert(alice, { quoteId: unused.id, sourcePoints: 1000n })),
    ).toBeInstanceOf(QuoteExpired);

    app.clock.advance(60_001);
    expect(await app.exchange.deleteExpiredQuotes()).toBe(1);
    expect(await quoteExists(unused.id)).toBe(false);
    expect(await quoteExists(used.id)).toBe(true);
    expect(
      failure(await app.exchange.convert(alice, { quoteId: unused.id, sourcePoints: 1000n })),
    ).toBeInstanceOf(NotFound);
    // The conversion made with the used quote still answers its retry.
    const again = ok(await app.exchange.convert(alice, { quoteId: used.id, sourcePoints: 1000n }));
    expect(again.quoteId).toBe(used.id);
  });

  it('deletes a backlog in batches', async () => {
    const alice = asMember(app, 'mbr_alice');
    for (let index = 0; index < 5; index++) ok(await app.exchange.quote(alice, htlToSky));
    app.clock.advance(expiredQuoteRetentionMs + 60_001);
    const batches: number[] = [];
    const deleted = await deleteExpiredQuotes(app.db.retrying, app.clock.now(), 2, (so) =>
      batches.push(so),
    );
    expect(deleted).toBe(5);
    expect(batches).toEqual([2, 4]);
  });
});
