import { InvalidInput } from '../shared/errors';
import { isKnownMoneyCurrency } from '../shared/money';
import { requireIntegerInRange, requireReference } from '../shared/validate';

/**
 * Segments (issue 18, item 1): the built-in kinds and a custom segment's conditions, and their
 * validation. A custom segment's conditions are stored as JSON (`segment.conditions`) exactly as
 * `conditionsJson` writes them and `conditionsOf` reads them back.
 */

/** The built-in segments every partner and the coalition have (migrations/0070). */
export type BuiltInSegmentKind = 'new' | 'active' | 'high_value' | 'lapsed' | 'at_risk';
export type SegmentKind = BuiltInSegmentKind | 'custom';

export const builtInSegmentKinds: readonly BuiltInSegmentKind[] = [
  'new',
  'active',
  'high_value',
  'lapsed',
  'at_risk',
];

/**
 * The windows the built-in segments use, in days before the refresh's "as of" time. Named here
 * so the documentation, the SQL and the tests read the same numbers.
 */
export const segmentWindows = Object.freeze({
  /** New: the member's first purchase in the scope is at most this old. */
  newDays: 30,
  /** Active: some activity this recent; lapsed: some activity, none this recent. */
  activeDays: 90,
  /** High value: spend over this many days (12 months). */
  highValueDays: 365,
  /** High value: the top fifth of spenders, in basis points of them. */
  highValueShareBp: 2_000,
  /** At risk: spend in the last quarter (this many days) below the quarter before it. */
  quarterDays: 90,
});

/**
 * A custom segment's condition; every condition of a segment must hold. Activity and purchases
 * are counted in the segment's scope: at its partner, or anywhere for a coalition segment.
 */
export type SegmentCondition =
  /** The member holds one of these tiers of a program (tier codes of its ladder). */
  | { kind: 'tier'; currency: string; tiers: string[] }
  /**
   * The member's net purchase money in `currency` (purchases that earned points, less their
   * refunds) over the last `days` days is at least `minMinor` and below `belowMinor`.
   */
  | {
      kind: 'spend';
      currency: string;
      minMinor: bigint | null;
      belowMinor: bigint | null;
      days: number;
    }
  /** The member's purchases over the last `days` days: at least `min`, at most `max`. */
  | { kind: 'visits'; min: number | null; max: number | null; days: number }
  /**
   * The member's last activity (a purchase, a payment with points, a conversion) is within
   * `withinDays` days, or (`olderThanDays`) the member has some activity but none that recent.
   */
  | { kind: 'lastActivity'; withinDays: number | null; olderThanDays: number | null }
  /** The member's birthday is in one of these months (1-12). */
  | { kind: 'birthdayMonth'; months: number[] }
  /** The member has an account in this program currency. */
  | { kind: 'program'; currency: string };

export const segmentConditionsMax = 10;
const daysMax = 3_660;
const amountMinorMax = 10n ** 15n;

/** Checks a custom segment as given by a caller; errors name the field (`conditions[1].spend`). */
export function validSegment(input: { name: string; conditions: SegmentCondition[] }): {
  name: string;
  conditions: SegmentCondition[];
} {
  const name = requireReference('name', input.name.trim(), 120);
  if (input.conditions.length === 0) {
    throw new InvalidInput('conditions', 'give at least one condition');
  }
  if (input.conditions.length > segmentConditionsMax) {
    throw new InvalidInput('conditions', `at most ${segmentConditionsMax}`);
  }
  return {
    name,
    conditions: input.conditions.map((condition, index) =>
      validCondition(condition, `conditions[${index}]`),
    ),
  };
}

function requireProgramCode(field: string, currency: string): string {
  if (!/^[A-Z][A-Z0-9]{1,9}$/.test(currency)) {
    throw new InvalidInput(field, 'must be a program currency code, e.g. "SKY"');
  }
  return currency;
}

function validCondition(condition: SegmentCondition, field: string): SegmentCondition {
  switch (condition.kind) {
    case 'tier':
      requireProgramCode(`${field}.tier.currency`, condition.currency);
      if (condition.tiers.length === 0 || condition.tiers.length > 10) {
        throw new InvalidInput(`${field}.tier.tiers`, 'give 1 to 10 tier codes');
      }
      return {
        ...condition,
        tiers: condition.tiers.map((code, index) =>
          requireReference(`${field}.tier.tiers[${index}]`, code, 40),
        ),
      };
    case 'spend': {
      if (!isKnownMoneyCurrency(condition.currency)) {
        throw new InvalidInput(`${field}.spend.currency`, 'must be ISO 4217');
      }
      requireIntegerInRange(`${field}.spend.withinDays`, condition.days, 1, daysMax);
      const { minMinor, belowMinor } = condition;
      if (minMinor === null && belowMinor === null) {
        throw new InvalidInput(`${field}.spend`, 'give atLeast, below, or both');
      }
      for (const [name, amount] of [
        ['atLeast', minMinor],
        ['below', belowMinor],
      ] as const) {
        if (amount !== null && (amount < 0n || amount > amountMinorMax)) {
          throw new InvalidInput(`${field}.spend.${name}`, 'must be 0 to 10^15 minor units');
        }
      }
      if (minMinor !== null && belowMinor !== null && belowMinor <= minMinor) {
        throw new InvalidInput(`${field}.spend.below`, 'must be above atLeast');
      }
      return condition;
    }
    case 'visits':
      requireIntegerInRange(`${field}.visits.withinDays`, condition.days, 1, daysMax);
      if (condition.min === null && condition.max === null) {
        throw new InvalidInput(`${field}.visits`, 'give atLeast, atMost, or both');
      }
      if (condition.min !== null)
        requireIntegerInRange(`${field}.visits.atLeast`, condition.min, 0, 1_000_000);
      if (condition.max !== null)
        requireIntegerInRange(`${field}.visits.atMost`, condition.max, 0, 1_000_000);
      if (condition.min !== null && condition.max !== null && condition.max < condition.min) {
        throw new InvalidInput(`${field}.visits.atMost`, 'must be at least atLeast');
      }
      return condition;
    case 'lastActivity':
      if ((condition.withinDays === null) === (condition.olderThanDays === null)) {
        throw new InvalidInput(
          `${field}.lastActivity`,
          'give exactly one of withinDays, olderThanDays',
        );
      }
      requireIntegerInRange(
        `${field}.lastActivity`,
        condition.withinDays ?? condition.olderThanDays ?? 0,
        1,
        daysMax,
      );
      return condition;
    case 'birthdayMonth': {
      if (condition.months.length === 0) {
        throw new InvalidInput(`${field}.birthdayMonths`, 'give 1 to 12 months');
      }
      for (const month of condition.months) {
        requireIntegerInRange(`${field}.birthdayMonths`, month, 1, 12);
      }
      return {
        kind: 'birthdayMonth',
        months: [...new Set(condition.months)].sort((a, b) => a - b),
      };
    }
    case 'program':
      requireProgramCode(`${field}.program`, condition.currency);
      return condition;
  }
}

/** The stored form: JSON with bigints as strings. */
export function conditionsJson(conditions: readonly SegmentCondition[]): string {
  return JSON.stringify(conditions, (_key, value) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

/** Stored conditions read back. */
export function conditionsOf(json: unknown): SegmentCondition[] {
  return (json as SegmentCondition[]).map((condition) =>
    condition.kind === 'spend'
      ? {
          ...condition,
          minMinor: condition.minMinor === null ? null : BigInt(condition.minMinor),
          belowMinor: condition.belowMinor === null ? null : BigInt(condition.belowMinor),
        }
      : condition,
  );
}

/** A built-in segment's id: its kind and its partner (`seg_lapsed_ptr_freshmart`; `seg_lapsed`). */
export function builtInSegmentId(kind: BuiltInSegmentKind, partnerId: string | null): string {
  return partnerId === null ? `seg_${kind}` : `seg_${kind}_${partnerId}`;
}

/** A built-in segment's name as listed. */
export const builtInSegmentNames: Readonly<Record<BuiltInSegmentKind, string>> = Object.freeze({
  new: 'New members',
  active: 'Active members',
  high_value: 'High-value members',
  lapsed: 'Lapsed members',
  at_risk: 'Members at risk',
});
