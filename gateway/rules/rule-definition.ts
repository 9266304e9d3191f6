import { InvalidInput } from '../shared/errors';
import { isKnownMoneyCurrency } from '../shared/money';
import { requireIntegerInRange, requireReference } from '../shared/validate';

/**
 * An earning rule as partners and the operator define it (issue 14), and its validation. A
 * version's definition is stored as JSON (`earn_rule_version.definition`) exactly as
 * `definitionJson` writes it and `definitionOf` reads it back.
 */

/** Where the purchase was made. */
export type Channel = 'store' | 'online' | 'app';
export const channels: readonly Channel[] = ['store', 'online', 'app'];

/**
 * How a rule combines with others, evaluated in priority order (highest first):
 * `stackable` applies and lets later rules apply; `stop` applies and stops every later rule;
 * `exclusive` applies only when no rule has applied before it, and then stops every later rule.
 */
export type Stacking = 'stackable' | 'exclusive' | 'stop';
export const stackings: readonly Stacking[] = ['stackable', 'exclusive', 'stop'];

/** Basket lines a condition or an effect is about: by sku or by category (either matches). */
export interface LineFilter {
  skus: string[];
  categories: string[];
}

export type RuleCondition =
  | { kind: 'channel'; channels: Channel[] }
  /**
   * Lines matching the filter, together at least this quantity and (when given) this amount of
   * money (a purchase in another currency does not match an amount).
   */
  | {
      kind: 'lines';
      filter: LineFilter;
      quantityMin: number;
      amountMin: { currency: string; amountMinor: bigint } | null;
    }
  /** The purchase is at least this much money (in its own currency; another currency: false). */
  | { kind: 'basketTotal'; currency: string; amountMinorMin: bigint }
  /** The member holds one of these tiers of the program (codes of its ladder). */
  | { kind: 'memberTier'; tiers: string[] }
  /** The member's N-th earn at this partner (step by step: 1st, 2nd, 3rd purchase). */
  | { kind: 'purchaseNumber'; number: number }
  /** The member's first earn anywhere in the coalition. */
  | { kind: 'firstInCoalition' }
  /**
   * A member event of one of these types (recordMemberEvent): the rule rewards events only.
   * Rules without it reward purchases only.
   */
  | { kind: 'event'; types: string[] }
  /**
   * The member's birthday (month and day, given at enrolment or by the member): in the earn's
   * month (`month`), or within `days` days of it either way, in the rule's time zone. A member
   * with no birthday on record never matches.
   */
  | { kind: 'birthday'; scope: 'month' | 'days'; days: number }
  /**
   * The anniversary of the member's joining the coalition, within `days` days either way, from
   * the first anniversary on.
   */
  | { kind: 'anniversary'; days: number }
  /**
   * The member is in this segment, as its last refresh computed it (gateway/segments). A
   * partner's rule names one of the partner's own segments; the operator's, any.
   */
  | { kind: 'segment'; segmentId: string }
  /**
   * The member activated this offer (gateway/offers). Only an offer's own rule has it: the
   * offers service writes it, a caller's rule definition may not.
   */
  | { kind: 'activatedOffer'; offerId: string };

/** A member event's type: a built-in one or a partner's own, lower snake case. */
export const eventTypePattern = /^[a-z][a-z0-9_]{1,39}$/;
/** The event types every partner can record (a partner may define others by using them). */
export const builtInEventTypes = [
  'profile_completed',
  'app_installed',
  'social_share',
  'review_submitted',
  'survey_submitted',
] as const;

export type RuleEffect =
  /**
   * Multiplies the base points of the matching lines (all of the base when the filter is
   * empty): adds floor(share x (multiplier - 1)), the share being the lines' part of the base.
   */
  | { kind: 'multiply'; multiplierBp: number; filter: LineFilter }
  /** Adds a fixed number of points. */
  | { kind: 'bonus'; points: bigint }
  /**
   * Money off this purchase, returned to the point-of-sale: a percentage of the matching lines
   * (all of the purchase when the filter is empty), at most `cap`; or a fixed amount, at most the
   * matching lines' amount. In the purchase's currency (`currency`: a purchase in another
   * currency gets none).
   */
  | {
      kind: 'discount';
      currency: string;
      percentBp: number | null;
      amountMinor: bigint | null;
      capMinor: bigint | null;
      filter: LineFilter;
    }
  /**
   * A single-use voucher for the member, redeemable at the purchase's partner until it expires:
   * free delivery, a free product (`sku`), or a percentage off the next purchase.
   */
  | {
      kind: 'voucher';
      reward: VoucherReward;
      sku: string | null;
      percentBp: number | null;
      validDays: number;
    };

/** What a reward voucher gives when redeemed. */
export type VoucherReward = 'free_delivery' | 'free_product' | 'percent_off';
export const voucherRewards: readonly VoucherReward[] = [
  'free_delivery',
  'free_product',
  'percent_off',
];

/** When a rule is in force: dates, and optionally days of the week and hours, in a time zone. */
export interface RuleWindow {
  startsAt: Date;
  /** Exclusive; null: until ended. */
  endsAt: Date | null;
  /** ISO days (1 Monday ... 7 Sunday); empty: every day. */
  daysOfWeek: number[];
  /** Hours of the day [from, to) in the time zone; null: all day. */
  hours: { from: number; to: number } | null;
  /** An IANA time zone, e.g. "Europe/Helsinki". */
  timeZone: string;
}

export interface RuleDefinition {
  name: string;
  window: RuleWindow;
  /** Higher runs first. */
  priority: number;
  stacking: Stacking;
  /** Every condition must hold (`all`), or at least one (`any`); no conditions: always. */
  match: 'all' | 'any';
  conditions: RuleCondition[];
  effects: RuleEffect[];
  /**
   * The purchase partner's share of the bonus, in basis points; the operator funds the rest. A
   * partner's own rule is always funded by that partner (10000).
   */
  partnerShareBp: number;
  limits: RuleLimits;
}

/** How often a rule may give. Null: no such limit. */
export interface RuleLimits {
  /** Uses per member per day or month (in the rule's time zone) or ever ("once per member"). */
  perMember: { uses: number; period: 'day' | 'month' | 'ever' } | null;
  /** Uses in total, across members. */
  usesMax: number | null;
  /** Points in total; never exceeded, the last few points of it may go unused. */
  pointsBudget: bigint | null;
}

export const noLimits: RuleLimits = { perMember: null, usesMax: null, pointsBudget: null };

const multiplierBpMax = 100_000;
/** Conditions only the ledger can check (with the member's rows held): they need match ALL. */
const ledgerConditionKinds: readonly RuleCondition['kind'][] = [
  'purchaseNumber',
  'firstInCoalition',
  'birthday',
  'anniversary',
  'segment',
  'activatedOffer',
];
const voucherValidDaysMax = 730;
/** A segment's id (migrations/0070): built-in ones name their kind and partner. */
export const segmentIdPattern = /^seg_[a-z0-9_]{1,80}$/;
const bonusPointsMax = 1_000_000_000n;
const listMax = 100;

/** Checks a definition as given by a caller; errors name the field (`conditions[2].lines`...). */
export function validRuleDefinition(
  input: RuleDefinition,
  owner: { partnerOwned: boolean; offer?: boolean },
): RuleDefinition {
  const name = requireReference('name', input.name.trim(), 120);
  const window = validWindow(input.window);
  requireIntegerInRange('priority', input.priority, -1000, 1000);
  if (!stackings.includes(input.stacking)) {
    throw new InvalidInput('stacking', `must be one of ${stackings.join(', ')}`);
  }
  if (input.match !== 'all' && input.match !== 'any') {
    throw new InvalidInput('match', 'must be all or any');
  }
  if (input.conditions.length > 20) throw new InvalidInput('conditions', 'at most 20');
  const conditions = input.conditions.map((condition, index) =>
    validCondition(condition, `conditions[${index}]`),
  );
  if (input.effects.length === 0) throw new InvalidInput('effects', 'give at least one effect');
  if (input.effects.length > 10) throw new InvalidInput('effects', 'at most 10');
  const effects = input.effects.map((effect, index) => validEffect(effect, `effects[${index}]`));
  if (input.match === 'any' && conditions.some((c) => ledgerConditionKinds.includes(c.kind))) {
    throw new InvalidInput(
      'match',
      'a purchaseNumber, firstPurchase, birthday, anniversary, segment or activatedOffer condition needs match ALL',
    );
  }
  if (conditions.filter((c) => c.kind === 'segment').length > 1) {
    throw new InvalidInput('conditions', 'at most one inSegment condition');
  }
  const offers = conditions.filter((c) => c.kind === 'activatedOffer').length;
  if (offers !== (owner.offer ? 1 : 0)) {
    throw new InvalidInput(
      'conditions',
      owner.offer
        ? "an offer's rule has exactly one activatedOffer condition"
        : "activatedOffer is an offer's own condition: create an offer (createOffer) instead",
    );
  }
  const limits = validLimits(input.limits);
  const events = conditions.filter((c) => c.kind === 'event');
  if (events.length > 1) throw new InvalidInput('conditions', 'at most one eventTypes condition');
  if (events.length === 1 && input.match === 'any') {
    throw new InvalidInput('match', 'a rule on member events needs match ALL');
  }
  if (
    events.length === 1 &&
    conditions.some((c) => c.kind === 'lines' || c.kind === 'basketTotal' || c.kind === 'channel')
  ) {
    throw new InvalidInput('conditions', 'a member event has no basket or channel to match');
  }
  if (
    events.length === 1 &&
    effects.some((effect) => effect.kind === 'multiply' || effect.kind === 'discount')
  ) {
    throw new InvalidInput(
      'effects',
      'a member event has no base points to multiply and no purchase to discount: give bonusPoints or a voucher',
    );
  }
  if (effects.filter((effect) => effect.kind === 'voucher').length > 1) {
    throw new InvalidInput('effects', 'at most one voucher per rule');
  }
  if (effects.filter((effect) => effect.kind === 'discount').length > 1) {
    throw new InvalidInput('effects', 'at most one discount per rule');
  }
  requireIntegerInRange('partnerSharePercent', input.partnerShareBp / 100, 0, 100);
  if (owner.partnerOwned && input.partnerShareBp !== 10_000) {
    throw new InvalidInput(
      'partnerSharePercent',
      "a partner's rule is funded by that partner (100): only the operator's campaigns split funding",
    );
  }
  return { ...input, name, window, conditions, effects, limits };
}

function validLimits(limits: RuleLimits): RuleLimits {
  if (limits.perMember) {
    requireIntegerInRange('limits.perMemberUses', limits.perMember.uses, 1, 10_000);
    if (!['day', 'month', 'ever'].includes(limits.perMember.period)) {
      throw new InvalidInput('limits.perMemberPeriod', 'must be DAY, MONTH or EVER');
    }
  }
  if (limits.usesMax !== null)
    requireIntegerInRange('limits.usesMax', limits.usesMax, 1, 1_000_000_000);
  if (
    limits.pointsBudget !== null &&
    (limits.pointsBudget <= 0n || limits.pointsBudget > 10n ** 15n)
  ) {
    throw new InvalidInput('limits.pointsBudget', 'must be 1 to 10^15 points');
  }
  return limits;
}

function validWindow(window: RuleWindow): RuleWindow {
  if (Number.isNaN(window.startsAt.getTime())) throw new InvalidInput('window.startsAt', 'invalid');
  if (window.endsAt && window.endsAt.getTime() <= window.startsAt.getTime()) {
    throw new InvalidInput('window.endsAt', 'must be after window.startsAt');
  }
  const days = [...new Set(window.daysOfWeek)].sort();
  for (const day of days) requireIntegerInRange('window.daysOfWeek', day, 1, 7);
  if (window.hours) {
    requireIntegerInRange('window.hours.from', window.hours.from, 0, 23);
    requireIntegerInRange('window.hours.to', window.hours.to, 1, 24);
    if (window.hours.to <= window.hours.from) {
      throw new InvalidInput('window.hours.to', 'must be after window.hours.from');
    }
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: window.timeZone });
  } catch {
    throw new InvalidInput('window.timeZone', 'must be an IANA time zone, e.g. "Europe/Helsinki"');
  }
  return { ...window, daysOfWeek: days };
}

function validFilter(filter: LineFilter, field: string, required: boolean): LineFilter {
  if (filter.skus.length + filter.categories.length > listMax) {
    throw new InvalidInput(field, `at most ${listMax} skus and categories`);
  }
  if (required && filter.skus.length + filter.categories.length === 0) {
    throw new InvalidInput(field, 'give skus or categories');
  }
  return {
    skus: filter.skus.map((sku, index) => requireReference(`${field}.skus[${index}]`, sku, 100)),
    categories: filter.categories.map((category, index) =>
      requireReference(`${field}.categories[${index}]`, category, 100),
    ),
  };
}

function validCondition(condition: RuleCondition, field: string): RuleCondition {
  switch (condition.kind) {
    case 'channel':
      if (condition.channels.length === 0) throw new InvalidInput(`${field}.channels`, 'empty');
      for (const channel of condition.channels) {
        if (!channels.includes(channel)) {
          throw new InvalidInput(`${field}.channels`, `must be of ${channels.join(', ')}`);
        }
      }
      return { kind: 'channel', channels: [...new Set(condition.channels)] };
    case 'lines':
      requireIntegerInRange(`${field}.lines.quantityAtLeast`, condition.quantityMin, 0, 1_000_000);
      if (condition.amountMin && condition.amountMin.amountMinor <= 0n) {
        throw new InvalidInput(`${field}.lines.amountAtLeast.amount`, 'must be greater than zero');
      }
      return { ...condition, filter: validFilter(condition.filter, `${field}.lines`, true) };
    case 'basketTotal':
      if (!isKnownMoneyCurrency(condition.currency)) {
        throw new InvalidInput(`${field}.basketTotalAtLeast.currency`, 'must be ISO 4217');
      }
      if (condition.amountMinorMin <= 0n) {
        throw new InvalidInput(`${field}.basketTotalAtLeast.amount`, 'must be greater than zero');
      }
      return condition;
    case 'purchaseNumber':
      requireIntegerInRange(`${field}.purchaseNumber`, condition.number, 1, 1000);
      return condition;
    case 'firstInCoalition':
      return condition;
    case 'event':
      if (condition.types.length === 0 || condition.types.length > 20) {
        throw new InvalidInput(`${field}.eventTypes`, 'give 1 to 20 event types');
      }
      for (const type of condition.types) {
        if (!eventTypePattern.test(type)) {
          throw new InvalidInput(
            `${field}.eventTypes`,
            `"${type}" is not an event type: lower snake case, 2 to 40 characters (e.g. profile_completed)`,
          );
        }
      }
      return { kind: 'event', types: [...new Set(condition.types)] };
    case 'birthday':
      if (condition.scope !== 'month') {
        requireIntegerInRange(`${field}.birthdayWithinDays`, condition.days, 0, 31);
      }
      return condition.scope === 'month'
        ? { kind: 'birthday', scope: 'month', days: 0 }
        : condition;
    case 'anniversary':
      requireIntegerInRange(`${field}.anniversaryWithinDays`, condition.days, 0, 31);
      return condition;
    case 'segment':
      if (!segmentIdPattern.test(condition.segmentId)) {
        throw new InvalidInput(`${field}.inSegment`, 'not a segment id ("seg_...")');
      }
      return { kind: 'segment', segmentId: condition.segmentId };
    case 'activatedOffer':
      if (!/^ofr_[a-z0-9]{26}$/.test(condition.offerId)) {
        throw new InvalidInput(`${field}.activatedOffer`, 'not an offer id ("ofr_...")');
      }
      return { kind: 'activatedOffer', offerId: condition.offerId };
    case 'memberTier':
      if (condition.tiers.length === 0) throw new InvalidInput(`${field}.memberTiers`, 'empty');
      return {
        kind: 'memberTier',
        tiers: condition.tiers.map((code, index) =>
          requireReference(`${field}.memberTiers[${index}]`, code, 40),
        ),
      };
  }
}

function validEffect(effect: RuleEffect, field: string): RuleEffect {
  switch (effect.kind) {
    case 'multiply':
      if (!Number.isInteger(effect.multiplierBp) || effect.multiplierBp <= 10_000) {
        throw new InvalidInput(
          `${field}.multiplyPoints.multiplier`,
          'must be an integer above 10000 (x1) in basis points, e.g. 20000 for x2',
        );
      }
      if (effect.multiplierBp > multiplierBpMax) {
        throw new InvalidInput(`${field}.multiplyPoints.multiplier`, `at most ${multiplierBpMax}`);
      }
      return { ...effect, filter: validFilter(effect.filter, `${field}.multiplyPoints`, false) };
    case 'bonus':
      if (effect.points <= 0n || effect.points > bonusPointsMax) {
        throw new InvalidInput(`${field}.bonusPoints`, `must be 1 to ${bonusPointsMax}`);
      }
      return effect;
    case 'discount': {
      const at = `${field}.discount`;
      if (!isKnownMoneyCurrency(effect.currency)) {
        throw new InvalidInput(`${at}.currency`, 'must be ISO 4217');
      }
      if ((effect.percentBp === null) === (effect.amountMinor === null)) {
        throw new InvalidInput(at, 'give exactly one of percent or amount');
      }
      if (effect.percentBp !== null) {
        requireIntegerInRange(`${at}.percent`, effect.percentBp / 100, 1, 100);
      }
      if (effect.amountMinor !== null && effect.amountMinor <= 0n) {
        throw new InvalidInput(`${at}.amount`, 'must be greater than zero');
      }
      if (effect.capMinor !== null && effect.capMinor <= 0n) {
        throw new InvalidInput(`${at}.cap`, 'must be greater than zero');
      }
      return { ...effect, filter: validFilter(effect.filter, at, false) };
    }
    case 'voucher': {
      const at = `${field}.voucher`;
      if (!voucherRewards.includes(effect.reward)) {
        throw new InvalidInput(`${at}.reward`, `must be one of ${voucherRewards.join(', ')}`);
      }
      if ((effect.reward === 'free_product') !== (effect.sku !== null)) {
        throw new InvalidInput(`${at}.sku`, 'a FREE_PRODUCT voucher names its sku; others none');
      }
      if ((effect.reward === 'percent_off') !== (effect.percentBp !== null)) {
        throw new InvalidInput(
          `${at}.percentOff`,
          'a PERCENT_OFF voucher gives its percent; others none',
        );
      }
      if (effect.percentBp !== null) {
        requireIntegerInRange(`${at}.percentOff`, effect.percentBp / 100, 1, 100);
      }
      requireIntegerInRange(`${at}.validDays`, effect.validDays, 1, voucherValidDaysMax);
      return {
        ...effect,
        sku: effect.sku === null ? null : requireReference(`${at}.sku`, effect.sku, 100),
      };
    }
  }
}

/** The stored form: JSON with bigints as strings and dates as ISO strings. */
export function definitionJson(definition: RuleDefinition): string {
  return JSON.stringify(definition, (_key, value) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

/** A stored definition read back. */
export function definitionOf(json: Record<string, unknown>): RuleDefinition {
  const raw = json as unknown as RuleDefinition & {
    window: { startsAt: string; endsAt: string | null };
  };
  return {
    ...raw,
    window: {
      ...raw.window,
      startsAt: new Date(raw.window.startsAt),
      endsAt: raw.window.endsAt === null ? null : new Date(raw.window.endsAt),
    },
    conditions: raw.conditions.map((condition) => {
      if (condition.kind === 'basketTotal') {
        return { ...condition, amountMinorMin: BigInt(condition.amountMinorMin) };
      }
      if (condition.kind === 'lines' && condition.amountMin) {
        return {
          ...condition,
          amountMin: {
            ...condition.amountMin,
            amountMinor: BigInt(condition.amountMin.amountMinor),
          },
        };
      }
      return condition;
    }),
    effects: raw.effects.map((effect) => {
      if (effect.kind === 'bonus') return { ...effect, points: BigInt(effect.points) };
      if (effect.kind === 'discount') {
        return {
          ...effect,
          amountMinor: effect.amountMinor === null ? null : BigInt(effect.amountMinor),
          capMinor: effect.capMinor === null ? null : BigInt(effect.capMinor),
        };
      }
      return effect;
    }),
    limits: {
      perMember: raw.limits.perMember,
      usesMax: raw.limits.usesMax,
      pointsBudget: raw.limits.pointsBudget === null ? null : BigInt(raw.limits.pointsBudget),
    },
  };
}
