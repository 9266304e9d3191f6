import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { benchPartnerCount, earnCurrency } from './bench-data';

/** Rows per statement: large enough to be set-based, small enough to keep memory and WAL bounded. */
const batchTransfersMax = 250_000;
export const bulkEarnPoints = 42;
const expiryMonths = 36;

export interface BulkLoadOptions {
  /** Transfers to add (earns of 42 BPT, each with its posting, lot and idempotency key). */
  transfers: number;
  /** Bench members present in the database (seedBenchData). */
  members: number;
  /** The transfers' timestamps are spread evenly over [createdFrom, createdTo). */
  createdFrom: Date;
  createdTo: Date;
  log: (line: string) => void;
}

export interface BulkLoadTimes {
  transfers: number;
  loadSeconds: number;
  /** VACUUM ANALYZE and CHECKPOINT after the load, so measurements start from a settled state. */
  settleSeconds: number;
  /** pg_database_size after the load. */
  databaseBytes: number;
}

/**
 * Stores `transfers` historical earns with set-based SQL (generate_series), as the ledger would
 * have written them: transfer, posting, lot (open, expiring 36 months after the earn), the
 * idempotency key with its stored response, and the member and issuance account totals.
 * Transfer n goes to member n % members from partner (n + n / members) % 20: each lap over the
 * members spreads the partners evenly and the next lap shifts them, so every member and every
 * partner holds an equal share.
 *
 * Transfer ids are `trf_00` + the zero-padded row number: valid ids that sort before every id
 * the gateway makes now, so history pages stay newest first. Run as a superuser, the load skips
 * foreign-key triggers (session_replication_role = replica): the rows are consistent by
 * construction, and `checkBulkLoad` verifies the totals afterwards.
 */
export async function bulkLoadEarns(
  databaseUrl: string,
  options: BulkLoadOptions,
): Promise<BulkLoadTimes> {
  const client = new pg.Client(databaseUrl);
  await client.connect();
  try {
    const superuser = (
      await client.query<{ rolsuper: boolean }>(
        'select rolsuper from pg_roles where rolname = current_user',
      )
    ).rows[0]?.rolsuper;
    const first = Number(
      (
        await client.query<{ next: string }>(
          "select count(*) as next from transfer where id like 'trf_00%'",
        )
      ).rows[0]!.next,
    );
    await createIndexTables(client);
    const started = performance.now();
    const spanMs = options.createdTo.getTime() - options.createdFrom.getTime();
    for (let done = 0; done < options.transfers; done += batchTransfersMax) {
      const count = Math.min(batchTransfersMax, options.transfers - done);
      await client.query('begin');
      if (superuser) await client.query('set local session_replication_role = replica');
      await client.query(loadBatchSql, [
        first + done,
        first + done + count - 1,
        options.members,
        options.createdFrom,
        spanMs / options.transfers,
        first,
      ]);
      await client.query('commit');
      const seconds = (performance.now() - started) / 1_000;
      options.log(
        `  loaded ${(done + count).toLocaleString('en')} / ${options.transfers.toLocaleString('en')} transfers (${seconds.toFixed(1)} s)`,
      );
    }
    const loadSeconds = (performance.now() - started) / 1_000;
    const settleStarted = performance.now();
    for (const table of ['transfer', 'posting', 'lot', 'account']) {
      await client.query(`vacuum (analyze) ${table}`);
    }
    if (superuser) await client.query('checkpoint');
    const settleSeconds = (performance.now() - settleStarted) / 1_000;
    const size = await client.query<{ bytes: string }>(
      'select pg_database_size(current_database())::text as bytes',
    );
    return {
      transfers: options.transfers,
      loadSeconds,
      settleSeconds,
      databaseBytes: Number(size.rows[0]!.bytes),
    };
  } finally {
    await client.end();
  }
}

/** Bench partners and members by position, with their BPT account ids. */
async function createIndexTables(client: pg.Client): Promise<void> {
  await client.query(
    `create temp table bench_partner_index as
     select (row_number() over (order by a.partner_id) - 1)::int as position, a.partner_id,
            a.id as account_id
     from account a
     where a.kind = 'issuance' and a.currency_code = $1 and a.partner_id like 'ptr_bench_%'`,
    [earnCurrency],
  );
  await client.query(
    `create temp table bench_member_index as
     select (row_number() over (order by a.member_id) - 1)::int as position, a.member_id,
            a.id as account_id
     from account a
     where a.kind = 'member' and a.currency_code = $1 and a.member_id ~ '^mbr_bench_[0-9]+$'`,
    [earnCurrency],
  );
  const partners = await client.query('select 1 from bench_partner_index');
  if (partners.rowCount !== benchPartnerCount) {
    throw new Error(`expected ${benchPartnerCount} bench issuance accounts`);
  }
}

// $1..$2: row numbers; $3: members; $4: first timestamp; $5: milliseconds between transfers;
// $6: the row number that $4 belongs to.
const loadBatchSql = `
with rows as materialized (
  select g,
         'trf_00' || lpad(g::text, 24, '0') as transfer_id,
         'BULK-' || g as external_id,
         p.partner_id, p.account_id as issuance_account_id,
         m.member_id, m.account_id as member_account_id,
         $4::timestamptz + ((g - $6) * $5::float8) * interval '1 millisecond' as created_at
  from generate_series($1::bigint, $2::bigint) g
  join bench_member_index m on m.position = g % $3::int
  join bench_partner_index p on p.position = (g + g / $3::int) % ${benchPartnerCount}
), transfers as (
  -- Each earn's idempotency claim on its row, as ledger_earn_batch writes it (migrations/0081).
  insert into transfer (id, code, partner_id, member_id, external_id, related_id,
                        purchase_amount_minor, purchase_currency, description, created_at,
                        request_hash, receipt_lines, lot_expires_at, first_currency_code,
                        first_amount_points, first_posting_kind)
  select transfer_id, 'earn', partner_id, member_id, external_id, null, 4200, 'EUR',
         'Earned at Bench Partner (42.00 EUR)', created_at, md5(external_id),
         jsonb_build_array(jsonb_build_object('kind', 'base', 'points', '${bulkEarnPoints}',
                                              'description', '1 per 100 minor units of EUR')),
         created_at + interval '${expiryMonths} months', '${earnCurrency}', ${bulkEarnPoints},
         'posted'
  from rows
), postings as (
  insert into posting (transfer_id, index, kind, source_account_id, target_account_id,
                       currency_code, amount_points)
  select transfer_id, 0, 'posted', issuance_account_id, member_account_id, '${earnCurrency}',
         ${bulkEarnPoints}
  from rows
), lots as (
  insert into lot (account_id, transfer_id, amount_points, remaining_points, expires_at, created_at)
  select member_account_id, transfer_id, ${bulkEarnPoints}, ${bulkEarnPoints},
         created_at + interval '${expiryMonths} months', created_at
  from rows
), credited as (
  update account a set credits_posted = a.credits_posted + s.points
  from (select member_account_id as id, count(*) * ${bulkEarnPoints} as points
        from rows group by member_account_id) s
  where a.id = s.id
), debited as (
  update account a set debits_posted = a.debits_posted + s.points
  from (select issuance_account_id as id, count(*) * ${bulkEarnPoints} as points
        from rows group by issuance_account_id) s
  where a.id = s.id
)
select count(*) from rows`;

/**
 * The ledger's invariants over the loaded data: postings balance the account totals, and each
 * member account's open lots sum to its available balance. Returns the problems found.
 */
export async function checkBulkLoad(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client(databaseUrl);
  await client.connect();
  try {
    const problems: string[] = [];
    const totals = await client.query<{ id: string }>(
      `select a.id from account a
       left join (select target_account_id as id, sum(amount_points) as credits
                  from posting where kind = 'posted' group by 1) c on c.id = a.id
       left join (select source_account_id as id, sum(amount_points) as debits
                  from posting where kind = 'posted' group by 1) d on d.id = a.id
       where a.credits_posted <> coalesce(c.credits, 0) or a.debits_posted <> coalesce(d.debits, 0)
       limit 5`,
    );
    for (const row of totals.rows) problems.push(`account ${row.id}: totals differ from postings`);
    const lots = await client.query<{ id: string }>(
      `select a.id from account a
       left join (select account_id, sum(remaining_points) as open from lot
                  where remaining_points > 0 group by 1) l on l.account_id = a.id
       where a.kind = 'member'
         and a.credits_posted - a.debits_posted - a.debits_pending <> coalesce(l.open, 0)
       limit 5`,
    );
    for (const row of lots.rows) problems.push(`account ${row.id}: open lots differ from balance`);
    return problems;
  } finally {
    await client.end();
  }
}
