/**
 * Every quantity the ledger accepts has a named bound. Inputs outside them are rejected with a
 * typed error before anything is written; the bounds also keep account totals far from the
 * int8 range (2^63), so a sum can never overflow.
 */
export const pointsPerTransferMax = 1_000_000_000_000n; // 10^12 points
export const purchaseMinorMax = 100_000_000_000n; // 10^11 minor units: a billion euros
export const pendingDaysMax = 365;
export const pageSizeMax = 100;
export const pageSizeDefault = 20;
export const expiringSoonDaysDefault = 30;
export const expiringSoonDaysMax = 366;
/** Sweeps (maturity, expiry) commit this many items per transaction. */
export const sweepBatchSize = 500;
