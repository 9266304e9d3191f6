import type { Sql } from '../db/sql';
import type { ExchangeQuote } from './exchange-model';

/** Quotes in SQL. A quote is written once and never changed; its use is its conversion row. */

export async function insertQuote(sql: Sql, quote: ExchangeQuote): Promise<void> {
  await sql.query(
    `insert into exchange_quote (id, member_id, partner_id, source_currency, target_currency,
       rate_id, promotion_id, source_points, base_target_points, bonus_points, fee_points,
       created_at, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      quote.id,
      quote.memberId,
      quote.partnerId,
      quote.sourceCurrency,
      quote.targetCurrency,
      quote.rateId,
      quote.promotionId,
      quote.sourcePoints,
      quote.baseTargetPoints,
      quote.bonusPoints,
      quote.feePoints,
      quote.createdAt,
      quote.expiresAt,
    ],
  );
}

/**
 * The quote, locked for the rest of the transaction so that two requests using it run one after
 * the other, with the conversion that used it, if any (read after the lock, so it sees a
 * conversion committed by whoever held the lock before).
 */
export async function lockQuote(
  sql: Sql,
  id: string,
): Promise<{ quote: ExchangeQuote; usedByTransferId: string | null } | null> {
  const rows = await sql.query<QuoteRow>(
    `select id, member_id, partner_id, source_currency, target_currency, rate_id, promotion_id,
            source_points, base_target_points, bonus_points, fee_points, created_at, expires_at
     from exchange_quote where id = $1 for update`,
    [id],
  );
  const row = rows.rows[0];
  if (!row) return null;
  const used = await sql.query<{ transfer_id: string }>(
    'select transfer_id from conversion where quote_id = $1',
    [id],
  );
  return { quote: quoteFromRow(row), usedByTransferId: used.rows[0]?.transfer_id ?? null };
}

/**
 * Deletes unused quotes that expired before `before`, `batchSize` at a time (short statements,
 * so a large backlog never holds locks for long); returns how many. A quote being converted is
 * skipped (its row is locked) and comes back on a later run.
 */
export async function deleteExpiredQuotes(
  sql: Sql,
  before: Date,
  batchSize = 10_000,
  progress: (deleted: number) => void = () => undefined,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const result = await sql.query(
      `delete from exchange_quote where id in (
         select q.id from exchange_quote q
         where q.expires_at < $1
           and not exists (select 1 from conversion c where c.quote_id = q.id)
         limit $2
         for update skip locked)`,
      [before, batchSize],
    );
    deleted += result.rowCount ?? 0;
    if ((result.rowCount ?? 0) < batchSize) return deleted;
    progress(deleted);
  }
}

interface QuoteRow {
  id: string;
  member_id: string;
  partner_id: string | null;
  source_currency: string;
  target_currency: string;
  rate_id: bigint;
  promotion_id: bigint | null;
  source_points: bigint;
  base_target_points: bigint;
  bonus_points: bigint;
  fee_points: bigint;
  created_at: Date;
  expires_at: Date;
}

function quoteFromRow(row: QuoteRow): ExchangeQuote {
  return {
    id: row.id,
    memberId: row.member_id,
    partnerId: row.partner_id,
    sourceCurrency: row.source_currency,
    targetCurrency: row.target_currency,
    rateId: row.rate_id,
    promotionId: row.promotion_id,
    sourcePoints: row.source_points,
    baseTargetPoints: row.base_target_points,
    bonusPoints: row.bonus_points,
    feePoints: row.fee_points,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
