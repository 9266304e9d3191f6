import {
  Arg,
  Authorized,
  Ctx,
  FieldResolver,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import {
  ConversionQuote,
  ConvertPointsInput,
  ConvertPointsResult,
  ConvertPointsSuccess,
  ExchangePromotion,
  ExchangeRate,
  PayAcrossProgramsInput,
  PayAcrossProgramsResult,
  PayAcrossProgramsSuccess,
  QuoteConversionInput,
  QuoteConversionResult,
} from '../../../schema/exchange';
import { payAcrossProgramsErrors } from '../../exchange/cross-program-payments';
import { rateHistoryPageMax } from '../../exchange/exchange-limits';
import { convertErrors, quoteErrors } from '../../exchange/exchange-service';
import { DomainError } from '../../shared/errors';
import type { GraphQLContext } from '../context';
import { badInput } from '../error-results';
import {
  conversionObject,
  paymentObject,
  promotionObject,
  quoteObject,
  rateObject,
} from '../exchange-mappers';
import { moneyFromInput } from '../mappers';
import { respond } from '../respond';

/** Exchange between program currencies: rates, quotes, conversions, paying across programs. */
@Resolver()
export class ExchangeResolver {
  @Authorized()
  @Query(() => [ExchangeRate], {
    description:
      'Exchange rates in force now, optionally from or to one currency. Open to every authenticated caller.',
  })
  async exchangeRates(
    @Ctx() ctx: GraphQLContext,
    @Arg('sourceCurrency', () => String, { nullable: true }) sourceCurrency: string | null,
    @Arg('targetCurrency', () => String, { nullable: true }) targetCurrency: string | null,
  ): Promise<ExchangeRate[]> {
    const rates = await ctx.app.exchange.currentRates({
      sourceCurrency: sourceCurrency ?? undefined,
      targetCurrency: targetCurrency ?? undefined,
    });
    return rates.map(rateObject);
  }

  @Authorized()
  @Query(() => [ExchangeRate], {
    description:
      'Every version of a pair’s rate, newest first (scheduled ones included): which terms applied when.',
  })
  async exchangeRateHistory(
    @Ctx() ctx: GraphQLContext,
    @Arg('sourceCurrency') sourceCurrency: string,
    @Arg('targetCurrency') targetCurrency: string,
    @Arg('first', () => Int, {
      defaultValue: 20,
      description: `How many versions, 1-${rateHistoryPageMax}.`,
    })
    first: number,
  ): Promise<ExchangeRate[]> {
    const history = await ctx.app.exchange.rateHistory(sourceCurrency, targetCurrency, first);
    if (history instanceof DomainError) throw badInput(history.message);
    return history.map(rateObject);
  }

  @Authorized()
  @Query(() => [ExchangePromotion], {
    description: 'Exchange promotions running now or starting later, soonest first.',
  })
  async exchangePromotions(
    @Ctx() ctx: GraphQLContext,
    @Arg('sourceCurrency', () => String, { nullable: true }) sourceCurrency: string | null,
    @Arg('targetCurrency', () => String, { nullable: true }) targetCurrency: string | null,
  ): Promise<ExchangePromotion[]> {
    const promotions = await ctx.app.exchange.promotions({
      sourceCurrency: sourceCurrency ?? undefined,
      targetCurrency: targetCurrency ?? undefined,
    });
    return promotions.map(promotionObject);
  }

  @Authorized('member', 'partner')
  @Mutation(() => QuoteConversionResult, {
    description: `Quotes a conversion for the calling member (or, for a partner, a member it enrolled): amounts, rate, fee and a 60-second expiry. ${errorsDoc(quoteErrors)}`,
  })
  quoteConversion(@Arg('input') input: QuoteConversionInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.exchange.quote(ctx.request, {
          member: input.member ?? undefined,
          sourceCurrency: input.sourceCurrency,
          targetCurrency: input.targetCurrency,
          sourcePoints: input.sourcePoints,
        }),
      quoteObject,
    );
  }

  @Authorized('member', 'partner')
  @Mutation(() => ConvertPointsResult, {
    description: `Converts with a quote, atomically, at exactly the quoted terms. Idempotent on the quote id (or \`idempotencyKey\`): a retry returns the original result. ${errorsDoc(convertErrors)}`,
  })
  convertPoints(@Arg('input') input: ConvertPointsInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.exchange.convert(ctx.request, {
          quoteId: input.quoteId,
          sourcePoints: input.sourcePoints,
          idempotencyKey: input.idempotencyKey ?? undefined,
        }),
      conversionObject,
    );
  }

  @Authorized('partner')
  @Mutation(() => PayAcrossProgramsResult, {
    description: `A member pays the calling partner’s price, in a currency it accepts, with points of another currency: one atomic conversion and redemption, showing the rate used. Idempotent on \`transactionId\` like payWithPoints. ${errorsDoc(payAcrossProgramsErrors)}`,
  })
  payAcrossPrograms(@Arg('input') input: PayAcrossProgramsInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.crossProgramPayments.pay(ctx.request, {
          member: input.member,
          transactionId: input.transactionId,
          currency: input.currency,
          points: input.points,
          payWith: input.payWith,
          purchase: input.purchase && moneyFromInput(input.purchase, 'purchase'),
          idempotencyKey: input.idempotencyKey ?? undefined,
        }),
      paymentObject,
    );
  }
}

@Resolver(() => ConversionQuote)
export class ConversionQuoteResolver {
  @FieldResolver(() => ExchangeRate, { description: 'The rate version the quote is pinned to.' })
  rate(@Root() quote: ConversionQuote, @Ctx() ctx: GraphQLContext) {
    return rateVersion(ctx, quote.rateId);
  }

  @FieldResolver(() => ExchangePromotion, {
    nullable: true,
    description: 'The promotion whose bonus applies, if any.',
  })
  promotion(@Root() quote: ConversionQuote, @Ctx() ctx: GraphQLContext) {
    return promotion(ctx, quote.promotionId);
  }
}

@Resolver(() => ConvertPointsSuccess)
export class ConvertPointsSuccessResolver {
  @FieldResolver(() => ExchangeRate, { description: 'The rate version used.' })
  rate(@Root() success: ConvertPointsSuccess, @Ctx() ctx: GraphQLContext) {
    return rateVersion(ctx, success.rateId);
  }

  @FieldResolver(() => ExchangePromotion, {
    nullable: true,
    description: 'The promotion whose bonus applied, if any.',
  })
  promotion(@Root() success: ConvertPointsSuccess, @Ctx() ctx: GraphQLContext) {
    return promotion(ctx, success.promotionId);
  }
}

@Resolver(() => PayAcrossProgramsSuccess)
export class PayAcrossProgramsSuccessResolver {
  @FieldResolver(() => ExchangeRate, { description: 'The rate version used.' })
  rate(@Root() success: PayAcrossProgramsSuccess, @Ctx() ctx: GraphQLContext) {
    return rateVersion(ctx, success.rateId);
  }
}

async function rateVersion(ctx: GraphQLContext, id: bigint): Promise<ExchangeRate> {
  const rate = await ctx.app.exchange.rateVersion(id);
  if (!rate) throw new Error(`rate version ${id} not found`);
  return rateObject(rate);
}

async function promotion(ctx: GraphQLContext, id: bigint | null) {
  if (id === null) return null;
  const found = await ctx.app.exchange.promotion(id);
  return found && promotionObject(found);
}
