import { Migration } from '@mikro-orm/migrations';

/**
 * Erasures on the configuration change feed (migration 0024): every committed statement that
 * sets or changes `member.erased_at` notifies `coalition_changed` with 'member'. Each gateway
 * process keeps the set of erased members in memory while its feed listens, and reloads it on
 * this notification (MemberDataRights.followErasures), so a member's token is checked without a
 * query per first-seen member. Statement level: erasures are rare.
 */
export class Migration0080MemberErasureChangeFeed extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create trigger member_erasure_notifies_coalition_changed after update of erased_at
  on member for each statement execute function notify_coalition_changed();
-- The set is loaded from this (erased members only: small, however many members there are).
create index member_erased on member (id) where erased_at is not null;
`);
  }
}
