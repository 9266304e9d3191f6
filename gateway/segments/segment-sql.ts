import {
  type BuiltInSegmentKind,
  builtInSegmentId,
  builtInSegmentKinds,
  type SegmentCondition,
  segmentWindows,
} from './segment-definition';

/**
 * The SQL that computes segment membership as of an instant, set-based: one pass over the
 * scope's transfers per statement (a partner's through the `transfer_partner_newest` index;
 * the coalition's, the table), grouped per member, never a probe per member into the history.
 * Nothing here runs on the earn path: membership is stored in `segment_member` by the refresh,
 * and the earn batch only probes that (migrations/0071).
 *
 * Terms, for every statement below and the documentation (docs/segments-and-offers.md):
 * - the scope's members: linked to the partner (member_link), or every member for the
 *   coalition; erased members are in no segment;
 * - activity: a transfer of the member in the scope (at the partner; anywhere for the
 *   coalition) of code earn, redeem, hold or convert, at or before "as of";
 * - a purchase: an earn with a purchase amount (an award of points alone, or a member event,
 *   is activity but not a purchase);
 * - spend: the purchase money of earns less the money of their refunds, per purchase currency,
 *   each counted at its own time.
 */

/** A statement and its parameters ($1 is always the partner (null: coalition), $2 "as of"). */
export interface Statement {
  text: string;
  values: unknown[];
}

const activityCodes = `('earn', 'redeem', 'hold', 'convert', 'refund')`;

/** The CTEs every statement starts with: the scope's members and its transfers up to $2. */
function scopeCtes(partnerId: string | null): string {
  const members =
    partnerId === null
      ? // ($1, the partner, is null here: named so that its type is known.)
        'select m.id as member_id from member m where m.erased_at is null and $1::text is null'
      : `select l.member_id from member_link l join member m on m.id = l.member_id
         where l.partner_id = $1 and m.erased_at is null`;
  const where =
    partnerId === null
      ? 't.member_id is not null'
      : 't.partner_id = $1 and t.member_id is not null';
  // Refunds count only as spend taken back, and only refunds of earns (not of payments).
  return `scope_members as (${members}),
  act as (
    select t.member_id, t.code, t.created_at, t.purchase_amount_minor, t.purchase_currency,
           t.code = 'earn' and t.purchase_amount_minor is not null as purchase,
           case when t.code = 'earn' then t.purchase_amount_minor
                when t.code = 'refund' and t.purchase_amount_minor is not null
                  and (select r.code from transfer r where r.id = t.related_id) = 'earn'
                  then -t.purchase_amount_minor end as spend_minor
    from transfer t
    where ${where} and t.code in ${activityCodes} and t.created_at <= $2
  )`;
}

/**
 * Every built-in segment of a scope, in one statement: the scope's per-member facts, then each
 * segment's members, written as the difference from what is stored (unchanged rows are not
 * touched), with each segment's count and "as of". Returns one row per segment: id, count.
 */
export function builtInRefresh(partnerId: string | null, asOf: Date, now: Date): Statement {
  const w = segmentWindows;
  const id = (kind: BuiltInSegmentKind) => `'${builtInSegmentId(kind, partnerId)}'`;
  const ids = builtInSegmentKinds.map((kind) => builtInSegmentId(kind, partnerId));
  const text = `
  with ${scopeCtes(partnerId)},
  facts as (
    select a.member_id,
           min(a.created_at) filter (where a.purchase) as first_purchase_at,
           max(a.created_at) filter (where a.code <> 'refund') as last_activity_at
    from act a group by a.member_id
  ),
  spend as (
    select a.member_id, a.purchase_currency as currency,
           coalesce(sum(a.spend_minor) filter (where a.created_at > $2 - interval '${w.highValueDays} days'), 0) as year_minor,
           coalesce(sum(a.spend_minor) filter (where a.created_at > $2 - interval '${w.quarterDays} days'), 0) as quarter_minor,
           coalesce(sum(a.spend_minor) filter (where a.created_at > $2 - interval '${2 * w.quarterDays} days'
                                                 and a.created_at <= $2 - interval '${w.quarterDays} days'), 0) as previous_quarter_minor
    from act a where a.spend_minor is not null
    group by a.member_id, a.purchase_currency
  ),
  ranked as (
    -- High value: among the scope's members with a positive year's spend in a currency, those
    -- ranked within the top fifth of them (ties at the boundary all count).
    select s.member_id,
           rank() over (partition by s.currency order by s.year_minor desc) as place,
           count(*) over (partition by s.currency) as spenders
    from spend s join scope_members sm on sm.member_id = s.member_id
    where s.year_minor > 0
  ),
  fresh as (
    select ${id('new')} as segment_id, f.member_id from facts f join scope_members sm using (member_id)
    where f.first_purchase_at > $2 - interval '${w.newDays} days'
    union all
    select ${id('active')}, f.member_id from facts f join scope_members sm using (member_id)
    where f.last_activity_at > $2 - interval '${w.activeDays} days'
    union all
    select ${id('lapsed')}, f.member_id from facts f join scope_members sm using (member_id)
    where f.last_activity_at <= $2 - interval '${w.activeDays} days'
    union all
    select distinct ${id('high_value')}, r.member_id from ranked r
    where r.place <= ceil(r.spenders * ${w.highValueShareBp} / 10000.0)
    union all
    select distinct ${id('at_risk')}, s.member_id from spend s join scope_members sm using (member_id)
    where s.previous_quarter_minor > 0 and s.quarter_minor < s.previous_quarter_minor
  ),
  ${writeCtes('$3::text[]', '$4')}
  select s.id, (select count(*) from fresh f where f.segment_id = s.id) as member_count
  from counted s`;
  return { text, values: [partnerId, asOf, ids, now] };
}

/**
 * The CTEs that store `fresh` (segment_id, member_id) for the segments in `ids`: delete what
 * left, insert what joined, then set the counts and "as of" ($2) and refresh time (`now`).
 */
function writeCtes(ids: string, now: string): string {
  return `removed as (
    delete from segment_member sm
    where sm.segment_id = any(${ids})
      and not exists (select 1 from fresh f where f.segment_id = sm.segment_id and f.member_id = sm.member_id)
  ),
  added as (
    insert into segment_member (segment_id, member_id)
    select f.segment_id, f.member_id from fresh f
    on conflict do nothing
  ),
  counted as (
    update segment s
    set member_count = (select count(*) from fresh f where f.segment_id = s.id),
        as_of = $2, refreshed_at = ${now}
    where s.id = any(${ids})
    returning s.id
  )`;
}

/** One custom segment's refresh: its conditions over the scope's per-member aggregates. */
export function customRefresh(
  segmentId: string,
  partnerId: string | null,
  conditions: readonly SegmentCondition[],
  asOf: Date,
  now: Date,
): Statement {
  const values: unknown[] = [partnerId, asOf, [segmentId], now];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const aggregates: string[] = [];
  const predicates: string[] = [];
  for (const [index, condition] of conditions.entries()) {
    const column = `c${index}`;
    switch (condition.kind) {
      case 'spend': {
        aggregates.push(`coalesce(sum(a.spend_minor) filter (
            where a.purchase_currency = ${param(condition.currency)}
              and a.created_at > $2 - make_interval(days => ${param(condition.days)})), 0) as ${column}`);
        if (condition.minMinor !== null) {
          predicates.push(
            `coalesce(g.${column}, 0) >= ${param(condition.minMinor.toString())}::bigint`,
          );
        }
        if (condition.belowMinor !== null) {
          predicates.push(
            `coalesce(g.${column}, 0) < ${param(condition.belowMinor.toString())}::bigint`,
          );
        }
        break;
      }
      case 'visits':
        aggregates.push(`count(*) filter (
            where a.purchase and a.created_at > $2 - make_interval(days => ${param(condition.days)})) as ${column}`);
        if (condition.min !== null)
          predicates.push(`coalesce(g.${column}, 0) >= ${param(condition.min)}`);
        if (condition.max !== null)
          predicates.push(`coalesce(g.${column}, 0) <= ${param(condition.max)}`);
        break;
      case 'lastActivity': {
        aggregates.push(`max(a.created_at) filter (where a.code <> 'refund') as ${column}`);
        predicates.push(
          condition.withinDays !== null
            ? `g.${column} > $2 - make_interval(days => ${param(condition.withinDays)})`
            : `g.${column} <= $2 - make_interval(days => ${param(condition.olderThanDays)})`,
        );
        break;
      }
      case 'birthdayMonth':
        predicates.push(`m.birth_month = any(${param(condition.months)}::integer[])`);
        break;
      case 'program':
        predicates.push(`(select 1 from account x where x.owner_id = sm.member_id and x.kind = 'member'
            and x.currency_code = ${param(condition.currency)} limit 1) is not null`);
        break;
      case 'tier':
        // The tier in force, read as the earn batch reads it: the rank on the ladder version in
        // force at "as of" (the top tier when the rank is past a shorter ladder).
        predicates.push(`(select lv.tiers -> least(mt.rank, jsonb_array_length(lv.tiers) - 1) ->> 'code'
            from member_tier mt
            cross join lateral (
              select v.tiers from tier_ladder_version v
              where v.currency_code = mt.currency_code and v.effective_from <= $2
              order by v.effective_from desc limit 1) lv
            where mt.member_id = sm.member_id and mt.currency_code = ${param(condition.currency)}
            limit 1) = any(${param(condition.tiers)}::text[])`);
        break;
    }
  }
  const text = `
  with ${scopeCtes(partnerId)},
  g as (
    select a.member_id${aggregates.map((aggregate) => `,\n           ${aggregate}`).join('')}
    from act a group by a.member_id
  ),
  fresh as (
    select ($3::text[])[1] as segment_id, sm.member_id
    from scope_members sm
    join member m on m.id = sm.member_id
    left join g on g.member_id = sm.member_id
    where ${predicates.length === 0 ? 'true' : predicates.join('\n      and ')}
  ),
  ${writeCtes('$3::text[]', '$4')}
  select s.id, (select count(*) from fresh f where f.segment_id = s.id) as member_count
  from counted s`;
  return { text, values };
}
