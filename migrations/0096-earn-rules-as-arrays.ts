import { Migration } from '@mikro-orm/migrations';

/**
 * Earning rules reach the batch as arrays, not as one jsonb value (issue 14,
 * \`earn_rules_vs_plain\`). The gateway sent every entry's candidates as JSON (about 1.5 KB per
 * earn with the bench's 14 candidates: each world's mask, the stacking masks, every
 * candidate's grant as stored, the checks), and step 1d unnested it per entry and per
 * candidate (\`jsonb_array_elements\`, \`->>\` casts, then \`jsonb_agg\` of the applied grants):
 * its set-based machinery over jsonb was most of what rules cost the database
 * (docs/earning-rules.md, "a third round").
 *
 * Now the masks and points are \`bigint\` arrays (entries by worlds, entries by candidates), the
 * grants one \`text\` of JSON texts separated by U+001E (which JSON text never holds unescaped,
 * so nothing is quoted or escaped on either side), and only the applied grants are parsed,
 * once, as the stored array (\`'[' || string_agg(...) || ']'\`). Only the checks, a few
 * per earn, stay jsonb (\`candidate_checks\`, one array for the batch with each check's entry).
 * What is stored (\`transfer.rule_grants\`, reward vouchers, uses, budget draws) and what the
 * batch answers are unchanged; so are every check and the stacking.
 *
 * \`ledger_earn_batch\` is restated from 0081 with 0082's \`enable_seqscan = off\`: \`rule_candidates\`
 * gives way to \`world_masks\` (same position), and five arguments follow \`earn_lines\`.
 */
export class Migration0096EarnRulesAsArrays extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
drop function ledger_earn_batch(text[], text[], text[], text[], text[], bigint[], text[], bigint[], text[],
  timestamptz[], timestamptz[], timestamptz[], text[], text[], text[], text[], text[], jsonb[], boolean,
  bigint[], jsonb, jsonb[]);

${earnBatchFunction0096}
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}

/** The function as this migration creates it; 0098 restates it with one change. */
export const earnBatchFunction0096 = `create function ledger_earn_batch(
  transfer_ids text[], partner_ids text[], member_ids text[], member_external_ids text[],
  currencies text[], points bigint[],
  external_ids text[], purchase_minor bigint[], purchase_currencies text[],
  created_ats timestamptz[], matures_ats timestamptz[], lot_expires_ats timestamptz[],
  descriptions text[], scopes text[], operations text[], idempotency_keys text[],
  request_hashes text[], responses jsonb[], skip_locked boolean default false,
  bonus_points bigint[] default null, world_masks bigint[] default null,
  earn_lines jsonb[] default null, stop_masks bigint[] default null,
  exclusive_masks bigint[] default null, candidate_grants text default null,
  candidate_points bigint[] default null, candidate_checks jsonb default null
) returns table (entry integer, status text, member_id text, stored_response jsonb,
                  tier_version integer, tier_rank integer, tier_points bigint, rule_applied bigint, rule_grants jsonb)
language plpgsql
set plan_cache_mode = force_generic_plan
-- The generic plan guesses 1,000 entries, so a statement's estimated cost can cross
-- jit_above_cost (100,000) and PostgreSQL then compiles it on every call: about 0.5 s. It did
-- once the refund probe of step 1 was added (earns fell to 200/s on PostgreSQL 15, which has
-- JIT on); the batch's statements touch a few rows each and never gain from it.
set jit = off
set enable_seqscan = off
as $$
#variable_conflict use_column
declare
  n constant integer := cardinality(transfer_ids);
  distinct_keys integer;
  -- Per entry: whether its key was used already (claimed by its earlier transfer, or in
  -- idempotency_key), so that it answers from what was stored and writes nothing.
  used boolean[];
  members text[];
  blocked text[];
  member_accounts bigint[];
  issuance_accounts bigint[];
  accounts_missing integer;
  issuance_missing text;
  claimed integer[];
  -- The claimed entries that move points (a member event no rule rewarded moves none).
  moved integer[];
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
  tier_ranks integer[];
  tier_multipliers integer[];
  spends bigint[];
  tier_windows text[];
  tier_thresholds numeric[];
  tier_metrics text[];
  tier_starts date[];
  tier_months date[];
  up_members text[];
  up_currencies text[];
  up_ats timestamptz[];
  base_points bigint[] := points;
  requested_points bigint[] := points;
  tier_versions integer[];
  -- Earning rules (migrations/0029): per entry, the grants applied (null: none), their points,
  -- the limited uses they take and what they draw on budgets.
  rule_applied jsonb[];
  rule_masks bigint[];
  rule_points bigint[];
  rule_uses jsonb[];
  rule_budgets jsonb[];
  -- Step 1d's grants, one slot per entry and candidate (candidate_grants split).
  grant_slots text[];
  candidate_slots integer;
  uses_written integer;
  uses_expected integer;
  draw_rule text;
  draw_points bigint;
  draw_uses bigint;
begin
  -- 0. Each purchase (partner, transaction id) is locked until the commit, so a payment or
  -- another earn under the same transaction id waits for this one and then sees it. Its own
  -- statement: the next one reads with a snapshot taken after the locks were granted.
  -- With skip_locked (the shared batch) nothing waits: a purchase another transaction holds
  -- makes its entry 'busy', and the caller posts it on its partner's own lane (EarnBatcher).
  -- An earn under a key other than its transaction id (an explicit idempotencyKey) also locks
  -- the purchase its key names (0081): an earn claims its transaction id on its transfer, and
  -- such a key is claimed in idempotency_key, so two earns naming one key, either way, meet
  -- at one lock and the second sees the first.
  if skip_locked then
    select coalesce(array_agg(s.k), '{}') into taken_purchases from (
      select distinct ledger_purchase_lock_key(partner_ids[i], x.name) as k
      from generate_subscripts(transfer_ids, 1) i
      cross join lateral (select external_ids[i] as name
                          union all
                          select idempotency_keys[i] where operations[i] = 'earn' and idempotency_keys[i] <> external_ids[i]) x
      offset 0
    ) s where not pg_try_advisory_xact_lock(s.k);
  else
    perform pg_advisory_xact_lock(s.k) from (
      select distinct ledger_purchase_lock_key(partner_ids[i], x.name) as k
      from generate_subscripts(transfer_ids, 1) i
      cross join lateral (select external_ids[i] as name
                          union all
                          select idempotency_keys[i] where operations[i] = 'earn' and idempotency_keys[i] <> external_ids[i]) x
      order by 1 offset 0
    ) s;
  end if;

  -- 1. Resolve, one index probe each (scalar subqueries: never a join, whatever
  -- the planner guesses the batch size is): members through the partner's own links, their
  -- accounts, the partners' issuance accounts.
  select count(distinct (scopes[r.i], operations[r.i], idempotency_keys[r.i])),
         count(distinct (partner_ids[r.i], external_ids[r.i])),
         array_agg(r.member_id order by r.i), array_agg(r.blocked order by r.i), array_agg(r.used order by r.i),
         array_agg(r.member_account order by r.i),
         array_agg(r.issuance_account order by r.i),
         count(*) filter (where r.member_id is not null and r.member_account is null),
         min(partner_ids[r.i] || ' in ' || currencies[r.i]) filter (where r.member_id is not null and r.issuance_account is null)
  into distinct_keys, distinct_purchases, members, blocked, used, member_accounts, issuance_accounts, accounts_missing, issuance_missing
  from (
    select m.i, m.member_id, u.used,
           (select a.id from account a
            where a.owner_id = m.member_id and a.kind = 'member' and a.currency_code = currencies[m.i]) as member_account,
           (select a.id from account a
            where a.owner_id = partner_ids[m.i] and a.kind = 'issuance' and a.currency_code = currencies[m.i]) as issuance_account,
           -- A new key under a transaction id that already has an earn, a leg of another
           -- member, or a refund, is refused (a used key answers from its stored response
           -- instead). A refund is reckoned against the purchase's legs as they were: a leg added
           -- after it would make a later refund return the first leg's points twice (0032).
           case when m.member_id is not null and not u.used
             then case when l.another then 'another_member'
                       when l.earned then 'already_earned'
                       when l.refunded then 'already_refunded' end
           end as blocked
    from (
      select i, case when member_ids[i] is not null and scopes[i] = 'operator'
        -- The operator's member events (0036): the operator sees every member, linked or not.
        then (select m.id from member m where m.id = member_ids[i])
        when member_ids[i] is not null
        then (select l.member_id from member_link l where l.partner_id = partner_ids[i] and l.member_id = member_ids[i])
        else (select l.member_id from member_link l where l.partner_id = partner_ids[i] and l.external_id = member_external_ids[i])
      end as member_id
      from generate_subscripts(transfer_ids, 1) i offset 0
    ) m
    -- The purchase's legs, one probe of (partner, transaction id): an earn claimed on its
    -- transfer (0081: request_hash set) is this entry's key when the key is the transaction id.
    -- An aggregate: one row whatever the planner guesses (the refund check is a scalar probe
    -- with a limit: as an EXISTS, the generic plan made it a hash semi-join over every refund,
    -- a scan of the transfer table per batch; earns fell to 200/s on PostgreSQL 15).
    cross join lateral (
      select bool_or(t.member_id <> m.member_id) as another, bool_or(t.code = 'earn') as earned,
             bool_or(t.code = 'earn' and t.request_hash is not null) as claimed,
             bool_or((select 1 from transfer r where r.related_id = t.id and r.code = 'refund' limit 1) is not null) as refunded
      from transfer t
      where m.member_id is not null and t.partner_id = partner_ids[m.i] and t.external_id = external_ids[m.i]
        and t.code in ('earn', 'redeem', 'hold')
    ) l
    -- A key is used when an earlier earn holds it on its transfer, or idempotency_key does
    -- (member events, earns under an explicit key, and earns written before 0081). Scalar
    -- probes with a limit (rule 6 of docs/earn-path.md).
    cross join lateral (
      select coalesce(earn_lines[m.i] is not null and l.claimed, false)
             or (select 1 from idempotency_key k
                 where k.scope = scopes[m.i] and k.operation = operations[m.i] and k.key = idempotency_keys[m.i] limit 1) is not null
             -- An explicit key that another earn has as its transaction id.
             or (operations[m.i] = 'earn' and earn_lines[m.i] is null and idempotency_keys[m.i] <> external_ids[m.i] and (
                   select 1 from transfer t
                   where t.partner_id = partner_ids[m.i] and t.external_id = idempotency_keys[m.i] and t.code = 'earn'
                     and t.request_hash is not null limit 1) is not null) as used
    ) u
  ) r;
  -- Two entries with one key would both look claimed: the caller dedupes, this makes sure.
  if distinct_keys <> n then
    raise exception 'idempotency keys must be unique within a batch' using errcode = 'unique_violation';
  end if;
  -- An earn claimed on its transfer is the partner's own 'earn' key, its transaction id.
  if earn_lines is not null and (select count(*) from generate_subscripts(transfer_ids, 1) i
      where earn_lines[i] is not null
        and (operations[i] <> 'earn' or scopes[i] <> partner_ids[i] or idempotency_keys[i] <> external_ids[i])) > 0 then
    raise exception 'only an earn under its transaction id is claimed on its transfer' using errcode = 'check_violation';
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
               or ledger_purchase_lock_key(partner_ids[i], external_ids[i]) = any(select unnest(taken_purchases))
               or (operations[i] = 'earn' and idempotency_keys[i] <> external_ids[i]
                   and ledger_purchase_lock_key(partner_ids[i], idempotency_keys[i]) = any(select unnest(taken_purchases))))
             order by i)
    into busy from generate_subscripts(transfer_ids, 1) i;
  else
    busy := array_fill(false, array[n]);
  end if;

  -- 1c. Tiers: an entry in a program with a ladder, for a member enrolled in its tiers (or
  -- joining an open program with this earn), is priced at the member's tier in force:
  -- total = max(1, floor(base x multiplier)), at most the transfer limit; the result says how
  -- (version, rank, the tier line's points). One probe when no program has tiers.
  if exists (select 1 from tier_ladder_version v where v.currency_code = any(currencies)) then
    if bonus_points is not null then
      select array_agg(points[i] - coalesce(bonus_points[i], 0) order by i) into base_points
      from generate_subscripts(transfer_ids, 1) i;
    end if;
    -- One pass: the version in force, the member's tier, the program's enrolment (lateral
    -- probes: the limit keeps each from being pulled up into a join, which the generic plan,
    -- guessing 1,000 entries, made a hash join scanning every member_tier row: 2 ms a batch at
    -- 10,000 members, growing with the program), then the priced points.
    select array_agg(x.tiered order by x.i), array_agg(x.enrol order by x.i),
           array_agg(x.rank order by x.i), array_agg(x.spend order by x.i),
           array_agg(x.qualification_window order by x.i), array_agg(x.next_threshold order by x.i),
           array_agg(x.metric order by x.i), array_agg(x.window_start order by x.i),
           array_agg(x.month order by x.i), array_agg(x.multiplier order by x.i),
           array_agg(x.total order by x.i), array_agg(x.version order by x.i)
    into tiered, enrol, tier_ranks, spends, tier_windows, tier_thresholds, tier_metrics, tier_starts,
         tier_months, tier_multipliers, points, tier_versions
    from (
      select g.i, a.tiered, a.tiered and mt.member_id is null as enrol, a.rank,
             case when v.spend_currency = purchase_currencies[g.i] then purchase_minor[g.i] else 0 end as spend,
             v.qualification_window, v.metric,
             -- What the member's total must reach for the next qualified tier (null: the top).
             (v.tiers -> (coalesce(mt.qualified_rank, 0) + 1) ->> 'threshold')::numeric as next_threshold,
             -- The window containing the earn, as its first month (tier_window_start, inlined).
             case v.qualification_window
               when 'calendar_year' then date_trunc('year', created_ats[g.i] at time zone 'UTC')
               else date_trunc('month', created_ats[g.i] at time zone 'UTC') - interval '11 months' end::date as window_start,
             date_trunc('month', created_ats[g.i] at time zone 'UTC')::date as month,
             b.multiplier, c.total, v.version
      from generate_subscripts(transfer_ids, 1) g(i)
      left join lateral (
        select lv.version, lv.tiers, lv.spend_currency, lv.qualification_window, lv.metric
        from tier_ladder_version lv
        where lv.currency_code = currencies[g.i] and lv.effective_from <= created_ats[g.i]
        order by lv.effective_from desc limit 1
      ) v on true
      left join lateral (
        select m.member_id, m.rank, m.qualified_rank from member_tier m
        where m.member_id = members[g.i] and m.currency_code = currencies[g.i] limit 1
      ) mt on true
      left join lateral (
        -- Only a first earner's entry needs the program's enrolment rule.
        select p.enrolment from tier_program p
        where mt.member_id is null and p.currency_code = currencies[g.i] limit 1
      ) tp on true
      cross join lateral (
        select v.version is not null and members[g.i] is not null and blocked[g.i] is null and not busy[g.i]
                 and (mt.member_id is not null or coalesce(tp.enrolment, 'open') = 'open') as tiered,
               least(coalesce(mt.rank, 0), jsonb_array_length(v.tiers) - 1) as rank,
               v.tiers -> least(coalesce(mt.rank, 0), jsonb_array_length(v.tiers) - 1) as tier
      ) a
      cross join lateral (
        select case when a.tiered then (a.tier ->> 'multiplierBp')::integer end as multiplier
      ) b
      cross join lateral (
        select case when a.tiered
                    then least(points[g.i] - base_points[g.i]
                               -- No base (a member event): no tier line either.
                               + case when base_points[g.i] = 0 then 0
                                      else greatest(1, (base_points[g.i] * b.multiplier) / 10000) end,
                               1000000000000)
                    else points[g.i] end as total
      ) c
    ) x;
  else
    tiered := array_fill(false, array[n]);
  end if;

  -- 1d. Earning rules. The gateway evaluated each entry's rules in every world it can be in
  -- (0: no tier; r + 1: tier rank r, the last world standing for every rank above it) and
  -- sends them as arrays (0096; one jsonb value per batch before, unnested per entry and per
  -- candidate): per entry, each world's candidates as a bit mask ('world_masks', entries by
  -- worlds, an entry's last world repeated to the batch's widest and zeros for an entry
  -- without rules; bit o: candidate o, in evaluation order), which candidates are 'stop' and
  -- 'exclusive' ('stop_masks', 'exclusive_masks'), and per entry and candidate its points
  -- ('candidate_points', entries by candidates, 0 past an entry's last) and the grant as stored
  -- ('candidate_grants': JSON texts in the same order, entry after entry, separated by the
  -- control character U+001E, which JSON text never holds unescaped; empty past an entry's
  -- last: one value, nothing to quote or escape). Only the few candidates with something only the
  -- ledger can check come as jsonb ('candidate_checks', 'e' the entry): the member's N-th earn
  -- at this partner, a first earn in the coalition, a per-member limit, a budget, the member's
  -- birthday, a segment, an activated offer.
  -- With the member's rows held, in one statement: the world (the tier priced in 1c), those
  -- checks, then stacking among the candidates allowed, with bit arithmetic: the first (lowest
  -- bit) applies; if it is stackable, so do the later non-exclusive ones up to and including
  -- the first 'stop'. Only the applied grants are parsed, once, as the stored array. Rule
  -- points are added after the tier multiplier, which never applies to them. Budgets are read
  -- here and drawn in step 5, with the other hot rows.
  rule_points := array_fill(0::bigint, array[n]);
  if world_masks is not null then
    grant_slots := string_to_array(candidate_grants, chr(30));
    candidate_slots := array_length(candidate_points, 2);
    with x as (
      select w.i, w.earlier_at_partner, w.earlier_anywhere,
             world_masks[w.i][least(w.world, array_length(world_masks, 2) - 1) + 1] as holds
      from (
        select i, case when tiered[i] then tier_ranks[i] + 1 else 0 end as world,
               (row_number() over (partition by members[i], partner_ids[i] order by i) - 1)::integer as earlier_at_partner,
               (row_number() over (partition by members[i] order by i) - 1)::integer as earlier_anywhere
        from generate_subscripts(transfer_ids, 1) i
        where members[i] is not null and blocked[i] is null and not busy[i]
      ) w
    ), st as (
      select x.i, c.o, c.r, c.p, c.cap, c.per, c.b,
             -- History facts, from the member's newest transfers (their index alone: a generic
             -- plan ANDed in the partner's index, every transfer of a busy partner, 5 ms a
             -- probe), reading no more than the N earns the condition needs. A counter on
             -- member_link read one row instead but cost every earn a row update (+0.07 ms).
             (c.n is null or c.n = (
                select count(*) from (
                  select 1 from (select t.partner_id, t.code from transfer t
                                 where t.member_id = members[x.i] offset 0) t
                  where t.partner_id = partner_ids[x.i] and t.code = 'earn'
                  limit c.n) e)::integer + x.earlier_at_partner + 1)
             and (c.c1 is not true or (x.earlier_anywhere = 0 and (
                select 1 from transfer t where t.member_id = members[x.i] and t.code = 'earn' limit 1) is null))
             and (not c.b or (
                select sum(bs.remaining_points) >= c.p and sum(bs.remaining_uses) >= 1
                from earn_rule_budget_slot bs where bs.rule_id = c.r))
             -- The member's birthday and joining anniversary (0033), on the earn's date in the
             -- rule's time zone ('ld'): one probe of the member row, only for such rules.
             and (c.ld is null or coalesce((
                select (c.bm is not true or m.birth_month = extract(month from c.ld)::integer)
                   and (c.bdd is null or member_day_distance(c.ld, m.birth_month, m.birth_day) <= c.bdd)
                   and (c.an is null or (
                     member_day_distance(c.ld, extract(month from m.created_at at time zone c.tz)::integer,
                                         extract(day from m.created_at at time zone c.tz)::integer) <= c.an
                     and (m.created_at at time zone c.tz)::date + 365 - c.an <= c.ld))
                from member m where m.id = members[x.i]
                  and (m.birth_month is not null or (c.bm is not true and c.bdd is null))), false))
             -- The member is in segment 'sg' as its last refresh computed it, and activated
             -- offer 'ao' (0071): one primary-key probe each, only for such rules.
             and (c.sg is null or (
                select 1 from segment_member sm
                where sm.segment_id = c.sg and sm.member_id = members[x.i] limit 1) is not null)
             and (c.ao is null or (
                select 1 from offer_activation oa
                where oa.offer_id = c.ao and oa.member_id = members[x.i] limit 1) is not null) as eligible,
             -- Uses are numbered after the highest taken, this batch's in entry order (a number
             -- is never reused); the limit counts those not given back by a refund.
             case when c.cap is not null then prior.highest
               + row_number() over (partition by c.r, members[x.i], c.per order by x.i) end as use_no,
             case when c.cap is not null then prior.counted
               + row_number() over (partition by c.r, members[x.i], c.per order by x.i) end as uses
      from jsonb_to_recordset(candidate_checks)
        as c(e integer, o integer, r text, p bigint, n integer, c1 boolean, cap integer, per text, b boolean,
             ld date, tz text, bm boolean, bdd integer, an integer, sg text, ao text)
      join x on x.i = c.e
      cross join lateral (
        select coalesce(max(u.use_no), 0)::integer as highest,
               (count(*) filter (where u.restored_at is null))::integer as counted
        from earn_rule_use u
        where c.cap is not null and u.rule_id = c.r and u.member_id = members[x.i] and u.period = c.per
      ) prior
      where (x.holds >> c.o) & 1 = 1
    ), denied as (
      select st.i, bit_or(1::bigint << st.o) as mask from st
      where not (st.eligible and (st.cap is null or st.uses <= st.cap))
      group by st.i
    ), f as (
      select x.i,
             case when a.first = 0 then 0
                  when a.first & (stop_masks[x.i] | exclusive_masks[x.i]) <> 0 then a.first
                  else a.first | case when b.first_stop = 0 then r.rest else r.rest & (b.first_stop | (b.first_stop - 1)) end
             end as applied
      from x
      left join denied d on d.i = x.i
      cross join lateral (select x.holds & ~coalesce(d.mask, 0) as allowed) al
      cross join lateral (select al.allowed & -al.allowed as first) a
      cross join lateral (select al.allowed & ~a.first & ~exclusive_masks[x.i] as rest) r
      cross join lateral (select r.rest & stop_masks[x.i] & -(r.rest & stop_masks[x.i]) as first_stop) b
      where x.holds <> 0
    ), grants as (
      select f.i, f.applied,
             ('[' || string_agg(grant_slots[(f.i - 1) * candidate_slots + o], ',' order by o) || ']')::jsonb as grants,
             sum(candidate_points[f.i][o])::bigint as points
      from f cross join lateral generate_series(1, candidate_slots) o
      where (f.applied >> (o - 1)) & 1 = 1
      group by f.i, f.applied
    ), limited as (
      select st.i,
             jsonb_agg(jsonb_build_array(st.r, st.per, st.use_no)) filter (where st.cap is not null) as uses,
             jsonb_agg(jsonb_build_array(st.r, st.p)) filter (where st.b) as budgets
      from st join f on f.i = st.i
      where (f.applied >> st.o) & 1 = 1
      group by st.i
    )
    select array_agg(gr.grants order by g0.i), array_agg(coalesce(gr.points, 0) order by g0.i),
           array_agg(l.uses order by g0.i), array_agg(l.budgets order by g0.i),
           array_agg(gr.applied order by g0.i)
    into rule_applied, rule_points, rule_uses, rule_budgets, rule_masks
    from generate_subscripts(transfer_ids, 1) g0(i)
    left join grants gr on gr.i = g0.i
    left join limited l on l.i = g0.i;
    select array_agg(least(points[i] + rule_points[i], 1000000000000) order by i) into points
    from generate_subscripts(transfer_ids, 1) i;
  end if;

  -- 2. Claim the keys and write what the claimed entries move, in one statement. An earn
  -- under its transaction id (earn_lines given) claims it with its transfer row (0081): no
  -- other transaction can be claiming it, since the purchase's lock (step 0) is held from
  -- before step 1 saw it unused until the commit, so a plain insert; the unique index
  -- transfer_partner_external (one earn with a request_hash per partner and transaction id)
  -- would refuse a second all the same. Any other entry (a member event, which may move no
  -- points and have no transfer; an earn under an explicit key) claims its key in
  -- idempotency_key with its response, as before: a concurrent duplicate waits at its key for
  -- the first and then sees its row.
  with claims as (
    insert into idempotency_key (scope, operation, key, request_hash, response)
    select scopes[i], operations[i], idempotency_keys[i], request_hashes[i],
           jsonb_set(responses[i], '{memberId}', to_jsonb(members[i]))
    from generate_subscripts(transfer_ids, 1) i
    where members[i] is not null and blocked[i] is null and not busy[i] and earn_lines[i] is null
    on conflict do nothing
    returning scope, operation, key
  ), key_claims as materialized (
    select i from generate_subscripts(transfer_ids, 1) i
    join claims c on c.scope = scopes[i] and c.operation = operations[i] and c.key = idempotency_keys[i]
  ), transfers as (
    insert into transfer (id, code, partner_id, member_id, external_id, related_id,
                          purchase_amount_minor, purchase_currency, description, created_at,
                          tier_rank, tier_multiplier_bp, tier_base_points, tier_spend_minor, rule_grants,
                          request_hash, receipt_lines, matures_at, lot_expires_at)
    select transfer_ids[i], 'earn', partner_ids[i], members[i], external_ids[i], null,
           purchase_minor[i], purchase_currencies[i], descriptions[i], created_ats[i],
           -- A member event (no base) is not priced at a tier and does not qualify.
           case when tiered[i] and base_points[i] > 0 then tier_ranks[i] end,
           case when tiered[i] and base_points[i] > 0 then tier_multipliers[i] end,
           case when tiered[i] and base_points[i] > 0 then base_points[i] end,
           case when tiered[i] and base_points[i] > 0 then spends[i] end,
           rule_applied[i],
           -- The claim, and what the receipt says beyond the row (earns claimed on it only).
           case when earn_lines[i] is not null then request_hashes[i] end,
           earn_lines[i],
           case when earn_lines[i] is not null then matures_ats[i] end,
           case when earn_lines[i] is not null then lot_expires_ats[i] end
    from (
      select i from key_claims where points[i] > 0
      union all
      select i from generate_subscripts(transfer_ids, 1) i
      where earn_lines[i] is not null and members[i] is not null and blocked[i] is null and not busy[i]
        and not used[i]
    ) e
  ), claimed_entries as materialized (
    select i from key_claims
    union all
    select i from generate_subscripts(transfer_ids, 1) i
    where earn_lines[i] is not null and members[i] is not null and blocked[i] is null and not busy[i]
      and not used[i]
  ), entries as materialized (
    select i from claimed_entries where points[i] > 0
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
  ), uses as (
    -- Limited rules' uses, numbered per member and period: a number another transaction took
    -- first is a conflict, retried whole (below).
    -- Every claimed entry's: a member event whose rules give only a voucher moves no points.
    insert into earn_rule_use (rule_id, member_id, period, use_no, transfer_id)
    select u ->> 0, members[e.i], u ->> 1, (u ->> 2)::integer, transfer_ids[e.i]
    from claimed_entries e cross join lateral jsonb_array_elements(rule_uses[e.i]) u
    where rule_uses is not null
    on conflict do nothing
    returning 1
  ), vouchers as (
    -- Reward vouchers the applied rules give (0033): the grant names the code the gateway
    -- drew. The transfer id is the earn's, or the one a member event with no points would have
    -- had (no transfer row then: the voucher row is its record).
    insert into reward_voucher (code, rule_id, rule_version, partner_id, member_id, currency_code,
                                transfer_id, ordinal, grant_item, issued_at, expires_at)
    select v.item -> 'vc' ->> 'code', v.item ->> 'r', (v.item ->> 'v')::integer, partner_ids[e.i],
           members[e.i], currencies[e.i], transfer_ids[e.i], v.o::integer, v.item, created_ats[e.i],
           (v.item -> 'vc' ->> 'exp')::timestamptz
    from claimed_entries e cross join lateral jsonb_array_elements(rule_applied[e.i]) with ordinality v(item, o)
    where world_masks is not null and v.item ? 'vc'
  ), events as (
    -- points.earned for the partner's webhooks (issue 18, 0072), in the statement that writes
    -- the earn: one outbox row per earn, numbered after commit by the sequencer. Off only when
    -- an operator switched earn events off (outbox_earn_events(false)).
    insert into webhook_event (type, partner_id, member_id, occurred_at, data)
    select 'points.earned', partner_ids[i], members[i], created_ats[i],
           jsonb_strip_nulls(jsonb_build_object('transferId', transfer_ids[i], 'externalId', external_ids[i],
                                                'currency', currencies[i], 'points', points[i]))
    from entries
    where (select s.earn_events from webhook_outbox_setting s)
    order by i
  )
  select coalesce(array_agg(i order by i), '{}'),
         coalesce(array_agg(i order by i) filter (where points[i] > 0), '{}'),
         (select count(*) from uses)
  into claimed, moved, uses_written from claimed_entries;
  if world_masks is not null then
    select count(*) into uses_expected from unnest(claimed) i cross join lateral jsonb_array_elements(rule_uses[i]) u;
    if uses_written <> uses_expected then
      raise exception 'a limited earning rule was used concurrently by the same member'
        using errcode = 'serialization_failure';
    end if;
  end if;

  -- 3. Member totals, then the hot issuance accounts last, so they are held from here to the
  -- commit and no longer. Each moves once per batch, rows locked in id order (the ordered
  -- FOR NO KEY UPDATE subquery locks before the update touches a row).
  if not coalesce(true = any(tiered), false) then
    update account a set credits_posted = a.credits_posted + d.posted,
                         credits_pending = a.credits_pending + d.pending
    from (
      select l.id, d.posted, d.pending
      from (select member_accounts[i] as id,
                   coalesce(sum(points[i]) filter (where matures_ats[i] is null), 0) as posted,
                   coalesce(sum(points[i]) filter (where matures_ats[i] is not null), 0) as pending
            from unnest(moved) i group by 1) d
      join account l on l.id = d.id
      order by l.id for no key update of l
    ) d
    where a.id = d.id;
  else
    -- A tiered member account also adds the batch to its running window totals (the window of
    -- its latest earn in the batch) in the same row update; a window that moved (a new year, a
    -- new month of a rolling window, or none yet) is recomputed from the transfers, this batch's
    -- included (once per member and window). Members whose total reaches their next threshold
    -- are raised below (one tier change however many earns crossed it).
    with e as (
      select i, member_accounts[i] as id,
             first_value(i) over (partition by member_accounts[i] order by tiered[i] desc, created_ats[i] desc) as latest
      from unnest(moved) i
    ), d as (
      select e.id, e.latest,
             coalesce(sum(points[e.i]) filter (where matures_ats[e.i] is null), 0) as posted,
             coalesce(sum(points[e.i]) filter (where matures_ats[e.i] is not null), 0) as pending,
             case when tiered[e.latest] then tier_starts[e.latest] end as window_start,
             coalesce(sum(base_points[e.i]) filter (where tiered[e.i] and base_points[e.i] > 0 and tier_months[e.i] >= tier_starts[e.latest]), 0) as q_points,
             coalesce(sum(spends[e.i]) filter (where tiered[e.i] and base_points[e.i] > 0 and tier_months[e.i] >= tier_starts[e.latest]), 0) as q_spend,
             count(*) filter (where tiered[e.i] and base_points[e.i] > 0 and tier_months[e.i] >= tier_starts[e.latest]) as q_activities
      from e group by e.id, e.latest
    ), u as (
      update account a set credits_posted = a.credits_posted + d.posted,
                           credits_pending = a.credits_pending + d.pending,
        tier_window_points = case when d.window_start is null then a.tier_window_points
          when a.tier_window_start = d.window_start then a.tier_window_points + d.q_points
          else (select w.points from tier_window_totals(a.owner_id, a.currency_code, d.window_start) w) end,
        tier_window_spend_minor = case when d.window_start is null then a.tier_window_spend_minor
          when a.tier_window_start = d.window_start then a.tier_window_spend_minor + d.q_spend
          else (select w.spend_minor from tier_window_totals(a.owner_id, a.currency_code, d.window_start) w) end,
        tier_window_activities = case when d.window_start is null then a.tier_window_activities
          when a.tier_window_start = d.window_start then a.tier_window_activities + d.q_activities
          else (select w.activities from tier_window_totals(a.owner_id, a.currency_code, d.window_start) w) end,
        tier_window_start = coalesce(d.window_start, a.tier_window_start)
      from (
        select d.*
        from d join account l on l.id = d.id
        order by l.id for no key update of l
      ) d
      where a.id = d.id
      returning d.latest, a.tier_window_points, a.tier_window_spend_minor, a.tier_window_activities
    )
    select array_agg(members[u.latest]), array_agg(currencies[u.latest]), array_agg(created_ats[u.latest])
    into up_members, up_currencies, up_ats
    from u
    where tiered[u.latest]
      and tier_thresholds[u.latest] <= case tier_metrics[u.latest] when 'points' then u.tier_window_points
                                         when 'spend' then u.tier_window_spend_minor
                                         else u.tier_window_activities end;
  end if;

  -- 4. Tiers, with the member accounts held (and, on a partner's own lane, before its hot
  -- issuance account is): enrol first earners of open programs (an enrolment event each), then
  -- raise the qualified tier of members whose total reached the next threshold in step 3. The
  -- earn itself is on its transfer row (tier_* columns).
  if true = any(enrol) then
    with enrolled as (
      insert into member_tier (member_id, currency_code, rank, qualified_rank, enrolled_at,
                               enrolled_via, review_at, updated_at)
      select distinct on (members[i], currencies[i]) members[i], currencies[i], 0, 0, created_ats[i], 'earn',
             case tier_windows[i]
               when 'calendar_year' then (date_trunc('year', created_ats[i] at time zone 'UTC') + interval '1 year') at time zone 'UTC'
               else created_ats[i] + interval '12 months' end,
             created_ats[i]
      from unnest(moved) i where tiered[i] and enrol[i]
      order by members[i], currencies[i], created_ats[i]
      on conflict do nothing
      returning member_id, currency_code, enrolled_at
    )
    insert into tier_event (member_id, currency_code, at, from_rank, to_rank, reason, detail, actor)
    select member_id, currency_code, enrolled_at, null, 0, 'enrolled', 'enrolled (earn)', null from enrolled;
  end if;
  if up_members is not null then
    perform tier_upgrade(up_members, up_currencies, up_ats);
  end if;

  -- 5. The hot rows, last. Budgets first: each budgeted rule (in rule order) draws what the
  -- claimed entries were granted from one of its slots that holds it all (picked by connection,
  -- so concurrent batches spread over the 8); when none does (a small budget, or its end), from
  -- several, all locked in slot order. Short of it (drawn meanwhile), the batch retries whole,
  -- and step 1d then sees what is left.
  if world_masks is not null then
    for draw_rule, draw_points, draw_uses in
      select b ->> 0, sum((b ->> 1)::bigint), count(*)
      from unnest(claimed) i cross join lateral jsonb_array_elements(rule_budgets[i]) b
      group by 1 order by 1
    loop
      update earn_rule_budget_slot s
      set remaining_points = s.remaining_points - draw_points, remaining_uses = s.remaining_uses - draw_uses
      where s.rule_id = draw_rule and s.remaining_points >= draw_points and s.remaining_uses >= draw_uses
        and s.slot = (select s2.slot from earn_rule_budget_slot s2
                      where s2.rule_id = draw_rule and s2.remaining_points >= draw_points and s2.remaining_uses >= draw_uses
                      order by (s2.slot + pg_backend_pid()) % 8 limit 1);
      if not found then
        perform 1 from earn_rule_budget_slot s where s.rule_id = draw_rule order by s.slot for no key update;
        if (select sum(s.remaining_points) < draw_points or sum(s.remaining_uses) < draw_uses
            from earn_rule_budget_slot s where s.rule_id = draw_rule) then
          raise exception 'an earning rule budget was drawn concurrently'
            using errcode = 'serialization_failure';
        end if;
        -- Greedy, in slot order: each slot gives what the ones before it left to draw.
        update earn_rule_budget_slot s
        set remaining_points = s.remaining_points - least(s.remaining_points, greatest(0, draw_points - c.points_before)),
            remaining_uses = s.remaining_uses - least(s.remaining_uses, greatest(0, draw_uses - c.uses_before))
        from (
          select slot,
                 coalesce(sum(remaining_points) over (order by slot rows between unbounded preceding and 1 preceding), 0) as points_before,
                 coalesce(sum(remaining_uses) over (order by slot rows between unbounded preceding and 1 preceding), 0) as uses_before
          from earn_rule_budget_slot where rule_id = draw_rule
        ) c
        where s.rule_id = draw_rule and s.slot = c.slot;
      end if;
    end loop;
  end if;

  -- The issuance accounts, last.
  update account a set debits_posted = a.debits_posted + d.posted,
                       debits_pending = a.debits_pending + d.pending
  from (
    select l.id, d.posted, d.pending
    from (select issuance_accounts[i] as id,
                 coalesce(sum(points[i]) filter (where matures_ats[i] is null), 0) as posted,
                 coalesce(sum(points[i]) filter (where matures_ats[i] is not null), 0) as pending
          from unnest(moved) i group by 1) d
    join account l on l.id = d.id
    order by l.id for no key update of l
  ) d
  where a.id = d.id;

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
         case when g.stored <> 'null'::jsonb then g.stored end,
         case when g.claimed and tiered[g.i] then tier_versions[g.i] else r.version end,
         case when g.claimed and tiered[g.i] then tier_ranks[g.i] else r.rank end,
         case when g.claimed and tiered[g.i] then points[g.i] - requested_points[g.i] - rule_points[g.i] else r.line_points end,
         -- A claimed earn's grants as the mask of its candidates (the caller has them); a
         -- replay's as stored on its transfer.
         case when g.claimed then rule_masks[g.i] end,
         -- A member event that moved no points has no transfer: its vouchers are its grants.
         case when not g.claimed then coalesce(r.rule_grants, case when g.stored <> 'null'::jsonb
           and (g.stored ->> 'points')::bigint = 0 then (
             select jsonb_agg(v.grant_item order by v.ordinal) from reward_voucher v
             where v.transfer_id = g.stored ->> 'transferId') end) end
  from (
    select i, i = any(claimed) as claimed,
           case when members[i] is not null and blocked[i] is null and not busy[i] and not i = any(claimed) then coalesce((
             select case when k.request_hash = request_hashes[i] then k.response else 'null'::jsonb end
             from idempotency_key k
             where k.scope = scopes[i] and k.operation = operations[i] and k.key = idempotency_keys[i] limit 1), (
             -- An earn claimed on its transfer (0081): the receipt as it was answered, from the
             -- row (the lines as priced; tier and rule lines are added below, as for any replay).
             select case when t.request_hash = request_hashes[i] then jsonb_build_object(
                      'transferId', t.id, 'memberId', t.member_id, 'currency', p.currency_code,
                      'points', (select coalesce(sum((l ->> 'points')::bigint), 0)
                                 from jsonb_array_elements(t.receipt_lines) l)::text,
                      'lines', t.receipt_lines, 'tier', null, 'maturesAt', t.matures_at,
                      'expiresAt', t.lot_expires_at, 'createdAt', t.created_at)
                    else 'null'::jsonb end
             from transfer t
             join posting p on p.transfer_id = t.id and p.index = 0
             where earn_lines[i] is not null and t.partner_id = partner_ids[i] and t.external_id = external_ids[i]
               and t.code = 'earn' and t.request_hash is not null
             limit 1), (
             -- An explicit key that another earn holds as its transaction id: another request.
             select 'null'::jsonb from transfer t
             where operations[i] = 'earn' and earn_lines[i] is null and t.partner_id = partner_ids[i]
               and t.external_id = idempotency_keys[i] and t.code = 'earn' and t.request_hash is not null
             limit 1))
           end as stored
    from generate_subscripts(transfer_ids, 1) i offset 0
  ) g
  -- A replayed tiered or ruled earn: its pricing, from its transfer and posting. A probe per
  -- replay (the limit keeps the generic plan from pulling it up into a join over every posting).
  -- The tier line is what was posted beyond the stored receipt's points and the rule grants.
  left join lateral (
    select v.version, t.tier_rank as rank, t.rule_grants,
           case when t.tier_rank is not null then
             p.amount_points - (g.stored ->> 'points')::bigint
             - coalesce((select sum((x ->> 'p')::bigint) from jsonb_array_elements(t.rule_grants) x), 0)::bigint
           end as line_points
    from transfer t
    join posting p on p.transfer_id = t.id and p.index = 0
    left join lateral tier_version_at(p.currency_code, t.created_at) v on t.tier_rank is not null
    where not g.claimed and g.stored <> 'null'::jsonb and t.id = g.stored ->> 'transferId'
      and (t.tier_rank is not null or t.rule_grants is not null)
    limit 1
  ) r on true
  order by g.i;
end
$$;
`;
