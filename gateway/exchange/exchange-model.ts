/**
 * The exchange's vocabulary. A rate version says how many target points a number of source
 * points gives; a promotion adds a bonus on top for a while; a quote pins both, with the amounts,
 * for one member for a minute; a conversion records the terms of what was actually converted.
 */

export interface ExchangeRate {
  id: bigint;
  sourceCurrency: string;
  targetCurrency: string;
  /** `sourceUnits` source points give `targetUnits` target points (5 HTL = 1 SKY: 5 and 1). */
  sourceUnits: bigint;
  targetUnits: bigint;
  /** Amounts converted must be multiples of this many source points. */
  incrementPoints: bigint;
  minimumPoints: bigint;
  /** Per member, in source points, per UTC day and calendar month; null: no limit. */
  dailyLimitPoints: bigint | null;
  monthlyLimitPoints: bigint | null;
  /** Fee in source points: fixed plus per mille of the amount (rounded up), charged on top. */
  feeFixedPoints: bigint;
  feePerMille: bigint;
  effectiveFrom: Date;
  /** When the next version took over; null while this one is open. */
  effectiveTo: Date | null;
  setBy: string;
  createdAt: Date;
}

export interface ExchangePromotion {
  id: bigint;
  sourceCurrency: string;
  targetCurrency: string;
  /** Extra target points per thousand base target points (+25% = 250). */
  bonusPerMille: bigint;
  startsAt: Date;
  endsAt: Date;
  description: string;
  setBy: string;
  createdAt: Date;
}

/** What one conversion moves, all in points. */
export interface ConversionAmounts {
  /** Source points converted (a multiple of the increment for quoted conversions). */
  sourcePoints: bigint;
  /** Target points bought at the rate; settlement bills the source program for these. */
  baseTargetPoints: bigint;
  /** Extra target points from a promotion, funded by the target program. */
  bonusPoints: bigint;
  /** Source points charged on top of `sourcePoints`. */
  feePoints: bigint;
}

export interface ExchangeQuote extends ConversionAmounts {
  id: string;
  memberId: string;
  /** The partner that asked on the member's behalf; null when the member asked. */
  partnerId: string | null;
  sourceCurrency: string;
  targetCurrency: string;
  rateId: bigint;
  promotionId: bigint | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface ConversionReceipt extends ConversionAmounts {
  transferId: string;
  /** The fee transfer, when a fee was charged. */
  feeTransferId: string | null;
  quoteId: string | null;
  memberId: string;
  sourceCurrency: string;
  targetCurrency: string;
  rateId: bigint;
  promotionId: bigint | null;
  createdAt: Date;
}
