import { Migration } from '@mikro-orm/migrations';

/**
 * The foreign keys checked on every earn that the writers already guarantee (issue 16, part 1).
 * Each earn batch of 10 ran about 70 foreign-key checks (an index probe with a KEY SHARE row
 * lock each): measured with a single-session loop of 800 batches, they were about 0.35 ms of
 * 2.5 ms of database CPU per batch (14 %).
 *
 * Dropped, and why each still holds:
 * - transfer -> partner, transfer -> member: every writer resolves the partner and the member
 *   first (the earn batch through the partner's own member link and issuance account), in the
 *   transaction that writes the transfer.
 * - posting -> transfer, lot -> transfer: written in the same statement or transaction as
 *   their transfer, which is immutable (never updated or deleted).
 * - posting -> account (with its currency), lot -> account: the accounts are looked up (or
 *   created) by owner, kind and currency in that transaction and locked before they move.
 * - Deleting what they point at: accounts, members and partners are never deleted (erasure
 *   anonymises), and now a trigger refuses it, which the foreign keys used to do.
 *
 * The tests' ledger invariants (test/helpers/ledger-invariants.ts, run by the property tests
 * and `npm run chaos`) check every one of these references from the rows.
 *
 * Kept: transfer.related_id (refunds and reversals, not the earn path), pending_transfer's
 * (matured points only), account -> member and partner (an account is created once), and every
 * configuration table's keys.
 */
export class Migration0028EarnPathWithoutRedundantForeignKeys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
alter table transfer drop constraint transfer_partner_id_fkey, drop constraint transfer_member_id_fkey;
alter table posting drop constraint posting_transfer_id_fkey, drop constraint source_account_currency,
  drop constraint target_account_currency;
alter table lot drop constraint lot_account_id_fkey, drop constraint lot_transfer_id_fkey;

create function ledger_party_is_never_deleted() returns trigger language plpgsql as $$
begin
  raise exception 'a % is never deleted: the ledger refers to it (erase personal data instead)', tg_table_name
    using errcode = 'restrict_violation';
end
$$;
create trigger account_is_never_deleted before delete on account
  for each row execute function ledger_party_is_never_deleted();
create trigger member_is_never_deleted before delete on member
  for each row execute function ledger_party_is_never_deleted();
create trigger partner_is_never_deleted before delete on partner
  for each row execute function ledger_party_is_never_deleted();
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
