import { Migration } from '@mikro-orm/migrations';

/**
 * A change feed of the configuration that gateway processes hold in memory: every committed
 * statement that changes partners, currencies, their terms or partner services notifies the
 * channel `coalition_changed` with the table's name, delivered to listeners when (and only when)
 * the transaction commits. Each gateway process listens (gateway/db/change-feed.ts) and drops
 * or reloads what it derived from that table: the program catalog's cache, partner keys, the
 * composed supergraph. Members' changes have their own channel (migration 0009).
 *
 * One notification per statement, not per row; configuration changes are the operator's, rare.
 */
export class Migration0024ConfigurationChangeFeed extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create function notify_coalition_changed() returns trigger language plpgsql as $$
begin
  perform pg_notify('coalition_changed', tg_table_name);
  return null;
end
$$;
create trigger partner_notifies_coalition_changed after insert or update or delete or truncate
  on partner for each statement execute function notify_coalition_changed();
create trigger currency_notifies_coalition_changed after insert or update or delete or truncate
  on currency for each statement execute function notify_coalition_changed();
create trigger partner_currency_notifies_coalition_changed after insert or update or delete or truncate
  on partner_currency for each statement execute function notify_coalition_changed();
create trigger partner_service_notifies_coalition_changed after insert or update or delete or truncate
  on partner_service for each statement execute function notify_coalition_changed();
`);
  }
}
