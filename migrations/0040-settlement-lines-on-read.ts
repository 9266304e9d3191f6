import { Migration } from '@mikro-orm/migrations';
import { conversionSources, lineColumns, linesSql } from '../gateway/settlement/line-sql';

/**
 * Settlement lines derived on read (issue 16, part 2). A close used to write a settlement_item
 * row per transfer and an obligation row per line (a million of each for a million transfers,
 * 26-36 times one aggregate scan); now it fixes its cut-off, writes the gross matrix and
 * nothing per transfer, and statements derive their lines from the transfers through indexes.
 *
 * - `transfer.writer_xid`: the transaction that wrote the transfer (pg_current_xact_id(), null
 *   for transfers written before this migration, which count as committed before any later
 *   close). A period's close records its snapshot (`cutoff_snapshot`): the period takes the
 *   transfers created in [takes_from, ends_at) that the snapshot saw committed and no earlier
 *   period took, exactly the set the close used to copy into settlement_item.
 * - `posting (currency_code, transfer_id)`: a currency owner's statement walks its currencies'
 *   postings in transfer order (a partner's own transfers walk transfer_partner_newest).
 * - Periods closed before this migration keep their membership rows (settlement_item_stored);
 *   their lines are derived like the others', and the migration checks that the derived lines
 *   are exactly the stored obligations before it drops them.
 * - settlement_item and settlement_obligation become views deriving the same rows, for reading
 *   by hand; nothing can be written through them.
 *
 * Invariants the database enforces: a period's cut-off is set only while it is open, with its
 * window, and never changes after (the period's immutability trigger); a currency's owner never
 * changes (statements of closed periods derive their parties from it).
 */
export class Migration0040SettlementLinesOnRead extends Migration {
  override async up(): Promise<void> {
    this.addSql(cutOff);
    this.addSql(functions);
    this.addSql(views);
    this.addSql(verifyAndDropStoredObligations);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}

const cutOff = `
alter table transfer add column writer_xid xid8;
alter table transfer alter column writer_xid set default pg_current_xact_id();
create index posting_currency_transfer on posting (currency_code, transfer_id);

alter table settlement_period
  add column takes_from timestamptz,
  add column cutoff_snapshot pg_snapshot,
  -- The first and last id of the transfers the period took: where its statements' scans start
  -- and stop (ids sort by creation time, so the range holds little else).
  add column first_transfer_id text,
  add column last_transfer_id text,
  add constraint period_cutoff_has_window check ((cutoff_snapshot is null) = (takes_from is null));

alter table settlement_item rename to settlement_item_stored;
alter table settlement_obligation rename to settlement_obligation_stored;
alter index settlement_obligation_debtor rename to settlement_obligation_stored_debtor;
alter index settlement_obligation_creditor rename to settlement_obligation_stored_creditor;
alter index settlement_obligation_reversal rename to settlement_obligation_stored_reversal;

create function currency_owner_is_fixed() returns trigger language plpgsql as $$
begin
  raise exception 'currency_owner_is_fixed: the owner of % cannot change', old.code
    using errcode = 'restrict_violation';
end
$$;
create trigger currency_owner_is_fixed before update of owner_partner_id on currency
  for each row when (old.owner_partner_id is distinct from new.owner_partner_id)
  execute function currency_owner_is_fixed();
`;

const functions = `
-- The closed period that took a transfer, or null: a stored membership row (periods closed
-- before 0040), else the first period by start whose window holds its creation time and whose
-- cut-off saw it committed. A closing transaction sets its period's cut-off before it derives
-- anything, so its own period counts here too.
create function settlement_period_of(transfer_id text, created_at timestamptz, writer_xid xid8)
returns text language sql stable parallel safe as $$
  select coalesce(
    (select i.period_id from settlement_item_stored i where i.transfer_id = $1),
    (select p.id from settlement_period p
     where p.cutoff_snapshot is not null and $2 >= p.takes_from and $2 < p.ends_at
       and ($3 is null or pg_visible_in_snapshot($3, p.cutoff_snapshot))
     order by p.starts_at limit 1))
$$;

-- What a refund's or cancel's posting reverses: issuance (earned points taken back, pending
-- ones voided) or reimbursement (spent points returned); null for anything else.
create function settlement_reversal_kind(source_kind text, target_kind text, posting_kind text)
returns text language sql immutable parallel safe as $$
  select case when source_kind = 'member' and target_kind = 'issuance' and posting_kind = 'posted'
                then 'issuance'
              when source_kind = 'issuance' and target_kind = 'member' and posting_kind = 'void_pending'
                then 'issuance'
              when source_kind = 'redemption' and target_kind = 'member' and posting_kind = 'posted'
                then 'reimbursement' end
$$;

-- Whether reversal x comes before a reversal of period_starts_at, created_at, id: its period
-- starts earlier, or it is in the same period and earlier by creation time, then id. A
-- reversal no closed period has taken comes after every one that is.
create function settlement_reversal_precedes(
  transfer_id text, created_at timestamptz, writer_xid xid8,
  other_period_starts_at timestamptz, other_created_at timestamptz, other_transfer_id text)
returns boolean language sql stable parallel safe as $$
  select coalesce(p.starts_at < $4 or (p.starts_at = $4 and ($2, $1) < ($5, $6)), false)
  from (select 1) one
  left join settlement_period p on p.id = settlement_period_of($1, $2, $3)
$$;
`;

/**
 * closedPeriodsMembersSql (line-sql.ts) as this migration's schema has it: periods had no
 * reversal_rounding yet (migration 0097 adds it and replaces this view), and every one rounded
 * as 'added_before_0097'. This migration reads line-sql.ts as it is today, so what it reads must
 * not name a column added after it.
 */
const closedPeriodsMembersAt0040 = `(select t.id as transfer_id, t.code, t.partner_id,
          t.external_id, t.related_id, t.created_at, p.id as period_id,
          p.starts_at as period_starts_at, t.rule_grants,
          'added_before_0097'::text as reversal_rounding
   from transfer t
   join settlement_period p on p.id = settlement_period_of(t.id, t.created_at, t.writer_xid))`;

const views = `
-- Each agreement with the time its terms end (the next agreement's start) and its unit prices,
-- kept by a trigger as agreements are added (they are never changed or removed). A table, not
-- a view with a window function: a window runs in the leader only, and a close joins every
-- transfer to its agreement in parallel workers. Adding an agreement ends the span before it;
-- agreements cannot start inside a closed period, so no span a closed period used ever moves.
create table settlement_agreement_span (
  id bigint primary key references settlement_agreement (id),
  partner_id text not null,
  currency_code text not null,
  settlement_currency text not null,
  effective_from timestamptz not null,
  effective_until timestamptz,
  issuance_unit numeric not null,
  reimbursement_unit numeric not null,
  exchange_unit numeric not null,
  minor_factor numeric not null,
  fee_share numeric not null,
  operator_fee_per_transfer_minor bigint
);
create index settlement_agreement_span_terms
  on settlement_agreement_span (partner_id, currency_code, effective_from);

create function settlement_agreement_span_adds() returns trigger language plpgsql as $$
begin
  insert into settlement_agreement_span
  select a.id, a.partner_id, a.currency_code, a.settlement_currency, a.effective_from,
         (select min(later.effective_from) from settlement_agreement later
          where later.partner_id = a.partner_id and later.currency_code = a.currency_code
            and later.effective_from > a.effective_from),
         a.issuance_price * a.billing_percent * 0.01, a.reimbursement_price, a.exchange_price,
         power(10::numeric, a.settlement_minor_digits),
         coalesce(a.operator_fee_percent, 0) * 0.01, a.operator_fee_per_transfer_minor
  from added a;
  update settlement_agreement_span s
  set effective_until = (select min(later.effective_from) from settlement_agreement later
                         where later.partner_id = s.partner_id
                           and later.currency_code = s.currency_code
                           and later.effective_from > s.effective_from)
  where (s.partner_id, s.currency_code) in (select partner_id, currency_code from added);
  return null;
end
$$;
create trigger settlement_agreement_span_adds after insert on settlement_agreement
  referencing new table as added for each statement
  execute function settlement_agreement_span_adds();
insert into settlement_agreement_span
select a.id, a.partner_id, a.currency_code, a.settlement_currency, a.effective_from,
       (select min(later.effective_from) from settlement_agreement later
        where later.partner_id = a.partner_id and later.currency_code = a.currency_code
          and later.effective_from > a.effective_from),
       a.issuance_price * a.billing_percent * 0.01, a.reimbursement_price, a.exchange_price,
       power(10::numeric, a.settlement_minor_digits),
       coalesce(a.operator_fee_percent, 0) * 0.01, a.operator_fee_per_transfer_minor
from settlement_agreement a;

-- The points each refund or cancel reverses, per kind and currency (negative).
create view settlement_reversal_parts as
select t.id as transfer_id, t.related_id, t.created_at, t.writer_xid, p.currency_code, k.kind,
       -sum(p.amount_points)::bigint as points
from transfer t
join posting p on p.transfer_id = t.id
join account source on source.id = p.source_account_id
join account target on target.id = p.target_account_id
cross join lateral (
  select settlement_reversal_kind(source.kind, target.kind, p.kind) as kind) k
where t.code in ('refund', 'cancel') and k.kind is not null
group by t.id, t.related_id, t.created_at, t.writer_xid, p.currency_code, k.kind;

-- Which closed period took each transfer.
create view settlement_item as
select t.id as transfer_id, settlement_period_of(t.id, t.created_at, t.writer_xid) as period_id
from transfer t
where settlement_period_of(t.id, t.created_at, t.writer_xid) is not null;

-- Every line of every closed period, derived as statements derive them.
create view settlement_obligation as
select ${lineColumns} from (${linesSql(closedPeriodsMembersAt0040, conversionSources)}) lines;

create function settlement_derived_is_immutable() returns trigger language plpgsql as $$
begin
  raise exception 'closed_period_is_immutable: % is derived from immutable history; % is not allowed',
    tg_table_name, tg_op using errcode = 'restrict_violation';
end
$$;
create trigger settlement_item_is_immutable instead of insert or update or delete on settlement_item
  for each row execute function settlement_derived_is_immutable();
create trigger settlement_obligation_is_immutable
  instead of insert or update or delete on settlement_obligation
  for each row execute function settlement_derived_is_immutable();
`;

const lineKey = `period_id, transfer_id, kind, currency_code, origin_transfer_id, debtor_id,
  creditor_id, settlement_currency, points, unit_price, amount_minor, agreement_id,
  transfer_code, reference, transfer_created_at`;

const verifyAndDropStoredObligations = `
do $$
begin
  if exists (
    (select ${lineKey} from settlement_obligation_stored
     except all select ${lineKey} from settlement_obligation)
    union all
    (select ${lineKey} from settlement_obligation
     except all select ${lineKey} from settlement_obligation_stored)
  ) then
    raise exception 'settlement_lines_must_match: the derived lines of the closed periods differ from the stored obligations';
  end if;
end
$$;
drop table settlement_obligation_stored;
`;
