import { Migration } from '@mikro-orm/migrations';

/**
 * Settlement between partners: effective-dated agreements, periods, the obligations every
 * value-moving transfer yields, the gross matrix of a closed period, partners' reconciliations
 * and the adjustments that resolve their exceptions.
 *
 * Invariants the database enforces on its own (gateway/settlement asserts them too):
 * - a transfer belongs to at most one period (settlement_item's primary key);
 * - a closed period, its items, obligations and gross matrix never change (triggers);
 * - agreements, reconciliations and adjustments are history: never updated or deleted;
 * - periods never overlap and each starts where the previous one ends;
 * - every obligation but an adjustment is priced by an agreement; parties differ;
 * - an exception is resolved by at most one adjustment.
 *
 * Rounding happens in one place, settlement_amount_minor below.
 */
export class Migration0003Settlement extends Migration {
  override async up(): Promise<void> {
    this.addSql(agreements);
    this.addSql(periods);
    this.addSql(obligations);
    this.addSql(reconciliations);
    this.addSql(immutability);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}

const agreements = `
-- Period membership is decided by creation time; closing scans transfers by it.
create index transfer_created_at on transfer (created_at);

-- What a partner and the program owning a currency pay each other, from effective_from until
-- the next agreement of the same partner and currency. Prices are exact decimals of the
-- settlement currency per point; changing terms means adding a row, never editing one.
create table settlement_agreement (
  id bigint generated always as identity primary key,
  partner_id text not null references partner (id),
  currency_code text not null references currency (code),
  settlement_currency text not null constraint agreement_settlement_currency_format check (settlement_currency ~ '^[A-Z]{3}$'),
  settlement_minor_digits smallint not null constraint agreement_minor_digits_range check (settlement_minor_digits between 0 and 4),
  effective_from timestamptz not null,
  -- Paid by the partner to the owning program per point it awards.
  issuance_price numeric not null constraint agreement_issuance_price_range check (issuance_price between 0 and 1000 and scale(issuance_price) <= 12),
  -- Paid by the owning program to the partner per point redeemed there.
  reimbursement_price numeric not null constraint agreement_reimbursement_price_range check (reimbursement_price between 0 and 1000 and scale(reimbursement_price) <= 12),
  -- Paid by the partner (as owner of a source currency) per point of this currency created by exchange.
  exchange_price numeric not null constraint agreement_exchange_price_range check (exchange_price between 0 and 1000 and scale(exchange_price) <= 12),
  -- Share of the issuance price billed: (points accrued - points cancelled) x price x billing %.
  billing_percent numeric not null default 100 constraint agreement_billing_percent_range check (billing_percent > 0 and billing_percent <= 100 and scale(billing_percent) <= 6),
  operator_fee_percent numeric constraint agreement_operator_fee_percent_range check (operator_fee_percent between 0 and 100 and scale(operator_fee_percent) <= 6),
  operator_fee_per_transfer_minor bigint constraint agreement_operator_fee_per_transfer_range check (operator_fee_per_transfer_minor between 0 and 1000000000),
  created_by text not null,
  created_at timestamptz not null default now(),
  constraint settlement_agreement_once unique (partner_id, currency_code, effective_from)
);

-- The one rounding rule of settlement: points x unit price, the price given in minor units of
-- the settlement currency (0.012 EUR = 1.2 cents), rounded half away from zero to a whole minor
-- unit. Callers apply it to cumulative points of an origin transfer (see
-- gateway/settlement/obligation-sql.ts), so reversals never drift. Plain SQL, so the planner
-- inlines it into the set-based close.
create function settlement_amount_minor(points numeric, unit_price_minor numeric)
returns bigint language sql immutable parallel safe
as $$ select round(points * unit_price_minor)::bigint $$;
`;

const periods = `
create table settlement_period (
  id text primary key constraint period_id_format check (id ~ '^per_[a-z0-9]{26}$'),
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  status text not null default 'open' constraint period_status_known check (status in ('open', 'closed')),
  closed_at timestamptz,
  closed_by text,
  transfer_count bigint,
  obligation_count bigint,
  created_by text not null,
  created_at timestamptz not null default now(),
  constraint period_ends_after_start check (ends_at > starts_at),
  constraint period_closed_has_summary check (
    (status = 'closed') = (closed_at is not null and transfer_count is not null and obligation_count is not null)),
  constraint periods_must_not_overlap exclude using gist (tstzrange(starts_at, ends_at) with &&)
);

create function settlement_period_must_follow_previous() returns trigger language plpgsql as $$
declare
  previous_end timestamptz;
begin
  select max(ends_at) into previous_end from settlement_period;
  if previous_end is not null and new.starts_at <> previous_end then
    raise exception 'period_must_follow_previous: a new period starts at %', previous_end
      using errcode = 'check_violation';
  end if;
  return new;
end
$$;
create trigger settlement_period_follows_previous before insert on settlement_period
  for each row execute function settlement_period_must_follow_previous();

-- Which period took each transfer: exactly one, decided when that period closed.
-- The bulk tables of a close (items, obligations) carry no foreign keys: what they reference
-- (transfers, periods, agreements) can never be deleted (immutability triggers), rows are
-- derived from those very tables, and a per-row check would double the cost of a close.
create table settlement_item (
  transfer_id text primary key,
  period_id text not null
);
`;

const obligations = `
-- What one transfer makes one party owe another, in minor units of the settlement currency.
-- A reversal (refund) carries a negative amount and points, and names the transfer it reverses.
-- One partition per period: a close loads its partition without indexes, builds them in one
-- sorted pass each and attaches it (a million index insertions one by one cost twice as much).
-- A transfer's obligations are all in its period (settlement_item), so the key is unique.
create table settlement_obligation (
  period_id text not null,
  transfer_id text not null,
  kind text not null constraint obligation_kind_known check (kind in (
    'issuance', 'reimbursement', 'exchange', 'issuance_fee', 'reimbursement_fee', 'exchange_fee',
    'transfer_fee', 'adjustment')),
  -- The program currency of the points; '' for adjustments, which are money only.
  currency_code text not null,
  origin_transfer_id text not null,
  debtor_id text not null constraint obligation_debtor_format check (debtor_id ~ '^ptr_' or debtor_id = 'operator'),
  creditor_id text not null constraint obligation_creditor_format check (creditor_id ~ '^ptr_' or creditor_id = 'operator'),
  settlement_currency text not null,
  points bigint not null,
  unit_price numeric,
  amount_minor bigint not null,
  agreement_id bigint,
  transfer_code text not null,
  reference text not null,
  transfer_created_at timestamptz not null,
  primary key (period_id, transfer_id, kind, currency_code),
  constraint obligation_parties_must_differ check (debtor_id <> creditor_id),
  constraint obligation_needs_agreement check ((kind = 'adjustment') = (agreement_id is null)),
  constraint obligation_priced check ((kind in ('adjustment', 'transfer_fee')) = (unit_price is null)),
  constraint obligation_reversal_is_negative check (
    (origin_transfer_id = transfer_id) = (points >= 0 and (amount_minor >= 0 or kind = 'adjustment')))
) partition by list (period_id);
-- A partner's statement reads its obligations as debtor and as creditor, in transfer order
-- (within one partition: the period is the partition, so it need not be in the key).
create index settlement_obligation_debtor on settlement_obligation (debtor_id, transfer_id, kind, currency_code);
create index settlement_obligation_creditor on settlement_obligation (creditor_id, transfer_id, kind, currency_code);
-- Reversals find what earlier reversals of the same origin already took back.
create index settlement_obligation_reversal on settlement_obligation (origin_transfer_id)
  where origin_transfer_id <> transfer_id;

-- The gross matrix of a closed period: the signed sum of obligations per direction.
create table settlement_gross (
  period_id text not null references settlement_period (id),
  settlement_currency text not null,
  debtor_id text not null,
  creditor_id text not null,
  amount_minor bigint not null,
  obligation_count bigint not null,
  primary key (period_id, settlement_currency, debtor_id, creditor_id)
);
`;

const reconciliations = `
-- A partner's own records of a closed period, matched against its statement.
create table reconciliation (
  id text primary key constraint reconciliation_id_format check (id ~ '^rec_[a-z0-9]{26}$'),
  period_id text not null references settlement_period (id),
  partner_id text not null references partner (id),
  source text not null constraint reconciliation_source_known check (source in ('api', 'csv')),
  record_count integer not null,
  submitted_by text not null,
  created_at timestamptz not null
);
create index reconciliation_partner on reconciliation (partner_id, period_id);

create table reconciliation_record (
  -- Deferred: records stream in before their count, and so their reconciliation, is known.
  reconciliation_id text not null references reconciliation (id) deferrable initially deferred,
  line_number integer not null,
  reference text not null constraint record_reference_length check (length(reference) between 1 and 200),
  settlement_currency text not null,
  amount_minor bigint not null,
  counterparty_id text,
  primary key (reconciliation_id, line_number)
);

-- One row per reference and settlement currency, on either side; all but 'matched' are
-- exceptions. Amounts are signed from the partner's side: positive means it receives.
create table reconciliation_item (
  id bigint generated always as identity primary key,
  reconciliation_id text not null references reconciliation (id),
  reference text not null,
  settlement_currency text not null,
  status text not null constraint item_status_known check (status in (
    'matched', 'missing_on_our_side', 'missing_on_their_side', 'amount_differs')),
  our_amount_minor bigint,
  their_amount_minor bigint,
  our_line_count integer not null,
  their_line_count integer not null,
  -- The counterparty when the lines of this reference have exactly one.
  counterparty_id text,
  -- Our transfer when exactly one of ours carries this reference.
  transfer_id text references transfer (id),
  constraint item_status_matches_amounts check (status = case
    when our_amount_minor is null then 'missing_on_our_side'
    when their_amount_minor is null then 'missing_on_their_side'
    when our_amount_minor = their_amount_minor then 'matched'
    else 'amount_differs' end)
);
create index reconciliation_item_of on reconciliation_item (reconciliation_id, status, id);

-- How a finance user resolved an exception: an 'adjust' transfer (no points move) whose money
-- obligation lands in the period that takes the transfer.
create table settlement_adjustment (
  transfer_id text primary key references transfer (id),
  reconciliation_item_id bigint not null references reconciliation_item (id)
    constraint adjustment_once_per_exception unique,
  debtor_id text not null,
  creditor_id text not null,
  settlement_currency text not null,
  amount_minor bigint not null constraint adjustment_amount_positive check (amount_minor > 0),
  note text not null default '',
  created_by text not null,
  constraint adjustment_parties_must_differ check (debtor_id <> creditor_id)
);
`;

const immutability = `
create trigger settlement_agreement_is_immutable before update or delete on settlement_agreement
  for each row execute function ledger_history_is_immutable();
create trigger settlement_item_is_immutable before update or delete on settlement_item
  for each row execute function ledger_history_is_immutable();
create trigger settlement_obligation_is_immutable before update or delete on settlement_obligation
  for each row execute function ledger_history_is_immutable();
create trigger settlement_gross_is_immutable before update or delete on settlement_gross
  for each row execute function ledger_history_is_immutable();
create trigger reconciliation_is_immutable before update or delete on reconciliation
  for each row execute function ledger_history_is_immutable();
create trigger reconciliation_record_is_immutable before update or delete on reconciliation_record
  for each row execute function ledger_history_is_immutable();
create trigger reconciliation_item_is_immutable before update or delete on reconciliation_item
  for each row execute function ledger_history_is_immutable();
create trigger settlement_adjustment_is_immutable before update or delete on settlement_adjustment
  for each row execute function ledger_history_is_immutable();

-- A period may only go from open to closed; once closed, nothing about it changes.
create function settlement_period_closed_is_immutable() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' or old.status = 'closed' then
    raise exception 'closed_period_is_immutable: % of period % is not allowed', tg_op, old.id
      using errcode = 'restrict_violation';
  end if;
  return new;
end
$$;
create trigger settlement_period_is_immutable before update or delete on settlement_period
  for each row execute function settlement_period_closed_is_immutable();

-- Rows may only be added to a period that is still open (checked once per statement, not per
-- row: a close inserts a million items in one statement).
create function settlement_rows_need_open_period() returns trigger language plpgsql as $$
declare
  closed_period text;
begin
  select p.id into closed_period
  from (select distinct period_id from added) a
  join settlement_period p on p.id = a.period_id
  where p.status = 'closed' limit 1;
  if closed_period is not null then
    raise exception 'closed_period_is_immutable: period % is closed', closed_period
      using errcode = 'restrict_violation';
  end if;
  return null;
end
$$;
create trigger settlement_item_needs_open_period after insert on settlement_item
  referencing new table as added for each statement
  execute function settlement_rows_need_open_period();

-- Partitions of settlement_obligation get this per-row check when attached: a close loads its
-- partition before attaching it (no per-row cost), and nothing can be added to it afterwards.
create function settlement_obligation_needs_open_period() returns trigger language plpgsql as $$
begin
  if exists (select 1 from settlement_period where id = new.period_id and status = 'closed') then
    raise exception 'closed_period_is_immutable: period % is closed', new.period_id
      using errcode = 'restrict_violation';
  end if;
  return new;
end
$$;
create trigger settlement_obligation_needs_open_period before insert on settlement_obligation
  for each row execute function settlement_obligation_needs_open_period();
create trigger settlement_gross_needs_open_period after insert on settlement_gross
  referencing new table as added for each statement
  execute function settlement_rows_need_open_period();
`;
