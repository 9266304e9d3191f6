import { Migration } from '@mikro-orm/migrations';

/**
 * Exchange rate versions on the configuration change feed (migration 0024): every committed
 * statement that changes `exchange_rate` notifies `coalition_changed` with 'exchange_rate'.
 * Each gateway process holds the versions in force in memory while its feed listens
 * (gateway/exchange/rates-in-memory.ts: a reward's affordability on every federated read) and
 * drops them on this notification. Statement level: rate changes are the operator's, rare.
 */
export class Migration0095ExchangeRateChangeFeed extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create trigger exchange_rate_notifies_coalition_changed after insert or update or delete or truncate
  on exchange_rate for each statement execute function notify_coalition_changed();
`);
  }
}
