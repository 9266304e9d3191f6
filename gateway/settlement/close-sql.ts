import { type ExchangeSources, movedTransfersSql, periodTakesSql } from './line-sql';

/**
 * The close's aggregates: the gross matrix of a period, what the lines line-sql.ts derives sum
 * to per settlement currency, debtor and creditor (amount, number of lines, lines lacking an
 * agreement). Statements derive lines one by one (linesSql); a close needs only their sums, so
 * these queries compute the same amounts by the same rules, shaped so PostgreSQL runs nearly
 * all of the work in parallel workers:
 *
 * - Every row is priced where it is joined (in a worker) and summed per flow (settlement
 *   currency, parties, the agreement's partner): a few groups the planner estimates well, so
 *   each worker aggregates its share and only partial sums cross the Gather. Grouping per
 *   points first (each distinct amount computed once) left the planner expecting as many
 *   groups as rows, so the leader alone grouped every row.
 * - Nothing correlated is left: PostgreSQL evaluates a correlated subquery, and a lateral one
 *   it cannot pull up (GROUP BY, LIMIT, OFFSET), in the leader only. What needs one calls a
 *   parallel-safe function instead (migration 0086), which a worker runs.
 * - A flow's lines (the obligation, its percentage fee, the fixed fee per transfer, the
 *   operator's funding) are summed as separate columns and spread into rows after the
 *   aggregate, on a few rows.
 *
 * Two statements, as the two halves want different plans (close.ts runs them in the closing
 * transaction): closeDirectGrossSql scans the whole period (hash joins), closeGrossSql derives
 * the period's few reversals by index (nested loops) and adds the first one's rows, passed
 * back as arrays, to return the gross matrix. Both read the same rows: transfers, postings and
 * the reversals' stored parts never change, the period's members are fixed by its cut-off, and
 * agreements change only under the settlement lock the close holds.
 *
 * $1 period id, $2 takes_from, $3 starts_at, $4 ends_at, $5 cut-off snapshot (periodMembersSql);
 * `members` is the period's transfers.
 */
export function closeDirectGrossSql(members: string, sources: ExchangeSources): string {
  return `
select settlement_currency, debtor_id, creditor_id, sum(amount_minor)::bigint as amount_minor,
       sum(lines)::bigint as lines, sum(unpriced)::bigint as unpriced
from (
  select l.settlement_currency, l.debtor_id, l.creditor_id, l.amount_minor, l.lines, l.unpriced
  from (${directFlowsSql(members, sources)}) f
  cross join lateral (values ${spreadLines})
    l(settlement_currency, debtor_id, creditor_id, amount_minor, lines, unpriced)
  where l.lines > 0
  union all
  select a.settlement_currency, a.debtor_id, a.creditor_id, a.amount_minor, 1, 0
  from ${members} m
  join settlement_adjustment a on a.transfer_id = m.transfer_id
  where m.code = 'adjust'
) lines
group by settlement_currency, debtor_id, creditor_id`;
}

/**
 * The gross matrix: the reversals' flows of the period plus the rows closeDirectGrossSql
 * returned, as arrays $6 settlement currencies, $7 debtors, $8 creditors, $9 amounts, $10 lines,
 * $11 unpriced lines.
 */
export function closeGrossSql(): string {
  return `
select settlement_currency, debtor_id, creditor_id, sum(amount_minor)::bigint as amount_minor,
       sum(lines)::bigint as lines, sum(unpriced)::bigint as unpriced
from (
  select l.settlement_currency, l.debtor_id, l.creditor_id, l.amount_minor, l.lines, l.unpriced
  from (${reversalFlowsSql()}) f
  cross join lateral (values ${spreadLines})
    l(settlement_currency, debtor_id, creditor_id, amount_minor, lines, unpriced)
  where l.lines > 0
  union all
  select * from unnest($6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[],
                       $11::bigint[])
) lines
group by settlement_currency, debtor_id, creditor_id
order by settlement_currency, debtor_id, creditor_id`;
}

/**
 * A flow's four kinds of line as rows: the obligation itself (debtor to creditor), the
 * percentage fee and the fixed fee per transfer (the agreement's partner to the operator), the
 * operator's funding of a campaign's points (the operator to the earning partner).
 */
const spreadLines = `
    (f.settlement_currency, f.debtor_id, f.creditor_id, f.base_minor, f.base_lines, f.unpriced),
    (f.settlement_currency, f.agreement_partner_id, 'operator', f.fee_minor, f.fee_lines, 0::bigint),
    (f.settlement_currency, f.agreement_partner_id, 'operator', f.transfer_fee_minor,
     f.transfer_fee_lines, 0::bigint),
    (f.settlement_currency, 'operator', f.debtor_id, f.funding_minor, f.funding_lines, 0::bigint)`;

/**
 * Earns, redemptions and conversions: each priced as directLinesSql prices it (line-sql.ts),
 * summed per flow. A transfer without an agreement counts as an unpriced obligation line (the
 * close then refuses), with no fee lines.
 */
function directFlowsSql(members: string, sources: ExchangeSources): string {
  // The kind's terms by its number (movedTransfersSql's kind_no: 1 issuance, 3 exchange, else
  // reimbursement): integers compare without the collation-aware texteq a text column needs
  // (texteq was a tenth of this statement's CPU when the terms were chosen by text).
  const term = (suffix: SpanTerm) => `case m.kind_no when 1 then a.issuance_${suffix}
                     when 3 then a.exchange_${suffix}
                     else a.reimbursement_${suffix} end`;
  const unit = term('unit');
  const price = term('minor');
  const feePrice = term('fee_minor');
  return `
select coalesce(a.settlement_currency, '') as settlement_currency, m.debtor_id, m.creditor_id,
       m.agreement_partner_id,
       sum(coalesce(settlement_amount_minor(m.points, ${price}), 0))::bigint as base_minor,
       count(*) as base_lines,
       count(*) filter (where a.id is null) as unpriced,
       coalesce(sum(settlement_amount_minor(m.points, ${feePrice}))
         filter (where (${feePrice}) > 0), 0)::bigint as fee_minor,
       count(*) filter (where (${feePrice}) > 0) as fee_lines,
       coalesce(sum(a.operator_fee_per_transfer_minor)
         filter (where a.operator_fee_per_transfer_minor > 0), 0)::bigint as transfer_fee_minor,
       count(*) filter (where a.operator_fee_per_transfer_minor > 0) as transfer_fee_lines,
       coalesce(sum(settlement_amount_minor(m.points,
                      round((${unit}) * m.funded / m.points, 12) * a.minor_factor))
         filter (where m.funded > 0), 0)::bigint as funding_minor,
       count(*) filter (where m.funded > 0) as funding_lines
from (${movedSql(members, sources)}) m
left join settlement_agreement_span a
  on a.partner_id = m.agreement_partner_id and a.currency_code = m.currency_code
 and m.created_at >= a.effective_from
 and (a.effective_until is null or m.created_at < a.effective_until)
where m.debtor_id <> m.creditor_id and m.points > 0
group by 1, 2, 3, 4`;
}

/**
 * An agreement span's term of each kind (`issuance_`, `reimbursement_`, `exchange_` + this): the
 * price per point (`unit`), and in minor units of the settlement currency (migration 0100,
 * computed once per span) unit x minor_factor (`minor`) and unit x fee_share x minor_factor for
 * the operator's percentage fee (`fee_minor`).
 */
type SpanTerm = 'unit' | 'minor' | 'fee_minor';

/** What movedSql (line-sql.ts) reads of each earn, redemption or conversion. */
function movedSql(members: string, sources: ExchangeSources): string {
  return movedTransfersSql(members, sources, {
    columns: 'b.transfer_id, b.created_at',
    funded: fundedSql('b'),
    // Scanning the period's transfers alone: joining their postings hashed a million
    // transfers, half of this statement's time (migration 0098).
    firstPosting: 'carried',
  });
}

/**
 * The earning rules' points the operator funds, as movedSql (line-sql.ts) reads them, by a
 * function call a worker runs (a subquery would run in the leader; migration 0086), made only
 * for an earn that carries grants. Null for anything else, so `funded > 0` alone says an earn.
 */
function fundedSql(transfer: string): string {
  // The null test first: most transfers carry no grants, and it spares them the text compare.
  return `case when ${transfer}.rule_grants is not null and ${transfer}.code = 'earn'
              then settlement_operator_funded(${transfer}.rule_grants) end`;
}

/**
 * Refunds and cancels, as reversalLinesSql (line-sql.ts) derives them, summed per flow. A
 * reversal yields, per kind it reverses (issuance, reimbursement), the negative of its origin's
 * lines of that kind in the origin's currency, at the origin's prices, by the cumulative rule:
 * round((points before + these) x price) - round(points before x price), the points before
 * being the origin's less every reversal of it that comes first. The origin must belong to a
 * closed period (this one's cut-off is already set) and have an agreement; its fixed fee per
 * transfer is never reversed.
 */
function reversalFlowsSql(): string {
  const reversed = (
    unitMinor: string,
  ) => `settlement_amount_minor(v.before + v.points, ${unitMinor})
         - settlement_amount_minor(v.before, ${unitMinor})`;
  return `
select v.settlement_currency, v.debtor_id, v.creditor_id, v.agreement_partner_id,
       sum(${reversed('v.price')})::bigint as base_minor,
       count(*) as base_lines, 0::bigint as unpriced,
       coalesce(sum(${reversed('v.fee_price')})
         filter (where v.fee_price > 0), 0)::bigint as fee_minor,
       count(*) filter (where v.fee_price > 0) as fee_lines,
       0::bigint as transfer_fee_minor, 0::bigint as transfer_fee_lines,
       coalesce(sum(${reversed('round(v.unit * v.funded / v.origin_points, 12) * v.minor_factor')})
         filter (where v.kind = 'issuance' and v.funded > 0), 0)::bigint as funding_minor,
       count(*) filter (where v.kind = 'issuance' and v.funded > 0) as funding_lines
from (${reversalPartsSql()}) v
group by 1, 2, 3, 4`;
}

/**
 * Each reversal of the period per kind it reverses, with what its origin's lines of that kind
 * need: parties, prices, the origin's points and the points before this reversal. Grouped per
 * reversal and kind, as the reversal's postings of that kind are summed (a refund may take
 * back earned points and void pending ones of the same earn; the stored parts are summed per
 * currency already, migration 0099). Under the grouping there are only joins and calls of
 * parallel-safe functions (migration 0086), no correlated subquery, so the workers derive the
 * reversals and only one row per part crosses the Gather.
 *
 * The origin: a cancel's hold's post; for spent points a refund returns, the purchase's first
 * redemption (same partner, transaction id and member) unless it relates to one; else the
 * transfer it relates to. It must belong to a closed period: this one (created in its window
 * and seen by its cut-off, the common case, tested first) or any other
 * (settlement_period_of, a call per origin from an earlier period).
 */
function reversalPartsSql(): string {
  const term = (suffix: SpanTerm) =>
    `case x.kind when 'issuance' then a.issuance_${suffix} else a.reimbursement_${suffix} end`;
  return `
select x.kind, a.settlement_currency, o.partner_id as agreement_partner_id,
       case o.code when 'earn' then o.partner_id else c.owner_partner_id end as debtor_id,
       case o.code when 'earn' then c.owner_partner_id else o.partner_id end as creditor_id,
       ${term('unit')} as unit, ${term('minor')} as price,
       ${term('fee_minor')} as fee_price,
       a.minor_factor, a.fee_share, o.first_amount_points as origin_points,
       ${fundedSql('o')} as funded,
       -sum(x.amount_points)::bigint as points,
       -- The points left before this reversal: the origin's less what earlier reversals took
       -- (the rule close.ts records as the period's reversal_rounding, 'points_left').
       o.first_amount_points - coalesce(${takenBefore}, 0) as before
from (${periodReversalPartsSql}) x
join transfer related on related.id = x.related_id
left join transfer post on related.code = 'hold' and post.related_id = related.id
                       and post.code = 'post'
join transfer o
  on o.id = case when related.code = 'hold' then post.id
                 when x.kind = 'reimbursement' and related.code <> 'redeem'
                   then settlement_first_redemption(related.partner_id, related.external_id,
                                                    related.member_id)
                 else x.related_id end
join currency c on c.code = o.first_currency_code
join settlement_agreement_span a
  on a.partner_id = o.partner_id and a.currency_code = o.first_currency_code
 and o.created_at >= a.effective_from
 and (a.effective_until is null or o.created_at < a.effective_until)
where (x.kind = 'issuance' and o.code = 'earn'
       or x.kind = 'reimbursement' and (o.code = 'redeem'
                                        or o.code = 'post' and o.first_posting_kind = 'post_pending'))
  -- The origin's lines are of its first posting, which it carries (migration 0098).
  and o.first_currency_code = x.currency_code
  and (case o.code when 'earn' then o.partner_id else c.owner_partner_id end)
      <> (case o.code when 'earn' then c.owner_partner_id else o.partner_id end)
  and o.first_amount_points > 0
  and (o.created_at >= $3::timestamptz and o.created_at < $4::timestamptz
       and (o.writer_xid is null or pg_visible_in_snapshot(o.writer_xid, $5::pg_snapshot))
       or settlement_period_of(o.id, o.created_at, o.writer_xid) is not null)
group by x.transfer_id, x.related_id, x.created_at, x.period_starts_at, x.kind, o.id, c.code,
         a.id, ${takenBefore}`;
}

/**
 * What earlier reversals of the same origin took, for reversalPartsSql: one value per group
 * (its arguments are grouping keys), so it is a grouping key too. The planner computes a key
 * below the Gather, in the workers, as they join; as an aggregate's argument it was computed
 * where the rows are grouped, which the planner may leave to the leader alone (a second of
 * calls on PostgreSQL 18 with a million transfers).
 */
const takenBefore = `settlement_reversed_before(x.related_id, x.transfer_id, x.kind, c.code,
         x.period_starts_at, x.created_at)`;

/**
 * The parts of the period's refunds and cancels (the rows the period takes, as periodMembersSql
 * takes transfers): each reversal's points per currency and kind it reverses, which the
 * database stores as the reversal commits (settlement_reversal_part, migration 0099), so the
 * close reads neither the reversals' transfer rows nor their postings and accounts.
 * `amount_points` is positive, as a posting's.
 */
const periodReversalPartsSql = `
select r.transfer_id, r.related_id, r.created_at, $3::timestamptz as period_starts_at,
       r.currency_code, -r.points as amount_points, r.kind
from settlement_reversal_part r
where ${periodTakesSql('r.transfer_id', 'r')}`;
