import { Migration } from '@mikro-orm/migrations';

/**
 * Referrals (issue 14). A member's referral code (`member.referral_code`, drawn the first time
 * they ask for it); the operator's referral programs, one per currency (`referral_program`:
 * points for each side, the qualifying purchase, the cap per referrer); and each referral
 * (`referral`: one per new member and program, recorded at enrolment, rewarded once when the
 * new member's first qualifying purchase is found by the `referrals` job).
 */
export class Migration0034Referrals extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
alter table member add column referral_code text
  constraint member_referral_code_format check (referral_code ~ '^[A-Z0-9]{8,20}$');
create unique index member_referral_code on member (referral_code) where referral_code is not null;

create table referral_program (
  currency_code text primary key references currency (code),
  referrer_points bigint not null constraint referral_referrer_points_range check (referrer_points between 1 and 1000000000),
  referee_points bigint not null constraint referral_referee_points_range check (referee_points between 1 and 1000000000),
  -- The new member's purchase that qualifies: at least this much (null: any earn).
  purchase_minor_min bigint constraint referral_purchase_positive check (purchase_minor_min > 0),
  purchase_currency text,
  referrals_per_member_max integer not null constraint referral_cap_range check (referrals_per_member_max between 1 and 100000),
  active boolean not null,
  updated_at timestamptz not null,
  constraint referral_purchase_whole check ((purchase_minor_min is null) = (purchase_currency is null))
);

create table referral (
  referee_id text not null references member (id),
  currency_code text not null references referral_program (currency_code),
  referrer_id text not null references member (id),
  -- Where the new member enrolled with the code.
  partner_id text not null references partner (id),
  enrolled_at timestamptz not null,
  rewarded_at timestamptz,
  qualifying_transfer_id text,
  primary key (referee_id, currency_code),
  constraint referral_not_self check (referee_id <> referrer_id),
  constraint referral_rewarded_for_a_purchase check ((rewarded_at is null) = (qualifying_transfer_id is null))
);
create index referral_by_referrer on referral (referrer_id, currency_code);
create index referral_pending on referral (enrolled_at) where rewarded_at is null;
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
