import {
  type IssuedVoucher,
  type RuleCandidate,
  type RuleWorlds,
  ruleCandidatesMax,
} from '../ledger/earn';
import type { Money } from '../ledger/model';
import { BoundedMap } from '../shared/bounded-map';
import { humanCode } from '../shared/ids';
import { formatMoneyAmount } from '../shared/money';
import type {
  Channel,
  LineFilter,
  RuleCondition,
  RuleDefinition,
  RuleEffect,
  Stacking,
} from './rule-definition';

/**
 * Earning rules compiled once per version into plain functions, and the evaluation of an
 * earn against them. Pure: no database, no clock (the earn's time is a fact).
 */

/** One line of a purchase's basket. */
export interface BasketLine {
  sku: string;
  category: string | null;
  quantity: number;
  unitPriceMinor: bigint;
  amountMinor: bigint;
}

/** What a rule may look at that comes with the request (the member's tier is a world). */
export interface EarnFacts {
  at: Date;
  channel: Channel | null;
  purchase: Money | null;
  basket: readonly BasketLine[];
  /** The earn's base points (the purchase at the earn rate, or the partner's points). */
  basePoints: bigint;
  /** A member event's type (recordMemberEvent); null for a purchase. */
  event: string | null;
}

export interface CompiledRule {
  id: string;
  version: number;
  /** Null: the operator's coalition campaign. */
  ownerPartnerId: string | null;
  name: string;
  priority: number;
  stacking: Stacking;
  partnerShareBp: number;
  /** Whether a condition names the member's tier (the earn is then priced per tier). */
  usesTier: boolean;
  /**
   * The basket total the rule needs (minor units of its currency), when every condition must
   * hold: a refund that leaves the purchase below it takes all of the rule's points back.
   */
  threshold: { currency: string; amountMinor: bigint } | null;
  /** Conditions only the ledger can check, with the member's rows held. */
  guards: {
    purchaseNumber: number | null;
    firstInCoalition: boolean;
    birthday: { scope: 'month' | 'days'; days: number } | null;
    anniversaryDays: number | null;
    /** The member is in this segment (segment_member). */
    segmentId: string | null;
    /** The member activated this offer (offer_activation). */
    offerId: string | null;
  };
  limits: RuleDefinition['limits'];
  /** The time zone of the rule's days, hours and per-member periods. */
  timeZone: string;
  /** In force at this instant (dates, days, hours in the rule's time zone). */
  inForceAt(at: Date): boolean;
  /**
   * The conditions hold for these facts and the member's tier (its code; null: none): the two
   * parts below, combined.
   */
  holds(facts: EarnFacts, tier: string | null): boolean;
  /**
   * The same in two parts, so the request is looked at once whatever the number of tier
   * worlds: what the request decides (true, false, or 'tier': it depends on the tier), then
   * the tier's part.
   */
  holdsForRequest(facts: EarnFacts): boolean | 'tier';
  holdsForTier(tier: string | null): boolean;
  /** What the effects give, and how the receipt explains it. */
  bonus(facts: EarnFacts): RuleReward;
}

/** What a rule's effects give one earn: points, money off this purchase, a voucher. */
export interface RuleReward {
  points: bigint;
  description: string;
  /** Money off this purchase, in its currency. */
  discount: Money | null;
  /** The voucher the member gets (its code is drawn when the candidate is made). */
  voucher: (Omit<IssuedVoucher, 'code' | 'expiresAt'> & { validDays: number }) | null;
}

export interface RuleVersionRow {
  id: string;
  version: number;
  ownerPartnerId: string | null;
  definition: RuleDefinition;
}

export function compileRule(row: RuleVersionRow): CompiledRule {
  const { definition } = row;
  const hasConditions = definition.conditions.length > 0;
  const holdsAll = definition.match === 'all';
  const requestConditions = definition.conditions
    .filter((condition) => condition.kind !== 'memberTier')
    .map(compileCondition);
  // A rule on events rewards events only; any other rule, purchases only.
  const onEvents = definition.conditions.some((condition) => condition.kind === 'event');
  const tierConditions = definition.conditions
    .filter((condition) => condition.kind === 'memberTier')
    .map(compileCondition);
  const effects = definition.effects.map(compileEffect);
  const holdsForRequest = (facts: EarnFacts): boolean | 'tier' => {
    if ((facts.event !== null) !== onEvents) return false;
    if (!hasConditions) return true;
    if (holdsAll) {
      if (!requestConditions.every((condition) => condition(facts, null))) return false;
      return tierConditions.length === 0 ? true : 'tier';
    }
    if (requestConditions.some((condition) => condition(facts, null))) return true;
    return tierConditions.length === 0 ? false : 'tier';
  };
  const holdsForTier = (tier: string | null): boolean =>
    holdsAll
      ? tierConditions.every((condition) => condition(undefined as never, tier))
      : tierConditions.some((condition) => condition(undefined as never, tier));
  return {
    id: row.id,
    version: row.version,
    ownerPartnerId: row.ownerPartnerId,
    name: definition.name,
    priority: definition.priority,
    stacking: definition.stacking,
    partnerShareBp: definition.partnerShareBp,
    usesTier: tierConditions.length > 0,
    threshold: thresholdOf(definition),
    guards: {
      purchaseNumber:
        definition.conditions.find((condition) => condition.kind === 'purchaseNumber')?.number ??
        null,
      firstInCoalition: definition.conditions.some(
        (condition) => condition.kind === 'firstInCoalition',
      ),
      birthday: birthdayGuard(definition.conditions),
      anniversaryDays:
        definition.conditions.find((condition) => condition.kind === 'anniversary')?.days ?? null,
      segmentId:
        definition.conditions.find((condition) => condition.kind === 'segment')?.segmentId ?? null,
      offerId:
        definition.conditions.find((condition) => condition.kind === 'activatedOffer')?.offerId ??
        null,
    },
    limits: definition.limits,
    timeZone: definition.window.timeZone,
    inForceAt: compileWindow(definition.window),
    holdsForRequest,
    holdsForTier,
    holds: (facts, tier) => {
      const byRequest = holdsForRequest(facts);
      return byRequest === 'tier' ? holdsForTier(tier) : byRequest;
    },

    bonus: (facts) => {
      const reward: RuleReward = { points: 0n, description: '', discount: null, voucher: null };
      const parts: string[] = [];
      for (const effect of effects) {
        const added = effect(facts);
        if (added.points > 0n || added.discount || added.voucher) {
          reward.points += added.points;
          reward.discount ??= added.discount;
          reward.voucher ??= added.voucher;
          parts.push(added.description);
        }
      }
      reward.description = parts.join(', ');
      return reward;
    },
  };
}

function thresholdOf(definition: RuleDefinition): CompiledRule['threshold'] {
  if (definition.match !== 'all') return null;
  let threshold: CompiledRule['threshold'] = null;
  for (const condition of definition.conditions) {
    if (condition.kind !== 'basketTotal') continue;
    if (threshold === null || condition.amountMinorMin > threshold.amountMinor) {
      threshold = { currency: condition.currency, amountMinor: condition.amountMinorMin };
    }
  }
  return threshold;
}

function birthdayGuard(conditions: readonly RuleCondition[]): CompiledRule['guards']['birthday'] {
  const birthday = conditions.find((condition) => condition.kind === 'birthday');
  return birthday ? { scope: birthday.scope, days: birthday.days } : null;
}

/** A voucher's code: 12 characters of an unambiguous alphabet (about 59 random bits). */
export function newVoucherCode(): string {
  return humanCode(12);
}

/** Rules in the order they are evaluated: priority (highest first), then id. */
export function byEvaluationOrder(a: CompiledRule, b: CompiledRule): number {
  return b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Evaluates an earn's rules in each world it may be in (`tiers`: the tier code of each world,
 * null for "no tier"; one world when no rule names a tier): the candidates whose conditions
 * hold there, in evaluation order, for the batch to decide (history conditions, limits, budgets,
 * stacking: migrations/0029, step 1d). `rules` are in force and in evaluation order. Null when
 * no rule holds in any world.
 */
export function priceRules(
  rules: readonly CompiledRule[],
  facts: EarnFacts,
  tiers: readonly (string | null)[],
  voucherCode: () => string = newVoucherCode,
): RuleWorlds | null {
  if (rules.length === 0) return null;
  const worldTiers = rules.some((rule) => rule.usesTier) ? tiers : [null];
  const candidates: RuleCandidate[] = [];
  const worlds: number[][] = worldTiers.map(() => []);
  for (const rule of rules) {
    // The batch takes the first 52 (bits of a mask, exact in a double); more holding for one
    // purchase would be a configuration mistake, and the lowest-priority ones are left out.
    if (candidates.length === ruleCandidatesMax) break;
    // A rule's candidate is the same in every world where it holds: only whether it holds
    // depends on the tier.
    const byRequest = rule.holdsForRequest(facts);
    if (byRequest === false) continue;
    let index = -1;
    for (const [world, tier] of worldTiers.entries()) {
      if (byRequest === 'tier' && !rule.holdsForTier(tier)) continue;
      if (index === -1) {
        const candidate = candidateOf(rule, facts, voucherCode);
        if (candidate === null) break;
        index = candidates.push(candidate) - 1;
      }
      worlds[world]!.push(index);
    }
  }
  return candidates.length > 0 ? { candidates, worlds } : null;
}

function candidateOf(
  rule: CompiledRule,
  facts: EarnFacts,
  voucherCode: () => string,
): RuleCandidate | null {
  const { points, description, discount, voucher } = rule.bonus(facts);
  if (points === 0n && !discount && !voucher) return null;
  const perMember = rule.limits.perMember;
  const { birthday, anniversaryDays } = rule.guards;
  return {
    ruleId: rule.id,
    version: rule.version,
    points,
    partnerFundedPoints: (points * BigInt(rule.partnerShareBp)) / 10_000n,
    stacking: rule.stacking,
    description: `${rule.name}: ${description}`,
    purchaseNumber: rule.guards.purchaseNumber,
    firstInCoalition: rule.guards.firstInCoalition,
    perMember: perMember && {
      uses: perMember.uses,
      period: periodKey(perMember.period, facts.at, rule.timeZone),
    },
    budgeted: rule.limits.pointsBudget !== null || rule.limits.usesMax !== null,
    birthday,
    anniversaryDays,
    segmentId: rule.guards.segmentId,
    offerId: rule.guards.offerId,
    localDate:
      birthday || anniversaryDays !== null ? localDateString(facts.at, rule.timeZone) : null,
    timeZone: rule.timeZone,
    threshold:
      rule.threshold && facts.purchase?.currency === rule.threshold.currency
        ? rule.threshold.amountMinor
        : null,
    discount,
    voucher: voucher && {
      code: voucherCode(),
      reward: voucher.reward,
      sku: voucher.sku,
      percentBp: voucher.percentBp,
      expiresAt: new Date(facts.at.getTime() + voucher.validDays * 86_400_000),
    },
  };
}

/**
 * The date at an instant in a time zone, as YYYY-MM-DD. Every time zone's offset is a multiple
 * of 15 minutes, so the local date is the same through each quarter hour of UTC: one Intl call
 * (tens of microseconds) per zone and quarter hour, for limit periods and birthday rules alike.
 */
function localDateString(at: Date, timeZone: string): string {
  const key = `${timeZone}\u0000${Math.floor(at.getTime() / 900_000)}`;
  return localDates.getOrSet(key, () => {
    const { year, month, day } = localDate(at, timeZone);
    return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  });
}

const localDates = new BoundedMap<string, string>(1_000);

/** A member's dates that birthday and anniversary conditions look at. */
export interface MemberDates {
  birthday: { month: number; day: number } | null;
  joinedAt: Date;
}

/**
 * Whether a candidate's birthday and anniversary guards hold for a member, as the batch checks
 * them (migrations/0033, step 1d); previews use it.
 */
export function memberDatesHold(candidate: RuleCandidate, dates: MemberDates): boolean {
  if (candidate.localDate === null) return true;
  const on = candidate.localDate;
  const { birthday } = candidate;
  if (birthday) {
    if (!dates.birthday) return false;
    if (birthday.scope === 'month' && dates.birthday.month !== Number(on.slice(5, 7))) return false;
    if (
      birthday.scope === 'days' &&
      memberDayDistance(on, dates.birthday.month, dates.birthday.day) > birthday.days
    ) {
      return false;
    }
  }
  if (candidate.anniversaryDays !== null) {
    const joined = localDateString(dates.joinedAt, candidate.timeZone);
    const month = Number(joined.slice(5, 7));
    const day = Number(joined.slice(8, 10));
    if (memberDayDistance(on, month, day) > candidate.anniversaryDays) return false;
    if (daysBetween(joined, on) < 365 - candidate.anniversaryDays) return false;
  }
  return true;
}

/**
 * Days between a date (YYYY-MM-DD) and the nearest occurrence of a month and day, either way (a
 * 29 February is the 28th in other years): the SQL function member_day_distance.
 */
export function memberDayDistance(on: string, month: number, day: number): number {
  const year = Number(on.slice(0, 4));
  let least = Number.POSITIVE_INFINITY;
  for (const y of [year - 1, year, year + 1]) {
    const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
    const d = month === 2 && day === 29 && !leap ? 28 : day;
    const other = `${y}-${String(month).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
    least = Math.min(least, Math.abs(daysBetween(other, on)));
  }
  return least;
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The candidates of one world, in evaluation order. */
export function worldCandidates(rules: RuleWorlds, world: number): RuleCandidate[] {
  const indexes = rules.worlds[Math.min(world, rules.worlds.length - 1)] ?? [];
  return indexes.map((index) => rules.candidates[index]!);
}

/**
 * Stacking among the candidates allowed, as the batch applies it: the first applies; when it is
 * stackable, so do the later stackable ones up to and including the first `stop`, `exclusive`
 * ones after the first being skipped. (The batch's SQL is the one that grants; this one prices
 * previews and is what the tests compare it with.)
 */
export function applyStacking<Candidate extends { stacking: Stacking }>(
  allowed: readonly Candidate[],
): Candidate[] {
  const [first, ...rest] = allowed;
  if (!first) return [];
  const applied = [first];
  if (first.stacking !== 'stackable') return applied;
  for (const candidate of rest) {
    if (candidate.stacking === 'exclusive') continue;
    applied.push(candidate);
    if (candidate.stacking === 'stop') break;
  }
  return applied;
}

/** A per-member limit's period at an instant: the day or month in the rule's time zone. */
export function periodKey(period: 'day' | 'month' | 'ever', at: Date, timeZone: string): string {
  if (period === 'ever') return 'ever';
  const date = localDateString(at, timeZone);
  return period === 'month' ? `m:${date.slice(0, 7)}` : `d:${date}`;
}

type Condition = (facts: EarnFacts, tier: string | null) => boolean;

function compileCondition(condition: RuleCondition): Condition {
  switch (condition.kind) {
    case 'channel': {
      const wanted = new Set<Channel>(condition.channels);
      return (facts) => facts.channel !== null && wanted.has(facts.channel);
    }
    case 'lines': {
      const matches = compileFilter(condition.filter);
      return (facts) => {
        let quantity = 0;
        let amount = 0n;
        let any = false;
        for (const line of facts.basket) {
          if (!matches(line)) continue;
          any = true;
          quantity += line.quantity;
          amount += line.amountMinor;
        }
        const { amountMin } = condition;
        return (
          any &&
          quantity >= condition.quantityMin &&
          (amountMin === null ||
            (facts.purchase?.currency === amountMin.currency && amount >= amountMin.amountMinor))
        );
      };
    }
    case 'basketTotal':
      return (facts) =>
        facts.purchase !== null &&
        facts.purchase.currency === condition.currency &&
        facts.purchase.amountMinor >= condition.amountMinorMin;
    case 'memberTier': {
      const wanted = new Set(condition.tiers);
      return (_facts, tier) => tier !== null && wanted.has(tier);
    }
    // History and member conditions are guards the batch checks (RuleCandidate); here they hold.
    case 'purchaseNumber':
    case 'firstInCoalition':
    case 'birthday':
    case 'anniversary':
    case 'segment':
    case 'activatedOffer':
      return () => true;
    case 'event': {
      const wanted = new Set(condition.types);
      return (facts) => facts.event !== null && wanted.has(facts.event);
    }
  }
}

type Effect = (facts: EarnFacts) => RuleReward;

const nothing = { discount: null, voucher: null } as const;

function compileEffect(effect: RuleEffect): Effect {
  switch (effect.kind) {
    case 'bonus':
      return () => ({ points: effect.points, description: `+${effect.points}`, ...nothing });
    case 'discount': {
      const whole = effect.filter.skus.length + effect.filter.categories.length === 0;
      const matches = compileFilter(effect.filter);
      const none: RuleReward = { points: 0n, description: '', ...nothing };
      return (facts) => {
        if (!facts.purchase || facts.purchase.currency !== effect.currency) return none;
        let amount = facts.purchase.amountMinor;
        if (!whole) {
          amount = 0n;
          for (const line of facts.basket) if (matches(line)) amount += line.amountMinor;
        }
        let off =
          effect.percentBp !== null
            ? (amount * BigInt(effect.percentBp)) / 10_000n
            : (effect.amountMinor as bigint);
        if (effect.capMinor !== null && off > effect.capMinor) off = effect.capMinor;
        if (off > amount) off = amount;
        if (off <= 0n) return none;
        const what = effect.percentBp !== null ? `${effect.percentBp / 100}% off` : 'money off';
        return {
          points: 0n,
          description: `${what}: -${formatMoneyAmount(off, effect.currency)} ${effect.currency}`,
          discount: { amountMinor: off, currency: effect.currency },
          voucher: null,
        };
      };
    }
    case 'voucher': {
      const description =
        effect.reward === 'free_delivery'
          ? 'a free delivery voucher'
          : effect.reward === 'free_product'
            ? `a voucher for a free ${effect.sku}`
            : `a voucher for ${(effect.percentBp ?? 0) / 100}% off the next purchase`;
      const voucher = {
        reward: effect.reward,
        sku: effect.sku,
        percentBp: effect.percentBp,
        validDays: effect.validDays,
      };
      return () => ({ points: 0n, description, discount: null, voucher });
    }
    case 'multiply': {
      const whole = effect.filter.skus.length + effect.filter.categories.length === 0;
      const matches = compileFilter(effect.filter);
      const times = `x${effect.multiplierBp / 10_000}`;
      const on = whole
        ? ''
        : ` on ${[...effect.filter.categories, ...effect.filter.skus].join(', ')}`;
      const extraBp = BigInt(effect.multiplierBp - 10_000);
      return (facts) => {
        // The lines' share of the base, in proportion to their money (rounded down).
        let share = facts.basePoints;
        if (!whole) {
          if (!facts.purchase) return { points: 0n, description: '', ...nothing };
          let amount = 0n;
          for (const line of facts.basket) if (matches(line)) amount += line.amountMinor;
          share = (facts.basePoints * amount) / facts.purchase.amountMinor;
        }
        return { points: (share * extraBp) / 10_000n, description: `${times}${on}`, ...nothing };
      };
    }
  }
}

function compileFilter(filter: LineFilter): (line: BasketLine) => boolean {
  const skus = new Set(filter.skus);
  const categories = new Set(filter.categories);
  return (line) => skus.has(line.sku) || (line.category !== null && categories.has(line.category));
}

const dates = new Map<string, Intl.DateTimeFormat>();

function localDate(at: Date, timeZone: string): { year: number; month: number; day: number } {
  let format = dates.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
    });
    dates.set(timeZone, format);
  }
  const date = { year: 0, month: 0, day: 0 };
  for (const part of format.formatToParts(at)) {
    if (part.type === 'year') date.year = Number(part.value);
    else if (part.type === 'month') date.month = Number(part.value);
    else if (part.type === 'day') date.day = Number(part.value);
  }
  return date;
}

const isoDays: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const clocks = new Map<string, Intl.DateTimeFormat>();

/** The ISO day of the week and the hour at an instant in a time zone. */
export function localDayAndHour(at: Date, timeZone: string): { day: number; hour: number } {
  let clock = clocks.get(timeZone);
  if (!clock) {
    clock = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: 'numeric',
      hourCycle: 'h23',
    });
    clocks.set(timeZone, clock);
  }
  let day = 0;
  let hour = 0;
  for (const part of clock.formatToParts(at)) {
    if (part.type === 'weekday') day = isoDays[part.value] ?? 0;
    else if (part.type === 'hour') hour = Number(part.value);
  }
  return { day, hour };
}

function compileWindow(window: RuleDefinition['window']): (at: Date) => boolean {
  const starts = window.startsAt.getTime();
  const ends = window.endsAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const days = new Set(window.daysOfWeek);
  const { hours, timeZone } = window;
  return (at) => {
    const ms = at.getTime();
    if (ms < starts || ms >= ends) return false;
    if (days.size === 0 && !hours) return true;
    const local = localDayAndHour(at, timeZone);
    if (days.size > 0 && !days.has(local.day)) return false;
    return !hours || (local.hour >= hours.from && local.hour < hours.to);
  };
}
