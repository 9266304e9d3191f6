import { Migration } from '@mikro-orm/migrations';

/**
 * Link codes: a member proves consent before a partner links them by their coalition id, so
 * knowing someone's member id is not enough to see or spend their points. Only a hash of each
 * code is stored; a code is single-use and short-lived.
 */
export class Migration0005MemberLinkCodes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table member_link_code (
  code_hash text primary key,
  member_id text not null references member (id),
  expires_at timestamptz not null,
  used_at timestamptz,
  used_by_partner_id text references partner (id),
  created_at timestamptz not null default now(),
  constraint link_code_used_by_partner check ((used_at is null) = (used_by_partner_id is null))
);
create index member_link_code_member on member_link_code (member_id);
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
