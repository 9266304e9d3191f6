import { Migration } from '@mikro-orm/migrations';

/**
 * Receipt registration (issue 14): a member registers a purchase made in store that earned
 * nothing at the till (no card shown). It waits for the partner to confirm or reject it, or is
 * matched to the earn the partner already reported under that receipt number. One registration
 * per receipt number at a partner, whoever registers it.
 */
export class Migration0031MemberReceipts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table member_receipt (
  id text primary key constraint member_receipt_id_format check (id ~ '^rct_[a-z0-9]{26}$'),
  member_id text not null references member (id),
  partner_id text not null references partner (id),
  receipt_number text not null check (length(receipt_number) between 1 and 100),
  purchased_at timestamptz not null,
  amount_minor bigint not null check (amount_minor > 0),
  amount_currency text not null,
  currency_code text not null references currency (code),
  status text not null check (status in ('pending', 'confirmed', 'rejected', 'matched')),
  -- The earn it gave (confirmed) or that the partner had already reported (matched).
  transfer_id text,
  reason text,
  created_at timestamptz not null,
  decided_at timestamptz,
  constraint member_receipt_once unique (partner_id, receipt_number),
  constraint member_receipt_decided check ((status = 'pending') = (decided_at is null))
);
create index member_receipt_pending on member_receipt (partner_id, id) where status = 'pending';
create index member_receipt_member on member_receipt (member_id, id desc);
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
