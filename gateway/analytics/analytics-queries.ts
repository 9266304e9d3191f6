import type { Sql } from '../db/sql';

/**
 * The read-only queries behind analytics, over the ledger's own tables (no copy, no rollup):
 * transfers in a time range by `transfer_created_at`, their postings by primary key, the two
 * accounts of each posting by primary key. Points of different currencies are never added up:
 * every figure is per currency.
 *
 * How a posting counts, by the kinds of its two accounts (a partner's issuance and redemption
 * accounts carry its id; member accounts none):
 * - earned: issuance -> member, posted or pending (a pending earn counts when earned; its
 *   maturing `post_pending` is the same points and does not count again);
 * - earn reversed: member -> issuance, posted (a refund takes earned points back), and
 *   issuance -> member `void_pending` (a refund voids a pending earn);
 * - burned: member -> redemption, posted (paid with points) or `post_pending` (a redemption
 *   hold confirmed); a hold's reservation (pending) and its release (void) do not count;
 * - burn reversed: redemption -> member, posted (a refunded payment, a cancelled redemption);
 * - expired: member -> breakage (the expiry sweep).
 * Conversions between programs (liquidity accounts), fees and adjustments are none of these.
 */

export interface TimeRange {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
}

export interface DayFigures {
  /** The UTC day, "2026-11-26". */
  day: string;
  currency: string;
  earnedPoints: bigint;
  earnReversedPoints: bigint;
  burnedPoints: bigint;
  burnReversedPoints: bigint;
}

/** The posting classes above, as SQL predicates over `p` (posting), `s` and `g` (accounts). */
const earned = `s.kind = 'issuance' and g.kind = 'member' and p.kind in ('posted', 'pending')`;
const earnReversed = `(s.kind = 'member' and g.kind = 'issuance' and p.kind = 'posted')
  or (s.kind = 'issuance' and g.kind = 'member' and p.kind = 'void_pending')`;
const burned = `s.kind = 'member' and g.kind = 'redemption' and p.kind in ('posted', 'post_pending')`;
const burnReversed = `s.kind = 'redemption' and g.kind = 'member' and p.kind = 'posted'`;
const expired = `s.kind = 'member' and g.kind = 'breakage'`;

/**
 * The postings of the transfers made in the range (at one partner when `$3` is set: a partner's
 * issuance and redemption accounts move only in transfers at that partner). The transfers are
 * found first, by `transfer_created_at` (and `transfer_partner_newest`), and materialized; their
 * postings and accounts are then read by primary key (`offset 0` keeps each lateral lookup a
 * lookup). Without these fences the planner hashed every posting and account: 1.5 s instead of
 * 0.2 s for a month of 1,000,000 transfers (EXPLAIN ANALYZE, docs/insights.md).
 */
const postingsInRange = `
  with t as materialized (
    select id, created_at, code from transfer
    where created_at >= $1 and created_at < $2 and ($3::text is null or partner_id = $3))
  select %COLUMNS%
  from t
  cross join lateral (
    select p.kind, p.currency_code, p.amount_points, p.source_account_id, p.target_account_id
    from posting p where p.transfer_id = t.id offset 0) p
  cross join lateral (select kind, partner_id from account where id = p.source_account_id offset 0) s
  cross join lateral (select kind, partner_id from account where id = p.target_account_id offset 0) g
  where true`;

function postingsQuery(columns: string): string {
  return postingsInRange.replace('%COLUMNS%', columns);
}

/**
 * Earn and burn per UTC day and currency, of one partner (points earned and burned at it) or
 * of every partner, in one currency or all. Days without movement are left out.
 */
export async function dailyFigures(
  sql: Sql,
  range: TimeRange,
  partnerId: string | null,
  currency: string | null,
): Promise<DayFigures[]> {
  const rows = await sql.query<{
    day: string;
    currency: string;
    earned: bigint;
    earn_reversed: bigint;
    burned: bigint;
    burn_reversed: bigint;
  }>(
    `${postingsQuery(`to_char(t.created_at at time zone 'UTC', 'YYYY-MM-DD') as day,
            p.currency_code as currency,
            coalesce(sum(p.amount_points) filter (where ${earned}), 0)::bigint as earned,
            coalesce(sum(p.amount_points) filter (where ${earnReversed}), 0)::bigint as earn_reversed,
            coalesce(sum(p.amount_points) filter (where ${burned}), 0)::bigint as burned,
            coalesce(sum(p.amount_points) filter (where ${burnReversed}), 0)::bigint as burn_reversed`)}
       and ($3::text is null or coalesce(s.partner_id, g.partner_id) = $3)
       and ($4::text is null or p.currency_code = $4)
       and ((s.kind = 'issuance' and g.kind = 'member') or (s.kind = 'member' and g.kind = 'issuance')
         or (s.kind = 'member' and g.kind = 'redemption') or (s.kind = 'redemption' and g.kind = 'member'))
     group by 1, 2
     having count(*) filter (where ${earned} or ${earnReversed} or ${burned} or ${burnReversed}) > 0
     order by 1, 2`,
    [range.from, range.to, partnerId, currency],
  );
  return rows.rows.map((row) => ({
    day: row.day,
    currency: row.currency,
    earnedPoints: row.earned,
    earnReversedPoints: row.earn_reversed,
    burnedPoints: row.burned,
    burnReversedPoints: row.burn_reversed,
  }));
}

/**
 * Points issued (earned, as above) and expired in the range, per currency of `currencies`:
 * the inputs of the breakage rate.
 */
export async function issuedAndExpired(
  sql: Sql,
  range: TimeRange,
  currencies: readonly string[],
): Promise<Map<string, { issuedPoints: bigint; expiredPoints: bigint }>> {
  const rows = await sql.query<{ currency: string; issued: bigint; expired: bigint }>(
    `${postingsQuery(`p.currency_code as currency,
            coalesce(sum(p.amount_points) filter (where ${earned}), 0)::bigint as issued,
            coalesce(sum(p.amount_points) filter (where ${expired}), 0)::bigint as expired`)}
       and t.code in ('earn', 'expire') and p.currency_code = any($4::text[])
     group by 1`,
    [range.from, range.to, null, currencies],
  );
  return new Map(
    rows.rows.map((row) => [
      row.currency,
      { issuedPoints: row.issued, expiredPoints: row.expired },
    ]),
  );
}

/**
 * Members with activity in the range: an earn, a payment or redemption hold, a refund or a
 * conversion (expiry and maturing are the ledger's doing, not the member's). At one partner
 * (its transfers) or anywhere; in one currency (a posting in it) or any.
 */
export async function activeMembers(
  sql: Sql,
  range: TimeRange,
  partnerId: string | null,
  currency: string | null,
): Promise<bigint> {
  const rows = await sql.query<{ members: bigint }>(
    `select count(distinct t.member_id) as members
     from transfer t
     where t.created_at >= $1 and t.created_at < $2 and t.member_id is not null
       and t.code in ('earn', 'redeem', 'hold', 'refund', 'convert')
       and ($3::text is null or t.partner_id = $3)
       and ($4::text is null or exists (
         select 1 from posting p where p.transfer_id = t.id and p.currency_code = $4))`,
    [range.from, range.to, partnerId, currency],
  );
  return rows.rows[0]!.members;
}

export interface TierCount {
  currency: string;
  rank: number;
  /** The tier's code and name in the ladder in force at `at`; null when the rank has none. */
  code: string | null;
  name: string | null;
  members: bigint;
}

/**
 * Members per tier now, per currency: every member with a tier in the program, or, for a
 * partner, the members linked to it, in the currencies it awards or accepts. Members without
 * a tier (programs without a ladder, members who never earned there) are not counted.
 */
export async function membersByTier(
  sql: Sql,
  partnerId: string | null,
  currency: string | null,
  at: Date,
): Promise<TierCount[]> {
  const rows = await sql.query<{
    currency: string;
    rank: number;
    code: string | null;
    name: string | null;
    members: bigint;
  }>(
    `with counts as (
       select mt.currency_code as currency, mt.rank, count(*) as members
       from member_tier mt
       where ($1::text is null or mt.currency_code = $1)
         and ($2::text is null or (
           exists (select 1 from member_link l where l.partner_id = $2 and l.member_id = mt.member_id)
           and exists (select 1 from partner_currency pc
                       where pc.partner_id = $2 and pc.currency_code = mt.currency_code)))
       group by 1, 2)
     select c.currency, c.rank, c.members,
            v.tiers -> c.rank ->> 'code' as code, v.tiers -> c.rank ->> 'name' as name
     from counts c left join lateral tier_version_at(c.currency, $3) v on true
     order by 1, 2`,
    [currency, partnerId, at],
  );
  return rows.rows;
}

/** A segment's member count as its last refresh computed it (gateway/segments). */
export interface SegmentCount {
  segmentId: string;
  kind: string;
  name: string;
  members: bigint;
  /** The time its membership was computed as of; null: never refreshed. */
  asOf: Date | null;
}

/**
 * Members per segment: a partner's segments for a partner's scope; the coalition's otherwise
 * (segments belong to a partner or to the coalition, not to a program). The stored counts of
 * the last refresh, by segment id.
 */
export async function membersBySegment(
  sql: Sql,
  partnerId: string | null,
): Promise<SegmentCount[]> {
  const rows = await sql.query<SegmentCount>(
    `select id as "segmentId", kind, name, member_count as members, as_of as "asOf"
     from segment where partner_id is not distinct from $1 order by id`,
    [partnerId],
  );
  return rows.rows;
}

/** The program currencies a scope's liability and breakage are about. */
export async function scopeCurrencies(
  sql: Sql,
  ownerPartnerId: string | null,
  currency: string | null,
): Promise<string[]> {
  const rows = await sql.query<{ code: string }>(
    `select code from currency
     where ($1::text is null or owner_partner_id = $1) and ($2::text is null or code = $2)
     order by code`,
    [ownerPartnerId, currency],
  );
  return rows.rows.map((row) => row.code);
}
