import type { Sql } from '../db/sql';
import { definitionOf, type RuleEffect } from '../rules/rule-definition';
import { NotFound } from '../shared/errors';
import type { OfferInput } from './offer-definition';

/** The offers module's reads (gateway/offers/offers.ts is the service). */

/** An offer as its owner and the operator see it. */
export interface OfferView {
  id: string;
  /** Null: the operator's coalition offer (every partner's purchases in its currency). */
  partnerId: string | null;
  currency: string;
  /** The earning rule that applies it (its condition: activatedOffer). */
  ruleId: string;
  name: string;
  description: string;
  effects: RuleEffect[];
  targetSegmentIds: string[];
  targetMembersCount: bigint;
  startsAt: Date;
  endsAt: Date;
  perMemberUses: number;
  pointsBudget: bigint | null;
  usesMax: number | null;
  /** What is left of the budget (null: none). */
  budgetLeft: { points: bigint; uses: bigint } | null;
  activationsCount: bigint;
  /** Purchases it applied to (uses not given back by a refund). */
  usesCount: bigint;
  endedAt: Date | null;
  createdAt: Date;
}

/** An offer as a member targeted by it sees it. */
export interface MemberOfferView {
  id: string;
  partnerId: string | null;
  currency: string;
  name: string;
  description: string;
  effects: RuleEffect[];
  startsAt: Date;
  endsAt: Date;
  /** When the member activated it; null: not yet. */
  activatedAt: Date | null;
  /** Purchases it may still apply to for this member. */
  usesLeft: number;
}

/** Whether member $1 is targeted by offer `o` now (parameters of memberOfferSelect). */
export const targeted = `((select 1 from offer_target_member t where t.offer_id = o.id and t.member_id = $1) is not null
  or (select 1 from segment_member sm where sm.member_id = $1 and sm.segment_id = any(o.target_segment_ids) limit 1) is not null)`;
/** Whether the offer's budget has something left (no budget: true). */
export const budgetLeft = `coalesce((select sum(b.remaining_points) > 0 and sum(b.remaining_uses) > 0
  from earn_rule_budget_slot b where b.rule_id = o.rule_id having count(*) > 0), true)`;

/**
 * Offers with member $1's activation and uses, and (`extra`) more columns; $2 is now (typed
 * here: a caller's where clause may not name it).
 */
export function memberOfferSelect(extra = ''): string {
  return `
  select ${extra} o.id, o.partner_id, o.currency_code, o.name, o.description, o.starts_at, o.ends_at,
         coalesce(o.ended_at, r.ended_at) as ended_at, o.per_member_uses, v.definition,
         a.activated_at, u.used, $2::timestamptz as at
  from offer o
  join earn_rule r on r.id = o.rule_id
  join earn_rule_version v on v.rule_id = r.id and v.version = r.version
  left join offer_activation a on a.offer_id = o.id and a.member_id = $1
  cross join lateral (
    select count(*)::integer as used from earn_rule_use u
    where u.rule_id = o.rule_id and u.member_id = $1 and u.restored_at is null
  ) u`;
}

export interface MemberOfferRow {
  id: string;
  partner_id: string | null;
  currency_code: string;
  name: string;
  description: string;
  starts_at: Date;
  ends_at: Date;
  ended_at: Date | null;
  per_member_uses: number;
  definition: Record<string, unknown>;
  activated_at: Date | null;
  used: number;
}

export function memberOfferOf(row: MemberOfferRow): MemberOfferView {
  return {
    id: row.id,
    partnerId: row.partner_id,
    currency: row.currency_code,
    name: row.name,
    description: row.description,
    effects: definitionOf(row.definition).effects,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    activatedAt: row.activated_at,
    usesLeft: Math.max(0, row.per_member_uses - row.used),
  };
}

/**
 * An offer targets what its owner sees: a partner its own segments and members linked to it;
 * the operator any segment and member. NotFound otherwise (as if it did not exist).
 */
export async function requireTargets(
  sql: Sql,
  owner: string | null,
  offer: OfferInput,
): Promise<void> {
  const segments = await sql.query<{ id: string }>(
    `select id from segment where id = any($1::text[]) and ($2::text is null or partner_id = $2)`,
    [offer.targetSegmentIds, owner],
  );
  const found = new Set(segments.rows.map((row) => row.id));
  const missingSegment = offer.targetSegmentIds.find((id) => !found.has(id));
  if (missingSegment) throw new NotFound('segment', missingSegment);
  const members = await sql.query<{ id: string }>(
    `select m.id from member m where m.id = any($1::text[])
       and ($2::text is null or exists (select 1 from member_link l where l.partner_id = $2 and l.member_id = m.id))`,
    [offer.targetMemberIds, owner],
  );
  const known = new Set(members.rows.map((row) => row.id));
  const missingMember = offer.targetMemberIds.find((id) => !known.has(id));
  if (missingMember) throw new NotFound('member', missingMember);
}

/** One offer with its rule's definition, budget and counts. */
export async function offerView(sql: Sql, offerId: string): Promise<OfferView> {
  const rows = await sql.query<{
    id: string;
    partner_id: string | null;
    currency_code: string;
    rule_id: string;
    name: string;
    description: string;
    target_segment_ids: string[];
    targets: bigint;
    starts_at: Date;
    ends_at: Date;
    per_member_uses: number;
    ended_at: Date | null;
    created_at: Date;
    definition: Record<string, unknown>;
    budget_points: bigint | null;
    budget_uses: bigint | null;
    activations: bigint;
    uses: bigint;
  }>(
    `select o.*, v.definition,
            (select count(*) from offer_target_member t where t.offer_id = o.id) as targets,
            (select count(*) from offer_activation a where a.offer_id = o.id) as activations,
            (select count(*) from earn_rule_use u where u.rule_id = o.rule_id and u.restored_at is null) as uses,
            b.points as budget_points, b.uses as budget_uses
     from offer o
     join earn_rule r on r.id = o.rule_id
     join earn_rule_version v on v.rule_id = r.id and v.version = r.version
     left join lateral (
       select sum(s.remaining_points)::bigint as points, sum(s.remaining_uses)::bigint as uses
       from earn_rule_budget_slot s where s.rule_id = o.rule_id having count(*) > 0
     ) b on true
     where o.id = $1`,
    [offerId],
  );
  const row = rows.rows[0];
  if (!row) throw new NotFound('offer', offerId);
  const definition = definitionOf(row.definition);
  return {
    id: row.id,
    partnerId: row.partner_id,
    currency: row.currency_code,
    ruleId: row.rule_id,
    name: row.name,
    description: row.description,
    effects: definition.effects,
    targetSegmentIds: row.target_segment_ids,
    targetMembersCount: row.targets,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    perMemberUses: row.per_member_uses,
    pointsBudget: definition.limits.pointsBudget,
    usesMax: definition.limits.usesMax,
    budgetLeft:
      row.budget_points === null
        ? null
        : { points: row.budget_points, uses: row.budget_uses ?? 0n },
    activationsCount: row.activations,
    usesCount: row.uses,
    endedAt: row.ended_at,
    createdAt: row.created_at,
  };
}
