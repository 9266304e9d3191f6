import { recordAudit } from '../audit/audit-log';
import type { SqlDatabase } from '../db/sql';
import type { ProgramCatalog } from '../programs/program-catalog';
import type { RuleService } from '../rules/rule-service';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { OfferNotAvailable, OfferNotTargeted } from './errors';
import { type OfferInput, offerRuleDefinition, validOffer } from './offer-definition';
import {
  budgetLeft,
  type MemberOfferRow,
  type MemberOfferView,
  memberOfferOf,
  memberOfferSelect,
  type OfferView,
  offerView,
  requireTargets,
  targeted,
} from './offer-queries';

export type { MemberOfferView, OfferInput, OfferView };

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

export const createOfferErrors = [InvalidInput, NotFound] as const;
export const endOfferErrors = [NotFound] as const;
export const activateOfferErrors = [NotFound, OfferNotTargeted, OfferNotAvailable] as const;

export const offerPageSizeMax = 100;

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
      const definition = offerRuleDefinition(id, owner, offer);
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
      `${memberOfferSelect()}
       where coalesce(o.ended_at, r.ended_at) is null and o.starts_at <= $2 and o.ends_at > $2
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
          `${memberOfferSelect(`${targeted} as targeted, ${budgetLeft} as budget_left,`)}
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
