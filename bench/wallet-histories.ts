import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { benchPartnerId, earnCurrency, rewardsPartner } from './bench-data';

/** History entries per member: one more than the wallet query's page, so a next page exists. */
export const walletHistoryEntries = 21;
/** The three programs every member's wallet holds, and the partner that awards each. */
const programs = [
  { currency: earnCurrency, partnerId: benchPartnerId(0) },
  { currency: 'BXA', partnerId: benchPartnerId(1) },
  { currency: rewardsPartner.currency, partnerId: rewardsPartner.id },
] as const;
const expiryMonths = 36;
/** Days between two earns of a member; the oldest lots expire within the next 45 days. */
const daysBetweenEarns = 50;

export interface WalletHistoriesLoad {
  members: number;
  transfers: number;
  seconds: number;
}

/**
 * Gives each of the first `members` bench members (seedBenchData) a wallet like the wallet
 * member's: an account in each of the three programs and `walletHistoryEntries` earns spread
 * over the last three years (each with its posting and its open lot; the oldest expire within
 * 45 days, so `expiringSoon` and `nextExpiryAt` are not empty), in three set-based statements.
 * As bulk-load does, a superuser skips the foreign-key and outbox triggers (the rows are
 * consistent by construction; the account totals are the sums of the postings).
 *
 * Transfer ids are `trf_01` + the zero-padded row number: they sort by member, then by time, and
 * apart from bulk-load's `trf_00` ids.
 */
export async function loadWalletHistories(
  databaseUrl: string,
  members: number,
): Promise<WalletHistoriesLoad> {
  const client = new pg.Client(databaseUrl);
  await client.connect();
  const started = performance.now();
  try {
    const superuser = (
      await client.query<{ rolsuper: boolean }>(
        'select rolsuper from pg_roles where rolname = current_user',
      )
    ).rows[0]?.rolsuper;
    await client.query('begin');
    if (superuser) await client.query('set local session_replication_role = replica');
    await client.query(
      `insert into account (kind, currency_code, member_id)
       select 'member', c.code, 'mbr_bench_' || lpad(i::text, 7, '0')
       from generate_series(0, $1::int - 1) i cross join unnest($2::text[]) c(code)`,
      [members, programs.slice(1).map((program) => program.currency)],
    );
    // Fresh statistics, or the planner joins the 30,000 new accounts row by row.
    await client.query('analyze account');
    const loaded = await client.query<{ transfers: number }>(loadSql, [
      members,
      walletHistoryEntries,
      programs.map((program) => program.currency),
      programs.map((program) => program.partnerId),
    ]);
    await client.query('commit');
    for (const table of ['transfer', 'posting', 'lot', 'account']) {
      await client.query(`vacuum (analyze) ${table}`);
    }
    return {
      members,
      transfers: loaded.rows[0]?.transfers ?? 0,
      seconds: (performance.now() - started) / 1_000,
    };
  } finally {
    await client.end();
  }
}

// $1: members; $2: entries per member; $3, $4: the programs' currencies and awarding partners.
// Entry k of member i is in program k % 3, for (10 + 2.5 k) EUR at 1 point per euro.
const loadSql = `
with programs as (
  select p.position::int - 1 as position, p.currency, p.partner_id, a.id as issuance_account_id
  from unnest($3::text[], $4::text[]) with ordinality p(currency, partner_id, position)
  join account a on a.kind = 'issuance' and a.currency_code = p.currency
                and a.partner_id = p.partner_id
), rows as materialized (
  select 'trf_01' || lpad((i * $2::int + k)::text, 24, '0') as transfer_id,
         'mbr_bench_' || lpad(i::text, 7, '0') as member_id,
         pr.currency, pr.partner_id, pr.issuance_account_id, m.id as member_account_id,
         1000 + k * 250 as amount_minor, (1000 + k * 250) / 100 as points,
         date_trunc('second', now())
           - (($2::int - k) * ${daysBetweenEarns} + i % 30) * interval '1 day' as created_at
  from generate_series(0, $1::int - 1) i
  cross join generate_series(0, $2::int - 1) k
  join programs pr on pr.position = k % 3
  join account m on m.kind = 'member' and m.currency_code = pr.currency
                and m.owner_id = 'mbr_bench_' || lpad(i::text, 7, '0')
), transfers as (
  insert into transfer (id, code, partner_id, member_id, external_id, related_id,
                        purchase_amount_minor, purchase_currency, description, created_at,
                        first_currency_code, first_amount_points, first_posting_kind)
  select transfer_id, 'earn', partner_id, member_id, 'WH-' || transfer_id, null, amount_minor,
         'EUR', 'Earned ' || points || ' ' || currency || ' (' || to_char(amount_minor / 100.0, 'FM990.00') || ' EUR)',
         created_at, currency, points, 'posted'
  from rows
), postings as (
  insert into posting (transfer_id, index, kind, source_account_id, target_account_id,
                       currency_code, amount_points)
  select transfer_id, 0, 'posted', issuance_account_id, member_account_id, currency, points
  from rows
), lots as (
  insert into lot (account_id, transfer_id, amount_points, remaining_points, expires_at, created_at)
  select member_account_id, transfer_id, points, points,
         created_at + interval '${expiryMonths} months', created_at
  from rows
), credited as (
  update account a set credits_posted = a.credits_posted + s.points
  from (select member_account_id as id, sum(points) as points from rows group by 1) s
  where a.id = s.id
), debited as (
  update account a set debits_posted = a.debits_posted + s.points
  from (select issuance_account_id as id, sum(points) as points from rows group by 1) s
  where a.id = s.id
)
select count(*)::int as transfers from rows`;
