import { Migration } from '@mikro-orm/migrations';

/**
 * Memberships of programs' tiers (issue 13): closed programs' invitation codes, paid VIP plans
 * and members' VIP subscriptions with every fee charged.
 *
 * - `tier_invitation`: single-use, expiring codes a program's owner issues; using one enrols.
 * - `tier_program.vip_plans`: what a VIP term costs and which tier it gives, per plan.
 * - `vip_subscription`: a member's VIP membership at the program's partner; each term paid is a
 *   `vip_payment` (the partner charges the fee in money; the ledger records it, it moves no
 *   points). The tier comes from a `tier_grant` of kind 'vip' ending with the paid term, so a
 *   cancelled subscription keeps its benefits to the term's end and an unrenewed one lapses then.
 */
export class Migration0018TierMemberships extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
alter table tier_program add column vip_plans jsonb not null default '[]'
  constraint tier_program_vip_plans_array check (jsonb_typeof(vip_plans) = 'array');

create table tier_invitation (
  code text primary key constraint tier_invitation_code_format check (code ~ '^[A-Z0-9]{12}$'),
  currency_code text not null references currency (code),
  issued_by text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_by text references member (id),
  used_at timestamptz,
  constraint tier_invitation_used_together check ((used_by is null) = (used_at is null))
);
create index tier_invitation_by_program on tier_invitation (currency_code, created_at);

create table vip_subscription (
  id text primary key,
  member_id text not null references member (id),
  currency_code text not null references currency (code),
  partner_id text not null references partner (id),
  plan text not null constraint vip_subscription_plan check (plan in ('monthly', 'yearly')),
  rank integer not null,
  started_at timestamptz not null,
  term_ends_at timestamptz not null,
  cancelled_at timestamptz,
  constraint vip_subscription_term check (term_ends_at > started_at)
);
create unique index vip_subscription_one_per_member on vip_subscription (member_id, currency_code);

create table vip_payment (
  subscription_id text not null references vip_subscription (id),
  term_starts_at timestamptz not null,
  term_ends_at timestamptz not null,
  fee_minor bigint not null constraint vip_payment_fee_positive check (fee_minor > 0),
  fee_currency text not null,
  payment_reference text not null,
  recorded_at timestamptz not null,
  primary key (subscription_id, term_starts_at),
  constraint vip_payment_one_per_reference unique (subscription_id, payment_reference)
);
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
