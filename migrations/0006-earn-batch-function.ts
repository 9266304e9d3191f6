import { Migration } from '@mikro-orm/migrations';

/**
 * The earn hot path in one round trip: `ledger_earn_batch` posts a whole batch of earns in one
 * statement (called outside an explicit transaction, it commits with its own implicit one).
 * Round trips and system calls, not SQL work, dominated an earn (about ten statements and a
 * separate member lookup each); a batch now costs one call, whatever its size.
 *
 * In order, under the ledger's rules: resolve each member through the partner's links (an
 * unlinked member is refused before anything is claimed), claim every idempotency key
 * (INSERT ... ON CONFLICT DO NOTHING; the stored response gets the resolved member id), create
 * missing member accounts, lock member accounts in id order, write transfers, postings and lots
 * (or pending rows), move the member totals, and only then move the hot issuance accounts, in id
 * order, so they are held from there to the commit and no longer: one update per batch, not per
 * earn. Constraints check every row.
 *
 * Returns one row per entry: status 'claimed' (with the member id), 'replay' (with the stored
 * response), 'conflict' (key used by another request) or 'unknown_member'.
 */
export class Migration0006EarnBatchFunction extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create function ledger_earn_batch(
  transfer_ids text[], partner_ids text[], member_ids text[], member_external_ids text[],
  currencies text[], points bigint[],
  external_ids text[], purchase_minor bigint[], purchase_currencies text[],
  created_ats timestamptz[], matures_ats timestamptz[], lot_expires_ats timestamptz[],
  descriptions text[], scopes text[], operations text[], idempotency_keys text[],
  request_hashes text[], responses jsonb[]
) returns table (entry integer, status text, member_id text, stored_response jsonb)
language plpgsql as $$
#variable_conflict use_column
declare
  separator constant text := E'\x1f';
  n constant integer := cardinality(transfer_ids);
  claimed_keys text[];
  is_claimed boolean[];
  members text[];
  resolved text;
  member_accounts bigint[];
  issuance_accounts bigint[];
  account_id bigint;
  delta record;
  stored record;
begin
  -- Two entries with one key would both look claimed: the caller dedupes, this makes sure.
  if (select count(distinct (s, o, k)) from unnest(scopes, operations, idempotency_keys) as u(s, o, k)) <> n then
    raise exception 'idempotency keys must be unique within a batch' using errcode = 'unique_violation';
  end if;

  -- Members, through the partner's own links: a partner reaches only members it enrolled.
  for i in 1 .. n loop
    resolved := null;
    if member_ids[i] is not null then
      select l.member_id into resolved from member_link l
      where l.partner_id = partner_ids[i] and l.member_id = member_ids[i];
    else
      select l.member_id into resolved from member_link l
      where l.partner_id = partner_ids[i] and l.external_id = member_external_ids[i];
    end if;
    members[i] := resolved;
  end loop;

  -- Claim the keys of resolvable entries; a concurrent duplicate waits here for the first and
  -- then sees its row.
  with inserted as (
    insert into idempotency_key (scope, operation, key, request_hash, response)
    select scopes[i], operations[i], idempotency_keys[i], request_hashes[i],
           jsonb_set(responses[i], '{memberId}', to_jsonb(members[i]))
    from generate_subscripts(transfer_ids, 1) i where members[i] is not null
    on conflict do nothing
    returning scope, operation, key
  )
  select coalesce(array_agg(scope || separator || operation || separator || key), '{}')
  into claimed_keys from inserted;

  -- Accounts, one index probe each (loops, not joins: the planner cannot see the batch size);
  -- a member's first earn in a currency creates the account.
  for i in 1 .. n loop
    is_claimed[i] := members[i] is not null
      and (scopes[i] || separator || operations[i] || separator || idempotency_keys[i]) = any(claimed_keys);
    continue when not is_claimed[i];
    select id into account_id from account
    where owner_id = members[i] and kind = 'member' and currency_code = currencies[i];
    if account_id is null then
      insert into account (kind, currency_code, member_id) values ('member', currencies[i], members[i])
      on conflict (owner_id, kind, currency_code) do nothing
      returning id into account_id;
      if account_id is null then
        select id into account_id from account
        where owner_id = members[i] and kind = 'member' and currency_code = currencies[i];
      end if;
    end if;
    member_accounts[i] := account_id;
    select id into account_id from account
    where owner_id = partner_ids[i] and kind = 'issuance' and currency_code = currencies[i];
    if account_id is null then
      raise exception 'no issuance account for % in %', partner_ids[i], currencies[i]
        using errcode = 'foreign_key_violation';
    end if;
    issuance_accounts[i] := account_id;
  end loop;
  perform 1 from account where id = any(member_accounts) order by id for no key update;

  insert into transfer (id, code, partner_id, member_id, external_id, related_id,
                        purchase_amount_minor, purchase_currency, description, created_at)
  select transfer_ids[i], 'earn', partner_ids[i], members[i], external_ids[i], null,
         purchase_minor[i], purchase_currencies[i], descriptions[i], created_ats[i]
  from generate_subscripts(transfer_ids, 1) i where is_claimed[i];

  insert into posting (transfer_id, index, kind, source_account_id, target_account_id,
                       currency_code, amount_points)
  select transfer_ids[i], 0, case when matures_ats[i] is null then 'posted' else 'pending' end,
         issuance_accounts[i], member_accounts[i], currencies[i], points[i]
  from generate_subscripts(transfer_ids, 1) i where is_claimed[i];

  insert into lot (account_id, transfer_id, amount_points, remaining_points, expires_at, created_at)
  select member_accounts[i], transfer_ids[i], points[i], points[i], lot_expires_ats[i], created_ats[i]
  from generate_subscripts(transfer_ids, 1) i where is_claimed[i] and matures_ats[i] is null;

  insert into pending_transfer (transfer_id, kind, source_account_id, target_account_id,
                                amount_points, remaining_points, due_at, lot_expires_at)
  select transfer_ids[i], 'earn', issuance_accounts[i], member_accounts[i], points[i], points[i],
         matures_ats[i], lot_expires_ats[i]
  from generate_subscripts(transfer_ids, 1) i where is_claimed[i] and matures_ats[i] is not null;

  -- Member totals, then the hot issuance accounts last: each row updated once per batch, in id
  -- order (which is also the order their locks are taken in).
  for delta in
    select member_accounts[i] as id,
           coalesce(sum(points[i]) filter (where matures_ats[i] is null), 0) as posted,
           coalesce(sum(points[i]) filter (where matures_ats[i] is not null), 0) as pending
    from generate_subscripts(transfer_ids, 1) i where is_claimed[i] group by 1 order by 1
  loop
    update account set credits_posted = credits_posted + delta.posted,
                       credits_pending = credits_pending + delta.pending
    where id = delta.id;
  end loop;
  for delta in
    select issuance_accounts[i] as id,
           coalesce(sum(points[i]) filter (where matures_ats[i] is null), 0) as posted,
           coalesce(sum(points[i]) filter (where matures_ats[i] is not null), 0) as pending
    from generate_subscripts(transfer_ids, 1) i where is_claimed[i] group by 1 order by 1
  loop
    update account set debits_posted = debits_posted + delta.posted,
                       debits_pending = debits_pending + delta.pending
    where id = delta.id;
  end loop;

  for i in 1 .. n loop
    entry := i;
    member_id := members[i];
    status := 'claimed';
    stored_response := null;
    if members[i] is null then
      status := 'unknown_member';
    elsif not is_claimed[i] then
      select k.request_hash, k.response into stored from idempotency_key k
      where k.scope = scopes[i] and k.operation = operations[i] and k.key = idempotency_keys[i];
      if stored.request_hash = request_hashes[i] then
        status := 'replay';
        stored_response := stored.response;
      else
        status := 'conflict';
      end if;
    end if;
    return next;
  end loop;
end
$$;
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
