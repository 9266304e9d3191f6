import { Migration } from '@mikro-orm/migrations';

/**
 * Statement lines derived on read (issue 16, part 2): a close no longer writes a row per
 * transfer (settlement_item) or per obligation (settlement_obligation). It fixes the period's
 * cut-off, writes the gross matrix and the payment instructions, and freezes the period; a
 * statement's lines are derived from the transfers and the agreements, which never change.
 *
 * The cut-off: every transfer gets a number from a sequence when it is written (`seq`). The
 * close waits for the transactions writing transfers to finish (a moment's SHARE lock) and
 * draws a number: every transfer numbered below it has committed, every later one is numbered
 * above it. A closed period N takes exactly the transfers with
 *   take_from <= created_at < ends_at and seq <= cutoff_seq
 *   and (created_at >= starts_at or seq > previous_cutoff_seq)
 * i.e. those created before its end and committed by its close that the previous close did
 * not take (a transfer stamped inside a closed period but committed after its close falls into
 * the next one, as before). take_from is the start less the one-day lookback for such
 * stragglers (never before the first period's start). Only the previous period matters: every
 * earlier one's window ends before, and its cut-off is lower (proof in gateway/settlement/cut-off.ts).
 *
 * Existing transfers are numbered in the order closed periods took them (settlement_item),
 * then the rest, and each closed period gets the cut-off that reproduces what it took; the
 * two tables become views of the same name that derive their rows, so nothing reading them
 * changes. Everything a derived line reads is immutable: transfers, postings, conversions,
 * agreements, adjustments, and now a currency's owner.
 */
export class Migration0014SettlementDerivedLines extends Migration {
  override async up(): Promise<void> {
    this.addSql(cutOff);
    this.addSql(derivation);
    this.addSql(views);
    this.addSql(payments);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}

const cutOff = `
-- Cache 1 (the default): a session caching numbers could write a transfer numbered below a
-- cut-off drawn after it, which the close's lock would not have waited for.
create sequence transfer_seq as bigint;
alter table transfer add column seq bigint;
alter table transfer disable trigger transfer_is_immutable;
with numbered as (
  select t.id, row_number() over (order by p.starts_at nulls last, t.id) as seq
  from transfer t
  left join settlement_item i on i.transfer_id = t.id
  left join settlement_period p on p.id = i.period_id
)
update transfer t set seq = n.seq from numbered n where n.id = t.id;
alter table transfer enable trigger transfer_is_immutable;
select setval('transfer_seq', coalesce((select max(seq) from transfer), 0) + 1, false);
alter table transfer alter column seq set default nextval('transfer_seq'),
                     alter column seq set not null;
alter sequence transfer_seq owned by transfer.seq;

alter table settlement_period
  add column take_from timestamptz,
  add column cutoff_seq bigint,
  add column previous_cutoff_seq bigint,
  -- The lowest and highest transfer id the period took: where a statement's walk starts and ends.
  add column first_transfer_id text,
  add column last_transfer_id text,
  -- Payment instructions written by the close; null for periods closed before this migration,
  -- whose payments are computed from the gross matrix when read.
  add column payment_count integer;

alter table settlement_period disable trigger settlement_period_is_immutable;
with cut as (
  select p.id,
         greatest(p.starts_at - interval '1 day', min(p.starts_at) over ()) as take_from,
         coalesce(max(max(t.seq)) over (order by p.starts_at), 0) as cutoff_seq,
         min(t.id) as first_transfer_id, max(t.id) as last_transfer_id
  from settlement_period p
  left join settlement_item i on i.period_id = p.id
  left join transfer t on t.id = i.transfer_id
  group by p.id, p.starts_at
)
update settlement_period p
set take_from = c.take_from, cutoff_seq = c.cutoff_seq,
    previous_cutoff_seq = coalesce((select max(x.cutoff_seq) from cut x
                                    join settlement_period q on q.id = x.id
                                    where q.starts_at < p.starts_at), 0),
    first_transfer_id = c.first_transfer_id, last_transfer_id = c.last_transfer_id
from cut c where c.id = p.id and p.status = 'closed';
alter table settlement_period enable trigger settlement_period_is_immutable;
alter table settlement_period add constraint period_closed_has_cutoff check (
  (status = 'closed') = (take_from is not null and cutoff_seq is not null and previous_cutoff_seq is not null));

drop table settlement_obligation cascade;
drop table settlement_item cascade;
drop function settlement_obligation_needs_open_period();

-- The owner of a currency is a party to every line of it: frozen like the lines' other inputs.
create function currency_owner_is_immutable() returns trigger language plpgsql as $$
begin
  if new.owner_partner_id <> old.owner_partner_id then
    raise exception 'currency owner is immutable: % belongs to %', old.code, old.owner_partner_id
      using errcode = 'restrict_violation';
  end if;
  return new;
end
$$;
create trigger currency_owner_is_immutable before update on currency
  for each row execute function currency_owner_is_immutable();

-- A partner's statement finds adjustments naming it without walking the whole period.
create index settlement_adjustment_debtor on settlement_adjustment (debtor_id, transfer_id);
create index settlement_adjustment_creditor on settlement_adjustment (creditor_id, transfer_id);
`;

const derivation = `
-- Whether a period with this cut-off takes a transfer (see the migration's comment).
create function settlement_takes(created_at timestamptz, seq bigint, take_from timestamptz,
  starts_at timestamptz, ends_at timestamptz, cutoff_seq bigint, previous_cutoff_seq bigint)
returns boolean language sql immutable parallel safe
return created_at >= take_from and created_at < ends_at and seq <= cutoff_seq
       and (created_at >= starts_at or seq > previous_cutoff_seq);

-- The closed period that took a transfer (created_at, seq); null while none has (at most one
-- can). Positional: settlement_period has a created_at of its own.
create function settlement_period_of(timestamptz, bigint) returns text
language sql stable parallel safe
return (select p.id from settlement_period p
        where p.status = 'closed'
          and settlement_takes($1, $2, p.take_from, p.starts_at, p.ends_at,
                               p.cutoff_seq, p.previous_cutoff_seq));

-- Each agreement with the time it is superseded, and its prices per point: in the settlement
-- currency (shown on statements) and in its minor units (what settlement_amount_minor takes).
create view settlement_agreement_span as
select a.id, a.partner_id, a.currency_code, a.settlement_currency, a.effective_from,
       lead(a.effective_from) over (
         partition by a.partner_id, a.currency_code order by a.effective_from) as effective_until,
       a.issuance_price * a.billing_percent * 0.01 as issuance_unit,
       a.reimbursement_price as reimbursement_unit, a.exchange_price as exchange_unit,
       power(10::numeric, a.settlement_minor_digits) as minor_factor,
       coalesce(a.operator_fee_percent, 0) * 0.01 as fee_share,
       a.operator_fee_per_transfer_minor
from settlement_agreement a;

-- The obligations of every earn, redemption (or confirmed hold) and conversion, each priced by
-- the agreement in force at the transfer's creation (agreement_id null when none is: a close
-- refuses that), with its operator fees: a percentage of the obligation, and a fixed amount
-- per transfer. Which transfer yields what is documented in gateway/settlement/obligation-sql.ts.
create view settlement_direct_line as
select t.id as transfer_id, t.seq, t.created_at, t.code as transfer_code, t.partner_id,
       coalesce(t.external_id, t.id) as reference, l.kind, m.currency_code,
       l.debtor_id, l.creditor_id, a.settlement_currency, l.points, l.unit_price, l.unit_minor,
       l.amount_minor, a.id as agreement_id, m.agreement_partner_id
from transfer t
join posting p on p.transfer_id = t.id and p.index = 0
join currency c on c.code = p.currency_code
left join posting tp on t.code = 'convert' and tp.transfer_id = t.id and tp.index = 1
left join currency tc on tc.code = tp.currency_code
left join conversion cv on t.code = 'convert' and cv.transfer_id = t.id
cross join lateral (
  select case t.code when 'earn' then 'issuance' when 'convert' then 'exchange'
                     else 'reimbursement' end as kind,
         case t.code when 'convert' then tp.currency_code else p.currency_code end as currency_code,
         case t.code when 'convert' then coalesce(cv.base_target_points, tp.amount_points)
                     else p.amount_points end as points,
         case t.code when 'convert' then c.owner_partner_id else t.partner_id end as agreement_partner_id,
         case t.code when 'earn' then t.partner_id else c.owner_partner_id end as debtor_id,
         case t.code when 'earn' then c.owner_partner_id when 'convert' then tc.owner_partner_id
                     else t.partner_id end as creditor_id
) m
left join settlement_agreement_span a
  on a.partner_id = m.agreement_partner_id and a.currency_code = m.currency_code
 and t.created_at >= a.effective_from
 and (a.effective_until is null or t.created_at < a.effective_until)
cross join lateral (
  select case m.kind when 'issuance' then a.issuance_unit
                     when 'reimbursement' then a.reimbursement_unit
                     else a.exchange_unit end as unit_price
) u
cross join lateral (values
  (m.kind, m.debtor_id, m.creditor_id, m.points, u.unit_price, u.unit_price * a.minor_factor,
   settlement_amount_minor(m.points, u.unit_price * a.minor_factor)),
  (m.kind || '_fee', m.agreement_partner_id, 'operator', m.points, u.unit_price * a.fee_share,
   u.unit_price * a.fee_share * a.minor_factor,
   settlement_amount_minor(m.points, u.unit_price * a.fee_share * a.minor_factor)),
  ('transfer_fee', m.agreement_partner_id, 'operator', 0::bigint, null::numeric, null::numeric,
   a.operator_fee_per_transfer_minor)
) l (kind, debtor_id, creditor_id, points, unit_price, unit_minor, amount_minor)
where t.code in ('earn', 'redeem', 'post', 'convert')
  and (t.code <> 'post' or p.kind = 'post_pending')
  and m.debtor_id <> m.creditor_id and m.points > 0
  and case l.kind when m.kind then true
                  when 'transfer_fee' then a.operator_fee_per_transfer_minor > 0
                  else u.unit_price * a.fee_share > 0 end;

-- What each refund takes back, per kind of obligation it reverses: earned points taken back
-- or pending points voided (issuance, of the earn it relates to), spent points returned
-- (reimbursement, of the purchase's redemption, found by the same partner transaction id).
create view settlement_refund_part as
select r.id as transfer_id, r.seq, r.created_at, r.partner_id, r.related_id,
       coalesce(r.external_id, r.id) as reference, x.kind, p.currency_code,
       case when x.kind = 'reimbursement' and related.code <> 'redeem' then sibling.id
            else r.related_id end as origin_id,
       -sum(p.amount_points)::bigint as points
from transfer r
join posting p on p.transfer_id = r.id
join account source on source.id = p.source_account_id
join account target on target.id = p.target_account_id
join transfer related on related.id = r.related_id
cross join lateral (
  select case when source.kind = 'member' and target.kind = 'issuance' and p.kind = 'posted'
                then 'issuance'
              when source.kind = 'issuance' and target.kind = 'member' and p.kind = 'void_pending'
                then 'issuance'
              when source.kind = 'redemption' and target.kind = 'member' and p.kind = 'posted'
                then 'reimbursement' end as kind
) x
left join lateral (
  select s.id from transfer s
  where s.partner_id = related.partner_id and s.external_id = related.external_id
    and s.member_id = related.member_id and s.code = 'redeem'
  order by s.id limit 1
) sibling on x.kind = 'reimbursement' and related.code <> 'redeem'
where r.code = 'refund' and x.kind is not null
group by r.id, r.seq, r.created_at, r.partner_id, r.related_id, r.external_id, x.kind,
         p.currency_code, 9;

-- The lines of the period cut by ($1 id, $2 take_from, $3 starts_at, $4 ends_at, $5 cutoff_seq,
-- $6 previous_cutoff_seq), in three parts: direct obligations, reversals, adjustments. Each is
-- inlined by the planner, so filters on the result reach the indexes of the tables below.
create function settlement_direct_lines(text, timestamptz, timestamptz, timestamptz, bigint, bigint)
returns table (period_id text, transfer_id text, kind text, currency_code text,
  origin_transfer_id text, debtor_id text, creditor_id text, settlement_currency text,
  points bigint, unit_price numeric, amount_minor bigint, agreement_id bigint,
  transfer_code text, reference text, transfer_created_at timestamptz)
language sql stable
as $$
select $1, d.transfer_id, d.kind, d.currency_code, d.transfer_id, d.debtor_id, d.creditor_id,
       d.settlement_currency, d.points, d.unit_price, d.amount_minor, d.agreement_id,
       d.transfer_code, d.reference, d.created_at
from settlement_direct_line d
where settlement_takes(d.created_at, d.seq, $2, $3, $4, $5, $6)
$$;

-- A reversal moves round((points before it + its points) x price) - round(points before it x
-- price) at its origin's price, points before it being the origin's less every reversal of
-- the same origin before it: in an earlier period, or in this one earlier by (created_at, id).
-- So partial refunds never drift and a full refund cancels the origin to the cent. A fixed
-- per-transfer fee is not reversed: the transfer was processed.
create function settlement_reversal_lines(text, timestamptz, timestamptz, timestamptz, bigint, bigint)
returns table (period_id text, transfer_id text, kind text, currency_code text,
  origin_transfer_id text, debtor_id text, creditor_id text, settlement_currency text,
  points bigint, unit_price numeric, amount_minor bigint, agreement_id bigint,
  transfer_code text, reference text, transfer_created_at timestamptz)
language sql stable
as $$
select $1, v.transfer_id, o.kind, v.currency_code, v.origin_id, o.debtor_id, o.creditor_id,
       o.settlement_currency, v.points, o.unit_price,
       settlement_amount_minor(b.before + v.points, o.unit_minor)
         - settlement_amount_minor(b.before, o.unit_minor),
       o.agreement_id, 'refund'::text, v.reference, v.created_at
from settlement_refund_part v
join settlement_direct_line o
  on o.transfer_id = v.origin_id and o.currency_code = v.currency_code
 and o.kind in (v.kind, v.kind || '_fee')
cross join lateral (
  select o.points + coalesce(sum(e.points), 0) as before
  from settlement_refund_part e
  where e.related_id in (v.related_id, v.origin_id) and e.origin_id = v.origin_id
    and e.kind = v.kind and e.currency_code = v.currency_code
    and (settlement_takes(e.created_at, e.seq, $2, $3, $4, $5, $6)
           and (e.created_at, e.transfer_id) < (v.created_at, v.transfer_id)
         or e.seq <= $6 and e.created_at < $3
           and settlement_period_of(e.created_at, e.seq) is not null)
) b
where settlement_takes(v.created_at, v.seq, $2, $3, $4, $5, $6)
  -- The origin was taken by this period or an earlier one (a lost straggler yields nothing).
  and (settlement_takes(o.created_at, o.seq, $2, $3, $4, $5, $6)
       or settlement_period_of(o.created_at, o.seq) is not null)
$$;

-- Finance adjustments carry their amount as it is: no price, nothing to round.
create function settlement_adjustment_lines(text, timestamptz, timestamptz, timestamptz, bigint, bigint)
returns table (period_id text, transfer_id text, kind text, currency_code text,
  origin_transfer_id text, debtor_id text, creditor_id text, settlement_currency text,
  points bigint, unit_price numeric, amount_minor bigint, agreement_id bigint,
  transfer_code text, reference text, transfer_created_at timestamptz)
language sql stable
as $$
select $1, t.id, 'adjustment'::text, ''::text, t.id, a.debtor_id, a.creditor_id,
       a.settlement_currency, 0::bigint, null::numeric, a.amount_minor, null::bigint, t.code,
       coalesce(t.external_id, t.id), t.created_at
from settlement_adjustment a
join transfer t on t.id = a.transfer_id
where t.code = 'adjust' and settlement_takes(t.created_at, t.seq, $2, $3, $4, $5, $6)
$$;

create function settlement_period_lines(text, timestamptz, timestamptz, timestamptz, bigint, bigint)
returns table (period_id text, transfer_id text, kind text, currency_code text,
  origin_transfer_id text, debtor_id text, creditor_id text, settlement_currency text,
  points bigint, unit_price numeric, amount_minor bigint, agreement_id bigint,
  transfer_code text, reference text, transfer_created_at timestamptz)
language sql stable
as $$
select * from settlement_direct_lines($1, $2, $3, $4, $5, $6)
union all
select * from settlement_reversal_lines($1, $2, $3, $4, $5, $6)
union all
select * from settlement_adjustment_lines($1, $2, $3, $4, $5, $6)
$$;
`;

const views = `
-- Which closed period took each transfer, and every line of every closed period: derived,
-- under the names the tables they replace had.
create view settlement_item as
select t.id as transfer_id, p.id as period_id
from settlement_period p
join transfer t
  on settlement_takes(t.created_at, t.seq, p.take_from, p.starts_at, p.ends_at,
                      p.cutoff_seq, p.previous_cutoff_seq)
where p.status = 'closed';

create view settlement_obligation as
select l.*
from settlement_period p
cross join lateral settlement_period_lines(p.id, p.take_from, p.starts_at, p.ends_at,
                                           p.cutoff_seq, p.previous_cutoff_seq) l
where p.status = 'closed';

-- Derived rows change only with what they derive from, which never changes.
create trigger settlement_item_is_immutable instead of insert or update or delete
  on settlement_item for each row execute function ledger_history_is_immutable();
create trigger settlement_obligation_is_immutable instead of insert or update or delete
  on settlement_obligation for each row execute function ledger_history_is_immutable();
`;

const payments = `
-- The payment instructions a close wrote, in the order netting gave them.
create table settlement_payment (
  period_id text not null references settlement_period (id),
  ordinal integer not null,
  settlement_currency text not null,
  payer_id text not null,
  payee_id text not null,
  amount_minor bigint not null constraint payment_amount_positive check (amount_minor > 0),
  primary key (period_id, ordinal)
);
create trigger settlement_payment_is_immutable before update or delete on settlement_payment
  for each row execute function ledger_history_is_immutable();
create trigger settlement_payment_needs_open_period after insert on settlement_payment
  referencing new table as added for each statement
  execute function settlement_rows_need_open_period();
`;
