import type { SqlDatabase } from '../db/sql';
import type { MemberBalance } from '../ledger/queries';
import type { Clock } from '../shared/clock';
import { limitHeadroom, limitUsage, noUsage, pairKey } from './conversion-limits';
import { referenceUnit } from './exchange-limits';
import type { ConversionAmounts, ExchangePromotion, ExchangeRate } from './exchange-model';
import { baseTargetPointsFor, bonusPointsFor, feePointsFor, largestConvertible } from './pricing';
import { promotions, ratesInForce } from './rate-book';
import { referenceValues, valueMinorOf } from './reference-values';

/** What a balance could become now: the largest amount the member may convert on one pair. */
export interface ConversionPreview extends ConversionAmounts {
  rate: ExchangeRate;
  promotion: ExchangePromotion | null;
}

export interface BalanceValue {
  currency: string;
  /** Value of the available points in the reference unit's minor units; null when unvalued. */
  valueMinor: bigint | null;
  convertsTo: ConversionPreview[];
}

export interface WalletValue {
  /** The reference unit (EUR). */
  referenceUnit: string;
  /** The sum of the valued balances' values (each rounded down first, so lines add up). */
  totalMinor: bigint;
  /** Currencies the member holds that have no reference value (left out of the total). */
  unvaluedCurrencies: string[];
  balances: Map<string, BalanceValue>;
}

/**
 * The unified wallet: each balance's value in the reference unit and the total, and what each
 * balance would convert to at today's rates (the largest valid amount given the increment,
 * minimum, fee and the member's remaining limits; a quote then makes it firm). Four queries per
 * wallet, whatever the number of currencies.
 */
export class WalletValuation {
  constructor(
    private readonly db: SqlDatabase,
    private readonly clock: Clock,
  ) {}

  async value(memberId: string, balances: readonly MemberBalance[]): Promise<WalletValue> {
    const now = this.clock.now();
    const [values, rates, running, usage] = await Promise.all([
      referenceValues(this.db),
      ratesInForce(this.db, now),
      promotions(this.db, now, {}, 1_000),
      limitUsage(this.db, memberId, now),
    ]);
    const bestPromotion = bestByPair(running.filter((promotion) => promotion.startsAt <= now));
    const result: WalletValue = {
      referenceUnit,
      totalMinor: 0n,
      unvaluedCurrencies: [],
      balances: new Map(),
    };
    for (const balance of balances) {
      const micros = values.get(balance.currency)?.valueMicros;
      const valueMinor =
        micros === undefined ? null : valueMinorOf(balance.availablePoints, micros);
      if (valueMinor === null) result.unvaluedCurrencies.push(balance.currency);
      else result.totalMinor += valueMinor;
      const convertsTo = rates
        .filter((rate) => rate.sourceCurrency === balance.currency)
        .map((rate) => {
          const key = pairKey(rate.sourceCurrency, rate.targetCurrency);
          const headroom = limitHeadroom(rate, usage.get(key) ?? noUsage(now));
          return preview(rate, bestPromotion.get(key) ?? null, balance.availablePoints, headroom);
        });
      result.balances.set(balance.currency, { currency: balance.currency, valueMinor, convertsTo });
    }
    return result;
  }
}

function preview(
  rate: ExchangeRate,
  promotion: ExchangePromotion | null,
  availablePoints: bigint,
  headroomPoints: bigint | null,
): ConversionPreview {
  const sourcePoints = largestConvertible(rate, availablePoints, headroomPoints);
  const baseTargetPoints = baseTargetPointsFor(rate, sourcePoints);
  return {
    rate,
    promotion,
    sourcePoints,
    baseTargetPoints,
    bonusPoints: bonusPointsFor(baseTargetPoints, promotion?.bonusPerMille ?? 0n),
    feePoints: sourcePoints > 0n ? feePointsFor(rate, sourcePoints) : 0n,
  };
}

function bestByPair(running: readonly ExchangePromotion[]): Map<string, ExchangePromotion> {
  const best = new Map<string, ExchangePromotion>();
  for (const promotion of running) {
    const key = pairKey(promotion.sourceCurrency, promotion.targetCurrency);
    const current = best.get(key);
    if (
      !current ||
      promotion.bonusPerMille > current.bonusPerMille ||
      (promotion.bonusPerMille === current.bonusPerMille && promotion.id < current.id)
    ) {
      best.set(key, promotion);
    }
  }
  return best;
}
