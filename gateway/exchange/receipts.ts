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

type Json = Record<string, string | null>;

export function conversionReceiptToJson(receipt: ConversionReceipt): unknown {
  return {
    ...stringified(receipt),
    createdAt: receipt.createdAt.toISOString(),
  };
}

export function conversionReceiptFromJson(json: unknown): ConversionReceipt {
  const value = json as Json;
  return {
    transferId: value.transferId!,
    feeTransferId: value.feeTransferId ?? null,
    quoteId: value.quoteId ?? null,
    memberId: value.memberId!,
    sourceCurrency: value.sourceCurrency!,
    targetCurrency: value.targetCurrency!,
    sourcePoints: BigInt(value.sourcePoints!),
    baseTargetPoints: BigInt(value.baseTargetPoints!),
    bonusPoints: BigInt(value.bonusPoints!),
    feePoints: BigInt(value.feePoints!),
    rateId: BigInt(value.rateId!),
    promotionId: value.promotionId ? BigInt(value.promotionId) : null,
    createdAt: new Date(value.createdAt!),
  };
}

export function paymentReceiptToJson(receipt: CrossProgramPaymentReceipt): unknown {
  return { ...stringified(receipt), createdAt: receipt.createdAt.toISOString() };
}

export function paymentReceiptFromJson(json: unknown): CrossProgramPaymentReceipt {
  const value = json as Json;
  return {
    transferId: value.transferId!,
    conversionTransferId: value.conversionTransferId!,
    feeTransferId: value.feeTransferId ?? null,
    memberId: value.memberId!,
    currency: value.currency!,
    points: BigInt(value.points!),
    payWithCurrency: value.payWithCurrency!,
    sourcePoints: BigInt(value.sourcePoints!),
    feePoints: BigInt(value.feePoints!),
    rateId: BigInt(value.rateId!),
    sourceUnits: BigInt(value.sourceUnits!),
    targetUnits: BigInt(value.targetUnits!),
    createdAt: new Date(value.createdAt!),
  };
}

function stringified(record: object): Json {
  return Object.fromEntries(
    Object.entries(record).map(([key, field]) => [
      key,
      typeof field === 'bigint' ? field.toString() : (field as string | null),
    ]),
  );
}
