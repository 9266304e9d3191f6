import type { MemberBalance } from '../ledger/queries';

/** A price in points of one program currency. */
export interface PointsPrice {
  currency: string;
  points: bigint;
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
}

/**
 * Another way to pay a price: the exchange module (issue: exchange, built in parallel under
 * gateway/exchange/) will implement this to say "1,500 SKY, or 7,500 HTL converted at 5:1".
 * Until then no route exists and a price is payable in its own currency only.
 */
export interface PaymentRoutes {
  /** Prices in other currencies the member could convert from, best first. */
  alternatives(price: PointsPrice): Promise<PointsPrice[]>;
}

export const noExchange: PaymentRoutes = { alternatives: async () => [] };

/**
 * Whether the balances cover the price: in the price's own currency first, then through each
 * alternative route. Exact integer comparisons; nothing is rounded here (a route rounds when it
 * quotes, in the program's favour).
 */
export async function affordabilityOf(
  balances: readonly MemberBalance[],
  price: PointsPrice,
  routes: PaymentRoutes = noExchange,
): Promise<Affordability> {
  const direct = coverage(balances, price);
  if (direct.affordable) return direct;
  for (const alternative of await routes.alternatives(price)) {
    const converted = coverage(balances, alternative);
    if (converted.affordable) return converted;
  }
  return direct;
}

function coverage(balances: readonly MemberBalance[], price: PointsPrice): Affordability {
  const available =
    balances.find((balance) => balance.currency === price.currency)?.availablePoints ?? 0n;
  const shortfall = price.points > available ? price.points - available : 0n;
  return {
    affordable: shortfall === 0n,
    currency: price.currency,
    availablePoints: available,
    shortfallPoints: shortfall,
  };
}
