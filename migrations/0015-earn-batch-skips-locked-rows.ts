import { Migration } from '@mikro-orm/migrations';

/**
 * One stuck row must not stall every partner's earns (issue 11). The shared earn batch used to
 * wait for each lock it needed: with one partner's issuance row held by a slow transaction, the
 * batch (and every earn queued behind it) waited too.
 *
 * `ledger_earn_batch` gains `skip_locked`. With it the batch never waits for a row or a purchase:
 * it try-locks the purchases, locks its accounts with SKIP LOCKED, and answers 'busy' (writing
 * nothing) for each entry whose purchase, member account or issuance account another
 * transaction holds. The gateway then posts those entries on their partner's own lane, where
 * the batch waits as before (bounded by lock_timeout), so a stuck partner costs only its own
 * earns. Without it (the default) the function behaves exactly as in migration 0013.
 */
export class Migration0015EarnBatchSkipsLockedRows extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
drop function ledger_earn_batch(
  text[], text[], text[], text[], text[], bigint[], text[], bigint[], text[],
  timestamptz[], timestamptz[], timestamptz[], text[], text[], text[], text[], text[], jsonb[]);
`);
    this.addSql(`
create function ledger_earn_batch(
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
         case when g.stored <> 'null'::jsonb then g.stored end
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
