/**
 * The set-based SQL that derives settlement lines (obligations) from transfers. Nothing is
 * stored per transfer: a statement runs it over the few transfers of the page it shows (see
 * statements.ts), and a close sums the same lines by the same rules (close-sql.ts; the
 * settlement tests check the two agree). Its inputs
 * never change once a period is closed: transfers and postings are immutable, agreements cannot
 * reach back into a closed period, and a period's membership is fixed by its cut-off (below).
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
 * "Before" is the order of periods, then creation time, then id (settlement_period_of).
 *
 * Membership: a period takes the transfers created in [takes_from, ends_at) that its close's
 * snapshot saw committed (transfer.writer_xid visible in cutoff_snapshot) and that no earlier
 * period took; takes_from reaches back lateTransferLookbackMs before the start for transfers
 * stamped earlier but committed after the previous close (migration 0040).
 */

/**
 * How a conversion's billable points are found: the `conversion` table's base_target_points
 * (migration 0002), else the target posting (no bonus then).
 */
export interface ExchangeSources {
  base: string;
  join: string;
}

export const conversionSources: ExchangeSources = {
  base: 'coalesce(conversion.base_target_points, target.amount_points)',
  // Read for conversions only (see the target posting's join in movedTransfersSql).
  join: `left join conversion
    on conversion.transfer_id = case k.kind_no when 3 then b.transfer_id end`,
};

/**
 * Every transfer of every closed period, as `members`: what the settlement_obligation view
 * (migrations 0040 and 0097) derives its lines from, for reading by hand and for tests.
 *
 * Those migrations build the view from this file as it is when they run, on a fresh database
 * too: what linesSql names must exist by migration 0040's schema (a later column reaches it
 * through `members`, as reversal_rounding does), and a change to the lines needs a migration
 * that replaces the view, as 0097 does, or databases migrated earlier keep the old text.
 */
export const closedPeriodsMembersSql = `(select t.id as transfer_id, t.code, t.partner_id,
          t.external_id, t.related_id, t.created_at, p.id as period_id,
          p.starts_at as period_starts_at, t.rule_grants, p.reversal_rounding
   from transfer t
   join settlement_period p on p.id = settlement_period_of(t.id, t.created_at, t.writer_xid))`;

/**
 * The columns of a line, in this order. `agreement_partner_id` (whose terms priced it) is
 * there for the error a close gives when terms are missing; statements do not show it.
 */
export const lineColumns = `period_id, transfer_id, kind, currency_code, origin_transfer_id,
  debtor_id, creditor_id, settlement_currency, points, unit_price, amount_minor, agreement_id,
  transfer_code, reference, transfer_created_at, agreement_partner_id`;

/**
 * The transfers of one period, as the `members` relation linesSql reads: $1 period id, $2
 * takes_from, $3 starts_at, $4 ends_at, $5 cut-off snapshot. A transfer created on or after the
 * start can only be this period's (earlier periods end before it), so the visibility test alone
 * decides; an earlier one may have been taken by an earlier period, which settlement_period_of
 * says (it runs for those few only). `extra` narrows the scan (the ids of a page).
 */
export function periodMembersSql(extra = ''): string {
  return `(select t.id as transfer_id, t.code, t.partner_id, t.external_id, t.related_id,
          t.created_at, $1::text as period_id, $3::timestamptz as period_starts_at, t.rule_grants,
          t.first_currency_code, t.first_amount_points, t.first_posting_kind,
          (select p.reversal_rounding from settlement_period p where p.id = $1::text)
            as reversal_rounding
   from transfer t
   where ${periodTakesSql('t.id', 't')} ${extra})`;
}

/**
 * Whether the period ($1-$5, as periodMembersSql) takes the transfer `id` whose creation time
 * and writer are `row`.created_at and `row`.writer_xid (a transfer, or a row carrying them).
 */
export function periodTakesSql(id: string, row: string): string {
  return `${row}.created_at >= $2::timestamptz and ${row}.created_at < $4::timestamptz
     and case when ${row}.created_at >= $3::timestamptz
              then ${row}.writer_xid is null or pg_visible_in_snapshot(${row}.writer_xid, $5::pg_snapshot)
              else settlement_period_of(${id}, ${row}.created_at, ${row}.writer_xid) is not distinct from $1::text
         end`;
}

/**
 * Every line of the transfers in `members` (a relation with transfer_id, code, partner_id,
 * external_id, related_id, created_at, period_id, period_starts_at, rule_grants, and the period's
 * reversal_rounding, migration 0097). `members` appears once in
 * each of the three branches, so each stays a plain scan the planner may run in parallel.
 */
export function linesSql(members: string, sources: ExchangeSources): string {
  return `
${directLinesSql(members, sources)}
union all
${reversalLinesSql(members, sources)}
union all
${adjustmentLinesSql(members)}`;
}

/** Finance adjustments carry their amount as it is: no price, nothing to round. */
function adjustmentLinesSql(members: string): string {
  return `
select m.period_id, m.transfer_id, 'adjustment', '', m.transfer_id, a.debtor_id, a.creditor_id,
       a.settlement_currency, 0::bigint, null::numeric, a.amount_minor, null::bigint, m.code,
       coalesce(m.external_id, m.transfer_id), m.created_at, null::text
from ${members} m
join settlement_adjustment a on a.transfer_id = m.transfer_id
where m.code = 'adjust'`;
}

/**
 * Obligations of earns, redemptions and conversions, with their operator fees: one priced row
 * per transfer, spread into its base line, its percentage fee and its fixed fee per transfer.
 * A transfer whose agreement is missing yields a base line without one (agreement_id null),
 * which a close refuses.
 */
function directLinesSql(
  members: string,
  sources: ExchangeSources,
  agreements: 'span' | 'lookup' = 'span',
): string {
  // An origin's lines are read for their parties and prices only: no amounts to compute.
  const amount = (expression: string) => (agreements === 'span' ? expression : 'null::bigint');
  return `
select p.period_id, p.transfer_id, l.kind, p.currency_code,
       p.transfer_id as origin_transfer_id, l.debtor_id, l.creditor_id, l.settlement_currency,
       l.points, l.unit_price, l.amount_minor, p.agreement_id, p.code as transfer_code,
       p.reference, p.created_at as transfer_created_at, p.agreement_partner_id
from (${pricedSql(members, sources, agreements)}) p
cross join lateral (values
  (p.kind, p.debtor_id, p.creditor_id, coalesce(p.settlement_currency, ''), p.points,
   p.unit_price, ${amount('coalesce(settlement_amount_minor(p.points, p.unit_minor), 0)')}, true),
  (p.kind || '_fee', p.agreement_partner_id, 'operator', p.settlement_currency, p.points,
   p.fee_unit_price, ${amount('settlement_amount_minor(p.points, p.fee_unit_minor)')},
   p.fee_unit_price > 0),
  ('transfer_fee', p.agreement_partner_id, 'operator', p.settlement_currency, 0::bigint,
   null::numeric, ${amount('p.operator_fee_per_transfer_minor')},
   p.operator_fee_per_transfer_minor > 0),
  -- The operator's share of a campaign's bonus: the operator owes the earning partner the
  -- issuance price of the points it funds. Priced on the earn's points at unit x F / P, so a
  -- series of partial refunds reverses it exactly, like the issuance itself.
  ('issuance_funding', 'operator', p.debtor_id, p.settlement_currency, p.points,
   ${fundingUnit('p.unit_price', 'p.funded', 'p.points')},
   ${amount(`settlement_amount_minor(p.points, ${fundingUnit('p.unit_price', 'p.funded', 'p.points')} * p.minor_factor)`)},
   p.kind = 'issuance' and p.funded > 0)
) l(kind, debtor_id, creditor_id, settlement_currency, points, unit_price, amount_minor, included)
where l.included`;
}

/**
 * The unit price of an operator-funded line: the issuance price scaled by the funded share of
 * the earn's points, fixed to 12 decimals so the origin line, its reversals and the gross
 * matrix all multiply the same number (the amounts then reverse exactly).
 */
function fundingUnit(unitPrice: string, funded: string, points: string): string {
  return `round(${unitPrice} * ${funded} / ${points}, 12)`;
}

/**
 * The priced direct obligation of each earn, redemption or conversion in `source`. Unit prices
 * come in the settlement currency (`unit_price`, shown on statements) and in its minor units
 * (`unit_minor`, what settlement_amount_minor multiplies). The agreement is found by a hash
 * join on the agreements' spans (`span`, for a whole period) or by an index lookup per
 * transfer (`lookup`, for the few origins of reversals); both read settlement_agreement_span.
 */
function pricedSql(source: string, sources: ExchangeSources, agreements: 'span' | 'lookup') {
  return `
select m.*, a.id as agreement_id, a.settlement_currency,
       u.unit_price, u.unit_price * a.minor_factor as unit_minor, a.minor_factor,
       u.unit_price * a.fee_share as fee_unit_price,
       u.unit_price * a.fee_share * a.minor_factor as fee_unit_minor,
       a.operator_fee_per_transfer_minor
from (${movedSql(source, sources)}) m
${agreementJoin(agreements)}
cross join lateral (${unitPriceSql}) u
where m.debtor_id <> m.creditor_id and m.points > 0`;
}

function agreementJoin(agreements: 'span' | 'lookup'): string {
  return agreements === 'span'
    ? `left join settlement_agreement_span a
         on a.partner_id = m.agreement_partner_id and a.currency_code = m.currency_code
        and m.created_at >= a.effective_from
        and (a.effective_until is null or m.created_at < a.effective_until)`
    : `left join lateral (
         select * from settlement_agreement_span s
         where s.partner_id = m.agreement_partner_id and s.currency_code = m.currency_code
           and s.effective_from <= m.created_at
         order by s.effective_from desc limit 1) a on true`;
}

const unitPriceSql = `
  select case m.kind_no when 1 then a.issuance_unit
                        when 2 then a.reimbursement_unit
                        else a.exchange_unit end as unit_price`;

/** Each earn, redemption or conversion of `source` with its kind, currency, points and parties. */
function movedSql(source: string, sources: ExchangeSources): string {
  return movedTransfersSql(source, sources, {
    columns: `b.period_id, b.transfer_id, b.code, b.created_at,
         coalesce(b.external_id, b.transfer_id) as reference`,
    // The earning rules' points the operator funds (issue 14): the grants' 'o' (points
    // less the partner-funded part), which earns carry since operator funding is billed;
    // earns recorded before it (in periods closed without it) have none, so their lines
    // never change. Null for every other transfer and for earns without rules.
    funded: `case when b.code = 'earn' then (
           select nullif(sum((g ->> 'o')::bigint), 0)
           from jsonb_array_elements(b.rule_grants) g) end`,
  });
}

/**
 * The earns, redemptions and conversions of `source` (aliased `b`) classified: kind, currency,
 * points, agreement partner, debtor and creditor. One definition for the lines read here and
 * for the close's aggregate (close-sql.ts), so a statement and the gross matrix never disagree
 * on who owes whom; each caller adds its own `columns` of `b` and its `funded` expression.
 *
 * What is priced is the transfer's first posting. `firstPosting: 'carried'` reads it from the
 * transfer's own columns (migration 0098), for a `source` that selects them
 * (periodMembersSql does), and joins no posting but a conversion's second; by default it is
 * joined, as the settlement_obligation view, built from this text by migrations 0040 and
 * 0097, reads it.
 */
export function movedTransfersSql(
  source: string,
  sources: ExchangeSources,
  select: { columns: string; funded: string; firstPosting?: 'joined' | 'carried' },
): string {
  const first =
    select.firstPosting === 'carried'
      ? {
          currency: 'b.first_currency_code',
          points: 'b.first_amount_points',
          kind: 'b.first_posting_kind',
          join: '',
        }
      : {
          currency: 'p.currency_code',
          points: 'p.amount_points',
          kind: 'p.kind',
          join: 'join posting p on p.transfer_id = b.transfer_id and p.index = 0',
        };
  return `
  select ${select.columns}, k.kind, k.kind_no,
         case k.kind_no when 3 then target.currency_code else ${first.currency} end as currency_code,
         case k.kind_no when 3 then ${sources.base} else ${first.points} end as points,
         case k.kind_no when 3 then currency.owner_partner_id
                        else b.partner_id end as agreement_partner_id,
         case k.kind_no when 1 then b.partner_id
                        else currency.owner_partner_id end as debtor_id,
         case k.kind_no when 1 then currency.owner_partner_id
                        when 3 then target_currency.owner_partner_id
                        else b.partner_id end as creditor_id,
         ${select.funded} as funded
  from ${source} b
  ${transferKinds}
  ${first.join}
  join currency on currency.code = ${first.currency}
  -- A null key for anything but a conversion: a hash join then probes for conversions only
  -- (a close's every earn and redemption probed, 7 % of its direct obligations' time).
  left join posting target
    on target.transfer_id = case k.kind_no when 3 then b.transfer_id end
   and target.index = 1
  left join currency target_currency on target_currency.code = target.currency_code
  ${sources.join}
  where (not k.is_post or ${first.kind} = 'post_pending')`;
}

/**
 * The codes that move billable points, joined to their kind of obligation as text (`kind`, shown
 * on statements) and as a number (`kind_no`: 1 issuance, 2 reimbursement, 3 exchange), with
 * `is_post` for a hold's post (billed only when its first posting posts pending points). Every
 * choice per row then compares integers: choosing by `b.code` compared text in each CASE, and
 * the planner substitutes a CASE column into every use (each a collation-aware `texteq`; about
 * 5 % of a close's direct obligations, measured on the bench's million transfers).
 */
const transferKinds = `join (values ('earn', 'issuance', 1, false),
                     ('redeem', 'reimbursement', 2, false),
                     ('post', 'reimbursement', 2, true),
                     ('convert', 'exchange', 3, false)) k(code, kind, kind_no, is_post)
    on k.code = b.code`;

/**
 * Refunds and cancels reverse the obligations of what they refund, at the same prices, by the
 * cumulative rule above: the points before a reversal are its origin's, less every reversal
 * of the same origin that comes before it (they all relate to the same transfer). The origin
 * must itself belong to a closed period (one created before any period began is never billed,
 * so never reversed).
 */
function reversalLinesSql(members: string, sources: ExchangeSources): string {
  return `
select v.period_id, v.transfer_id, o.kind, v.currency_code,
       v.origin_id as origin_transfer_id, o.debtor_id, o.creditor_id, o.settlement_currency,
       v.points, o.unit_price,
       settlement_amount_minor(b.points_before + v.points, o.unit_minor)
         - settlement_amount_minor(b.points_before, o.unit_minor) as amount_minor,
       o.agreement_id, v.code as transfer_code, v.reference,
       v.created_at as transfer_created_at, o.agreement_partner_id
from (${reversedSql(members)}) v
cross join lateral (
  select l.kind, l.debtor_id, l.creditor_id, l.settlement_currency, l.points, l.unit_price,
         l.unit_price * power(10::numeric, a.settlement_minor_digits) as unit_minor,
         l.agreement_id, l.agreement_partner_id
  from (${directLinesSql(
    `(select t.id as transfer_id, t.code, t.partner_id, t.external_id, t.related_id,
             t.created_at, null::text as period_id, null::timestamptz as period_starts_at,
             t.rule_grants
      from transfer t
      where t.id = v.origin_id
        -- settlement_period_of(...) is not null, written out: a SQL function with subqueries
        -- is never inlined, and calling it cost more than the rest of the lookup.
        and (exists (select 1 from settlement_item_stored i where i.transfer_id = t.id)
             or exists (select 1 from settlement_period p
                        where p.cutoff_snapshot is not null and t.created_at >= p.takes_from
                          and t.created_at < p.ends_at
                          and (t.writer_xid is null
                               or pg_visible_in_snapshot(t.writer_xid, p.cutoff_snapshot)))))`,
    sources,
    'lookup',
  )}) l
  join settlement_agreement a on a.id = l.agreement_id
  where l.currency_code = v.currency_code
    and l.kind in (v.kind, v.kind || '_fee', v.kind || '_funding')
) o
-- A lateral aggregate, not a scalar subquery: a correlated subquery is parallel restricted and
-- cost a close twice as much per reversal.
cross join lateral (
  -- x.points are negative (points taken back): the points left before this reversal are the
  -- origin's less what earlier reversals took. Periods closed before migration 0097 added
  -- them instead, and their lines stay as they were billed (settlement_period.reversal_rounding;
  -- null while the period is open).
  select o.points + coalesce(sum(x.points), 0)::bigint
           * case v.reversal_rounding when 'added_before_0097' then -1 else 1 end as points_before
  from settlement_reversal_parts x
  where x.related_id = v.related_id and x.transfer_id <> v.transfer_id
    and x.kind = v.kind and x.currency_code = v.currency_code
    and settlement_reversal_precedes(x.transfer_id, x.created_at, x.writer_xid,
                                     v.period_starts_at, v.created_at, v.transfer_id)
) b`;
}

/** Each reversal of `members`, per kind and currency, with the origin it reverses. */
function reversedSql(members: string): string {
  return `
select r.period_id, r.period_starts_at, r.reversal_rounding, r.transfer_id, r.code, r.created_at,
       coalesce(r.external_id, r.transfer_id) as reference, r.related_id, x.kind,
       x.currency_code, x.points,
       -- A refund relates to the purchase's earn when there is one; spent points it returns
       -- reverse the purchase's redemption, found by the same partner transaction id. A cancel
       -- relates to its hold and reverses the hold's post.
       case when related.code = 'hold' then post.id
            when x.kind = 'reimbursement' and related.code <> 'redeem' then sibling.id
            else r.related_id end as origin_id
from ${members} r
-- Per reversal, by index: its postings, the accounts they move between and the transfer it
-- relates to (a few probes each, in whichever worker scans it, never a hash of every account
-- or transfer).
cross join lateral (
  select k.kind, p.currency_code, -sum(p.amount_points)::bigint as points
  from posting p
  -- Joined, not read by scalar subqueries: those ran twice per posting (the filter and the
  -- grouping each computed the kind), four account probes where two do.
  join account source on source.id = p.source_account_id
  join account target on target.id = p.target_account_id
  cross join lateral (
    select settlement_reversal_kind(source.kind, target.kind, p.kind) as kind) k
  where p.transfer_id = r.transfer_id and k.kind is not null
  group by k.kind, p.currency_code
) x
cross join lateral (
  select t.id, t.code, t.partner_id, t.external_id, t.member_id from transfer t
  where t.id = r.related_id offset 0) related
left join lateral (
  select h.id from transfer h
  where related.code = 'hold' and h.related_id = related.id and h.code = 'post' offset 0
) post on true
left join lateral (
  select s.id from transfer s
  where x.kind = 'reimbursement' and related.code not in ('redeem', 'hold')
    and s.partner_id = related.partner_id and s.external_id = related.external_id
    and s.member_id = related.member_id and s.code = 'redeem'
  order by s.id limit 1
) sibling on true
where r.code in ('refund', 'cancel')`;
}
