/**
 * What a period's transfers make partners owe each other. Nothing here runs on the earn path,
 * and nothing is stored per transfer: the lines are derived in SQL (migration 0014:
 * settlement_direct_line, settlement_period_lines and its three parts) whenever they are read,
 * and a close stores only their sums, the gross matrix, and the payments netting gives.
 *
 * Which transfer yields what (P a partner, C a currency owned by program O):
 * - earn at P of C (posted or pending):  P owes O  points x issuance price x billing %
 * - redeem (or confirmed hold) at P of C: O owes P  points x reimbursement price
 * - convert S -> T:  owner(S) owes owner(T)  base target points x exchange price of
 *   owner(S)'s agreement for T (bonus points are funded by T's program, so not billed)
 * - refund: the negative of what the earn and the redemption it reverses yielded, at their
 *   prices (earned points taken back, pending points voided, spent points returned)
 * - adjust: the money a finance user's adjustment names
 * Nothing between a program and its own currency; nothing for mature, expire, fee, hold, void.
 * Operator fees ride on each priced obligation: a percentage (reversed with it) and a fixed
 * amount per transfer (not reversed: the transfer was processed), owed by the agreement's partner.
 * A refund returning points the member already spent takes back only what the refund moves:
 * the ledger refunds spent points as the purchase's redemption reversed (reimbursement), so
 * each obligation is reversed for exactly the points its transfer returns.
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

/** The arguments every period-lines function takes, in order, from `cutParameters`. */
const cut = '$1::text, $2::timestamptz, $3::timestamptz, $4::timestamptz, $5::bigint, $6::bigint';

/**
 * The sums a close stores, one statement per part so the largest (direct obligations, a
 * plain SELECT over the period's transfers) may run in parallel. Lines without an agreement
 * are counted apart (`unpriced`): the close then fails with AgreementMissing.
 */
export const directGrossSql = `
select settlement_currency, debtor_id, creditor_id, sum(amount_minor)::bigint as amount_minor,
       count(*)::bigint as lines, count(*) filter (where agreement_id is null)::bigint as unpriced
from settlement_direct_lines(${cut})
group by settlement_currency, debtor_id, creditor_id`;

export const reversalGrossSql = `
select settlement_currency, debtor_id, creditor_id, sum(amount_minor)::bigint as amount_minor,
       count(*)::bigint as lines, 0::bigint as unpriced
from settlement_reversal_lines(${cut})
group by settlement_currency, debtor_id, creditor_id`;

export const adjustmentGrossSql = `
select settlement_currency, debtor_id, creditor_id, sum(amount_minor)::bigint as amount_minor,
       count(*)::bigint as lines, 0::bigint as unpriced
from settlement_adjustment_lines(${cut})
group by settlement_currency, debtor_id, creditor_id`;

/** Whether the period cut by $1-$6 takes the transfer `alias` (its created_at and seq). */
export function takesSql(alias: string): string {
  return `settlement_takes(${alias}.created_at, ${alias}.seq, $2::timestamptz, $3::timestamptz,
    $4::timestamptz, $5::bigint, $6::bigint) and $1::text is not null`;
}

/** How many transfers the period takes, and its lowest and highest transfer id. */
export const takenTransfersSql = `
select count(*)::bigint as transfers, min(t.id) as first_id, max(t.id) as last_id
from transfer t
where ${takesSql('t')}`;

/** When a line lacks an agreement: the first such transfer, by creation time. */
export const missingAgreementSql = `
select d.agreement_partner_id as partner_id, d.currency_code, d.created_at, d.transfer_id
from settlement_direct_line d
where ${takesSql('d')} and d.agreement_id is null
order by d.created_at, d.transfer_id limit 1`;

/** Every line of a period, for a statement's lines and its CSV: `settlementLines(cut)`. */
export function periodLinesFrom(firstParameter = 1): string {
  const n = (offset: number) => `$${firstParameter + offset}`;
  return `settlement_period_lines(${n(0)}::text, ${n(1)}::timestamptz, ${n(2)}::timestamptz, ${n(3)}::timestamptz, ${n(4)}::bigint, ${n(5)}::bigint)`;
}
