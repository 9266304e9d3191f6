import type { ExchangeRate } from '../exchange/exchange-model';
import { feePointsFor, smallestValidAmount, sourcePointsNeededFor } from '../exchange/pricing';
import type { MemberBalance } from '../ledger/queries';

/** A price in points of one program currency. */
export interface PointsPrice {
  currency: string;
  points: bigint;
}

/** A conversion that would give the member the points a price still misses. */
export interface ConversionRoute {
  sourceCurrency: string;
  /** Source points to convert: a valid amount for the rate (increment and minimum). */
  sourcePoints: bigint;
  /** The rate's fee on that amount, in source points, charged on top. */
  feePoints: bigint;
  /** Target points the conversion gives (without any promotion's bonus). */
  targetPoints: bigint;
}

/** Whether a member can pay a price now, and how. */
export interface Affordability {
  affordable: boolean;
  /** The currency the member would pay in. */
  currency: string;
  /** Points of that currency available now (pending and held points excluded). */
  availablePoints: bigint;
  /** Points still missing; 0 when affordable. */
  shortfallPoints: bigint;
  /**
   * When the price is not affordable in its own currency: the cheapest conversion from another
   * currency the member holds that covers the shortfall; null when there is none.
   */
  byConverting: ConversionRoute | null;
}

/**
 * Whether the balances cover the price in its own currency, and otherwise which conversion at
 * today's `rates` would cover the shortfall. Exact integer arithmetic, rounded as a quote
 * rounds (in the liquidity accounts' favour), so the route shown is never cheaper than the
 * quote the member will get. Promotions are left out (they only add points) and so are the
 * member's conversion limits, which the quote checks.
 */
export function affordabilityOf(
  balances: readonly MemberBalance[],
  price: PointsPrice,
  rates: readonly ExchangeRate[] = [],
): Affordability {
  const available =
    balances.find((balance) => balance.currency === price.currency)?.availablePoints ?? 0n;
  const shortfall = price.points > available ? price.points - available : 0n;
  return {
    affordable: shortfall === 0n,
    currency: price.currency,
    availablePoints: available,
    shortfallPoints: shortfall,
    byConverting:
      shortfall === 0n ? null : cheapestRoute(balances, price.currency, shortfall, rates),
  };
}

function cheapestRoute(
  balances: readonly MemberBalance[],
  targetCurrency: string,
  shortfallPoints: bigint,
  rates: readonly ExchangeRate[],
): ConversionRoute | null {
  let best: ConversionRoute | null = null;
  for (const rate of rates) {
    if (rate.targetCurrency !== targetCurrency) continue;
    const route = routeThrough(rate, shortfallPoints);
    const held =
      balances.find((balance) => balance.currency === rate.sourceCurrency)?.availablePoints ?? 0n;
    if (route.sourcePoints + route.feePoints > held) continue;
    if (!best || route.sourcePoints + route.feePoints < best.sourcePoints + best.feePoints) {
      best = route;
    }
  }
  return best;
}

/** The smallest valid amount of the rate's source currency that gives `targetPoints`. */
export function routeThrough(rate: ExchangeRate, targetPoints: bigint): ConversionRoute {
  const needed = sourcePointsNeededFor(rate, targetPoints);
  const increments = (needed + rate.incrementPoints - 1n) / rate.incrementPoints;
  let sourcePoints = increments * rate.incrementPoints;
  const smallest = smallestValidAmount(rate);
  if (sourcePoints < smallest) sourcePoints = smallest;
  return {
    sourceCurrency: rate.sourceCurrency,
    sourcePoints,
    feePoints: feePointsFor(rate, sourcePoints),
    targetPoints: (sourcePoints * rate.targetUnits) / rate.sourceUnits,
  };
}
