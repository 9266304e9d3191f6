import { Migration } from '@mikro-orm/migrations';

/**
 * Tiers (issue 13): ladders per program, qualification, grants (manual, status match, VIP),
 * tier events, and the earn batch pricing each earn at the member's tier.
 *
 * - `tier_ladder_version`: a program's ordered tiers (code, name, threshold, multiplier, discount,
 *   perks) on one metric (qualifying points, spend or activities) over a window (calendar year
 *   or rolling 12 months), versioned by effective date, never edited.
 * - `member_tier`: a member's tier in force (`rank`) and qualified tier; `tier_qualification`:
 *   monthly qualifying totals, moved by earns (in `ledger_earn_batch`) and refunds
 *   (`tier_take_back`); `tier_earn`: what each tiered earn was priced at and added.
 * - Upgrades apply in the earn's transaction; downgrades only at the review date
 *   (`tier_review_due`), by at most the ladder's `downgrade_levels_max`.
 * - `tier_grant`: manual assignments, status matches and VIP terms, each for a period;
 *   `tier_refresh` derives the tier in force and records every change in `tier_event`.
 *
 * `ledger_earn_batch` keeps its signature and behaviour for programs without a ladder (one probe
 * per batch); for the others it prices each entry at the member's tier (the tier line is part of
 * the earn's one posting: refunds take it back in proportion like the rest) and, with the member
 * accounts held, moves qualification and applies upgrades: no round trip per earn.
 */
export class Migration0017Tiers extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
-- Whether a number is a valid tier list: 1-10 tiers, each with a code, a name, a threshold
-- (the first 0, then strictly increasing), an earn multiplier in basis points (0 < m <= 10x),
-- a discount in basis points (0-100%) and a perks list. Asserted by the gateway before writing.
create function tier_list_is_valid(tiers jsonb) returns boolean
language sql immutable parallel safe
return jsonb_typeof(tiers) = 'array'
  and jsonb_array_length(tiers) between 1 and 10
  and (tiers -> 0 ->> 'threshold')::numeric = 0
  and not exists (
    select 1 from jsonb_array_elements(tiers) with ordinality t(tier, n)
    where not (tier ?& array['code', 'name', 'threshold', 'multiplierBp', 'discountBp', 'perks'])
       or (tier ->> 'multiplierBp')::numeric not between 1 and 100000
       or (tier ->> 'discountBp')::numeric not between 0 and 10000
       or (tier ->> 'threshold')::numeric < 0
       or jsonb_typeof(tier -> 'perks') <> 'array'
       or (n > 1 and (tier ->> 'threshold')::numeric <= (tiers -> (n::int - 2) ->> 'threshold')::numeric));

-- A program's tier ladder, one row per version: a version applies from effective_from until the
-- next one; versions are never edited or removed (history kept). The rank of a tier is its index.
create table tier_ladder_version (
  currency_code text not null references currency (code),
  version integer not null constraint tier_ladder_version_positive check (version >= 1),
  effective_from timestamptz not null,
  metric text not null constraint tier_ladder_metric check (metric in ('points', 'spend', 'activities')),
  spend_currency text constraint tier_ladder_spend_currency check ((metric = 'spend') = (spend_currency is not null)),
  qualification_window text not null constraint tier_ladder_window check (qualification_window in ('calendar_year', 'rolling_12_months')),
  downgrade_levels_max integer not null default 1 constraint tier_ladder_downgrade_levels check (downgrade_levels_max between 1 and 10),
  tiers jsonb not null constraint tier_ladder_tiers_valid check (tier_list_is_valid(tiers)),
  created_by text not null,
  created_at timestamptz not null default now(),
  primary key (currency_code, version),
  constraint tier_ladder_one_version_per_instant unique (currency_code, effective_from)
);

-- Who may join a program's tiers: anyone (open: a first earn enrols), by invitation, or after
-- qualifying_purchases purchases or qualifying_spend_minor spend at the owning partner.
create table tier_program (
  currency_code text primary key references currency (code),
  enrolment text not null default 'open' constraint tier_program_enrolment check (enrolment in ('open', 'invitation', 'qualification')),
  qualifying_purchases integer constraint tier_program_qualifying_purchases check (qualifying_purchases > 0),
  qualifying_spend_minor bigint constraint tier_program_qualifying_spend check (qualifying_spend_minor > 0),
  qualifying_spend_currency text,
  updated_at timestamptz not null default now(),
  constraint tier_program_qualification_named check (
    (enrolment = 'qualification') = (qualifying_purchases is not null or qualifying_spend_minor is not null)),
  constraint tier_program_spend_currency check ((qualifying_spend_minor is null) = (qualifying_spend_currency is null))
);

-- A member's place on a program's ladder. rank is the tier in force (qualified_rank, raised by
-- status matches and VIP terms, or set by an operator's manual assignment); qualified_rank moves
-- up at once with qualification and down only at review_at, by at most the ladder's
-- downgrade_levels_max. grants_change_at is the next instant a grant starts or ends.
create table member_tier (
  member_id text not null references member (id),
  currency_code text not null references currency (code),
  rank integer not null constraint member_tier_rank_range check (rank between 0 and 9),
  qualified_rank integer not null constraint member_tier_qualified_rank_range check (qualified_rank between 0 and 9),
  enrolled_at timestamptz not null,
  enrolled_via text not null constraint member_tier_enrolled_via check (enrolled_via in ('earn', 'invitation', 'qualification', 'grant')),
  review_at timestamptz not null,
  grants_change_at timestamptz,
  updated_at timestamptz not null,
  primary key (member_id, currency_code)
);
create index member_tier_by_rank on member_tier (currency_code, rank, member_id);
create index member_tier_review_due on member_tier (review_at);
create index member_tier_grants_due on member_tier (grants_change_at) where grants_change_at is not null;

-- Qualification per member, program and calendar month (UTC): every metric is kept, so a new
-- ladder version may change its metric without losing history. Earns add, refunds take back.
create table tier_qualification (
  member_id text not null,
  currency_code text not null,
  month date not null,
  points bigint not null default 0 constraint tier_qualification_points_not_negative check (points >= 0),
  spend_minor bigint not null default 0 constraint tier_qualification_spend_not_negative check (spend_minor >= 0),
  activities integer not null default 0 constraint tier_qualification_activities_not_negative check (activities >= 0),
  primary key (member_id, currency_code, month),
  foreign key (member_id, currency_code) references member_tier (member_id, currency_code)
);

-- One row per earn a ladder applied to: the tier and multiplier it was priced at, its base and
-- tier points (total = base + tier points, the earn's posting), and what it added to
-- qualification, with what refunds have not yet taken back.
create table tier_earn (
  transfer_id text primary key references transfer (id),
  member_id text not null,
  currency_code text not null,
  month date not null,
  rank integer not null,
  multiplier_bp integer not null,
  base_points bigint not null constraint tier_earn_base_positive check (base_points > 0),
  tier_points bigint not null,
  qualifying_points bigint not null,
  qualifying_spend_minor bigint not null,
  qualifying_activities integer not null,
  points_left bigint not null,
  spend_left bigint not null,
  activities_left integer not null,
  -- The multiplier's rule: total = max(1, floor(base x multiplier)), capped at the transfer limit.
  constraint tier_earn_points_reconcile check (
    base_points + tier_points = least(greatest(1, (base_points * multiplier_bp) / 10000), 1000000000000)),
  constraint tier_earn_left_in_range check (
    points_left between 0 and qualifying_points and spend_left between 0 and qualifying_spend_minor
    and activities_left between 0 and qualifying_activities)
);

-- A tier given for a time rather than qualified for: an operator's or owning partner's manual
-- assignment (it overrides everything while active), a status match, or a paid VIP term.
create table tier_grant (
  id bigint generated always as identity primary key,
  member_id text not null,
  currency_code text not null,
  kind text not null constraint tier_grant_kind check (kind in ('manual', 'match', 'vip')),
  rank integer not null constraint tier_grant_rank_range check (rank between 0 and 9),
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  reason text not null constraint tier_grant_reason_length check (length(reason) between 1 and 500),
  granted_by text not null,
  source_id text,
  created_at timestamptz not null default now(),
  constraint tier_grant_period check (ends_at > starts_at),
  foreign key (member_id, currency_code) references member_tier (member_id, currency_code)
);
create index tier_grant_by_member on tier_grant (member_id, currency_code, ends_at);
create unique index tier_grant_one_per_source on tier_grant (member_id, currency_code, kind, source_id)
  where source_id is not null;

-- "SkyAir Gold gives Nordic Silver": while active, a member at from_rank or above in
-- from_currency holds to_rank in to_currency.
create table tier_status_match (
  id text primary key,
  from_currency text not null references currency (code),
  from_rank integer not null constraint tier_status_match_from_rank check (from_rank between 0 and 9),
  to_currency text not null references currency (code),
  to_rank integer not null constraint tier_status_match_to_rank check (to_rank between 0 and 9),
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  created_by text not null,
  created_at timestamptz not null default now(),
  constraint tier_status_match_two_programs check (from_currency <> to_currency),
  constraint tier_status_match_period check (ends_at > starts_at)
);
create index tier_status_match_from on tier_status_match (from_currency);

-- Every change of a member's tier in force, and why: the wallet shows them, and a later feature
-- publishes them to partners (append-only: never updated or deleted).
create table tier_event (
  id bigint generated always as identity primary key,
  member_id text not null,
  currency_code text not null,
  at timestamptz not null,
  from_rank integer,
  to_rank integer not null,
  reason text not null constraint tier_event_reason check (reason in ('enrolled', 'qualified', 'review', 'manual', 'match', 'vip', 'grant_ended')),
  detail text not null,
  actor text
);
create index tier_event_by_member on tier_event (member_id, currency_code, id);

create function tier_event_is_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'tier events are never updated or deleted' using errcode = 'integrity_constraint_violation';
end
$$;
create trigger tier_event_append_only before update or delete on tier_event
  for each row execute function tier_event_is_append_only();

`);
    this.addSql(`
-- A multiplier in basis points as a short decimal: 15000 -> '1.5', 20000 -> '2'.
create function tier_multiplier_text(bp integer) returns text
language sql immutable parallel safe
return trim(trailing '.' from trim(trailing '0' from to_char(bp / 10000.0, 'FM99990.0000')));

-- The ladder version in force at an instant (no row: the program has no ladder then).
create function tier_version_at(currency text, at timestamptz) returns setof tier_ladder_version
language sql stable
as $$
  select v.* from tier_ladder_version v
  where v.currency_code = currency and v.effective_from <= at
  order by v.effective_from desc limit 1
$$;

-- The first month (UTC) of the qualification window that contains an instant: the calendar year,
-- or the instant's month and the 11 before it.
create function tier_window_start(qualification_window text, at timestamptz) returns date
language sql immutable parallel safe
return case qualification_window
  when 'calendar_year' then date_trunc('year', at at time zone 'UTC')::date
  else (date_trunc('month', at at time zone 'UTC') - interval '11 months')::date end;

-- When a window that contains an instant ends: the next review date.
create function tier_window_end(qualification_window text, at timestamptz) returns timestamptz
language sql immutable parallel safe
return case qualification_window
  when 'calendar_year' then (date_trunc('year', at at time zone 'UTC') + interval '1 year') at time zone 'UTC'
  else at + interval '12 months' end;

-- A member's qualifying total on a ladder version's metric, over the window containing an instant.
create function tier_qualifying_total(member text, currency text, metric text, qualification_window text, at timestamptz)
returns bigint
language sql stable
as $$
  select coalesce(sum(case metric when 'points' then q.points when 'spend' then q.spend_minor
                                  else q.activities end), 0)::bigint
  from tier_qualification q
  where q.member_id = member and q.currency_code = currency
    and q.month between tier_window_start(qualification_window, at) and (at at time zone 'UTC')::date
$$;

-- The highest tier whose threshold a total reaches (rank 0's threshold is 0).
create function tier_rank_for(tiers jsonb, total bigint) returns integer
language sql immutable parallel safe
return (select coalesce(max(n - 1), 0)::integer
        from jsonb_array_elements(tiers) with ordinality t(tier, n)
        where (tier ->> 'threshold')::numeric <= total);

-- Enrols a member in a program's tiers at rank 0 unless enrolled already.
create function tier_enrol(member text, currency text, at timestamptz, via text) returns boolean
language plpgsql
as $$
declare
  v tier_ladder_version;
  inserted integer;
begin
  select * into v from tier_version_at(currency, at);
  insert into member_tier (member_id, currency_code, rank, qualified_rank, enrolled_at, enrolled_via, review_at, updated_at)
  values (member, currency, 0, 0, at, via,
          tier_window_end(coalesce(v.qualification_window, 'calendar_year'), at), at)
  on conflict do nothing;
  get diagnostics inserted = row_count;
  if inserted > 0 then
    insert into tier_event (member_id, currency_code, at, from_rank, to_rank, reason, detail, actor)
    values (member, currency, at, null, 0, 'enrolled', 'enrolled (' || via || ')', null);
  end if;
  return inserted > 0;
end
$$;

-- Sets a member's tier in force from their qualified tier and the grants active at p_at: an
-- active manual assignment wins; otherwise the highest of the qualified tier, status matches and
-- VIP terms; never above the ladder's top tier. A change is recorded as a tier event and
-- re-evaluates the status matches from this program (to a bounded depth: matches cannot loop).
create function tier_refresh(p_member text, p_currency text, p_at timestamptz, p_reason text,
                             p_detail text, p_actor text, p_depth integer default 0)
returns void
language plpgsql
as $$
declare
  current_row member_tier;
  manual_rank integer;
  floor_rank integer;
  top integer;
  new_rank integer;
  next_change timestamptz;
  m tier_status_match;
begin
  select * into current_row from member_tier
  where member_id = p_member and currency_code = p_currency for update;
  if not found then return; end if;
  select g.rank into manual_rank from tier_grant g
  where g.member_id = p_member and g.currency_code = p_currency and g.kind = 'manual'
    and g.starts_at <= p_at and g.ends_at > p_at
  order by g.starts_at desc, g.id desc limit 1;
  select max(g.rank) into floor_rank from tier_grant g
  where g.member_id = p_member and g.currency_code = p_currency and g.kind <> 'manual'
    and g.starts_at <= p_at and g.ends_at > p_at;
  select jsonb_array_length(v.tiers) - 1 into top from tier_version_at(p_currency, p_at) v;
  new_rank := least(coalesce(manual_rank, greatest(current_row.qualified_rank, floor_rank)), coalesce(top, 0));
  select min(x.t) into next_change from (
    select g.starts_at as t from tier_grant g
    where g.member_id = p_member and g.currency_code = p_currency and g.starts_at > p_at
    union all
    select g.ends_at from tier_grant g
    where g.member_id = p_member and g.currency_code = p_currency and g.ends_at > p_at
  ) x;
  update member_tier set rank = new_rank, grants_change_at = next_change, updated_at = p_at
  where member_id = p_member and currency_code = p_currency;
  if new_rank = current_row.rank then return; end if;
  insert into tier_event (member_id, currency_code, at, from_rank, to_rank, reason, detail, actor)
  values (p_member, p_currency, p_at, current_row.rank, new_rank, p_reason, p_detail, p_actor);
  if p_depth >= 3 then return; end if;
  for m in select * from tier_status_match s
           where s.from_currency = p_currency and s.starts_at <= p_at and s.ends_at > p_at loop
    perform tier_apply_match(p_member, m, new_rank, p_at, p_depth + 1);
  end loop;
end
$$;

-- Brings one member's status-match grant in line with their tier in the matched-from program:
-- holding from_rank or above grants to_rank in the other program until the agreement ends;
-- falling below ends the grant now.
create function tier_apply_match(p_member text, m tier_status_match, p_rank integer, p_at timestamptz,
                                 p_depth integer default 0)
returns void
language plpgsql
as $$
declare
  active_grant bigint;
begin
  select g.id into active_grant from tier_grant g
  where g.member_id = p_member and g.currency_code = m.to_currency and g.kind = 'match'
    and g.source_id = m.id and g.starts_at <= p_at and g.ends_at > p_at
  limit 1;
  if p_rank >= m.from_rank and active_grant is null then
    perform tier_enrol(p_member, m.to_currency, p_at, 'grant');
    insert into tier_grant (member_id, currency_code, kind, rank, starts_at, ends_at, reason, granted_by, source_id)
    values (p_member, m.to_currency, 'match', m.to_rank, p_at, m.ends_at,
            'status match ' || m.id || ' from ' || m.from_currency, 'status match', m.id);
    perform tier_refresh(p_member, m.to_currency, p_at, 'match',
                         'status match from ' || m.from_currency, null, p_depth);
  elsif p_rank < m.from_rank and active_grant is not null then
    update tier_grant set ends_at = p_at where id = active_grant;
    perform tier_refresh(p_member, m.to_currency, p_at, 'grant_ended',
                         'status match from ' || m.from_currency || ' ended', null, p_depth);
  end if;
end
$$;

-- Raises qualified tiers after earns: for each (member, program) given, the tier its qualifying
-- total implies at p_at; a higher one applies at once (an upgrade restarts a rolling window's
-- review period). Lower ones wait for the review date.
create function tier_upgrade(p_members text[], p_currencies text[], p_at timestamptz[]) returns integer
language plpgsql
as $$
declare
  r record;
  upgraded integer := 0;
begin
  for r in
    select t.member_id, t.currency_code, t.at, i.implied, v.qualification_window
    from unnest(p_members, p_currencies, p_at) t(member_id, currency_code, at)
    join member_tier mt on mt.member_id = t.member_id and mt.currency_code = t.currency_code
    cross join lateral tier_version_at(t.currency_code, t.at) v
    cross join lateral (select tier_rank_for(v.tiers, tier_qualifying_total(
      t.member_id, t.currency_code, v.metric, v.qualification_window, t.at)) as implied) i
    where i.implied > mt.qualified_rank
  loop
    update member_tier set qualified_rank = r.implied,
           review_at = case when r.qualification_window = 'rolling_12_months'
                            then tier_window_end(r.qualification_window, r.at) else review_at end
    where member_id = r.member_id and currency_code = r.currency_code;
    perform tier_refresh(r.member_id, r.currency_code, r.at, 'qualified', 'qualifying total reached', null);
    upgraded := upgraded + 1;
  end loop;
  return upgraded;
end
$$;

-- A refund takes back an earn's qualification in the refund's cumulative share of the purchase:
-- after refunds totalling R of P, exactly floor(q x R / P) of qualifying points and spend are
-- gone (the same rule as the points themselves), and the activity when the purchase is refunded
-- in full (total_minor null: a purchase recorded without an amount, refunded whole).
create function tier_take_back(earn_id text, refunded_before bigint, refunded_after bigint, total_minor bigint)
returns void
language plpgsql
as $$
declare
  e tier_earn;
  full_refund boolean := total_minor is null or refunded_after >= total_minor;
  points_back bigint;
  spend_back bigint;
  activities_back integer;
begin
  select * into e from tier_earn where transfer_id = earn_id for update;
  if not found then return; end if;
  if full_refund then
    points_back := e.points_left;
    spend_back := e.spend_left;
    activities_back := e.activities_left;
  else
    points_back := least(e.points_left, (e.qualifying_points * refunded_after) / total_minor
                                        - (e.qualifying_points * refunded_before) / total_minor);
    spend_back := least(e.spend_left, (e.qualifying_spend_minor * refunded_after) / total_minor
                                      - (e.qualifying_spend_minor * refunded_before) / total_minor);
    activities_back := 0;
  end if;
  update tier_earn set points_left = points_left - points_back, spend_left = spend_left - spend_back,
                       activities_left = activities_left - activities_back
  where transfer_id = earn_id;
  update tier_qualification set points = points - points_back, spend_minor = spend_minor - spend_back,
                                activities = activities - activities_back
  where member_id = e.member_id and currency_code = e.currency_code and month = e.month;
end
$$;

-- Reviews due: each member whose review date passed gets, for each review missed, the tier
-- the window before it implies, at most downgrade_levels_max below the tier held (never above
-- it: upgrades happen at earn). Grants that started or ended are applied too. Commits nothing
-- itself; returns how many members it reviewed or refreshed (at most batch_size each).
create function tier_review_due(as_of timestamptz, batch_size integer) returns integer
language plpgsql
as $$
declare
  r record;
  v tier_ladder_version;
  next_review timestamptz;
  qualified integer;
  implied integer;
  done integer := 0;
begin
  for r in select mt.member_id, mt.currency_code, mt.qualified_rank, mt.review_at from member_tier mt
           where mt.review_at <= as_of order by mt.review_at limit batch_size for update skip locked loop
    next_review := r.review_at;
    qualified := r.qualified_rank;
    while next_review <= as_of loop
      select * into v from tier_version_at(r.currency_code, next_review - interval '1 microsecond');
      if v.currency_code is null then
        next_review := next_review + interval '1 year';
        continue;
      end if;
      implied := tier_rank_for(v.tiers, tier_qualifying_total(r.member_id, r.currency_code, v.metric,
                                 v.qualification_window, next_review - interval '1 microsecond'));
      if implied < qualified then
        qualified := greatest(implied, qualified - v.downgrade_levels_max);
      end if;
      next_review := tier_window_end(v.qualification_window, next_review);
    end loop;
    update member_tier mt set qualified_rank = qualified, review_at = next_review
    where mt.member_id = r.member_id and mt.currency_code = r.currency_code;
    perform tier_refresh(r.member_id, r.currency_code, as_of, 'review', 'review of the qualification window', null);
    done := done + 1;
  end loop;
  for r in select mt.member_id, mt.currency_code from member_tier mt
           where mt.grants_change_at <= as_of order by mt.grants_change_at limit batch_size for update skip locked loop
    perform tier_refresh(r.member_id, r.currency_code, as_of, 'grant_ended', 'a tier grant started or ended', null);
    done := done + 1;
  end loop;
  return done;
end
$$;

`);
    this.addSql(`
create or replace function ledger_earn_batch(
  transfer_ids text[], partner_ids text[], member_ids text[], member_external_ids text[],
  currencies text[], points bigint[],
  external_ids text[], purchase_minor bigint[], purchase_currencies text[],
  created_ats timestamptz[], matures_ats timestamptz[], lot_expires_ats timestamptz[],
  descriptions text[], scopes text[], operations text[], idempotency_keys text[],
  request_hashes text[], responses jsonb[], skip_locked boolean default false
) returns table (entry integer, status text, member_id text, stored_response jsonb)
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  n constant integer := cardinality(transfer_ids);
  distinct_keys integer;
  members text[];
  blocked text[];
  member_accounts bigint[];
  issuance_accounts bigint[];
  accounts_missing integer;
  issuance_missing text;
  claimed integer[];
  missing integer;
  account_id bigint;
  distinct_purchases integer;
  taken_purchases bigint[] := '{}';
  held bigint[];
  busy boolean[];
  -- Tiers (migrations/0017): per entry, whether a ladder prices it, whether its member joins
  -- the program's tiers with it, the tier it is priced at, the qualifying spend it adds.
  tiered boolean[];
  enrol boolean[];
  tier_objects jsonb[];
  tier_ranks integer[];
  tier_multipliers integer[];
  spends bigint[];
  base_points bigint[] := points;
begin
  -- 0. Each purchase (partner, transaction id) is locked until the commit, so a payment or
  -- another earn under the same transaction id waits for this one and then sees it. Its own
  -- statement: the next one reads with a snapshot taken after the locks were granted.
  -- With skip_locked (the shared batch) nothing waits: a purchase another transaction holds
  -- makes its entry 'busy', and the caller posts it on its partner's own lane (EarnBatcher).
  if skip_locked then
    select coalesce(array_agg(s.k), '{}') into taken_purchases from (
      select distinct ledger_purchase_lock_key(partner_ids[i], external_ids[i]) as k
      from generate_subscripts(transfer_ids, 1) i offset 0
    ) s where not pg_try_advisory_xact_lock(s.k);
  else
    perform pg_advisory_xact_lock(s.k) from (
      select distinct ledger_purchase_lock_key(partner_ids[i], external_ids[i]) as k
      from generate_subscripts(transfer_ids, 1) i order by 1 offset 0
    ) s;
  end if;

  -- 1. Resolve, one index probe each (scalar subqueries: never a join, whatever
  -- the planner guesses the batch size is): members through the partner's own links, their
  -- accounts, the partners' issuance accounts.
  select count(distinct (scopes[r.i], operations[r.i], idempotency_keys[r.i])),
         count(distinct (partner_ids[r.i], external_ids[r.i])),
         array_agg(r.member_id order by r.i), array_agg(r.blocked order by r.i), array_agg(r.member_account order by r.i),
         array_agg(r.issuance_account order by r.i),
         count(*) filter (where r.member_id is not null and r.member_account is null),
         min(partner_ids[r.i] || ' in ' || currencies[r.i]) filter (where r.member_id is not null and r.issuance_account is null)
  into distinct_keys, distinct_purchases, members, blocked, member_accounts, issuance_accounts, accounts_missing, issuance_missing
  from (
    select m.i, m.member_id,
           (select a.id from account a
            where a.owner_id = m.member_id and a.kind = 'member' and a.currency_code = currencies[m.i]) as member_account,
           (select a.id from account a
            where a.owner_id = partner_ids[m.i] and a.kind = 'issuance' and a.currency_code = currencies[m.i]) as issuance_account,
           -- A new key under a transaction id that already has an earn, or a leg of another
           -- member, is refused (a used key answers from its stored response instead).
           case when m.member_id is not null and not exists (
                  select 1 from idempotency_key k
                  where k.scope = scopes[m.i] and k.operation = operations[m.i] and k.key = idempotency_keys[m.i])
             then (select case when bool_or(t.member_id <> m.member_id) then 'another_member'
                               when bool_or(t.code = 'earn') then 'already_earned' end
                   from transfer t
                   where t.partner_id = partner_ids[m.i] and t.external_id = external_ids[m.i]
                     and t.code in ('earn', 'redeem', 'hold'))
           end as blocked
    from (
      select i, case when member_ids[i] is not null
        then (select l.member_id from member_link l where l.partner_id = partner_ids[i] and l.member_id = member_ids[i])
        else (select l.member_id from member_link l where l.partner_id = partner_ids[i] and l.external_id = member_external_ids[i])
      end as member_id
      from generate_subscripts(transfer_ids, 1) i offset 0
    ) m
  ) r;
  -- Two entries with one key would both look claimed: the caller dedupes, this makes sure.
  if distinct_keys <> n then
    raise exception 'idempotency keys must be unique within a batch' using errcode = 'unique_violation';
  end if;
  if distinct_purchases <> n then
    raise exception 'transaction ids must be unique within a batch' using errcode = 'unique_violation';
  end if;
  if issuance_missing is not null then
    raise exception 'no issuance account for %', issuance_missing using errcode = 'foreign_key_violation';
  end if;
  -- A member's first earn in a currency creates the account (rare: a loop is fine).
  if accounts_missing > 0 then
    for missing in select i from generate_subscripts(transfer_ids, 1) i
                   where members[i] is not null and member_accounts[i] is null loop
      insert into account (kind, currency_code, member_id) values ('member', currencies[missing], members[missing])
      on conflict (owner_id, kind, currency_code) do nothing
      returning id into account_id;
      if account_id is null then
        select a.id into account_id from account a
        where a.owner_id = members[missing] and a.kind = 'member' and a.currency_code = currencies[missing];
      end if;
      member_accounts[missing] := account_id;
    end loop;
  end if;

  -- 1b. With skip_locked, lock every account the batch moves now, skipping rows another
  -- transaction holds (a stuck partner's issuance row, a member inside a slow payment): their
  -- entries are 'busy' and write nothing, so one stuck row never stalls the whole batch.
  if skip_locked then
    select coalesce(array_agg(l.id), '{}') into held from (
      select a.id from account a where a.id = any(member_accounts || issuance_accounts)
      order by a.id for no key update skip locked
    ) l;
    select array_agg(
             members[i] is not null and (
               not member_accounts[i] = any(select unnest(held))
               or not issuance_accounts[i] = any(select unnest(held))
               or ledger_purchase_lock_key(partner_ids[i], external_ids[i]) = any(select unnest(taken_purchases)))
             order by i)
    into busy from generate_subscripts(transfer_ids, 1) i;
  else
    busy := array_fill(false, array[n]);
  end if;

  -- 1c. Tiers (migrations/0017): an entry in a program with a ladder, for a member enrolled in
  -- its tiers (or joining an open program with this earn), is priced at the member's tier in
  -- force: total = max(1, floor(base x multiplier)), at most the transfer limit. The stored
  -- response gains the tier line and the tier's benefits. One probe when no program has tiers.
  if exists (select 1 from tier_ladder_version v where v.currency_code = any(currencies)) then
    select array_agg(x.tiered order by x.i), array_agg(x.enrol order by x.i),
           array_agg(x.rank order by x.i), array_agg(x.tier order by x.i),
           array_agg(x.spend order by x.i)
    into tiered, enrol, tier_ranks, tier_objects, spends
    from (
      select g.i,
             v.version is not null and members[g.i] is not null and blocked[g.i] is null and not busy[g.i]
               and (mt.member_id is not null or coalesce(tp.enrolment, 'open') = 'open') as tiered,
             mt.member_id is null as enrol,
             least(coalesce(mt.rank, 0), jsonb_array_length(v.tiers) - 1) as rank,
             v.tiers -> least(coalesce(mt.rank, 0), jsonb_array_length(v.tiers) - 1) as tier,
             case when v.spend_currency = purchase_currencies[g.i] then purchase_minor[g.i] else 0 end as spend
      from generate_subscripts(transfer_ids, 1) g(i)
      left join lateral tier_version_at(currencies[g.i], created_ats[g.i]) v on true
      left join member_tier mt on mt.member_id = members[g.i] and mt.currency_code = currencies[g.i]
      left join tier_program tp on tp.currency_code = currencies[g.i]
    ) x;
    select array_agg(case when tiered[i] then (tier_objects[i] ->> 'multiplierBp')::integer end order by i)
    into tier_multipliers from generate_subscripts(transfer_ids, 1) i;
    select array_agg(case when tiered[i]
                          then least(greatest(1, (points[i] * tier_multipliers[i]) / 10000), 1000000000000)
                          else points[i] end order by i)
    into points from generate_subscripts(transfer_ids, 1) i;
    select array_agg(case when not tiered[i] then responses[i] else responses[i] || jsonb_build_object(
             'points', points[i]::text,
             'lines', (responses[i] -> 'lines') || case when points[i] = base_points[i] then '[]'::jsonb
               else jsonb_build_array(jsonb_build_object(
                 'kind', 'tier', 'points', (points[i] - base_points[i])::text,
                 'description', (tier_objects[i] ->> 'name') || ' x' || tier_multiplier_text(tier_multipliers[i]))) end,
             'tier', jsonb_build_object(
               'currency', currencies[i], 'rank', tier_ranks[i], 'code', tier_objects[i] -> 'code',
               'name', tier_objects[i] -> 'name', 'multiplierBp', tier_multipliers[i],
               'discountBp', tier_objects[i] -> 'discountBp', 'perks', tier_objects[i] -> 'perks'))
           end order by i)
    into responses from generate_subscripts(transfer_ids, 1) i;
  else
    tiered := array_fill(false, array[n]);
  end if;

  -- 2. Claim the keys and write what the claimed entries move, in one statement. A concurrent
  -- duplicate waits at its key for the first and then sees its row.
  with claims as (
    insert into idempotency_key (scope, operation, key, request_hash, response)
    select scopes[i], operations[i], idempotency_keys[i], request_hashes[i],
           jsonb_set(responses[i], '{memberId}', to_jsonb(members[i]))
    from generate_subscripts(transfer_ids, 1) i
    where members[i] is not null and blocked[i] is null and not busy[i]
    on conflict do nothing
    returning scope, operation, key
  ), entries as materialized (
    select i from generate_subscripts(transfer_ids, 1) i
    join claims c on c.scope = scopes[i] and c.operation = operations[i] and c.key = idempotency_keys[i]
  ), transfers as (
    insert into transfer (id, code, partner_id, member_id, external_id, related_id,
                          purchase_amount_minor, purchase_currency, description, created_at)
    select transfer_ids[i], 'earn', partner_ids[i], members[i], external_ids[i], null,
           purchase_minor[i], purchase_currencies[i], descriptions[i], created_ats[i]
    from entries
  ), postings as (
    insert into posting (transfer_id, index, kind, source_account_id, target_account_id,
                         currency_code, amount_points)
    select transfer_ids[i], 0, case when matures_ats[i] is null then 'posted' else 'pending' end,
           issuance_accounts[i], member_accounts[i], currencies[i], points[i]
    from entries
  ), lots as (
    insert into lot (account_id, transfer_id, amount_points, remaining_points, expires_at, created_at)
    select member_accounts[i], transfer_ids[i], points[i], points[i], lot_expires_ats[i], created_ats[i]
    from entries where matures_ats[i] is null
  ), pendings as (
    insert into pending_transfer (transfer_id, kind, source_account_id, target_account_id,
                                  amount_points, remaining_points, due_at, lot_expires_at)
    select transfer_ids[i], 'earn', issuance_accounts[i], member_accounts[i], points[i], points[i],
           matures_ats[i], lot_expires_ats[i]
    from entries where matures_ats[i] is not null
  )
  select coalesce(array_agg(i order by i), '{}') into claimed from entries;

  -- 3. Member totals, then the hot issuance accounts last, so they are held from here to the
  -- commit and no longer. Each moves once per batch, rows locked in id order (the ordered
  -- FOR NO KEY UPDATE subquery locks before the update touches a row).
  update account a set credits_posted = a.credits_posted + d.posted,
                       credits_pending = a.credits_pending + d.pending
  from (
    select l.id, d.posted, d.pending
    from (select member_accounts[i] as id,
                 coalesce(sum(points[i]) filter (where matures_ats[i] is null), 0) as posted,
                 coalesce(sum(points[i]) filter (where matures_ats[i] is not null), 0) as pending
          from unnest(claimed) i group by 1) d
    join account l on l.id = d.id
    order by l.id for no key update of l
  ) d
  where a.id = d.id;
  update account a set debits_posted = a.debits_posted + d.posted,
                       debits_pending = a.debits_pending + d.pending
  from (
    select l.id, d.posted, d.pending
    from (select issuance_accounts[i] as id,
                 coalesce(sum(points[i]) filter (where matures_ats[i] is null), 0) as posted,
                 coalesce(sum(points[i]) filter (where matures_ats[i] is not null), 0) as pending
          from unnest(claimed) i group by 1) d
    join account l on l.id = d.id
    order by l.id for no key update of l
  ) d
  where a.id = d.id;

  -- 4. Tiers (migrations/0017), with the member accounts held: enrol first earners of open
  -- programs, record each tiered earn, add to the month's qualification, raise qualified tiers
  -- whose threshold is now reached (one tier change however many earns crossed it).
  if true = any(tiered) then
    perform tier_enrol(members[i], currencies[i], created_ats[i], 'earn')
    from unnest(claimed) i where tiered[i] and enrol[i];
    insert into tier_earn (transfer_id, member_id, currency_code, month, rank, multiplier_bp,
                           base_points, tier_points, qualifying_points, qualifying_spend_minor,
                           qualifying_activities, points_left, spend_left, activities_left)
    select transfer_ids[i], members[i], currencies[i], date_trunc('month', created_ats[i] at time zone 'UTC')::date,
           tier_ranks[i], tier_multipliers[i], base_points[i], points[i] - base_points[i],
           base_points[i], spends[i], 1, base_points[i], spends[i], 1
    from unnest(claimed) i where tiered[i];
    insert into tier_qualification as q (member_id, currency_code, month, points, spend_minor, activities)
    select members[i], currencies[i], date_trunc('month', created_ats[i] at time zone 'UTC')::date,
           sum(base_points[i]), sum(spends[i]), count(*)
    from unnest(claimed) i where tiered[i]
    group by 1, 2, 3
    on conflict (member_id, currency_code, month) do update
      set points = q.points + excluded.points, spend_minor = q.spend_minor + excluded.spend_minor,
          activities = q.activities + excluded.activities;
    perform tier_upgrade(array_agg(u.member_id), array_agg(u.currency_code), array_agg(u.at))
    from (select members[i] as member_id, currencies[i] as currency_code, max(created_ats[i]) as at
          from unnest(claimed) i where tiered[i] group by 1, 2) u;
  end if;

  -- One row per entry, in entry order; a key already used answers from its stored response.
  return query
  select g.i,
         case when members[g.i] is null then 'unknown_member'
              when blocked[g.i] is not null then blocked[g.i]
              when busy[g.i] then 'busy'
              when g.claimed then 'claimed'
              when g.stored <> 'null'::jsonb then 'replay'
              else 'conflict' end,
         members[g.i],
         case when g.claimed and tiered[g.i] then jsonb_set(responses[g.i], '{memberId}', to_jsonb(members[g.i]))
              when g.stored <> 'null'::jsonb then g.stored end
  from (
    select i, i = any(claimed) as claimed,
           case when members[i] is not null and blocked[i] is null and not busy[i] and not i = any(claimed) then (
             select case when k.request_hash = request_hashes[i] then k.response else 'null'::jsonb end
             from idempotency_key k
             where k.scope = scopes[i] and k.operation = operations[i] and k.key = idempotency_keys[i])
           end as stored
    from generate_subscripts(transfer_ids, 1) i offset 0
  ) g
  order by g.i;
end
$$;
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
