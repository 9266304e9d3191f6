import type { Sql, SqlDatabase } from '../db/sql';
import { IdempotencyKeyReused, InsufficientPoints } from '../ledger/errors';
import { type IdempotencyClaim, requestHash } from '../ledger/idempotency';
import { idempotentWrite } from '../ledger/idempotent-write';
import type { Ledger } from '../ledger/ledger';
import { pointsPerTransferMax } from '../ledger/limits';
import { memberBalances } from '../ledger/queries';
import type { MemberDirectory, MemberRef } from '../members/member-directory';
import type { ProgramCatalog } from '../programs/program-catalog';
import { addMonths } from '../purchases/purchase-service';
import type { Clock } from '../shared/clock';
import { type Caller, type RequestContext, requireCaller } from '../shared/context';
import {
  catchDomainError,
  type DomainError,
  type ErrorOf,
  failsWith,
  InvalidInput,
  NotFound,
} from '../shared/errors';
import { newId } from '../shared/ids';
import { requireIntegerInRange, requirePositive, requireReference } from '../shared/validate';
import { postConversion } from './conversion-ledger';
import { limitUsage, noUsage, pairKey, requireWithinLimits } from './conversion-limits';
import {
  BelowConversionMinimum,
  ConversionLimitExceeded,
  LiquidityFloorReached,
  NoExchangeRate,
  NotConversionIncrement,
  QuoteAlreadyUsed,
  QuoteExpired,
} from './errors';
import { actingFor, quoteIdPattern, requirePair } from './exchange-input';
import { expiredQuoteRetentionMs, quoteTtlMs, rateHistoryPageMax } from './exchange-limits';
import type {
  ConversionReceipt,
  ExchangePromotion,
  ExchangeQuote,
  ExchangeRate,
} from './exchange-model';
import { headroomPoints, liquidityPositions } from './liquidity';
import { priceConversion, requireValidAmount } from './pricing';
import { deleteExpiredQuotes, insertQuote, lockQuote } from './quotes';
import {
  bestPromotion,
  lockRatesForReading,
  promotionById,
  promotions,
  rateById,
  rateHistory,
  rateInForce,
  ratesInForce,
} from './rate-book';
import { conversionReceiptCodec } from './receipts';

export interface QuoteInput {
  /** For a partner acting for a member; a member omits it. */
  member?: MemberRef;
  sourceCurrency: string;
  targetCurrency: string;
  sourcePoints: bigint;
}

export interface ConvertInput {
  quoteId: string;
  /** The quote's source points, repeated as the member's confirmation. */
  sourcePoints: bigint;
  /** Defaults to the quote id. */
  idempotencyKey?: string;
}

/** A quote fails with one of these, and no other (its result union is built from them). */
export const quoteErrors = [
  InvalidInput,
  NotFound,
  NoExchangeRate,
  BelowConversionMinimum,
  NotConversionIncrement,
  InsufficientPoints,
  ConversionLimitExceeded,
  LiquidityFloorReached,
] as const;

/** A conversion fails with one of these, and no other (its result union is built from them). */
export const convertErrors = [
  InvalidInput,
  NotFound,
  QuoteExpired,
  QuoteAlreadyUsed,
  IdempotencyKeyReused,
  InsufficientPoints,
  ConversionLimitExceeded,
  LiquidityFloorReached,
] as const;

/**
 * A member (or a partner acting for one) converting points between program currencies: first a
 * quote, a firm offer pinned to the rate version and promotion in force, for `quoteTtlMs`; then
 * the conversion, which moves exactly the quoted amounts whatever the rate is by then.
 */
export class ExchangeService {
  constructor(
    private readonly db: SqlDatabase,
    private readonly ledger: Ledger,
    private readonly catalog: ProgramCatalog,
    private readonly members: MemberDirectory,
    private readonly clock: Clock,
  ) {}

  /**
   * The quote sweep: deletes unused quotes expired for longer than expiredQuoteRetentionMs (a
   * member asks for one per look at a conversion, so they would otherwise pile up). Returns how
   * many; runs with the other sweeps and as `npm run jobs -- quotes`.
   */
  deleteExpiredQuotes(
    asOf: Date = this.clock.now(),
    progress?: (deleted: number) => void,
  ): Promise<number> {
    return deleteExpiredQuotes(
      this.db.retrying,
      new Date(asOf.getTime() - expiredQuoteRetentionMs),
      undefined,
      progress,
    );
  }

  /**
   * Prices a conversion and stores it as a quote. The member's balance, limits and the target's
   * liquidity are checked now as a courtesy and again, under lock, when converting. Errors (`quoteErrors`):
   * InvalidInput, NotFound (member, currency), NoExchangeRate, NotConversionIncrement,
   * BelowConversionMinimum, InsufficientPoints, ConversionLimitExceeded, LiquidityFloorReached,
   * Forbidden.
   */
  quote(
    ctx: RequestContext,
    input: QuoteInput,
  ): Promise<ExchangeQuote | ErrorOf<typeof quoteErrors>> {
    return failsWith(quoteErrors, async () => {
      const { memberId, partnerId } = await actingFor(ctx, this.members, input.member);
      const { source, target } = await requirePair(
        this.catalog,
        input.sourceCurrency,
        input.targetCurrency,
      );
      const sourcePoints = requirePositive(
        'sourcePoints',
        input.sourcePoints,
        pointsPerTransferMax,
      );
      return this.db.transaction(async (sql) => {
        await lockRatesForReading(sql);
        const now = this.clock.now();
        const rate = await rateInForce(sql, source.code, target.code, now);
        if (!rate) throw new NoExchangeRate(source.code, target.code);
        requireValidAmount(rate, sourcePoints);
        const promotion = await bestPromotion(sql, source.code, target.code, now);
        const quote: ExchangeQuote = {
          id: newId('qte'),
          memberId,
          partnerId,
          sourceCurrency: source.code,
          targetCurrency: target.code,
          rateId: rate.id,
          promotionId: promotion?.id ?? null,
          ...priceConversion(rate, promotion?.bonusPerMille ?? 0n, sourcePoints),
          createdAt: now,
          expiresAt: new Date(now.getTime() + quoteTtlMs),
        };
        await precheck(sql, quote, rate);
        await insertQuote(sql, quote);
        return quote;
      });
    });
  }

  /**
   * Converts with a quote, atomically (one transaction) and idempotently: the key (the quote id
   * unless `idempotencyKey` is given) is claimed in the same transaction, so a retry returns the
   * original receipt. Errors (`convertErrors`): InvalidInput (amount differs from the quote), NotFound (quote
   * unknown or someone else's), QuoteExpired, QuoteAlreadyUsed, IdempotencyKeyReused,
   * InsufficientPoints, ConversionLimitExceeded, LiquidityFloorReached, Forbidden.
   */
  convert(
    ctx: RequestContext,
    input: ConvertInput,
  ): Promise<ConversionReceipt | ErrorOf<typeof convertErrors>> {
    return failsWith(convertErrors, async () => {
      const caller = requireCaller(ctx, 'member', 'partner');
      if (!quoteIdPattern.test(input.quoteId)) throw new NotFound('quote', input.quoteId);
      const sourcePoints = requirePositive(
        'sourcePoints',
        input.sourcePoints,
        pointsPerTransferMax,
      );
      const claim: IdempotencyClaim = {
        scope: caller.kind === 'member' ? caller.memberId : caller.partnerId,
        operation: 'convert',
        key: requireReference('idempotencyKey', input.idempotencyKey ?? input.quoteId),
        requestHash: requestHash({ quoteId: input.quoteId, sourcePoints }),
      };
      const { receipt, accountIds } = await this.db.transaction((sql) =>
        this.convertInTransaction(sql, caller, claim, input.quoteId, sourcePoints),
      );
      this.ledger.accounts.remember(accountIds);
      return receipt;
    });
  }

  private async convertInTransaction(
    sql: Sql,
    caller: Extract<Caller, { kind: 'member' | 'partner' }>,
    claim: IdempotencyClaim,
    quoteId: string,
    sourcePoints: bigint,
  ): Promise<{ receipt: ConversionReceipt; accountIds: Map<string, bigint> }> {
    // The caller's quote, or null when it is unknown or someone else's.
    const visibleQuote = async () => {
      const locked = await lockQuote(sql, quoteId);
      const visible =
        locked !== null &&
        (caller.kind === 'member'
          ? locked.quote.memberId === caller.memberId
          : locked.quote.partnerId === caller.partnerId);
      return visible ? locked : null;
    };
    let accountIds = new Map<string, bigint>();
    const receipt = await idempotentWrite(
      sql,
      {
        claim,
        codec: conversionReceiptCodec,
        // The quote's own id used again after it was converted: say so, precisely.
        conflict: async () => {
          const locked = await visibleQuote();
          return locked?.usedByTransferId && claim.key === quoteId
            ? new QuoteAlreadyUsed(quoteId, locked.usedByTransferId)
            : undefined;
        },
      },
      async () => {
        const locked = await visibleQuote();
        if (!locked) throw new NotFound('quote', quoteId);
        const { quote, usedByTransferId } = locked;
        if (usedByTransferId) throw new QuoteAlreadyUsed(quoteId, usedByTransferId);
        const now = this.clock.now();
        if (now >= quote.expiresAt) throw new QuoteExpired(quoteId, quote.expiresAt);
        if (sourcePoints !== quote.sourcePoints) {
          throw new InvalidInput('sourcePoints', `quote ${quoteId} is for ${quote.sourcePoints}`);
        }
        const rate = (await rateById(sql, quote.rateId))!;
        const posted = await this.post(sql, quote, rate, caller, now);
        accountIds = posted.accountIds;
        return posted.receipt;
      },
    );
    return { receipt, accountIds };
  }

  private async post(
    sql: Sql,
    quote: ExchangeQuote,
    rate: ExchangeRate,
    caller: Extract<Caller, { kind: 'member' | 'partner' }>,
    now: Date,
  ): Promise<{ receipt: ConversionReceipt; accountIds: Map<string, bigint> }> {
    const target = await this.catalog.currency(quote.targetCurrency);
    const transferId = newId('trf');
    const feeTransferId = newId('trf');
    const posted = await postConversion(sql, this.ledger.accounts, {
      transferId,
      feeTransferId,
      memberId: quote.memberId,
      partnerId: caller.kind === 'partner' ? caller.partnerId : null,
      externalId: quote.id,
      sourcePoints: quote.sourcePoints,
      baseTargetPoints: quote.baseTargetPoints,
      bonusPoints: quote.bonusPoints,
      feePoints: quote.feePoints,
      rate,
      promotionId: quote.promotionId,
      quoteId: quote.id,
      targetLotExpiresAt: target?.expiryMonths ? addMonths(now, target.expiryMonths) : null,
      createdAt: now,
      description: conversionDescription(quote, rate),
    });
    return {
      receipt: {
        transferId,
        feeTransferId: quote.feePoints > 0n ? feeTransferId : null,
        quoteId: quote.id,
        memberId: quote.memberId,
        sourceCurrency: quote.sourceCurrency,
        targetCurrency: quote.targetCurrency,
        sourcePoints: quote.sourcePoints,
        baseTargetPoints: quote.baseTargetPoints,
        bonusPoints: quote.bonusPoints,
        feePoints: quote.feePoints,
        rateId: quote.rateId,
        promotionId: quote.promotionId,
        createdAt: now,
      },
      accountIds: posted.accountIds,
    };
  }

  /** Rates in force now, optionally from or to one currency. Open to every caller. */
  currentRates(filter: {
    sourceCurrency?: string;
    targetCurrency?: string;
  }): Promise<ExchangeRate[]> {
    return ratesInForce(this.db, this.clock.now(), filter);
  }

  /** Every version of a pair, newest first: what applied when. Errors: InvalidInput, NotFound. */
  rateHistory(
    sourceCurrency: string,
    targetCurrency: string,
    limit: number,
  ): Promise<ExchangeRate[] | DomainError> {
    return catchDomainError(async () => {
      const { source, target } = await requirePair(this.catalog, sourceCurrency, targetCurrency);
      requireIntegerInRange('first', limit, 1, rateHistoryPageMax);
      return rateHistory(this.db, source.code, target.code, limit);
    });
  }

  /** One rate version by id (any version, open or closed). */
  rateVersion(id: bigint): Promise<ExchangeRate | null> {
    return rateById(this.db, id);
  }

  promotion(id: bigint): Promise<ExchangePromotion | null> {
    return promotionById(this.db, id);
  }

  /** Promotions running now or later (or also ended ones since `endedAfter`), by start. */
  promotions(
    filter: { sourceCurrency?: string; targetCurrency?: string },
    endedAfter?: Date,
  ): Promise<ExchangePromotion[]> {
    return promotions(this.db, endedAfter ?? this.clock.now(), filter, rateHistoryPageMax);
  }
}

/** The checks the conversion repeats under lock, made early so a quote is not a false hope. */
async function precheck(sql: Sql, quote: ExchangeQuote, rate: ExchangeRate): Promise<void> {
  const debited = quote.sourcePoints + quote.feePoints;
  const [balance] = (await memberBalances(sql, [quote.memberId], quote.createdAt)).filter(
    (row) => row.currency === quote.sourceCurrency,
  );
  const available = balance?.availablePoints ?? 0n;
  if (available < debited) throw new InsufficientPoints(quote.sourceCurrency, debited, available);
  const usage = await limitUsage(sql, quote.memberId, quote.createdAt, rate);
  requireWithinLimits(
    rate,
    usage.get(pairKey(rate.sourceCurrency, rate.targetCurrency)) ?? noUsage(quote.createdAt),
    quote.sourcePoints,
  );
  const [position] = await liquidityPositions(sql, quote.targetCurrency);
  const credited = quote.baseTargetPoints + quote.bonusPoints;
  const headroom = position ? headroomPoints(position) : 0n;
  if (headroom < credited) {
    throw new LiquidityFloorReached(quote.targetCurrency, credited, headroom < 0n ? 0n : headroom);
  }
}

/** "Converted 3000 HTL to 600 SKY (5 HTL = 1 SKY)", with the bonus when there is one. */
export function conversionDescription(
  amounts: { sourcePoints: bigint; baseTargetPoints: bigint; bonusPoints: bigint },
  rate: ExchangeRate,
): string {
  const target = amounts.baseTargetPoints + amounts.bonusPoints;
  const bonus = amounts.bonusPoints > 0n ? `, ${amounts.bonusPoints} of them bonus` : '';
  return (
    `Converted ${amounts.sourcePoints} ${rate.sourceCurrency} to ${target} ${rate.targetCurrency}` +
    ` (${rate.sourceUnits} ${rate.sourceCurrency} = ${rate.targetUnits} ${rate.targetCurrency}${bonus})`
  );
}
