import { Migration } from '@mikro-orm/migrations';

/**
 * A purchase that has been refunded takes no new leg (reason 'already_refunded').
 *
 * Found by the ledger property test (seed -1129554751): a payment with points under a
 * transaction id recorded without an amount, refunded in full (its point returned), then an
 * earn under the same transaction id, then a refund of the purchase. The second refund reckoned
 * its share against the earn (the new base of the purchase), found no earlier refund of it, and
 * returned the payment's point a second time: the lot's remaining points would have exceeded its
 * amount, which its check constraint refused, so the refund failed with an internal error. Earlier
 * refunds are reckoned against the purchase's legs as they were; a leg added after a refund would
 * break that, so it is refused, as a second earn or payment is.
 *
 * `ledger_claim_purchase_leg` (payments, holds, payments across programs) gains the reason here;
 * the earn batch has it in its restatement in 0029.
 */
export class Migration0032NoLegAfterARefund extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create or replace function ledger_claim_purchase_leg(
  partner text, transaction_id text, member text, leg text
) returns text
language plpgsql
as $$
begin
  perform pg_advisory_xact_lock(ledger_purchase_lock_key(partner, transaction_id));
  -- A new statement, so a new snapshot: it sees every leg committed before the lock was ours.
  return (
    select case when bool_or(t.member_id <> member) then 'another_member'
                when leg = 'earn' and bool_or(t.code = 'earn') then 'already_earned'
                when leg = 'payment' and bool_or(t.code in ('redeem', 'hold')) then 'already_paid'
                -- A probe per leg through transfer_related (a limit keeps it one).
                when bool_or((select 1 from transfer r
                              where r.related_id = t.id and r.code = 'refund' limit 1) is not null)
                  then 'already_refunded' end
    from transfer t
    where t.partner_id = partner and t.external_id = transaction_id
      and t.code in ('earn', 'redeem', 'hold'));
end
$$;
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
