import {
  arbitrageCycle,
  type ExchangeEdge,
  edgeGain,
  formatGain,
} from '../../gateway/exchange/arbitrage';
import { BelowConversionMinimum, NotConversionIncrement } from '../../gateway/exchange/errors';
import type { ExchangeRate } from '../../gateway/exchange/exchange-model';
import {
  largestConvertible,
  priceConversion,
  pricePayment,
  requireValidAmount,
} from '../../gateway/exchange/pricing';

const rate = (overrides: Partial<ExchangeRate>): ExchangeRate => ({
  id: 1n,
  sourceCurrency: 'AAA',
  targetCurrency: 'BBB',
  sourceUnits: 1n,
  targetUnits: 1n,
  incrementPoints: 1n,
  minimumPoints: 1n,
  dailyLimitPoints: null,
  monthlyLimitPoints: null,
  feeFixedPoints: 0n,
  feePerMille: 0n,
  effectiveFrom: new Date(0),
  effectiveTo: null,
  setBy: 'test',
  createdAt: new Date(0),
  ...overrides,
});

describe('pricing rounds in the liquidity accounts’ favour', () => {
  it('rounds target points down: 10 at 3 = 1 gives 3, the third of a point stays', () => {
    expect(priceConversion(rate({ sourceUnits: 3n }), 0n, 10n)).toEqual({
      sourcePoints: 10n,
      baseTargetPoints: 3n,
      bonusPoints: 0n,
      feePoints: 0n,
    });
  });

  it('rounds the bonus down and the fee up', () => {
    const terms = rate({ sourceUnits: 5n, feeFixedPoints: 2n, feePerMille: 15n });
    // 1,010 / 5 = 202; +25% of 202 = 50.5 -> 50; fee 2 + 1.5% of 1,010 = 2 + 15.15 -> 18.
    expect(priceConversion(terms, 250n, 1010n)).toEqual({
      sourcePoints: 1010n,
      baseTargetPoints: 202n,
      bonusPoints: 50n,
      feePoints: 18n,
    });
  });

  it('charges the points needed for a price rounded up and creates exactly the price', () => {
    // 1,550 HTL at 1 SKY = 4 HTL need 387.5 SKY: 388, plus a 1% fee of 3.88: 4.
    expect(pricePayment(rate({ targetUnits: 4n, feePerMille: 10n }), 1550n)).toEqual({
      sourcePoints: 388n,
      baseTargetPoints: 1550n,
      bonusPoints: 0n,
      feePoints: 4n,
    });
  });

  it('refuses non-multiples and amounts below the minimum, naming valid amounts', () => {
    const terms = rate({ incrementPoints: 100n, minimumPoints: 250n });
    expect(() => requireValidAmount(terms, 150n)).toThrow(NotConversionIncrement);
    try {
      requireValidAmount(terms, 150n);
    } catch (error) {
      expect(error).toMatchObject({ lowerPoints: null, higherPoints: 300n });
    }
    expect(() => requireValidAmount(terms, 200n)).toThrow(BelowConversionMinimum);
    expect(() => requireValidAmount(terms, 300n)).not.toThrow();
  });

  it('finds the largest valid amount a balance covers with its fee and within limits', () => {
    const terms = rate({ incrementPoints: 100n, minimumPoints: 100n, feePerMille: 10n });
    expect(largestConvertible(terms, 1010n, null)).toBe(1000n);
    expect(largestConvertible(terms, 1009n, null)).toBe(900n);
    expect(largestConvertible(terms, 5000n, 250n)).toBe(200n);
    expect(largestConvertible(terms, 99n, null)).toBe(0n);
  });
});

describe('the arbitrage guard on its own', () => {
  const edge = (
    source: string,
    target: string,
    sourceUnits: bigint,
    targetUnits: bigint,
    bonus = 0n,
  ): ExchangeEdge => ({
    sourceCurrency: source,
    targetCurrency: target,
    gain: edgeGain(sourceUnits, targetUnits, bonus),
  });

  it('finds the most profitable cycle through the added edge', () => {
    const existing = [edge('B', 'A', 1n, 1n), edge('B', 'C', 1n, 2n), edge('C', 'A', 1n, 1n)];
    const found = arbitrageCycle(existing, edge('A', 'B', 2n, 3n));
    expect(found?.cycle).toEqual(['A', 'B', 'C', 'A']);
    expect(formatGain(found!.gain)).toBe('3.000000');
  });

  it('lets cycles that gain exactly 1 or less through, bonus included', () => {
    expect(arbitrageCycle([edge('B', 'A', 4n, 1n)], edge('A', 'B', 1n, 4n))).toBeNull();
    expect(arbitrageCycle([edge('B', 'A', 1n, 4n)], edge('A', 'B', 5n, 1n, 250n))).toBeNull();
    expect(arbitrageCycle([edge('B', 'A', 1n, 4n)], edge('A', 'B', 5n, 1n, 251n))).not.toBeNull();
  });
});
