/**
 * Every quantity settlement accepts has a named bound (see ../ledger/limits.ts for the ledger's).
 */

/** Prices are decimals of the settlement currency per point: at most this much per point... */
export const unitPriceMax = 1000n;
/** ...with at most this many decimals (a thousandth of a cent per point is 0.00001). */
export const unitPriceDecimalsMax = 12;
/** Percentages (billing, operator fee) have at most this many decimals. */
export const percentDecimalsMax = 6;
/** A fixed operator fee per transfer, in minor units of the settlement currency. */
export const transferFeeMinorMax = 1_000_000_000n;

/** A period is at most about a year long; longer ones are a typo. */
export const periodLengthMsMax = 370 * 86_400_000;

/**
 * A transfer is stamped with its time before its transaction commits. One that commits after
 * the close of its period is taken by the next close; closes look back this far before their
 * period's start for such stragglers (transactions last seconds, never a day).
 */
export const lateTransferLookbackMs = 86_400_000;

/** Records one reconciliation takes through the API (the CLI streams files of any size). */
export const reconciliationRecordsMax = 5_000;
/** CSV text one reconciliation takes through the API; the HTTP body limit is 64 KiB. */
export const reconciliationCsvBytesMax = 48 * 1024;
/** Records a reconciliation file read by the CLI may hold. */
export const reconciliationFileRecordsMax = 5_000_000;
/** Records inserted per statement while loading a reconciliation. */
export const reconciliationInsertBatch = 5_000;

/** Adjustments resolve differences of at most this many minor units (a billion euros). */
export const adjustmentMinorMax = 100_000_000_000n;
export const adjustmentNoteLengthMax = 500;

/** Statement lines per API page, and per fetch when the CLI streams a statement. */
export const statementPageSizeDefault = 100;
export const statementPageSizeMax = 1_000;
export const statementStreamBatch = 5_000;
