/**
 * Named bounds of the exchange. With points per transfer at most 10^12 and rate units at most
 * 10^6, every product below stays under 10^18 < 2^63, so SQL bigint arithmetic cannot overflow.
 */

/** How long a quote is a firm offer. */
export const quoteTtlMs = 60_000;
/**
 * How long an unused quote is kept after it expires: a late convert still gets QuoteExpired
 * (not NotFound) for a day; then the quote sweep deletes it. Used quotes stay with their
 * conversion forever.
 */
export const expiredQuoteRetentionMs = 86_400_000;
export const rateUnitsMax = 1_000_000n;
export const incrementPointsMax = 1_000_000_000n;
export const feeFixedPointsMax = 1_000_000_000n;
export const feePerMilleMax = 500n;
export const bonusPerMilleMax = 1_000n;
export const promotionDaysMax = 366;
/** The deepest a liquidity floor may be set: 10^15 points created on balance. */
export const liquidityFloorPointsMin = -1_000_000_000_000_000n;
/** One point is worth at most 1,000,000 reference units (value in millionths). */
export const referenceValueMicrosMax = 1_000_000_000_000n;
export const rateHistoryPageMax = 100;
/** The reference unit the wallet values balances in. */
export const referenceUnit = 'EUR';
