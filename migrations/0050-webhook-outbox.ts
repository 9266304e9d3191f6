import { Migration } from '@mikro-orm/migrations';

/**
 * Events for partners (issue 18 item 4): a transactional outbox, subscriptions, a cursor per
 * subscription and a dead-letter list. See docs/webhooks.md.
 *
 * Every event is written in the transaction of the change it reports, by a trigger on the
 * change's own table (or, for the earn batch and the expiry reminders, by `outbox_append_many`),
 * so an event exists if and only if its change committed.
 *
 * Positions: an event gets its position after it commits, from the delivery worker's sequencer
 * (one at a time across all processes, under an advisory lock), numbered 1, 2, 3... in the
 * order the events became visible. A sequence number taken at insert would not do: a transaction
 * that took position 7 may commit after one that took 8, and a reader past 8 would never see 7.
 * Numbered after commit, positions have no gaps and never change, so "every event after
 * position p" is the same set whenever it is read, which is what a cursor and a replay need.
 */
export class Migration0050WebhookOutbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(tables);
    this.addSql(appendFunctions);
    this.addSql(triggers);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}

const eventTypes = `'points.earned', 'points.spent', 'points.refunded', 'points.expiring',
  'member.enrolled', 'member.linked', 'tier.changed', 'hold.voided', 'period.closed',
  'statement.ready'`;

const tables = `
-- The outbox. Only ids and amounts: never a name, an email or a birthday (the payload goes to
-- a partner's server and cannot be erased there).
create table webhook_event (
  id bigint generated always as identity primary key,
  -- Assigned after commit by the sequencer; null until then.
  position bigint,
  type text not null constraint webhook_event_type_known check (type in (${eventTypes})),
  partner_id text not null,
  member_id text,
  occurred_at timestamptz not null,
  data jsonb not null default '{}',
  -- Makes an append idempotent (the daily expiry reminder): one event per partner, type and key.
  dedupe_key text constraint webhook_event_dedupe_key_length check (length(dedupe_key) <= 200)
);
create index webhook_event_unsequenced on webhook_event (id) where position is null;
create unique index webhook_event_position on webhook_event (position) where position is not null;
-- A subscription reads its partner's events of each of its types after its cursor: one range per
-- type, however many events of other types the partner has.
create index webhook_event_partner_type_position on webhook_event (partner_id, type, position) where position is not null;
create unique index webhook_event_dedupe on webhook_event (partner_id, type, dedupe_key) where dedupe_key is not null;

-- A partner's subscription: where to deliver which of its events. Deleted subscriptions are kept
-- (status 'deleted') so the audit log's entries keep pointing at something.
create table webhook_subscription (
  id text primary key constraint webhook_subscription_id_format check (id ~ '^whs_[a-z0-9]{26}$'),
  partner_id text not null references partner (id),
  url text not null constraint webhook_subscription_url_format check (url ~ '^https?://\\S+$' and length(url) <= 2000),
  event_types text[] not null constraint webhook_subscription_types check (
    cardinality(event_types) between 1 and 10 and event_types <@ array[${eventTypes}]),
  status text not null constraint webhook_subscription_status check (status in ('active', 'paused', 'deleted')),
  -- A replay the partner asked for: the delivery worker moves the cursor here, then clears it.
  replay_after bigint constraint webhook_subscription_replay_not_negative check (replay_after >= 0),
  replay_requested_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index webhook_subscription_partner on webhook_subscription (partner_id, created_at);

-- The delivery worker's state of a subscription. Its row is locked (FOR UPDATE SKIP LOCKED)
-- for the whole of one delivery, so no two processes ever deliver one subscription at once,
-- and a process that dies releases it with its connection.
create table webhook_delivery (
  subscription_id text primary key references webhook_subscription (id),
  -- Every event at or before this position was delivered or dead-lettered.
  cursor bigint not null constraint webhook_delivery_cursor_not_negative check (cursor >= 0),
  -- Failed attempts at the batch after the cursor.
  attempts integer not null default 0,
  next_attempt_at timestamptz not null,
  last_error text,
  last_delivered_at timestamptz
);
create index webhook_delivery_due on webhook_delivery (next_attempt_at);

-- Events given up after the attempts ran out; the partner lists them and asks for a retry.
create table webhook_dead_letter (
  subscription_id text not null references webhook_subscription (id),
  position bigint not null,
  attempts integer not null,
  last_error text not null,
  dead_at timestamptz not null,
  retry_requested_at timestamptz,
  primary key (subscription_id, position)
);
create index webhook_dead_letter_retry on webhook_dead_letter (subscription_id, position) where retry_requested_at is not null;
`;

const appendFunctions = `
-- Appends one event; the caller's transaction commits it or not at all.
create function outbox_append(partner_id text, member_id text, type text, payload jsonb,
                              occurred_at timestamptz default now(), dedupe_key text default null)
returns void language sql as $$
  insert into webhook_event (type, partner_id, member_id, occurred_at, data, dedupe_key)
  values (type, partner_id, member_id, coalesce(occurred_at, now()), coalesce(payload, '{}'), dedupe_key)
  on conflict (partner_id, type, dedupe_key) where dedupe_key is not null do nothing
$$;

-- Appends many events in one statement (the earn batch's step 2; the expiry reminders): arrays
-- of equal length, one event per index. Returns how many were appended (duplicates of a
-- dedupe key are skipped).
create function outbox_append_many(partner_ids text[], member_ids text[], types text[],
                                   payloads jsonb[], occurred_ats timestamptz[],
                                   dedupe_keys text[] default null)
returns bigint language sql as $$
  with appended as (
    insert into webhook_event (type, partner_id, member_id, occurred_at, data, dedupe_key)
    select types[i], partner_ids[i], member_ids[i], coalesce(occurred_ats[i], now()),
           coalesce(payloads[i], '{}'), dedupe_keys[i]
    from generate_subscripts(partner_ids, 1) i
    order by i
    on conflict (partner_id, type, dedupe_key) where dedupe_key is not null do nothing
    returning 1
  )
  select count(*) from appended
$$;

-- The sequencer: numbers the committed events that have no position yet, in the order they
-- were inserted, after the last position. One runs at a time (the advisory lock); a caller that
-- does not get the lock returns 0 and leaves the work to the one that has it.
create function outbox_sequence(batch_max integer) returns bigint language plpgsql as $$
declare
  numbered bigint;
begin
  if not pg_try_advisory_xact_lock(hashtext('coalition-webhooks: sequencer')) then
    return 0;
  end if;
  with next as (
    select e.id, row_number() over (order by e.id) as n
    from (select id from webhook_event where position is null order by id limit batch_max) e
  ), base as (
    select coalesce(max(position), 0) as last from webhook_event where position is not null
  )
  update webhook_event w set position = base.last + next.n
  from next, base where w.id = next.id;
  get diagnostics numbered = row_count;
  return numbered;
end
$$;
`;

const triggers = `
-- Points spent, refunded or returned at a partner: one event per transfer, appended when the
-- transaction commits (a deferred constraint trigger), when the transfer's postings are all
-- written. The WHEN clause keeps earns out at the cost of one comparison per row: the earn
-- batch's statement queues nothing and runs nothing here.
create function webhook_event_of_transfer() returns trigger language plpgsql as $$
begin
  insert into webhook_event (type, partner_id, member_id, occurred_at, data)
  select case new.code when 'void' then 'hold.voided' when 'refund' then 'points.refunded'
                       else 'points.spent' end,
         new.partner_id, new.member_id, new.created_at,
         jsonb_strip_nulls(jsonb_build_object(
           'transferId', new.id, 'externalId', new.external_id, 'relatedTransferId', new.related_id,
           'currency', min(p.currency_code),
           -- A hold's post spends its post_pending part; a void returns its void_pending part.
           'points', case new.code
             when 'redeem' then sum(p.amount_points)
             when 'post' then sum(p.amount_points) filter (where p.kind = 'post_pending')
             when 'void' then sum(p.amount_points) filter (where p.kind = 'void_pending') end,
           -- A refund returns spent points to the member and takes earned points back.
           'pointsReturned', case when new.code = 'refund'
             then coalesce(sum(p.amount_points) filter (where target.kind = 'member'), 0) end,
           'pointsTakenBack', case when new.code = 'refund'
             then coalesce(sum(p.amount_points) filter (where source.kind = 'member'), 0) end))
  from posting p
  join account source on source.id = p.source_account_id
  join account target on target.id = p.target_account_id
  where p.transfer_id = new.id
  having count(*) > 0 and (new.code <> 'post' or count(*) filter (where p.kind = 'post_pending') > 0);
  return null;
end
$$;
create constraint trigger transfer_appends_webhook_event after insert on transfer
  deferrable initially deferred
  for each row when (new.partner_id is not null and new.code in ('redeem', 'post', 'refund', 'void'))
  execute function webhook_event_of_transfer();

-- points.earned from the earn batch's own statement (its postings CTE), without touching
-- ledger_earn_batch: a statement trigger on posting reading the statement's transition table.
-- Off by default: measured against the same load without it (earn_outbox_vs_none), it cost more
-- than the 3% the issue allows, and any transition-table trigger on posting (even a disabled
-- one) makes every earn's postings be copied, so "off" means the trigger does not exist.
-- outbox_earn_events(true) creates it, outbox_earn_events(false) drops it (docs/webhooks.md).
create function webhook_events_of_earn_postings() returns trigger language plpgsql as $$
begin
  insert into webhook_event (type, partner_id, member_id, occurred_at, data)
  select 'points.earned', t.partner_id, t.member_id, t.created_at,
         jsonb_strip_nulls(jsonb_build_object('transferId', t.id, 'externalId', t.external_id,
                                              'currency', p.currency, 'points', p.points))
  from (select transfer_id, min(currency_code) as currency, sum(amount_points) as points
        from inserted group by transfer_id) p
  join transfer t on t.id = p.transfer_id
  where t.code = 'earn' and t.partner_id is not null;
  return null;
end
$$;
create function outbox_earn_events(enabled boolean) returns boolean language plpgsql as $$
begin
  drop trigger if exists posting_appends_earn_events on posting;
  if enabled then
    create trigger posting_appends_earn_events after insert on posting
      referencing new table as inserted
      for each statement execute function webhook_events_of_earn_postings();
  end if;
  return enabled;
end
$$;

-- A member enrolled at a partner (the member was created in this very transaction) or an
-- existing member linked to it.
create function webhook_events_of_member_links() returns trigger language plpgsql as $$
begin
  insert into webhook_event (type, partner_id, member_id, occurred_at, data)
  select case when m.xmin::text::bigint = pg_current_xact_id()::text::bigint % 4294967296
              then 'member.enrolled' else 'member.linked' end,
         l.partner_id, l.member_id, l.created_at, jsonb_build_object('externalId', l.external_id)
  from inserted l join member m on m.id = l.member_id;
  return null;
end
$$;
create trigger member_link_appends_webhook_events after insert on member_link
  referencing new table as inserted
  for each statement execute function webhook_events_of_member_links();

-- A member's tier changed in a program: an event for the program's partner.
create function webhook_events_of_tier_events() returns trigger language plpgsql as $$
begin
  insert into webhook_event (type, partner_id, member_id, occurred_at, data)
  select 'tier.changed', c.owner_partner_id, e.member_id, e.at,
         jsonb_strip_nulls(jsonb_build_object('currency', e.currency_code, 'fromRank', e.from_rank,
                                              'toRank', e.to_rank, 'reason', e.reason))
  from inserted e join currency c on c.code = e.currency_code;
  return null;
end
$$;
create trigger tier_event_appends_webhook_events after insert on tier_event
  referencing new table as inserted
  for each statement execute function webhook_events_of_tier_events();

-- A settlement period closed: every partner hears of it, and each partner with a flow in its
-- gross matrix (written by the close before the period's row is updated) has a statement.
create function webhook_events_of_period_close() returns trigger language plpgsql as $$
begin
  insert into webhook_event (type, partner_id, member_id, occurred_at, data)
  select 'period.closed', p.id, null, new.closed_at,
         jsonb_build_object('periodId', new.id, 'startsAt', new.starts_at, 'endsAt', new.ends_at)
  from partner p;
  insert into webhook_event (type, partner_id, member_id, occurred_at, data)
  select 'statement.ready', parties.partner_id, null, new.closed_at,
         jsonb_build_object('periodId', new.id)
  from (select debtor_id as partner_id from settlement_gross where period_id = new.id
        union select creditor_id from settlement_gross where period_id = new.id) parties
  where parties.partner_id like 'ptr\\_%';
  return null;
end
$$;
create trigger settlement_period_close_appends_webhook_events after update of status on settlement_period
  for each row when (old.status <> 'closed' and new.status = 'closed')
  execute function webhook_events_of_period_close();
`;
