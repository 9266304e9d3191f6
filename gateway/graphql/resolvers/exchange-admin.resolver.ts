import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import {
  AddExchangePromotionInput,
  AddExchangePromotionResult,
  LiquidityPosition,
  SetExchangeRateInput,
  SetExchangeRateResult,
  SetLiquidityFloorInput,
  SetLiquidityFloorResult,
  SetReferenceValueInput,
  SetReferenceValueResult,
} from '../../../schema/exchange';
import {
  addPromotionErrors,
  setLiquidityFloorErrors,
  setRateErrors,
  setReferenceValueErrors,
} from '../../exchange/exchange-admin';
import type { GraphQLContext } from '../context';
import {
  liquidityObject,
  promotionObject,
  rateObject,
  referenceValueObject,
} from '../exchange-mappers';
import { respond } from '../respond';

/** The operator's exchange settings. Thin: one auth rule, one service call, a mapping. */
@Resolver()
export class ExchangeAdminResolver {
  @Authorized('operator')
  @Mutation(() => SetExchangeRateResult, {
    description: `Sets a new rate version for a pair (operator), agreed by both programs; it closes the open version at its start and never changes past conversions. Refused when it would let a cycle of conversions create points. ${errorsDoc(setRateErrors)}`,
  })
  setExchangeRate(@Arg('input') input: SetExchangeRateInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.exchangeAdmin.setRate(ctx.request, {
          sourceCurrency: input.sourceCurrency,
          targetCurrency: input.targetCurrency,
          sourceUnits: input.sourceUnits,
          targetUnits: input.targetUnits,
          incrementPoints: input.incrementPoints,
          minimumPoints: input.minimumPoints ?? undefined,
          dailyLimitPoints: input.dailyLimitPoints ?? undefined,
          monthlyLimitPoints: input.monthlyLimitPoints ?? undefined,
          feeFixedPoints: input.feeFixedPoints ?? undefined,
          feePerMille: input.feePerMille ?? undefined,
          effectiveFrom: input.effectiveFrom ?? undefined,
        }),
      rateObject,
    );
  }

  @Authorized('operator')
  @Mutation(() => AddExchangePromotionResult, {
    description: `Adds a time-boxed bonus on a pair (operator). Refused when it would let a cycle of conversions create points. ${errorsDoc(addPromotionErrors)}`,
  })
  addExchangePromotion(@Arg('input') input: AddExchangePromotionInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.exchangeAdmin.addPromotion(ctx.request, {
          sourceCurrency: input.sourceCurrency,
          targetCurrency: input.targetCurrency,
          bonusPerMille: input.bonusPerMille,
          startsAt: input.startsAt ?? undefined,
          endsAt: input.endsAt,
          description: input.description ?? undefined,
        }),
      promotionObject,
    );
  }

  @Authorized('operator')
  @Mutation(() => SetLiquidityFloorResult, {
    description: `Sets how far below zero a currency’s liquidity account may go: the most points of it exchange may create on balance (operator). ${errorsDoc(setLiquidityFloorErrors)}`,
  })
  setLiquidityFloor(@Arg('input') input: SetLiquidityFloorInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () => ctx.app.exchangeAdmin.setLiquidityFloor(ctx.request, input),
      liquidityObject,
    );
  }

  @Authorized('operator')
  @Mutation(() => SetReferenceValueResult, {
    description: `Sets what one point of a currency is worth in the reference unit, for wallet values (operator). ${errorsDoc(setReferenceValueErrors)}`,
  })
  setReferenceValue(@Arg('input') input: SetReferenceValueInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () => ctx.app.exchangeAdmin.setReferenceValue(ctx.request, input),
      referenceValueObject,
    );
  }

  @Authorized('operator', 'finance')
  @Query(() => [LiquidityPosition], {
    description: 'Each currency’s liquidity position: balance, floor and headroom.',
  })
  async liquidityPositions(
    @Ctx() ctx: GraphQLContext,
    @Arg('currency', () => String, { nullable: true }) currency: string | null,
  ): Promise<LiquidityPosition[]> {
    return (await ctx.app.exchangeAdmin.liquidity(ctx.request, currency)).map(liquidityObject);
  }
}
