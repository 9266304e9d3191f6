import { InvalidInput } from '../shared/errors';
import { isKnownMoneyCurrency } from '../shared/money';
import { requireIntegerInRange, requirePattern, requireReference } from '../shared/validate';

/**
 * A tier ladder as callers define it, and its validation. Pure: no database. The database checks
 * the same rules again (`tier_list_is_valid`, migrations/0017).
 */

export type TierMetric = 'points' | 'spend' | 'activities';
export type QualificationWindow = 'calendar_year' | 'rolling_12_months';

export interface TierInput {
  code: string;
  name: string;
  /** Qualifying total from which a member holds this tier; the first tier's is 0. */
  threshold: bigint;
  /** Earn multiplier as a decimal ("1.5"); 0 < multiplier <= 10, at most 4 decimals. */
  multiplier: string;
  /** Standing discount in percent as a decimal ("5", "2.5"); 0-100, default 0. */
  discountPercent?: string;
  perks?: string[];
}

export interface LadderInput {
  currency: string;
  metric: TierMetric;
  /** The money currency qualifying spend counts in (metric spend only). */
  spendCurrency?: string;
  window: QualificationWindow;
  /** Levels a review may lower a member at most (soft landing); default 1. */
  downgradeLevelsMax?: number;
  /** Default: now. */
  effectiveFrom?: Date;
  tiers: TierInput[];
}

/** A tier as stored (JSON in `tier_ladder_version.tiers`); its rank is its index. */
export interface Tier {
  code: string;
  name: string;
  threshold: string;
  multiplierBp: number;
  discountBp: number;
  perks: string[];
}

export const tiersMax = 10;
export const thresholdMax = 1_000_000_000_000n;
export const multiplierBpMax = 100_000;

/** Validates a ladder's tiers (in order, lowest first) into their stored form. */
export function validTiers(tiers: readonly TierInput[]): Tier[] {
  if (tiers.length < 1 || tiers.length > tiersMax) {
    throw new InvalidInput('tiers', `give 1 to ${tiersMax} tiers, lowest first`);
  }
  const codes = new Set<string>();
  return tiers.map((tier, index) => {
    const field = `tiers[${index}]`;
    const code = requirePattern(
      `${field}.code`,
      tier.code,
      /^[A-Z][A-Z0-9_]{0,29}$/,
      'must be 1-30 capital letters, digits or _, starting with a letter',
    );
    if (codes.has(code)) throw new InvalidInput(`${field}.code`, `"${code}" is used twice`);
    codes.add(code);
    const name = requireReference(`${field}.name`, tier.name, 100);
    if (index === 0 && tier.threshold !== 0n) {
      throw new InvalidInput(`${field}.threshold`, 'the first tier starts at 0');
    }
    if (tier.threshold < 0n || tier.threshold > thresholdMax) {
      throw new InvalidInput(`${field}.threshold`, `must be from 0 to ${thresholdMax}`);
    }
    if (index > 0 && tier.threshold <= tiers[index - 1]!.threshold) {
      throw new InvalidInput(
        `${field}.threshold`,
        'thresholds must increase strictly from one tier to the next',
      );
    }
    const multiplierBp = basisPoints(`${field}.multiplier`, tier.multiplier);
    if (multiplierBp <= 0 || multiplierBp > multiplierBpMax) {
      throw new InvalidInput(`${field}.multiplier`, 'must be greater than 0 and at most 10');
    }
    const discountBp = basisPoints(`${field}.discountPercent`, tier.discountPercent ?? '0') / 100;
    if (!Number.isInteger(discountBp) || discountBp < 0 || discountBp > 10_000) {
      throw new InvalidInput(
        `${field}.discountPercent`,
        'must be from 0 to 100, with at most 2 decimals',
      );
    }
    const perks = (tier.perks ?? []).map((perk, perkIndex) =>
      requireReference(`${field}.perks[${perkIndex}]`, perk, 200),
    );
    if (perks.length > 20) throw new InvalidInput(`${field}.perks`, 'at most 20 perks');
    return { code, name, threshold: tier.threshold.toString(), multiplierBp, discountBp, perks };
  });
}

/** Validates the rest of a ladder definition. */
export function validLadder(input: LadderInput): {
  metric: TierMetric;
  spendCurrency: string | null;
  window: QualificationWindow;
  downgradeLevelsMax: number;
  tiers: Tier[];
} {
  if (!['points', 'spend', 'activities'].includes(input.metric)) {
    throw new InvalidInput('metric', 'must be points, spend or activities');
  }
  if (!['calendar_year', 'rolling_12_months'].includes(input.window)) {
    throw new InvalidInput('window', 'must be calendar_year or rolling_12_months');
  }
  let spendCurrency: string | null = null;
  if (input.metric === 'spend') {
    if (!input.spendCurrency || !isKnownMoneyCurrency(input.spendCurrency)) {
      throw new InvalidInput('spendCurrency', 'a spend ladder needs an ISO 4217 money currency');
    }
    spendCurrency = input.spendCurrency;
  } else if (input.spendCurrency !== undefined) {
    throw new InvalidInput('spendCurrency', 'only a spend ladder has a spend currency');
  }
  const downgradeLevelsMax = requireIntegerInRange(
    'downgradeLevelsMax',
    input.downgradeLevelsMax ?? 1,
    1,
    tiersMax,
  );
  return {
    metric: input.metric,
    spendCurrency,
    window: input.window,
    downgradeLevelsMax,
    tiers: validTiers(input.tiers),
  };
}

/** "1.25" -> 12500: a non-negative decimal with at most 4 decimals, in basis points. */
export function basisPoints(field: string, text: string): number {
  const match = /^(\d{1,6})(?:\.(\d{1,4}))?$/.exec(text.trim());
  if (!match) {
    throw new InvalidInput(field, 'must be a decimal number such as "1.5", at most 4 decimals');
  }
  return Number(match[1]) * 10_000 + Number((match[2] ?? '').padEnd(4, '0'));
}

/** 12500 -> "1.25". */
export function decimalOfBasisPoints(bp: number): string {
  const whole = Math.floor(bp / 10_000);
  const fraction = String(bp % 10_000)
    .padStart(4, '0')
    .replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}
