import { Migration } from '@mikro-orm/migrations';

/**
 * The tiered earn path made cheaper (issue 13's earn_tiers_vs_plain). Measured with
 * pg_stat_user_functions on batches of 10: non-inlined SQL function calls per entry and per
 * member (the ladder version, the window's total, the rank for a total, the window's end) cost
 * more than the rows they read; enrolment ran one function call per first earner.
 *
 * - `ledger_earn_batch`: the version in force is an inlined probe; the priced points and the
 *   responses come from one pass; first earners are enrolled in one statement.
 * - `tier_upgrade`: one statement with the window's total and the implied rank written out,
 *   returning nothing to do in the usual case (no threshold crossed) without a function call
 *   per member.
 *
 * Behaviour is unchanged (the tier tests and the tier property test pin it).
 */
export class Migration0025TieredEarnsCheaper extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create or replace function tier_upgrade(p_members text[], p_currencies text[], p_at timestamptz[]) returns integer
language plpgsql
as $$
declare
  r record;
  upgraded integer := 0;
begin
  for r in
    select t.member_id, t.currency_code, t.at, x.implied, v.qualification_window
    from unnest(p_members, p_currencies, p_at) t(member_id, currency_code, at)
    join member_tier mt on mt.member_id = t.member_id and mt.currency_code = t.currency_code
    cross join lateral (
      select lv.metric, lv.qualification_window, lv.tiers from tier_ladder_version lv
      where lv.currency_code = t.currency_code and lv.effective_from <= t.at
      order by lv.effective_from desc limit 1
    ) v
    cross join lateral (
      select coalesce(sum(case v.metric when 'points' then q.points when 'spend' then q.spend_minor
                                        else q.activities end), 0) as total
      from tier_qualification q
      where q.member_id = t.member_id and q.currency_code = t.currency_code
        and q.month between (case v.qualification_window
                               when 'calendar_year' then date_trunc('year', t.at at time zone 'UTC')
                               else date_trunc('month', t.at at time zone 'UTC') - interval '11 months' end)::date
                        and (t.at at time zone 'UTC')::date
    ) q
    cross join lateral (
      select (count(*) - 1)::integer as implied from jsonb_array_elements(v.tiers) e
      where (e ->> 'threshold')::numeric <= q.total
    ) x
    where x.implied > mt.qualified_rank
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
  tier_windows text[];
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
    -- One pass: the version in force (an inlined probe, not a function call per entry), the
    -- member's tier, the program's enrolment; then the priced points and responses.
    select array_agg(x.tiered order by x.i), array_agg(x.enrol order by x.i),
           array_agg(x.rank order by x.i), array_agg(x.tier order by x.i),
           array_agg(x.spend order by x.i), array_agg(x.qualification_window order by x.i)
    into tiered, enrol, tier_ranks, tier_objects, spends, tier_windows
    from (
      select g.i,
             v.version is not null and members[g.i] is not null and blocked[g.i] is null and not busy[g.i]
               and (mt.member_id is not null or coalesce(tp.enrolment, 'open') = 'open') as tiered,
             mt.member_id is null as enrol,
             least(coalesce(mt.rank, 0), jsonb_array_length(v.tiers) - 1) as rank,
             v.tiers -> least(coalesce(mt.rank, 0), jsonb_array_length(v.tiers) - 1) as tier,
             case when v.spend_currency = purchase_currencies[g.i] then purchase_minor[g.i] else 0 end as spend,
             v.qualification_window
      from generate_subscripts(transfer_ids, 1) g(i)
      left join lateral (
        select lv.version, lv.tiers, lv.spend_currency, lv.qualification_window
        from tier_ladder_version lv
        where lv.currency_code = currencies[g.i] and lv.effective_from <= created_ats[g.i]
        order by lv.effective_from desc limit 1
      ) v on true
      left join member_tier mt on mt.member_id = members[g.i] and mt.currency_code = currencies[g.i]
      left join tier_program tp on tp.currency_code = currencies[g.i]
    ) x;
    select array_agg(p.multiplier order by p.i), array_agg(p.total order by p.i),
           array_agg(p.response order by p.i)
    into tier_multipliers, points, responses
    from (
      select i, m.multiplier,
             case when tiered[i] then least(greatest(1, (points[i] * m.multiplier) / 10000), 1000000000000)
                  else points[i] end as total
      from generate_subscripts(transfer_ids, 1) i
      cross join lateral (select case when tiered[i] then (tier_objects[i] ->> 'multiplierBp')::integer end as multiplier) m
    ) p0
    cross join lateral (
      select p0.i, p0.multiplier, p0.total,
             case when not tiered[p0.i] then responses[p0.i] else responses[p0.i] || jsonb_build_object(
               'points', p0.total::text,
               'lines', (responses[p0.i] -> 'lines') || case when p0.total = base_points[p0.i] then '[]'::jsonb
                 else jsonb_build_array(jsonb_build_object(
                   'kind', 'tier', 'points', (p0.total - base_points[p0.i])::text,
                   'description', (tier_objects[p0.i] ->> 'name') || ' x' || tier_multiplier_text(p0.multiplier))) end,
               'tier', jsonb_build_object(
                 'currency', currencies[p0.i], 'rank', tier_ranks[p0.i], 'code', tier_objects[p0.i] -> 'code',
                 'name', tier_objects[p0.i] -> 'name', 'multiplierBp', p0.multiplier,
                 'discountBp', tier_objects[p0.i] -> 'discountBp', 'perks', tier_objects[p0.i] -> 'perks'))
             end as response
    ) p;
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
    -- First earners of open programs join, set-based (an enrolment event each).
    with enrolled as (
      insert into member_tier (member_id, currency_code, rank, qualified_rank, enrolled_at,
                               enrolled_via, review_at, updated_at)
      select distinct on (members[i], currencies[i]) members[i], currencies[i], 0, 0, created_ats[i], 'earn',
             case tier_windows[i]
               when 'calendar_year' then (date_trunc('year', created_ats[i] at time zone 'UTC') + interval '1 year') at time zone 'UTC'
               else created_ats[i] + interval '12 months' end,
             created_ats[i]
      from unnest(claimed) i where tiered[i] and enrol[i]
      order by members[i], currencies[i], created_ats[i]
      on conflict do nothing
      returning member_id, currency_code, enrolled_at
    )
    insert into tier_event (member_id, currency_code, at, from_rank, to_rank, reason, detail, actor)
    select member_id, currency_code, enrolled_at, null, 0, 'enrolled', 'enrolled (earn)', null from enrolled;
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
