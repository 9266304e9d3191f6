import { Migration } from '@mikro-orm/migrations';

/**
 * A tier change is a change of the member's wallet (`wallet.tiers`) even when no points move (a
 * manual assignment, a review, a status match, a VIP term ending): tier events join the member
 * change feed of migrations/0009, so every gateway drops the member's cached wallet responses
 * when the change commits.
 */
export class Migration0019TierChangesNotify extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create trigger tier_event_notifies_member_changed after insert on tier_event
  referencing new table as inserted
  for each statement execute function notify_member_changed();
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
