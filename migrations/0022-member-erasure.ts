import { Migration } from '@mikro-orm/migrations';

/**
 * Members' right to erasure (issue 17.6): an erased member keeps its id (the ledger, statements
 * and settlement name it, and they stay exactly as they were) but loses its personal data, and
 * can no longer sign in. `erased_at` says when; who erased it is in the audit log. The database
 * holds an erased member to having no email.
 */
export class Migration0022MemberErasure extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
alter table member
  add column erased_at timestamptz,
  add constraint member_erased_has_no_email check (erased_at is null or email is null);
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
