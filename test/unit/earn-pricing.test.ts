import {
  basePoints,
  EarnPricing,
  type EarnPricingInput,
  type EarnPricingStep,
} from '../../gateway/purchases/earn-pricing';
import { InvalidInput } from '../../gateway/shared/errors';

const input: EarnPricingInput = {
  partnerId: 'ptr_nordic',
  currency: 'HTL',
  member: { memberId: 'mbr_alice' },
  purchase: { amountMinor: 12_345n, currency: 'EUR' },
  explicitPoints: null,
  terms: { moneyCurrency: 'EUR', earnRatePoints: 3n, earnRatePerMinor: 100n },
};

describe('earn pricing', () => {
  it('prices the purchase at the earn rate, rounding down', async () => {
    const priced = await new EarnPricing().price(input);
    expect(priced.points).toBe(370n); // 123.45 EUR x 3 per EUR = 370.35
    expect(priced.lines).toEqual([expect.objectContaining({ kind: 'base', points: 370n })]);
  });

  it("takes the partner's explicit points as the base", async () => {
    const priced = await new EarnPricing().price({ ...input, explicitPoints: 42n });
    expect(priced.points).toBe(42n);
  });

  it('adds the lines of later steps, each seeing the earn so far', async () => {
    const doubleIt: EarnPricingStep = (_input, sofar) => [
      { kind: 'multiplier', points: sofar.points, description: 'x2' },
    ];
    const priced = await new EarnPricing([basePoints, doubleIt]).price(input);
    expect(priced.points).toBe(740n);
    expect(priced.lines.map((line) => line.kind)).toEqual(['base', 'multiplier']);
  });

  it('refuses a purchase in another money, too small, or missing', async () => {
    const pricing = new EarnPricing();
    const refused = (override: Partial<EarnPricingInput>) =>
      pricing.price({ ...input, ...override }).catch((error: unknown) => error);
    expect(await refused({ purchase: { amountMinor: 100n, currency: 'USD' } })).toBeInstanceOf(
      InvalidInput,
    );
    expect(await refused({ purchase: { amountMinor: 1n, currency: 'EUR' } })).toBeInstanceOf(
      InvalidInput,
    );
    expect(await refused({ purchase: null })).toBeInstanceOf(InvalidInput);
  });
});
