import { receiptCodec } from '../ledger/idempotent-write';
import type { ConversionReceipt } from './exchange-model';

/**
 * Receipts as stored with their idempotency key (bigints as decimal strings), so a replayed
 * request returns exactly the original answer.
 */

export interface CrossProgramPaymentReceipt {
  /** The redeem transfer at the partner, in the partner's currency. */
  transferId: string;
  /** The convert transfer that produced the points paid. */
  conversionTransferId: string;
  feeTransferId: string | null;
  memberId: string;
  /** The currency the partner accepts, and the price in it. */
  currency: string;
  points: bigint;
  /** The currency the member paid with, and what it cost them. */
  payWithCurrency: string;
  sourcePoints: bigint;
  feePoints: bigint;
  /** The rate version used: `sourceUnits` payWith points = `targetUnits` points. */
  rateId: bigint;
  sourceUnits: bigint;
  targetUnits: bigint;
  createdAt: Date;
}

/** Conversion receipts as stored with their key. */
export const conversionReceiptCodec = receiptCodec<ConversionReceipt>({
  sourcePoints: 'bigint',
  baseTargetPoints: 'bigint',
  bonusPoints: 'bigint',
  feePoints: 'bigint',
  rateId: 'bigint',
  promotionId: 'bigint',
  createdAt: 'date',
});

/** Cross-program payment receipts as stored with their key. */
export const paymentReceiptCodec = receiptCodec<CrossProgramPaymentReceipt>({
  points: 'bigint',
  sourcePoints: 'bigint',
  feePoints: 'bigint',
  rateId: 'bigint',
  sourceUnits: 'bigint',
  targetUnits: 'bigint',
  createdAt: 'date',
});
