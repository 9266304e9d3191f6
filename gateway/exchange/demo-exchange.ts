import type { App } from '../app';
import { DomainError } from '../shared/errors';

/**
 * The demo coalition's exchange terms (../shared/DOMAIN.md): 5 HTL = 1 SKY in multiples of
 * 1,000 HTL with no fee, and back at 1 SKY = 4 HTL with a 1% fee (around the cycle 1 HTL becomes
 * 0.8 HTL, so no loop makes points). Reference values follow the worked example's prices:
 * 1 SKY = 0.010 EUR, so 1 HTL = 0.002 EUR. Nothing here moves points.
 */
export const demoExchangeRates = [
  {
    sourceCurrency: 'HTL',
    targetCurrency: 'SKY',
    sourceUnits: 5n,
    targetUnits: 1n,
    incrementPoints: 1_000n,
    minimumPoints: 1_000n,
    dailyLimitPoints: 50_000n,
    monthlyLimitPoints: 200_000n,
  },
  {
    sourceCurrency: 'SKY',
    targetCurrency: 'HTL',
    sourceUnits: 1n,
    targetUnits: 4n,
    incrementPoints: 100n,
    minimumPoints: 100n,
    dailyLimitPoints: 10_000n,
    monthlyLimitPoints: 40_000n,
    feePerMille: 10n,
  },
] as const;

export const demoLiquidityFloors = [
  { currency: 'SKY', floorPoints: -10_000_000n },
  { currency: 'HTL', floorPoints: -50_000_000n },
] as const;

export const demoReferenceValues = [
  { currency: 'SKY', valueMicros: 10_000n },
  { currency: 'HTL', valueMicros: 2_000n },
] as const;

export async function seedExchangeDemo(app: App): Promise<void> {
  const system = app.systemContext('seed');
  for (const rate of demoExchangeRates) must(await app.exchangeAdmin.setRate(system, rate));
  for (const floor of demoLiquidityFloors) {
    must(await app.exchangeAdmin.setLiquidityFloor(system, floor));
  }
  for (const value of demoReferenceValues) {
    must(await app.exchangeAdmin.setReferenceValue(system, value));
  }
}

function must<T>(outcome: T | DomainError): T {
  if (outcome instanceof DomainError) throw new Error(`demo seed failed: ${outcome.message}`);
  return outcome;
}
