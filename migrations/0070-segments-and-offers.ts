import { Migration } from '@mikro-orm/migrations';

/**
 * Segments and personalised offers (issue 18, items 1 and 2). See docs/segments-and-offers.md.
 *
 * - `segment`: a partner's segment over its own members (members linked to it), or a
 *   coalition-wide one (`partner_id` null, the operator's). Built-in kinds (new, active,
 *   high_value, lapsed, at_risk) exist once per partner and once for the coalition, with ids
 *   that say what they are (`seg_lapsed_ptr_freshmart`, `seg_lapsed`); custom ones hold their
 *   conditions as JSON (gateway/segments/segment-definition.ts).
 * - `segment_member`: the membership the last refresh computed (the `segments` job, or a refresh
 *   on demand). The earn batch probes it by its primary key for a rule's `segment` condition.
 * - `offer`: an offer is an earning rule (`rule_id`) whose `activatedOffer` condition names the
 *   offer, so the rules engine's per-member limits and budget slots bound it; the offer row holds
 *   the targeting (segments, a list of members) and the window members see.
 * - `offer_activation`: a member activated an offer (once: the primary key). The earn batch
 *   probes it by its primary key for the `activatedOffer` condition.
 */
export class Migration0070SegmentsAndOffers extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table segment (
  id text primary key constraint segment_id_format check (id ~ '^seg_[a-z0-9_]{1,80}$'),
  -- Null: coalition-wide (the operator's), over every member.
  partner_id text references partner (id),
  kind text not null constraint segment_kind_known
    check (kind in ('new', 'active', 'high_value', 'lapsed', 'at_risk', 'custom')),
  name text not null constraint segment_name_length check (length(name) between 1 and 120),
  -- A custom segment's conditions (all must hold); empty for a built-in one.
  conditions jsonb not null default '[]',
  member_count bigint not null default 0 constraint segment_member_count_not_negative check (member_count >= 0),
  -- The business time the last refresh computed membership as of, and when it ran.
  as_of timestamptz,
  refreshed_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  constraint segment_built_in_has_no_conditions check (kind = 'custom' or conditions = '[]'::jsonb)
);
create unique index segment_built_in_once on segment (coalesce(partner_id, ''), kind) where kind <> 'custom';
create index segment_by_partner on segment (partner_id, id);

create table segment_member (
  segment_id text not null references segment (id),
  member_id text not null references member (id),
  primary key (segment_id, member_id)
);
create index segment_member_by_member on segment_member (member_id);

create table offer (
  id text primary key constraint offer_id_format check (id ~ '^ofr_[a-z0-9]{26}$'),
  -- Null: the operator's coalition offer (applies at every partner's purchases).
  partner_id text references partner (id),
  currency_code text not null references currency (code),
  rule_id text not null unique references earn_rule (id),
  name text not null constraint offer_name_length check (length(name) between 1 and 120),
  description text not null default '' constraint offer_description_length check (length(description) <= 500),
  target_segment_ids text[] not null default '{}',
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  per_member_uses integer not null constraint offer_per_member_uses_range check (per_member_uses between 1 and 100),
  ended_at timestamptz,
  created_at timestamptz not null,
  constraint offer_window_ends_after_start check (ends_at > starts_at),
  constraint offer_target_segments_max check (cardinality(target_segment_ids) <= 20)
);
create index offer_by_partner on offer (partner_id, id);
-- The offers live now (members' myOffers reads these).
create index offer_live on offer (ends_at) where ended_at is null;

create table offer_target_member (
  offer_id text not null references offer (id),
  member_id text not null references member (id),
  primary key (offer_id, member_id)
);
create index offer_target_member_by_member on offer_target_member (member_id);

create table offer_activation (
  offer_id text not null references offer (id),
  member_id text not null references member (id),
  activated_at timestamptz not null,
  primary key (offer_id, member_id)
);
create index offer_activation_by_member on offer_activation (member_id);

-- Built-in segments of the partners and of the coalition that exist now; the refresh creates
-- those of later partners.
insert into segment (id, partner_id, kind, name, created_at, updated_at)
select 'seg_' || k.kind || coalesce('_' || p.id, ''), p.id, k.kind, k.name, now(), now()
from (select id from partner union all select null) p
cross join (values ('new', 'New members'), ('active', 'Active members'),
                   ('high_value', 'High-value members'), ('lapsed', 'Lapsed members'),
                   ('at_risk', 'Members at risk')) k(kind, name);
`);
  }

  override async down(): Promise<void> {
    throw new Error('Migrations are forward-only: restore from a backup instead.');
  }
}
