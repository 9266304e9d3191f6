import { Migration } from '@mikro-orm/migrations';

/**
 * The points ledger: partners, program currencies, members, accounts, immutable transfers and
 * their postings, lots with expiry, pending transfers and idempotency keys.
 *
 * Invariants the database enforces on its own (the code asserts them too, before writing):
 * - a posting moves a positive amount between two different accounts of its own currency, so
 *   every transfer balances per currency by construction;
 * - a member account never goes below zero (posted credits - posted debits - pending debits);
 * - transfers and postings are never updated or deleted;
 * - a lot's remaining points stay between zero and its original amount.
 */
export class Migration0001Ledger extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table partner (
  id text primary key constraint partner_id_format check (id ~ '^ptr_[a-z0-9_]{1,60}$'),
  name text not null constraint partner_name_length check (length(name) between 1 and 200),
  created_at timestamptz not null default now()
);

create table currency (
  code text primary key constraint currency_code_format check (code ~ '^[A-Z][A-Z0-9]{1,9}$'),
  name text not null constraint currency_name_length check (length(name) between 1 and 200),
  owner_partner_id text not null references partner (id),
  expiry_months integer constraint currency_expiry_months_range check (expiry_months between 1 and 240),
  created_at timestamptz not null default now()
);

-- Which program currencies a partner awards (earns) and takes as payment (accepts), and its
-- earn rate: earn_rate_points points per earn_rate_per_minor minor units of money_currency.
create table partner_currency (
  partner_id text not null references partner (id),
  currency_code text not null references currency (code),
  earns boolean not null,
  accepts boolean not null,
  earn_rate_points bigint not null default 0 constraint earn_rate_points_not_negative check (earn_rate_points >= 0),
  earn_rate_per_minor bigint not null default 100 constraint earn_rate_per_minor_positive check (earn_rate_per_minor > 0),
  money_currency text not null default 'EUR' constraint money_currency_format check (money_currency ~ '^[A-Z]{3}$'),
  primary key (partner_id, currency_code)
);

create table member (
  id text primary key constraint member_id_format check (id ~ '^mbr_[a-z0-9_]{1,60}$'),
  display_name text not null constraint member_display_name_length check (length(display_name) between 1 and 200),
  email text constraint member_email_length check (length(email) <= 320),
  created_at timestamptz not null default now()
);

-- A partner's own identifier for a member (a frequent flyer number, a loyalty card number).
create table member_link (
  partner_id text not null references partner (id),
  external_id text not null constraint member_link_external_id_length check (length(external_id) between 1 and 100),
  member_id text not null references member (id),
  created_at timestamptz not null default now(),
  primary key (partner_id, external_id),
  constraint member_link_once_per_partner unique (partner_id, member_id)
);
create index member_link_member on member_link (member_id);

-- Accounts hold running totals; a balance is derived from them. Member accounts are
-- credit-normal (balance = credits - debits). System accounts (issuance, redemption, breakage,
-- liquidity, adjustment) may run in either direction.
create table account (
  id bigint generated always as identity primary key,
  kind text not null constraint account_kind_known check (kind in ('member', 'issuance', 'redemption', 'breakage', 'liquidity', 'adjustment')),
  currency_code text not null references currency (code),
  member_id text references member (id),
  partner_id text references partner (id),
  -- One owner column so that "the account of this owner" is a plain, indexable equality.
  owner_id text not null generated always as (coalesce(member_id, partner_id, '')) stored,
  debits_posted bigint not null default 0 constraint debits_posted_not_negative check (debits_posted >= 0),
  credits_posted bigint not null default 0 constraint credits_posted_not_negative check (credits_posted >= 0),
  debits_pending bigint not null default 0 constraint debits_pending_not_negative check (debits_pending >= 0),
  credits_pending bigint not null default 0 constraint credits_pending_not_negative check (credits_pending >= 0),
  created_at timestamptz not null default now(),
  constraint member_balance_must_not_be_negative
    check (kind <> 'member' or credits_posted - debits_posted - debits_pending >= 0),
  constraint account_owner_matches_kind check (
    (kind = 'member') = (member_id is not null)
    and (kind in ('issuance', 'redemption')) = (partner_id is not null)),
  constraint account_once_per_owner unique (owner_id, kind, currency_code),
  constraint account_id_currency unique (id, currency_code)
);

create table transfer (
  id text primary key constraint transfer_id_format check (id ~ '^trf_[a-z0-9]{26}$'),
  code text not null constraint transfer_code_known check (code in (
    'earn', 'redeem', 'refund', 'mature', 'expire', 'hold', 'post', 'void',
    'convert', 'fee', 'adjust', 'settle')),
  partner_id text references partner (id),
  member_id text references member (id),
  -- The caller's own id of this operation (a POS transaction id, a refund id).
  external_id text constraint transfer_external_id_length check (length(external_id) between 1 and 200),
  -- The transfer this one follows up: the pending earn it matures, the purchase it refunds.
  related_id text references transfer (id),
  purchase_amount_minor bigint constraint purchase_amount_positive check (purchase_amount_minor > 0),
  purchase_currency text constraint purchase_currency_format check (purchase_currency ~ '^[A-Z]{3}$'),
  description text not null default '',
  created_at timestamptz not null,
  constraint purchase_amount_has_currency check ((purchase_amount_minor is null) = (purchase_currency is null))
);
create index transfer_member_newest on transfer (member_id, id desc) where member_id is not null;
create index transfer_partner_newest on transfer (partner_id, id desc) where partner_id is not null;
create index transfer_partner_external on transfer (partner_id, external_id, code) where external_id is not null;
create index transfer_related on transfer (related_id) where related_id is not null;

-- TigerBeetle's two-phase model: 'pending' reserves, 'post_pending' turns a reservation into a
-- posted amount, 'void_pending' releases it; 'posted' moves points at once.
create table posting (
  transfer_id text not null references transfer (id),
  index smallint not null constraint posting_index_range check (index between 0 and 15),
  kind text not null constraint posting_kind_known check (kind in ('posted', 'pending', 'post_pending', 'void_pending')),
  source_account_id bigint not null,
  target_account_id bigint not null,
  currency_code text not null,
  amount_points bigint not null constraint amount_must_be_positive check (amount_points > 0),
  primary key (transfer_id, index),
  constraint accounts_must_be_different check (source_account_id <> target_account_id),
  constraint source_account_currency foreign key (source_account_id, currency_code) references account (id, currency_code),
  constraint target_account_currency foreign key (target_account_id, currency_code) references account (id, currency_code)
);
create index posting_source on posting (source_account_id);
create index posting_target on posting (target_account_id);

create function ledger_history_is_immutable() returns trigger language plpgsql as $$
begin
  raise exception 'ledger history is immutable: % on % is not allowed', tg_op, tg_table_name
    using errcode = 'restrict_violation';
end
$$;
create trigger transfer_is_immutable before update or delete on transfer
  for each row execute function ledger_history_is_immutable();
create trigger posting_is_immutable before update or delete on posting
  for each row execute function ledger_history_is_immutable();

-- Points a member holds, by the transfer that created them and when they expire. Spending
-- consumes lots soonest-expiring first; lot_movement records each consumption (negative) and
-- restoration (positive), so a refund gives back exactly the lots it took.
create table lot (
  id bigint generated always as identity primary key,
  account_id bigint not null references account (id),
  transfer_id text not null references transfer (id),
  amount_points bigint not null constraint lot_amount_positive check (amount_points > 0),
  remaining_points bigint not null,
  expires_at timestamptz,
  created_at timestamptz not null,
  constraint lot_remaining_within_amount check (remaining_points between 0 and amount_points)
);
create index lot_open_by_expiry on lot (account_id, expires_at nulls last, id) where remaining_points > 0;
create index lot_due_to_expire on lot (expires_at) where remaining_points > 0 and expires_at is not null;
create index lot_transfer on lot (transfer_id);

create table lot_movement (
  -- Deferred: a refund moves lots before it knows (and writes) its postings.
  transfer_id text not null references transfer (id) deferrable initially deferred,
  lot_id bigint not null references lot (id),
  amount_points bigint not null constraint lot_movement_not_zero check (amount_points <> 0)
);
-- One consumption and one restoration at most per transfer and lot (a refund may take back the
-- points its purchase earned from the same lot it returns spent points to).
create unique index lot_movement_once on lot_movement (transfer_id, lot_id, (amount_points > 0));
create index lot_movement_lot on lot_movement (lot_id);

-- The open part of a pending transfer (an earn that matures later, a hold awaiting
-- confirmation). Transfers are immutable; this row carries what is still pending.
create table pending_transfer (
  transfer_id text primary key references transfer (id),
  kind text not null constraint pending_kind_known check (kind in ('earn', 'hold')),
  source_account_id bigint not null references account (id),
  target_account_id bigint not null references account (id),
  amount_points bigint not null constraint pending_amount_positive check (amount_points > 0),
  remaining_points bigint not null,
  due_at timestamptz not null,
  lot_expires_at timestamptz,
  constraint pending_remaining_within_amount check (remaining_points between 0 and amount_points)
);
create index pending_transfer_due on pending_transfer (kind, due_at) where remaining_points > 0;

-- An idempotency key is claimed with INSERT ... ON CONFLICT in the same transaction as the
-- transfer it guards: a concurrent duplicate waits for the first and then sees its row.
create table idempotency_key (
  scope text not null,
  operation text not null,
  key text not null constraint idempotency_key_length check (length(key) between 1 and 200),
  request_hash text not null,
  response jsonb not null,
  created_at timestamptz not null default now(),
  primary key (scope, operation, key)
);
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
