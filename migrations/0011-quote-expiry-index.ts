import { Migration } from '@mikro-orm/migrations';

/**
 * The quote sweep finds unused quotes by expiry (ExchangeService.deleteExpiredQuotes): without
 * an index it would read the whole quote table (about a day of quotes) every minute.
 */
export class Migration0011QuoteExpiryIndex extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index exchange_quote_expiry on exchange_quote (expires_at);');
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
