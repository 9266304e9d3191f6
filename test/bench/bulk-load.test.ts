import pg from 'pg';
import { benchPartnerId, earnCurrency, seedBenchData } from '../../bench/bench-data';
import { bulkEarnPoints, bulkLoadEarns, checkBulkLoad } from '../../bench/bulk-load';
import { periodScanSql } from '../../bench/figures/settle-vs-scan';
import { createTestDatabase } from '../helpers/test-database';

const members = 40;
const transfers = 100;

describe('bulk-loading history for the scale figures', () => {
  let url: string;
  let client: pg.Client;
  beforeAll(async () => {
    url = await createTestDatabase();
    await seedBenchData(url, members);
    await bulkLoadEarns(url, {
      transfers,
      members,
      createdFrom: new Date('2025-01-01T00:00:00Z'),
      createdTo: new Date('2025-01-02T00:00:00Z'),
      log: () => undefined,
    });
    client = new pg.Client(url);
    await client.connect();
  });
  afterAll(() => client.end());

  const value = async (sql: string, values: unknown[] = []) =>
    (await client.query(sql, values)).rows[0];

  it('writes each earn as the ledger would: transfer, posting, open lot and idempotency key', async () => {
    expect(
      await value(
        `select count(*)::int as transfers, min(id) as first, max(id) as last,
                min(created_at) as earliest, max(created_at) as latest
         from transfer where id like 'trf_00%'`,
      ),
    ).toEqual({
      transfers: 100,
      first: 'trf_00000000000000000000000000',
      last: 'trf_00000000000000000000000099',
      earliest: new Date('2025-01-01T00:00:00Z'),
      latest: new Date('2025-01-01T23:45:36Z'),
    });
    expect(
      await value(
        `select count(*)::int as postings, sum(amount_points)::int as points from posting
         where transfer_id like 'trf_00%' and currency_code = $1`,
        [earnCurrency],
      ),
    ).toEqual({ postings: 100, points: 4_200 });
    expect(
      await value(
        `select count(*)::int as lots, sum(remaining_points)::int as open from lot
         where transfer_id like 'trf_00%'`,
      ),
    ).toEqual({ lots: 100, open: 4_200 });
    expect(
      await value(
        `select count(*)::int as keys,
                count(*) filter (where request_hash is not null and receipt_lines is not null)::int as claimed
         from transfer where external_id like 'BULK-%'`,
      ),
    ).toEqual({ keys: 100, claimed: 100 });
  });

  it('spreads the earns evenly over the 20 partners and every member', async () => {
    expect(
      await value(
        `select debits_posted::int as issued from account
         where kind = 'issuance' and partner_id = $1 and currency_code = $2`,
        [benchPartnerId(10), earnCurrency],
      ),
    ).toEqual({ issued: (transfers / 20) * bulkEarnPoints });
    expect(
      await value(
        `select count(distinct member_id)::int as members from transfer where id like 'trf_00%'`,
      ),
    ).toEqual({ members: 40 });
  });

  it('is what settle_vs_scan’s baseline aggregates: one row per partner with its issued points', async () => {
    const rows = await client.query(periodScanSql, [
      new Date('2025-01-01T00:00:00Z'),
      new Date('2025-01-02T00:00:00Z'),
    ]);
    expect(rows.rows).toHaveLength(20);
    expect(rows.rows.find((row) => row.partner_id === benchPartnerId(10))).toEqual({
      partner_id: benchPartnerId(10),
      currency_code: earnCurrency,
      code: 'earn',
      transfers: '5',
      points: '210',
      purchases_minor: '21000',
    });
  });

  it('keeps the ledger’s invariants: totals match postings, open lots match balances', async () => {
    expect(await checkBulkLoad(url)).toEqual([]);
  });
});
