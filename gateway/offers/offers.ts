import { recordAudit } from '../audit/audit-log';
import type { Sql, SqlDatabase } from '../db/sql';
import type { ProgramCatalog } from '../programs/program-catalog';
import { definitionOf, type RuleEffect, validRuleDefinition } from '../rules/rule-definition';
import type { RuleService } from '../rules/rule-service';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { requireIntegerInRange, requireReference } from '../shared/validate';
import { OfferNotAvailable, OfferNotTargeted } from './errors';

/** A personalised offer as its owner (a partner, or the operator) defines it. */
export interface OfferInput {
  currency: string;
  name: string;
  description: string;
  /** What the member gets at the next matching purchase: the rules engine's effects. */
  effects: RuleEffect[];
  /** Members in any of these segments (as last refreshed) when they activate. */
  targetSegmentIds: string[];
  /** And these members (coalition ids). */
  targetMemberIds: string[];
  startsAt: Date;
  endsAt: Date;
  /** Points the offer may give in total (null: no limit). */
  pointsBudget: bigint | null;
  /** Uses in total, across members (null: no limit). */
  usesMax: number | null;
  /** Uses per member (default 1: the next purchase, once). */
  perMemberUses: number;
}

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

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

export const createOfferErrors = [InvalidInput, NotFound] as const;
export const endOfferErrors = [NotFound] as const;
export const activateOfferErrors = [NotFound, OfferNotTargeted, OfferNotAvailable] as const;

export const offerPageSizeMax = 100;
const targetSegmentsMax = 20;
const targetMembersMax = 10_000;
const windowDaysMax = 366;

/**
 * Personalised offers (issue 18, item 2). An offer is an earning rule whose one condition is
 * `activatedOffer` (the offer's id), with the rule's per-member limit ("once per member" by
 * default) and budget: the rules engine applies it at the member's next purchase in its window
 * (at its partner; at any partner for the operator's), exactly as often as the limit allows,
 * and the earn batch holds the limit and the budget under concurrency (migrations/0029, 0071).
 * This module adds who may activate it: targeting is checked at activation, against the
 * segments as last refreshed and the list of members.
 */
export class Offers {
  constructor(
    private readonly db: SqlDatabase,
    private readonly catalog: ProgramCatalog,
    private readonly rules: RuleService,
    private readonly clock: Clock,
  ) {}

  /**
   * Creates an offer and its rule, in one transaction. A partner's targets its own segments
   * and members linked to it, in a currency it awards, funded by it; the operator's any segment
   * and member, funded by the operator. Errors (`createOfferErrors`): InvalidInput, NotFound
   * (currency, segment, member), Forbidden.
   */
  create(
    ctx: RequestContext,
    input: OfferInput,
  ): Promise<OfferView | ErrorOf<typeof createOfferErrors>> {
    return failsWith(createOfferErrors, async () => {
      const caller = requireCaller(ctx, 'partner', 'operator');
      const owner = caller.kind === 'partner' ? caller.partnerId : null;
      const currency = await this.catalog.currency(input.currency);
      if (!currency) throw new NotFound('currency', input.currency);
      if (owner !== null && !(await this.catalog.partnerTerms(owner, currency.code))?.earns) {
        throw new InvalidInput('currency', `the calling partner does not award ${currency.code}`);
      }
      const offer = validOffer(input, this.clock.now());
      const id = newId('ofr');
      const definition = validRuleDefinition(
        {
          name: `Offer: ${offer.name}`,
          window: {
            startsAt: offer.startsAt,
            endsAt: offer.endsAt,
            daysOfWeek: [],
            hours: null,
            timeZone: 'UTC',
          },
          priority: 0,
          stacking: 'stackable',
          match: 'all',
          conditions: [{ kind: 'activatedOffer', offerId: id }],
          effects: offer.effects,
          partnerShareBp: owner === null ? 0 : 10_000,
          limits: {
            perMember: { uses: offer.perMemberUses, period: 'ever' },
            usesMax: offer.usesMax,
            pointsBudget: offer.pointsBudget,
          },
        },
        { partnerOwned: owner !== null, offer: true },
      );
      const view = await this.db.transaction(async (sql) => {
        await requireTargets(sql, owner, offer);
        const rule = await this.rules.insertRule(sql, ctx, {
          owner,
          currency: currency.code,
          definition,
        });
        const now = this.clock.now();
        await sql.query(
          `insert into offer (id, partner_id, currency_code, rule_id, name, description,
             target_segment_ids, starts_at, ends_at, per_member_uses, created_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [
            id,
            owner,
            currency.code,
            rule.id,
            offer.name,
            offer.description,
            offer.targetSegmentIds,
            offer.startsAt,
            offer.endsAt,
            offer.perMemberUses,
            now,
          ],
        );
        await sql.query(
          `insert into offer_target_member (offer_id, member_id)
           select $1, unnest($2::text[])`,
          [id, offer.targetMemberIds],
        );
        const created = await offerView(sql, id);
        await recordAudit(sql, ctx, {
          entity: 'offer',
          entityId: id,
          action: 'create',
          before: null,
          after: created,
          partnerIds: owner ? [owner] : [],
          at: now,
        });
        return created;
      });
      this.rules.clearCaches();
      return view;
    });
  }

  /**
   * Ends an offer now, and its rule: it no longer applies, activated or not. Ending an ended
   * offer changes nothing. Errors (`endOfferErrors`): NotFound (another partner's too), Forbidden.
   */
  end(ctx: RequestContext, offerId: string): Promise<OfferView | ErrorOf<typeof endOfferErrors>> {
    return failsWith(endOfferErrors, async () => {
      const caller = requireCaller(ctx, 'partner', 'operator');
      const view = await this.db.transaction(async (sql) => {
        const rows = await sql.query<{ rule_id: string; partner_id: string | null }>(
          `select rule_id, partner_id from offer where id = $1 and ($2::text is null or partner_id = $2)
           for update`,
          [offerId, caller.kind === 'partner' ? caller.partnerId : null],
        );
        const row = rows.rows[0];
        if (!row) throw new NotFound('offer', offerId);
        const before = await offerView(sql, offerId);
        if (before.endedAt) return before;
        const now = this.clock.now();
        await sql.query('update offer set ended_at = $2 where id = $1', [offerId, now]);
        await sql.query('update earn_rule set ended_at = $2 where id = $1 and ended_at is null', [
          row.rule_id,
          now,
        ]);
        const after = await offerView(sql, offerId);
        await recordAudit(sql, ctx, {
          entity: 'offer',
          entityId: offerId,
          action: 'end',
          before,
          after,
          partnerIds: row.partner_id ? [row.partner_id] : [],
          at: now,
        });
        return after;
      });
      this.rules.clearCaches();
      return view;
    });
  }

  /** Offers the caller owns, newest first: a partner's own; the operator's, or one partner's. */
  async offers(
    ctx: RequestContext,
    filter: { partnerId?: string | null; first?: number; after?: string | null },
  ): Promise<Page<OfferView>> {
    const caller = requireCaller(ctx, 'partner', 'operator');
    const partnerId = caller.kind === 'partner' ? caller.partnerId : (filter.partnerId ?? null);
    const first = Math.min(Math.max(filter.first ?? 50, 1), offerPageSizeMax);
    const rows = await this.db.query<{ id: string }>(
      `select id from offer where partner_id is not distinct from $1
         and ($2::text is null or id < $2)
       order by id desc limit $3`,
      [partnerId, filter.after ?? null, first + 1],
    );
    const items = await Promise.all(
      rows.rows.slice(0, first).map((row) => offerView(this.db, row.id)),
    );
    return { items, nextCursor: rows.rows.length > first ? items[items.length - 1]!.id : null };
  }

  /**
   * The calling member's offers: in their window now, not ended, not used up (by the member, or
   * the budget), and targeted at the member (in a target segment as last refreshed, or on the
   * list) or already activated by them. Soonest ending first.
   */
  async myOffers(ctx: RequestContext): Promise<MemberOfferView[]> {
    const { memberId } = requireCaller(ctx, 'member');
    const rows = await this.db.query<MemberOfferRow>(
      `${memberOfferSelect}
       where o.ended_at is null and o.starts_at <= $2 and o.ends_at > $2
         and (a.activated_at is not null or ${targeted})
         and u.used < o.per_member_uses and ${budgetLeft}
       order by o.ends_at, o.id limit ${offerPageSizeMax}`,
      [memberId, this.clock.now()],
    );
    return rows.rows.map(memberOfferOf);
  }

  /**
   * The calling member activates an offer: it then applies at their next matching purchase.
   * Idempotent: activating it again answers the same activation. Targeting is checked now
   * (a member who left its segments since activating keeps the activation). Errors
   * (`activateOfferErrors`): NotFound, OfferNotTargeted, OfferNotAvailable, Forbidden.
   */
  activate(
    ctx: RequestContext,
    offerId: string,
  ): Promise<MemberOfferView | ErrorOf<typeof activateOfferErrors>> {
    return failsWith(activateOfferErrors, async () => {
      const { memberId } = requireCaller(ctx, 'member');
      const now = this.clock.now();
      return this.db.transaction(async (sql) => {
        const rows = await sql.query<MemberOfferRow & { targeted: boolean; budget_left: boolean }>(
          `${memberOfferSelect.replace('select', `select ${targeted} as targeted, ${budgetLeft} as budget_left,`)}
           where o.id = $3`,
          [memberId, now, offerId],
        );
        const row = rows.rows[0];
        if (!row) throw new NotFound('offer', offerId);
        if (row.ended_at || row.ends_at.getTime() <= now.getTime()) {
          throw new OfferNotAvailable(offerId, 'ended');
        }
        if (row.starts_at.getTime() > now.getTime()) {
          throw new OfferNotAvailable(offerId, 'not_started');
        }
        if (row.activated_at) return memberOfferOf(row);
        if (!row.targeted) throw new OfferNotTargeted(offerId);
        if (row.used >= row.per_member_uses || !row.budget_left) {
          throw new OfferNotAvailable(offerId, 'used_up');
        }
        await sql.query(
          `insert into offer_activation (offer_id, member_id, activated_at) values ($1, $2, $3)
           on conflict do nothing`,
          [offerId, memberId, now],
        );
        const activated = await sql.query<{ activated_at: Date }>(
          'select activated_at from offer_activation where offer_id = $1 and member_id = $2',
          [offerId, memberId],
        );
        return memberOfferOf({ ...row, activated_at: activated.rows[0]!.activated_at });
      });
    });
  }
}

/** Whether member $1 is targeted by offer `o` now (parameters of memberOfferSelect). */
const targeted = `((select 1 from offer_target_member t where t.offer_id = o.id and t.member_id = $1) is not null
  or (select 1 from segment_member sm where sm.member_id = $1 and sm.segment_id = any(o.target_segment_ids) limit 1) is not null)`;
/** Whether the offer's budget has something left (no budget: true). */
const budgetLeft = `coalesce((select sum(b.remaining_points) > 0 and sum(b.remaining_uses) > 0
  from earn_rule_budget_slot b where b.rule_id = o.rule_id having count(*) > 0), true)`;

/** Offers with member $1's activation and uses ($2: now, unused here but typed by callers). */
const memberOfferSelect = `
  select o.id, o.partner_id, o.currency_code, o.name, o.description, o.starts_at, o.ends_at,
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

interface MemberOfferRow {
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

function memberOfferOf(row: MemberOfferRow): MemberOfferView {
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

function validOffer(input: OfferInput, now: Date): OfferInput {
  const name = requireReference('name', input.name.trim(), 120);
  if (input.description.length > 500)
    throw new InvalidInput('description', 'at most 500 characters');
  if (Number.isNaN(input.startsAt.getTime())) throw new InvalidInput('startsAt', 'invalid');
  if (input.endsAt.getTime() <= input.startsAt.getTime()) {
    throw new InvalidInput('endsAt', 'must be after startsAt');
  }
  if (input.endsAt.getTime() <= now.getTime())
    throw new InvalidInput('endsAt', 'must be in the future');
  if (input.endsAt.getTime() - input.startsAt.getTime() > windowDaysMax * 86_400_000) {
    throw new InvalidInput('endsAt', `at most ${windowDaysMax} days after startsAt`);
  }
  const targetSegmentIds = [...new Set(input.targetSegmentIds)];
  const targetMemberIds = [...new Set(input.targetMemberIds)];
  if (targetSegmentIds.length + targetMemberIds.length === 0) {
    throw new InvalidInput('targetSegmentIds', 'target at least one segment or member');
  }
  if (targetSegmentIds.length > targetSegmentsMax) {
    throw new InvalidInput('targetSegmentIds', `at most ${targetSegmentsMax}`);
  }
  if (targetMemberIds.length > targetMembersMax) {
    throw new InvalidInput('targetMemberIds', `at most ${targetMembersMax}`);
  }
  requireIntegerInRange('perMemberUses', input.perMemberUses, 1, 100);
  return { ...input, name, targetSegmentIds, targetMemberIds };
}

/**
 * An offer targets what its owner sees: a partner its own segments and members linked to it;
 * the operator any segment and member. NotFound otherwise (as if it did not exist).
 */
async function requireTargets(sql: Sql, owner: string | null, offer: OfferInput): Promise<void> {
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
async function offerView(sql: Sql, offerId: string): Promise<OfferView> {
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
