import type { EarnLine } from '../ledger/earn';
import type { Money } from '../ledger/model';
import type { MemberRef } from '../members/member-directory';
import { InvalidInput } from '../shared/errors';

/** What an earn is priced from: the purchase, the partner's terms, who earns. */
export interface EarnPricingInput {
  partnerId: string;
  /** The program currency awarded. */
  currency: string;
  /** The member as the partner named them (resolved by the ledger, in the batch). */
  member: MemberRef;
  purchase: Money | null;
  /** Points the partner gave explicitly; pricing steps still apply on top of them. */
  explicitPoints: bigint | null;
  /** The partner's earn rate for the currency: `earnRatePoints` points per `earnRatePerMinor`. */
  terms: { moneyCurrency: string; earnRatePoints: bigint; earnRatePerMinor: bigint };
}

/** An earn's points and the lines that add up to them. */
export interface PricedEarn {
  points: bigint;
  lines: EarnLine[];
}

/**
 * One step of the earn pricing: given the input and the earn so far, the lines it adds (none
 * when it does not apply). Earning rules (bonuses, vouchers) are steps; the award path does not
 * change when one is added. The tier multiplier is not a step: it needs the member's tier with
 * the member's accounts held, so the earn batch adds the tier line (migrations/0017). A step must be deterministic for its input
 * (a retried award is priced again and must hash to the same request).
 */
export type EarnPricingStep = (
  input: EarnPricingInput,
  sofar: PricedEarn,
) => EarnLine[] | Promise<EarnLine[]>;

/**
 * The base step: the partner's explicit points, or floor(purchase x earn rate) (rounding
 * favours the program). Errors: InvalidInput (a purchase in another currency than the partner
 * earns on, one too small for a whole point, neither points nor purchase).
 */
export const basePoints: EarnPricingStep = (input) => {
  if (input.explicitPoints !== null) {
    return [
      { kind: 'base', points: input.explicitPoints, description: 'points given by the partner' },
    ];
  }
  const { purchase, terms } = input;
  if (!purchase) throw new InvalidInput('points', 'give points or a purchase to price them from');
  if (purchase.currency !== terms.moneyCurrency) {
    throw new InvalidInput('purchase.currency', `this partner earns on ${terms.moneyCurrency}`);
  }
  const points = (purchase.amountMinor * terms.earnRatePoints) / terms.earnRatePerMinor;
  if (points === 0n) {
    throw new InvalidInput('purchase.amount', 'too small to earn a whole point at this rate');
  }
  return [
    {
      kind: 'base',
      points,
      description: `${terms.earnRatePoints} per ${terms.earnRatePerMinor} minor units of ${terms.moneyCurrency}`,
    },
  ];
};

/** Runs the steps in order; the points are the sum of every line. */
export class EarnPricing {
  constructor(private readonly steps: readonly EarnPricingStep[] = [basePoints]) {}

  async price(input: EarnPricingInput): Promise<PricedEarn> {
    const priced: PricedEarn = { points: 0n, lines: [] };
    for (const step of this.steps) {
      for (const line of await step(input, priced)) {
        priced.lines.push(line);
        priced.points += line.points;
      }
    }
    return priced;
  }
}
