import { Migration } from '@mikro-orm/migrations';

/**
 * Exchange between program currencies: versioned rates, bonus promotions, quotes, the economic
 * terms of every conversion (read by settlement), liquidity floors and reference values.
 *
 * Invariants the database enforces on its own (the exchange code asserts them too):
 * - a liquidity account never goes below its floor (credits_posted - debits_posted >= floor);
 * - rate versions of a pair never overlap, and a version's terms never change: the only update
 *   allowed is closing the open version (setting effective_to once);
 * - a conversion never gives more target points than its rate allows (rounding favours the
 *   liquidity accounts), its bonus and fee follow its rate and promotion, and its row agrees with
 *   the postings of its `convert` transfer and the `fee` transfer that follows it;
 * - conversions and promotions are never updated or deleted; a quote is used at most once.
 */
export class Migration0002Exchange extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
-- How far below zero a currency's liquidity account may go: the most points of that currency the
-- exchange may create on balance (points created by conversions in, minus points retired by
-- conversions out). 0 (the default) lets a liquidity account pay out only what it took in.
alter table account add column liquidity_floor_points bigint not null default 0;
alter table account add constraint liquidity_floor_only_on_liquidity
  check (kind = 'liquidity' or liquidity_floor_points = 0);
alter table account add constraint liquidity_floor_not_positive
  check (liquidity_floor_points <= 0);
alter table account add constraint liquidity_must_stay_above_floor
  check (kind <> 'liquidity' or credits_posted - debits_posted >= liquidity_floor_points);

-- A version of the rate from one currency to another: source_units source points give
-- target_units target points (rounded down). Amounts are multiples of increment_points, at least
-- minimum_points; per-member limits are in source points per UTC day and calendar month; the fee
-- (fixed plus per mille of the source points, rounded up) is charged in source points on top.
create table exchange_rate (
  id bigint generated always as identity primary key,
  source_currency text not null references currency (code),
  target_currency text not null references currency (code),
  source_units bigint not null constraint rate_source_units_range check (source_units between 1 and 1000000),
  target_units bigint not null constraint rate_target_units_range check (target_units between 1 and 1000000),
  increment_points bigint not null constraint rate_increment_range check (increment_points between 1 and 1000000000),
  minimum_points bigint not null constraint rate_minimum_positive check (minimum_points > 0),
  daily_limit_points bigint constraint rate_daily_limit_positive check (daily_limit_points > 0),
  monthly_limit_points bigint constraint rate_monthly_limit_positive check (monthly_limit_points > 0),
  fee_fixed_points bigint not null default 0 constraint rate_fee_fixed_range check (fee_fixed_points between 0 and 1000000000),
  fee_per_mille bigint not null default 0 constraint rate_fee_per_mille_range check (fee_per_mille between 0 and 500),
  effective_from timestamptz not null,
  effective_to timestamptz,
  set_by text not null constraint rate_set_by_length check (length(set_by) between 1 and 200),
  created_at timestamptz not null,
  constraint rate_currencies_must_differ check (source_currency <> target_currency),
  constraint rate_effective_range check (effective_to is null or effective_to > effective_from),
  constraint rate_limits_ordered check (
    daily_limit_points is null or monthly_limit_points is null or daily_limit_points <= monthly_limit_points),
  constraint rate_id_pair unique (id, source_currency, target_currency)
);
create unique index exchange_rate_one_open_version on exchange_rate (source_currency, target_currency)
  where effective_to is null;
create index exchange_rate_by_pair on exchange_rate (source_currency, target_currency, effective_from desc);

create function exchange_rate_versions_must_not_overlap() returns trigger language plpgsql as $$
begin
  if exists (
    select 1 from exchange_rate r
    where r.source_currency = new.source_currency and r.target_currency = new.target_currency
      and r.id <> new.id
      and tstzrange(r.effective_from, r.effective_to) && tstzrange(new.effective_from, new.effective_to)
  ) then
    raise exception 'exchange rate versions of %->% must not overlap', new.source_currency, new.target_currency
      using errcode = 'exclusion_violation';
  end if;
  return new;
end
$$;
create trigger exchange_rate_no_overlap before insert or update on exchange_rate
  for each row execute function exchange_rate_versions_must_not_overlap();

-- A version that may have been used is never changed: the only update is closing the open one.
create function exchange_rate_terms_are_immutable() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' or old.effective_to is not null
     or (to_jsonb(new) - 'effective_to') <> (to_jsonb(old) - 'effective_to') then
    raise exception 'exchange rate % is immutable: only closing its open version is allowed', old.id
      using errcode = 'restrict_violation';
  end if;
  return new;
end
$$;
create trigger exchange_rate_is_immutable before update or delete on exchange_rate
  for each row execute function exchange_rate_terms_are_immutable();

-- A time-boxed bonus on a pair: bonus_per_mille more target points (rounded down), funded by the
-- target currency's program.
create table exchange_promotion (
  id bigint generated always as identity primary key,
  source_currency text not null references currency (code),
  target_currency text not null references currency (code),
  bonus_per_mille bigint not null constraint promotion_bonus_range check (bonus_per_mille between 1 and 1000),
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  description text not null default '' constraint promotion_description_length check (length(description) <= 200),
  set_by text not null constraint promotion_set_by_length check (length(set_by) between 1 and 200),
  created_at timestamptz not null,
  constraint promotion_currencies_must_differ check (source_currency <> target_currency),
  constraint promotion_window check (ends_at > starts_at),
  constraint promotion_id_pair unique (id, source_currency, target_currency)
);
create index exchange_promotion_by_pair on exchange_promotion (source_currency, target_currency, ends_at);
create trigger exchange_promotion_is_immutable before update or delete on exchange_promotion
  for each row execute function ledger_history_is_immutable();

-- A firm offer to one member (and the partner acting for them, if any), pinned to a rate version
-- and promotion, valid until expires_at.
create table exchange_quote (
  id text primary key constraint quote_id_format check (id ~ '^qte_[a-z0-9]{26}$'),
  member_id text not null references member (id),
  partner_id text references partner (id),
  source_currency text not null,
  target_currency text not null,
  rate_id bigint not null,
  promotion_id bigint,
  source_points bigint not null constraint quote_source_positive check (source_points > 0),
  base_target_points bigint not null constraint quote_target_positive check (base_target_points > 0),
  bonus_points bigint not null constraint quote_bonus_not_negative check (bonus_points >= 0),
  fee_points bigint not null constraint quote_fee_not_negative check (fee_points >= 0),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  constraint quote_expiry_after_creation check (expires_at > created_at),
  constraint quote_rate_pair foreign key (rate_id, source_currency, target_currency)
    references exchange_rate (id, source_currency, target_currency),
  constraint quote_promotion_pair foreign key (promotion_id, source_currency, target_currency)
    references exchange_promotion (id, source_currency, target_currency)
);
create index exchange_quote_by_pair on exchange_quote (source_currency, target_currency, created_at desc);

-- The economic terms of each conversion, one row per convert transfer. Settlement bills the
-- owner of the source currency for base_target_points of the target currency; bonus points are
-- funded by the target currency's own program. quote_id is null when paying across programs.
create table conversion (
  transfer_id text primary key references transfer (id),
  member_id text not null references member (id),
  source_currency text not null,
  target_currency text not null,
  source_points bigint not null constraint conversion_source_positive check (source_points > 0),
  base_target_points bigint not null constraint conversion_target_positive check (base_target_points > 0),
  bonus_points bigint not null constraint conversion_bonus_not_negative check (bonus_points >= 0),
  fee_points bigint not null constraint conversion_fee_not_negative check (fee_points >= 0),
  rate_id bigint not null,
  promotion_id bigint,
  quote_id text constraint conversion_quote_used_once unique references exchange_quote (id),
  created_at timestamptz not null,
  constraint conversion_rate_pair foreign key (rate_id, source_currency, target_currency)
    references exchange_rate (id, source_currency, target_currency),
  constraint conversion_promotion_pair foreign key (promotion_id, source_currency, target_currency)
    references exchange_promotion (id, source_currency, target_currency),
  constraint conversion_bonus_needs_promotion check (promotion_id is not null or bonus_points = 0)
);
create index conversion_member_window on conversion (member_id, source_currency, target_currency, created_at);
create index conversion_by_pair on conversion (source_currency, target_currency, created_at desc);
create trigger conversion_is_immutable before update or delete on conversion
  for each row execute function ledger_history_is_immutable();

create function conversion_must_match_rate_and_postings() returns trigger language plpgsql as $$
declare
  rate exchange_rate;
  bonus_per_mille bigint := 0;
  moved bigint;
  credited bigint;
  fees bigint;
begin
  select * into rate from exchange_rate where id = new.rate_id;
  if new.base_target_points::numeric * rate.source_units > new.source_points::numeric * rate.target_units then
    raise exception 'conversion_must_round_in_liquidity_favour: % % for % %',
      new.base_target_points, new.target_currency, new.source_points, new.source_currency
      using errcode = 'check_violation';
  end if;
  if new.promotion_id is not null then
    select p.bonus_per_mille into bonus_per_mille from exchange_promotion p where p.id = new.promotion_id;
  end if;
  if new.bonus_points::numeric * 1000 > new.base_target_points::numeric * bonus_per_mille then
    raise exception 'conversion_bonus_must_follow_promotion' using errcode = 'check_violation';
  end if;
  if new.fee_points <> rate.fee_fixed_points + ceil(new.source_points::numeric * rate.fee_per_mille / 1000) then
    raise exception 'conversion_fee_must_follow_rate' using errcode = 'check_violation';
  end if;
  select p.amount_points into moved from posting p
    join transfer t on t.id = p.transfer_id and t.code = 'convert' and t.member_id = new.member_id
    join account s on s.id = p.source_account_id and s.kind = 'member' and s.currency_code = new.source_currency
    join account l on l.id = p.target_account_id and l.kind = 'liquidity'
    where p.transfer_id = new.transfer_id and p.index = 0 and p.kind = 'posted';
  select p.amount_points into credited from posting p
    join account l on l.id = p.source_account_id and l.kind = 'liquidity' and l.currency_code = new.target_currency
    join account m on m.id = p.target_account_id and m.kind = 'member'
    where p.transfer_id = new.transfer_id and p.index = 1 and p.kind = 'posted';
  select coalesce(sum(p.amount_points), 0) into fees from transfer t join posting p on p.transfer_id = t.id
    where t.related_id = new.transfer_id and t.code = 'fee' and p.currency_code = new.source_currency;
  if moved is distinct from new.source_points
     or credited is distinct from new.base_target_points + new.bonus_points
     or fees <> new.fee_points
     or (select count(*) from posting where transfer_id = new.transfer_id) <> 2 then
    raise exception 'conversion_must_match_its_postings: transfer %', new.transfer_id
      using errcode = 'check_violation';
  end if;
  return new;
end
$$;
create trigger conversion_matches_rate_and_postings before insert on conversion
  for each row execute function conversion_must_match_rate_and_postings();

-- What one point of a currency is worth in the reference unit (EUR), in millionths: the wallet
-- shows each balance's value and the total from these. Set by the operator.
create table currency_reference_value (
  currency_code text primary key references currency (code),
  value_micros bigint not null constraint reference_value_range check (value_micros between 1 and 1000000000000),
  set_by text not null constraint reference_value_set_by_length check (length(set_by) between 1 and 200),
  updated_at timestamptz not null
);
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
