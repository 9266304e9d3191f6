import { Migration } from '@mikro-orm/migrations';

/**
 * Charities (issue 14, donations): partners the operator designates as charities. A member
 * gives points to one that accepts the currency; the gift is a redemption at the charity, so
 * settlement reimburses the charity at its agreement's price, like any redemption.
 */
export class Migration0030Charities extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table charity (
  partner_id text primary key references partner (id),
  designated_at timestamptz not null
);
create trigger charity_notifies_coalition_changed after insert or update or delete or truncate
  on charity for each statement execute function notify_coalition_changed();
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
