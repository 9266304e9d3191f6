/**
 * The guard against exchange-rate loopholes. Rates form a graph of currencies whose edges gain
 * targetUnits / sourceUnits x (1000 + best bonus per mille) / 1000. If some cycle of edges
 * gained more than 1, a member could convert around it again and again and mint points (limits
 * would only slow it down). The operator's rate and promotion changes are refused when they
 * would close such a cycle, so the invariant "every cycle gains at most 1" always holds.
 *
 * Exact rationals (bigint numerator and denominator) throughout: no float ever decides.
 */

export interface Rational {
  numerator: bigint;
  denominator: bigint;
}

export interface ExchangeEdge {
  sourceCurrency: string;
  targetCurrency: string;
  gain: Rational;
}

export function rational(numerator: bigint, denominator: bigint): Rational {
  const divisor = gcd(numerator, denominator);
  return { numerator: numerator / divisor, denominator: denominator / divisor };
}

export function multiply(a: Rational, b: Rational): Rational {
  return rational(a.numerator * b.numerator, a.denominator * b.denominator);
}

export function compare(a: Rational, b: Rational): number {
  const left = a.numerator * b.denominator;
  const right = b.numerator * a.denominator;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** What one point becomes along an edge: the rate and the best bonus that may apply with it. */
export function edgeGain(
  sourceUnits: bigint,
  targetUnits: bigint,
  bonusPerMille: bigint,
): Rational {
  return rational(targetUnits * (1000n + bonusPerMille), sourceUnits * 1000n);
}

/** The gain as a decimal with six places, rounded down (for messages, never for decisions). */
export function formatGain(gain: Rational): string {
  const micros = (gain.numerator * 1_000_000n) / gain.denominator;
  const whole = micros / 1_000_000n;
  return `${whole}.${(micros % 1_000_000n).toString().padStart(6, '0')}`;
}

/**
 * The best gain of any path from each currency to `destination` over `edges`, with the next hop
 * (Bellman-Ford on products). Exact as long as no cycle of `edges` gains more than 1, which the
 * guard keeps true.
 */
export function bestGainsTo(
  edges: readonly ExchangeEdge[],
  destination: string,
): Map<string, { gain: Rational; next: string | null }> {
  const best = new Map<string, { gain: Rational; next: string | null }>([
    [destination, { gain: rational(1n, 1n), next: null }],
  ]);
  const currencies = new Set(edges.flatMap((edge) => [edge.sourceCurrency, edge.targetCurrency]));
  for (let round = 0; round < currencies.size; round++) {
    let changed = false;
    for (const edge of edges) {
      const onward = best.get(edge.targetCurrency);
      if (!onward || edge.sourceCurrency === destination) continue;
      const candidate = multiply(edge.gain, onward.gain);
      const current = best.get(edge.sourceCurrency);
      if (!current || compare(candidate, current.gain) > 0) {
        best.set(edge.sourceCurrency, { gain: candidate, next: edge.targetCurrency });
        changed = true;
      }
    }
    if (!changed) break;
  }
  return best;
}

/**
 * The most profitable cycle that `added` would close with `existing` edges, when it gains more
 * than 1; null when adding it keeps every cycle at a gain of 1 or less.
 */
export function arbitrageCycle(
  existing: readonly ExchangeEdge[],
  added: ExchangeEdge,
): { cycle: string[]; gain: Rational } | null {
  const back = bestGainsTo(existing, added.sourceCurrency);
  const path = back.get(added.targetCurrency);
  if (!path) return null;
  const gain = multiply(added.gain, path.gain);
  if (compare(gain, rational(1n, 1n)) <= 0) return null;
  const cycle = [added.sourceCurrency, added.targetCurrency];
  let next = path.next;
  while (next !== null && cycle.length <= back.size + 1) {
    cycle.push(next);
    next = back.get(next)!.next;
  }
  return { cycle, gain };
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x === 0n ? 1n : x;
}
