import {
  type RuleDefinition,
  type RuleEffect,
  validRuleDefinition,
} from '../rules/rule-definition';
import { InvalidInput } from '../shared/errors';
import { requireIntegerInRange, requireReference } from '../shared/validate';

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

const targetSegmentsMax = 20;
const targetMembersMax = 10_000;
const windowDaysMax = 366;

/** Checks an offer as given by a caller; errors name the field. */
export function validOffer(input: OfferInput, now: Date): OfferInput {
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
 * The earning rule that applies an offer: its one condition `activatedOffer`, the offer's
 * window and effects, `perMemberUses` per member ever, the offer's budget; funded by its
 * partner, or by the operator for a coalition offer. Validated as any rule is.
 */
export function offerRuleDefinition(
  offerId: string,
  owner: string | null,
  offer: OfferInput,
): RuleDefinition {
  return validRuleDefinition(
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
      conditions: [{ kind: 'activatedOffer', offerId }],
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
}
