import type { Sql, SqlDatabase } from '../db/sql';
import { type AccountDirectory, accountKeyString } from '../ledger/accounts';
import { IdempotencyKeyReused, InsufficientPoints, TransactionConflict } from '../ledger/errors';
import { type IdempotencyClaim, requestHash } from '../ledger/idempotency';
import { idempotentWrite } from '../ledger/idempotent-write';
import type { Ledger } from '../ledger/ledger';
import { pointsPerTransferMax, purchaseMinorMax } from '../ledger/limits';
import { applyLotMovements, planConsumption } from '../ledger/lots';
import type { AccountKey, Money } from '../ledger/model';
import { claimPurchaseLeg } from '../ledger/purchase-legs';
import { writeTransfers } from '../ledger/transfers';
import type { MemberDirectory, MemberRef } from '../members/member-directory';
import type { CurrencyRecord } from '../programs/currency.entity';
import { CurrencyNotSupported } from '../programs/errors';
import type { ProgramCatalog } from '../programs/program-catalog';
import { addMonths } from '../purchases/purchase-service';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { formatMoneyAmount, isKnownMoneyCurrency } from '../shared/money';
import { requirePositive, requireReference } from '../shared/validate';
import { postConversion } from './conversion-ledger';
import { ConversionLimitExceeded, LiquidityFloorReached, NoExchangeRate } from './errors';
import { requirePair } from './exchange-input';
import type { ConversionAmounts, ExchangeRate } from './exchange-model';
import { conversionDescription } from './exchange-service';
import { pricePayment } from './pricing';
import { lockRatesForReading, rateInForce } from './rate-book';
import { type CrossProgramPaymentReceipt, paymentReceiptCodec } from './receipts';

export interface PayAcrossInput {
  member: MemberRef;
  /** The partner's transaction id; the idempotency key unless `idempotencyKey` is given. */
  transactionId: string;
  /** A currency the calling partner accepts, and the price in it. */
  currency: string;
  points: bigint;
  /** The currency the member pays with. */
  payWith: string;
  purchase?: Money;
  idempotencyKey?: string;
}

/** A payment across programs fails with one of these, and no other (its result union is built from them). */
export const payAcrossProgramsErrors = [
  InvalidInput,
  NotFound,
  CurrencyNotSupported,
  NoExchangeRate,
  IdempotencyKeyReused,
  TransactionConflict,
  InsufficientPoints,
  ConversionLimitExceeded,
  LiquidityFloorReached,
] as const;

/**
 * A member pays at a partner in a currency the partner accepts, with points of another currency
 * (TelcoOne's price in SKY, paid with HTL): a conversion and a redemption in one transaction.
 *
 * The member pays ceil(price x sourceUnits / targetUnits) points plus the rate's fee, and exactly
 * the price is created in the partner's currency (rounding in the liquidity's favour). The
 * rate's increment and minimum do not apply (the price is not the member's choice), nor do
 * promotions (they are for conversions); its per-member limits and fee do. A refund of the
 * purchase returns the partner's currency, since exchanges are final.
 */
export class CrossProgramPayments {
  constructor(
    private readonly db: SqlDatabase,
    private readonly ledger: Ledger,
    private readonly catalog: ProgramCatalog,
    private readonly members: MemberDirectory,
    private readonly clock: Clock,
  ) {}

  /**
   * Idempotent on the transaction id (or `idempotencyKey`) in the same namespace as
   * payWithPoints, so one purchase is never paid twice by the two routes. Errors (`payAcrossProgramsErrors`): InvalidInput,
   * NotFound (member, currency), CurrencyNotSupported, NoExchangeRate, InsufficientPoints,
   * ConversionLimitExceeded, LiquidityFloorReached, IdempotencyKeyReused, TransactionConflict,
   * Forbidden.
   */
  pay(
    ctx: RequestContext,
    input: PayAcrossInput,
  ): Promise<CrossProgramPaymentReceipt | ErrorOf<typeof payAcrossProgramsErrors>> {
    return failsWith(payAcrossProgramsErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const transactionId = requireReference('transactionId', input.transactionId);
      const { source, target } = await requirePair(this.catalog, input.payWith, input.currency, {
        source: 'payWith',
        target: 'currency',
      });
      const terms = await this.catalog.partnerTerms(partnerId, target.code);
      if (!terms?.accepts) throw new CurrencyNotSupported(target.code, partnerId, 'accept');
      const points = requirePositive('points', input.points, pointsPerTransferMax);
      const purchase = input.purchase && validPurchase(input.purchase);
      const memberId = await this.members.resolveForPartner(ctx, partnerId, input.member);
      const claim: IdempotencyClaim = {
        scope: partnerId,
        operation: 'redeem',
        key: requireReference('idempotencyKey', input.idempotencyKey ?? transactionId),
        requestHash: requestHash({ ...input, idempotencyKey: undefined }),
      };
      const partner = await this.catalog.partner(partnerId);
      const { stored, accountIds } = await this.db.transaction(
        (sql) =>
          this.payInTransaction(sql, {
            claim,
            memberId,
            source,
            target,
            points,
            partnerId,
            partnerName: partner?.name ?? partnerId,
            transactionId,
            purchase: purchase ?? null,
          }),
        { deadlineAt: ctx.deadlineAt, lane: partnerId },
      );
      this.ledger.accounts.remember(accountIds);
      return stored;
    });
  }

  /**
   * Claims the key, then reads the clock and the rate holding the rate lock shared (so the
   * history shows this rate in force at this payment's time), prices, converts and redeems.
   */
  private async payInTransaction(
    sql: Sql,
    request: PaymentRequest,
  ): Promise<{ stored: CrossProgramPaymentReceipt; accountIds: Map<string, bigint> }> {
    let accountIds = new Map<string, bigint>();
    const stored = await idempotentWrite(
      sql,
      { claim: request.claim, codec: paymentReceiptCodec },
      async () => {
        const paid = await this.convertAndRedeem(sql, request);
        accountIds = paid.accountIds;
        return paid.receipt;
      },
    );
    return { stored, accountIds };
  }

  /** The conversion and the redemption, once the key is claimed. */
  private async convertAndRedeem(
    sql: Sql,
    request: PaymentRequest,
  ): Promise<{ receipt: CrossProgramPaymentReceipt; accountIds: Map<string, bigint> }> {
    await claimPurchaseLeg(sql, {
      partnerId: request.partnerId,
      transactionId: request.transactionId,
      memberId: request.memberId,
      leg: 'payment',
    });
    await lockRatesForReading(sql);
    const now = this.clock.now();
    const { source, target } = request;
    const rate = await rateInForce(sql, source.code, target.code, now);
    if (!rate) throw new NoExchangeRate(source.code, target.code);
    const receipt = receiptFor(request, rate, pricePayment(rate, request.points), now);
    const posted = await postConversion(sql, this.ledger.accounts, {
      transferId: receipt.conversionTransferId,
      feeTransferId: receipt.feeTransferId ?? newId('trf'),
      memberId: receipt.memberId,
      partnerId: request.partnerId,
      externalId: null,
      sourcePoints: receipt.sourcePoints,
      baseTargetPoints: receipt.points,
      bonusPoints: 0n,
      feePoints: receipt.feePoints,
      rate,
      promotionId: null,
      quoteId: null,
      targetLotExpiresAt: target.expiryMonths ? addMonths(now, target.expiryMonths) : null,
      createdAt: now,
      description: `${conversionDescription({ ...receipt, baseTargetPoints: receipt.points, bonusPoints: 0n }, rate)} to pay at ${request.partnerName}`,
    });
    const redemption = await this.redeem(
      sql,
      this.ledger.accounts,
      { ...request, receipt },
      posted,
    );
    return { receipt, accountIds: new Map([...posted.accountIds, ...redemption]) };
  }

  /**
   * The redemption, written as the spend path writes it, consuming the lot the conversion just
   * created (so paying never swaps the member's older points for fresher ones).
   */
  private async redeem(
    sql: Sql,
    accounts: AccountDirectory,
    payment: Payment,
    posted: { memberTargetAccountId: bigint },
  ): Promise<Map<string, bigint>> {
    const { receipt } = payment;
    const redemptionKey: AccountKey = {
      kind: 'redemption',
      currency: receipt.currency,
      partnerId: payment.partnerId,
    };
    const ids = await accounts.resolve(sql, [redemptionKey]);
    const consumption = await planConsumption(sql, posted.memberTargetAccountId, receipt.points, [
      receipt.conversionTransferId,
    ]);
    await writeTransfers(sql, [
      {
        id: receipt.transferId,
        code: 'redeem',
        partnerId: payment.partnerId,
        memberId: receipt.memberId,
        externalId: payment.transactionId,
        relatedId: receipt.conversionTransferId,
        purchase: payment.purchase,
        description: `Paid at ${payment.partnerName}${purchaseNote(payment.purchase)} with ${receipt.sourcePoints} ${receipt.payWithCurrency}`,
        createdAt: receipt.createdAt,
        postings: [
          {
            kind: 'posted',
            sourceAccountId: posted.memberTargetAccountId,
            targetAccountId: ids.get(accountKeyString(redemptionKey))!,
            currency: receipt.currency,
            amountPoints: receipt.points,
          },
        ],
      },
    ]);
    await applyLotMovements(sql, receipt.transferId, consumption);
    return ids;
  }
}

interface PaymentRequest {
  claim: IdempotencyClaim;
  memberId: string;
  /** The currency paid with, and the one the partner accepts. */
  source: CurrencyRecord;
  target: CurrencyRecord;
  points: bigint;
  partnerId: string;
  partnerName: string;
  transactionId: string;
  purchase: Money | null;
}

type Payment = PaymentRequest & { receipt: CrossProgramPaymentReceipt };

function receiptFor(
  request: PaymentRequest,
  rate: ExchangeRate,
  amounts: ConversionAmounts,
  now: Date,
): CrossProgramPaymentReceipt {
  return {
    transferId: newId('trf'),
    conversionTransferId: newId('trf'),
    feeTransferId: amounts.feePoints > 0n ? newId('trf') : null,
    memberId: request.memberId,
    currency: request.target.code,
    points: request.points,
    payWithCurrency: request.source.code,
    sourcePoints: amounts.sourcePoints,
    feePoints: amounts.feePoints,
    rateId: rate.id,
    sourceUnits: rate.sourceUnits,
    targetUnits: rate.targetUnits,
    createdAt: now,
  };
}

function validPurchase(money: Money): Money {
  if (!isKnownMoneyCurrency(money.currency)) {
    throw new InvalidInput('purchase.currency', 'must be a supported ISO 4217 currency');
  }
  requirePositive('purchase.amount', money.amountMinor, purchaseMinorMax);
  return money;
}

function purchaseNote(purchase: Money | null): string {
  return purchase
    ? ` (${formatMoneyAmount(purchase.amountMinor, purchase.currency)} ${purchase.currency})`
    : '';
}
