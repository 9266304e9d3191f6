/**
 * The set-based SQL that turns a period's transfers into settlement obligations. Nothing here
 * runs on the earn path: obligations are derived once, when a period closes, by a few
 * statements whose memory does not grow with the number of transfers.
 *
 * Which transfer yields what (P a partner, C a currency owned by program O):
 * - earn at P of C (posted or pending):  P owes O  points x issuance price x billing %
 * - redeem (or confirmed hold) at P of C: O owes P  points x reimbursement price
 * - convert S -> T:  owner(S) owes owner(T)  base target points x exchange price of
 *   owner(S)'s agreement for T (bonus points are funded by T's program, so not billed)
 * - refund: the negative of what the earn and the redemption it reverses yielded, at their
 *   prices (earned points taken back, pending points voided, spent points returned)
 * - cancel of a confirmed redemption: the negative of what its post yielded (the post is the
 *   origin), in the period the cancel falls in, like a late refund
 * - adjust: the money a finance user's adjustment names
 * Nothing between a program and its own currency; nothing for mature, expire, fee, hold, void.
 * Operator fees ride on each priced obligation: a percentage (reversed with it) and a fixed
 * amount per transfer (not reversed: the transfer was processed), owed by the agreement's partner.
 *
 * The agreement is the one in force at the transfer's creation time; a reversal reuses the
 * price, parties and settlement currency of the obligation it reverses.
 *
 * Rounding happens in one place, the SQL function settlement_amount_minor (migration 0003):
 * half away from zero, to the minor unit of the settlement currency, applied to the cumulative
 * points of an origin transfer. An obligation's amount is
 *   round(points after it x price) - round(points before it x price),
 * so an earn bills round(points x price) and any series of partial refunds reverses exactly
 * what was billed in total: a full refund always brings the origin back to exactly zero.
 */

/**
 * Step 1: the transfers this period takes, into settlement_item and a transaction-local batch
 * table the next steps read. $1 period, $2 lower bound, $3 period end.
 */
export const createBatchSql = `
create temp table settlement_close_batch (
  transfer_id text not null,
  code text not null,
  partner_id text,
  member_id text,
  external_id text,
  related_id text,
  created_at timestamptz not null
) on commit drop`;

export const assignTransfersSql = `
with candidates as materialized (
  select t.id, t.code, t.partner_id, t.member_id, t.external_id, t.related_id, t.created_at
  from transfer t
  where t.created_at >= $2 and t.created_at < $3
    and not exists (select 1 from settlement_item s where s.transfer_id = t.id)
), assigned as (
  insert into settlement_item (transfer_id, period_id)
  select id, $1 from candidates
  returning 1
), batched as (
  insert into settlement_close_batch
  select * from candidates
  where code in ('earn', 'redeem', 'post', 'convert', 'refund', 'cancel', 'adjust')
  returning 1
)
select (select count(*) from assigned)::bigint as transfers,
       (select count(*) from batched)::bigint as batched`;

const obligationColumns = `period_id, transfer_id, kind, currency_code, origin_transfer_id,
  debtor_id, creditor_id, settlement_currency, points, unit_price, amount_minor, agreement_id,
  transfer_code, reference, transfer_created_at`;

/**
 * Step 2: obligations of earns, redemptions and conversions, with their operator fees. A
 * transfer whose agreement is missing yields a row without one, which the
 * obligation_needs_agreement constraint refuses: the close fails and writes nothing.
 * $1 period. Written into `table`, the period's own partition, before it has indexes or
 * triggers (see close.ts). `exchangeBase` is the SQL for a conversion's billable target points.
 */
export function directObligationsSql(
  table: string,
  exchangeBase: string,
  conversionJoin: string,
): string {
  const tail = `p.agreement_id, p.code, p.reference, p.created_at from priced p`;
  return `${directObligationSources(exchangeBase, conversionJoin)}
insert into ${table} (${obligationColumns})
select $1, p.transfer_id, p.kind, p.currency_code, p.transfer_id, p.debtor_id, p.creditor_id,
       coalesce(p.settlement_currency, ''), p.points, p.unit_price,
       coalesce(settlement_amount_minor(p.points, p.unit_minor), 0), ${tail}
union all
select $1, p.transfer_id, p.kind || '_fee', p.currency_code, p.transfer_id,
       p.agreement_partner_id, 'operator', p.settlement_currency, p.points, p.fee_unit_price,
       settlement_amount_minor(p.points, p.fee_unit_minor), ${tail}
where p.fee_unit_price > 0
union all
select $1, p.transfer_id, 'transfer_fee', p.currency_code, p.transfer_id,
       p.agreement_partner_id, 'operator', p.settlement_currency, 0, null,
       p.operator_fee_per_transfer_minor, ${tail}
where p.operator_fee_per_transfer_minor > 0`;
}

/**
 * The priced direct obligations of the batch, one row per earn, redemption or conversion.
 * Materialised: every derived column is computed once per transfer, however often it is read.
 * Unit prices come in the settlement currency (`unit_price`, shown on statements) and in its
 * minor units (`unit_minor`, what settlement_amount_minor multiplies).
 */
function directObligationSources(exchangeBase: string, conversionJoin: string): string {
  return `
with agreement_span as (
  select a.id, a.partner_id, a.currency_code, a.settlement_currency, a.effective_from,
         lead(a.effective_from) over (
           partition by a.partner_id, a.currency_code order by a.effective_from) as effective_until,
         a.issuance_price * a.billing_percent * 0.01 as issuance_unit,
         a.reimbursement_price as reimbursement_unit, a.exchange_price as exchange_unit,
         power(10::numeric, a.settlement_minor_digits) as minor_factor,
         coalesce(a.operator_fee_percent, 0) * 0.01 as fee_share,
         a.operator_fee_per_transfer_minor
  from settlement_agreement a
), moved as materialized (
  select b.transfer_id, b.code, b.created_at, coalesce(b.external_id, b.transfer_id) as reference,
         case b.code when 'earn' then 'issuance' when 'convert' then 'exchange'
                     else 'reimbursement' end as kind,
         case b.code when 'convert' then target.currency_code else p.currency_code end as currency_code,
         case b.code when 'convert' then ${exchangeBase} else p.amount_points end as points,
         case b.code when 'convert' then currency.owner_partner_id
                     else b.partner_id end as agreement_partner_id,
         case b.code when 'earn' then b.partner_id
                     when 'convert' then currency.owner_partner_id
                     else currency.owner_partner_id end as debtor_id,
         case b.code when 'earn' then currency.owner_partner_id
                     when 'convert' then target_currency.owner_partner_id
                     else b.partner_id end as creditor_id
  from settlement_close_batch b
  join posting p on p.transfer_id = b.transfer_id and p.index = 0
  join currency on currency.code = p.currency_code
  left join posting target on b.code = 'convert' and target.transfer_id = b.transfer_id
                          and target.index = 1
  left join currency target_currency on target_currency.code = target.currency_code
  ${conversionJoin}
  where b.code in ('earn', 'redeem', 'post', 'convert')
    and (b.code <> 'post' or p.kind = 'post_pending')
), priced as materialized (
  select m.*, a.id as agreement_id, a.settlement_currency,
         u.unit_price, u.unit_price * a.minor_factor as unit_minor,
         u.unit_price * a.fee_share as fee_unit_price,
         u.unit_price * a.fee_share * a.minor_factor as fee_unit_minor,
         a.operator_fee_per_transfer_minor
  from moved m
  left join agreement_span a
    on a.partner_id = m.agreement_partner_id and a.currency_code = m.currency_code
   and m.created_at >= a.effective_from
   and (a.effective_until is null or m.created_at < a.effective_until)
  cross join lateral (
    select case m.kind when 'issuance' then a.issuance_unit
                       when 'reimbursement' then a.reimbursement_unit
                       else a.exchange_unit end as unit_price
  ) u
  where m.debtor_id <> m.creditor_id and m.points > 0
)`;
}

/**
 * Step 3: refunds reverse the obligations of what they refund, at the same prices, by the
 * cumulative rule above. Earlier reversals of the same origin are read from earlier periods
 * and from earlier refunds in this batch (ordered by creation time, then id). $1 period.
 */
export const reversalObligationsSql = `
with refunded as (
  select b.transfer_id, b.code, b.created_at, coalesce(b.external_id, b.transfer_id) as reference,
         b.related_id, p.currency_code, p.amount_points,
         case when source.kind = 'member' and target.kind = 'issuance' and p.kind = 'posted'
                then 'issuance'
              when source.kind = 'issuance' and target.kind = 'member' and p.kind = 'void_pending'
                then 'issuance'
              when source.kind = 'redemption' and target.kind = 'member' and p.kind = 'posted'
                then 'reimbursement' end as kind
  from settlement_close_batch b
  join posting p on p.transfer_id = b.transfer_id
  join account source on source.id = p.source_account_id
  join account target on target.id = p.target_account_id
  where b.code in ('refund', 'cancel')
), reversed as (
  -- A refund relates to the purchase's earn when there is one; spent points it returns
  -- reverse the purchase's redemption, found by the same partner transaction id. A cancel
  -- relates to its hold and reverses the hold's post.
  select r.transfer_id, r.code, r.created_at, r.reference, r.kind, r.currency_code,
         case when related.code = 'hold' then post.id
              when r.kind = 'reimbursement' and related.code <> 'redeem' then sibling.id
              else r.related_id end as origin_id,
         -sum(r.amount_points)::bigint as points
  from refunded r
  join transfer related on related.id = r.related_id
  left join transfer post on related.code = 'hold' and post.related_id = related.id
                         and post.code = 'post'
  left join lateral (
    select x.id from transfer x
    where x.partner_id = related.partner_id and x.external_id = related.external_id
      and x.member_id = related.member_id and x.code = 'redeem'
    order by x.id limit 1
  ) sibling on r.kind = 'reimbursement' and related.code not in ('redeem', 'hold')
  where r.kind is not null
  group by 1, 2, 3, 4, 5, 6, 7
), parts as (
  select v.*, o.kind as part_kind, o.debtor_id, o.creditor_id, o.settlement_currency,
         o.unit_price, o.agreement_id,
         o.unit_price * power(10::numeric, a.settlement_minor_digits) as unit_minor,
         o.points + coalesce((
           select sum(x.points) from settlement_obligation x
           where x.origin_transfer_id = v.origin_id and x.transfer_id <> x.origin_transfer_id
             and x.kind = o.kind and x.currency_code = o.currency_code), 0)
         + coalesce(sum(v.points) over (
             partition by v.origin_id, o.kind, o.currency_code
             order by v.created_at, v.transfer_id
             rows between unbounded preceding and 1 preceding), 0) as points_before
  from reversed v
  join settlement_item origin on origin.transfer_id = v.origin_id
  join settlement_obligation o
    on o.period_id = origin.period_id and o.transfer_id = v.origin_id
   and o.currency_code = v.currency_code and o.kind in (v.kind, v.kind || '_fee')
  join settlement_agreement a on a.id = o.agreement_id
)
insert into settlement_obligation (${obligationColumns})
select $1, transfer_id, part_kind, currency_code, origin_id, debtor_id, creditor_id,
       settlement_currency, points, unit_price,
       settlement_amount_minor(points_before + points, unit_minor)
         - settlement_amount_minor(points_before, unit_minor),
       agreement_id, code, reference, created_at
from parts`;

/** Step 4: finance adjustments carry their amount as it is: no price, nothing to round. */
export const adjustmentObligationsSql = `
insert into settlement_obligation (${obligationColumns})
select $1, b.transfer_id, 'adjustment', '', b.transfer_id, a.debtor_id, a.creditor_id,
       a.settlement_currency, 0, null, a.amount_minor, null, b.code,
       coalesce(b.external_id, b.transfer_id), b.created_at
from settlement_close_batch b
join settlement_adjustment a on a.transfer_id = b.transfer_id
where b.code = 'adjust'`;

/** Step 5: the gross matrix, from the obligations just written. */
export const grossMatrixSql = `
insert into settlement_gross (period_id, settlement_currency, debtor_id, creditor_id,
                              amount_minor, obligation_count)
select period_id, settlement_currency, debtor_id, creditor_id, sum(amount_minor)::bigint, count(*)
from settlement_obligation
where period_id = $1
group by period_id, settlement_currency, debtor_id, creditor_id`;

/**
 * When step 2 fails for a missing agreement: the first transfer of the batch that needs one.
 * Runs only on that failure path, in a fresh transaction that recreates the batch.
 */
export function missingAgreementSql(exchangeBase: string, conversionJoin: string): string {
  return `${directObligationSources(exchangeBase, conversionJoin)}
select agreement_partner_id as partner_id, currency_code, created_at, transfer_id
from priced where agreement_id is null
order by created_at, transfer_id limit 1`;
}
