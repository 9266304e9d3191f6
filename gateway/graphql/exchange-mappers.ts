import {
  ConversionPreview,
  ConversionQuote,
  ConvertPointsSuccess,
  ExchangePromotion,
  ExchangeRate,
  LiquidityPosition,
  PayAcrossProgramsSuccess,
  ReferenceValue,
} from '../../schema/exchange';
import { referenceUnit } from '../exchange/exchange-limits';
import type {
  ConversionReceipt,
  ExchangePromotion as DomainPromotion,
  ExchangeRate as DomainRate,
  ExchangeQuote,
} from '../exchange/exchange-model';
import { type LiquidityPosition as DomainPosition, headroomPoints } from '../exchange/liquidity';
import type { CrossProgramPaymentReceipt } from '../exchange/receipts';
import type { ReferenceValue as DomainReferenceValue } from '../exchange/reference-values';
import type { ConversionPreview as DomainPreview } from '../exchange/wallet-valuation';

/** Exchange domain values to schema objects. No logic beyond that. */

export const rateObject = (rate: DomainRate): ExchangeRate =>
  Object.assign(new ExchangeRate(), {
    id: `rate_${rate.id}`,
    sourceCurrency: rate.sourceCurrency,
    targetCurrency: rate.targetCurrency,
    sourceUnits: rate.sourceUnits,
    targetUnits: rate.targetUnits,
    incrementPoints: rate.incrementPoints,
    minimumPoints: rate.minimumPoints,
    dailyLimitPoints: rate.dailyLimitPoints,
    monthlyLimitPoints: rate.monthlyLimitPoints,
    feeFixedPoints: rate.feeFixedPoints,
    feePerMille: rate.feePerMille,
    effectiveFrom: rate.effectiveFrom,
    effectiveTo: rate.effectiveTo,
  });

export const promotionObject = (promotion: DomainPromotion): ExchangePromotion =>
  Object.assign(new ExchangePromotion(), {
    id: `promo_${promotion.id}`,
    sourceCurrency: promotion.sourceCurrency,
    targetCurrency: promotion.targetCurrency,
    bonusPerMille: promotion.bonusPerMille,
    startsAt: promotion.startsAt,
    endsAt: promotion.endsAt,
    description: promotion.description,
  });

export const quoteObject = (quote: ExchangeQuote): ConversionQuote =>
  Object.assign(new ConversionQuote(), {
    ...quote,
    targetPoints: quote.baseTargetPoints + quote.bonusPoints,
    totalSourcePoints: quote.sourcePoints + quote.feePoints,
  });

export const conversionObject = (receipt: ConversionReceipt): ConvertPointsSuccess =>
  Object.assign(new ConvertPointsSuccess(), {
    ...receipt,
    targetPoints: receipt.baseTargetPoints + receipt.bonusPoints,
  });

export const paymentObject = (receipt: CrossProgramPaymentReceipt): PayAcrossProgramsSuccess =>
  Object.assign(new PayAcrossProgramsSuccess(), {
    transferId: receipt.transferId,
    conversionTransferId: receipt.conversionTransferId,
    feeTransferId: receipt.feeTransferId,
    memberId: receipt.memberId,
    currency: receipt.currency,
    points: receipt.points,
    payWithCurrency: receipt.payWithCurrency,
    sourcePoints: receipt.sourcePoints,
    feePoints: receipt.feePoints,
    createdAt: receipt.createdAt,
    rateId: receipt.rateId,
  });

export const previewObject = (preview: DomainPreview): ConversionPreview =>
  Object.assign(new ConversionPreview(), {
    targetCurrency: preview.rate.targetCurrency,
    sourcePoints: preview.sourcePoints,
    baseTargetPoints: preview.baseTargetPoints,
    bonusPoints: preview.bonusPoints,
    targetPoints: preview.baseTargetPoints + preview.bonusPoints,
    feePoints: preview.feePoints,
    rate: rateObject(preview.rate),
    promotion: preview.promotion && promotionObject(preview.promotion),
  });

export const liquidityObject = (position: DomainPosition): LiquidityPosition =>
  Object.assign(new LiquidityPosition(), {
    currency: position.currency,
    balancePoints: position.balancePoints,
    floorPoints: position.floorPoints,
    headroomPoints: headroomPoints(position),
  });

export const referenceValueObject = (value: DomainReferenceValue): ReferenceValue =>
  Object.assign(new ReferenceValue(), {
    currency: value.currency,
    referenceUnit,
    valueMicros: value.valueMicros,
    updatedAt: value.updatedAt,
  });
