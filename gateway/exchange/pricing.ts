import { pointsPerTransferMax } from '../ledger/limits';
import { InvalidInput } from '../shared/errors';
import { BelowConversionMinimum, NotConversionIncrement } from './errors';
import type { ConversionAmounts, ExchangeRate } from './exchange-model';

/**
 * The arithmetic of exchange, in integers only. Every rounding favours the liquidity accounts,
 * so no sequence of conversions can create points:
 * - target points are floor(source x targetUnits / sourceUnits);
 * - bonus points are floor(base target x bonusPerMille / 1000);
 * - the fee is feeFixed + ceil(source x feePerMille / 1000), in source points, on top;
 * - paying a price P in the target currency takes ceil(P x sourceUnits / targetUnits) source
 *   points and creates exactly P target points.
 */

type Ratio = Pick<ExchangeRate, 'sourceUnits' | 'targetUnits'>;
type FeeRule = Pick<ExchangeRate, 'feeFixedPoints' | 'feePerMille'>;
type AmountRule = Pick<ExchangeRate, 'incrementPoints' | 'minimumPoints'>;

export function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}

export function baseTargetPointsFor(rate: Ratio, sourcePoints: bigint): bigint {
  return (sourcePoints * rate.targetUnits) / rate.sourceUnits;
}

export function bonusPointsFor(baseTargetPoints: bigint, bonusPerMille: bigint): bigint {
  return (baseTargetPoints * bonusPerMille) / 1000n;
}

export function feePointsFor(rate: FeeRule, sourcePoints: bigint): bigint {
  return rate.feeFixedPoints + ceilDiv(sourcePoints * rate.feePerMille, 1000n);
}

/** The fewest source points whose conversion gives at least `targetPoints`. */
export function sourcePointsNeededFor(rate: Ratio, targetPoints: bigint): bigint {
  return ceilDiv(targetPoints * rate.sourceUnits, rate.targetUnits);
}

/**
 * Refuses amounts the rate does not allow: below its minimum (BelowConversionMinimum) or not a
 * multiple of its increment (NotConversionIncrement, naming the nearest valid amounts). A
 * non-multiple is refused rather than rounded down, so a member never converts less than they
 * asked without saying so.
 */
export function requireValidAmount(rate: AmountRule, sourcePoints: bigint): void {
  if (sourcePoints % rate.incrementPoints !== 0n) {
    const lower = (sourcePoints / rate.incrementPoints) * rate.incrementPoints;
    const higher = lower + rate.incrementPoints;
    throw new NotConversionIncrement(
      rate.incrementPoints,
      sourcePoints,
      lower >= rate.minimumPoints && lower > 0n ? lower : null,
      higher >= rate.minimumPoints ? higher : smallestValidAmount(rate),
    );
  }
  if (sourcePoints < rate.minimumPoints) {
    throw new BelowConversionMinimum(smallestValidAmount(rate), sourcePoints);
  }
}

/** The smallest multiple of the increment that reaches the minimum. */
export function smallestValidAmount(rate: AmountRule): bigint {
  return ceilDiv(rate.minimumPoints, rate.incrementPoints) * rate.incrementPoints;
}

/** The amounts of converting `sourcePoints` (already validated) at `rate`, plus a bonus. */
export function priceConversion(
  rate: ExchangeRate,
  bonusPerMille: bigint,
  sourcePoints: bigint,
): ConversionAmounts {
  const baseTargetPoints = baseTargetPointsFor(rate, sourcePoints);
  if (baseTargetPoints === 0n) {
    throw new InvalidInput('sourcePoints', 'too few points to give a whole target point');
  }
  const amounts = {
    sourcePoints,
    baseTargetPoints,
    bonusPoints: bonusPointsFor(baseTargetPoints, bonusPerMille),
    feePoints: feePointsFor(rate, sourcePoints),
  };
  requireWithinTransferLimit(amounts);
  return amounts;
}

/** The amounts of paying `targetPoints` with source points (no increment, minimum or bonus). */
export function pricePayment(rate: ExchangeRate, targetPoints: bigint): ConversionAmounts {
  const sourcePoints = sourcePointsNeededFor(rate, targetPoints);
  const amounts = {
    sourcePoints,
    baseTargetPoints: targetPoints,
    bonusPoints: 0n,
    feePoints: feePointsFor(rate, sourcePoints),
  };
  requireWithinTransferLimit(amounts);
  return amounts;
}

function requireWithinTransferLimit(amounts: ConversionAmounts): void {
  const largest = [
    amounts.sourcePoints + amounts.feePoints,
    amounts.baseTargetPoints + amounts.bonusPoints,
  ].reduce((a, b) => (a > b ? a : b));
  if (largest > pointsPerTransferMax) {
    throw new InvalidInput('sourcePoints', `a conversion moves at most ${pointsPerTransferMax}`);
  }
}

/**
 * The largest amount a member holding `availablePoints` could convert now: a multiple of the
 * increment, at least the minimum, with its fee still covered, within `headroomPoints` of the
 * member's limits (null: unlimited). Zero when no valid amount fits.
 */
export function largestConvertible(
  rate: ExchangeRate,
  availablePoints: bigint,
  headroomPoints: bigint | null,
): bigint {
  const spendable = availablePoints - rate.feeFixedPoints;
  if (spendable <= 0n) return 0n;
  // s + ceil(s x perMille / 1000) <= spendable holds for s = floor(spendable x 1000 / (1000 + perMille)).
  let amount = (spendable * 1000n) / (1000n + rate.feePerMille);
  if (headroomPoints !== null && headroomPoints < amount) amount = headroomPoints;
  if (amount > pointsPerTransferMax) amount = pointsPerTransferMax;
  amount = (amount / rate.incrementPoints) * rate.incrementPoints;
  while (amount > 0n && amount + feePointsFor(rate, amount) > availablePoints) {
    amount -= rate.incrementPoints;
  }
  if (amount < rate.minimumPoints || baseTargetPointsFor(rate, amount) === 0n) return 0n;
  return amount;
}
