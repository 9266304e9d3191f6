import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import {
  RedeemVoucherInput,
  RedeemVoucherResult,
  RedeemVoucherSuccess,
  RewardVoucher,
  RewardVouchersPage,
  type VoucherReward,
  type VoucherState,
} from '../../../schema/vouchers';
import { redeemVoucherErrors, type VoucherView } from '../../rules/vouchers';
import type { GraphQLContext } from '../context';
import { respond } from '../respond';

/** Reward vouchers earning rules give. Thin: one auth rule, one service call, a mapping. */
@Resolver()
export class VoucherResolver {
  @Authorized('partner')
  @Mutation(() => RedeemVoucherResult, {
    description: `The calling partner redeems a member’s voucher on one of its transactions. Single-use; redeeming it again on the same transaction answers the same redemption. ${errorsDoc(redeemVoucherErrors)}`,
  })
  redeemVoucher(@Arg('input') input: RedeemVoucherInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () => ctx.app.vouchers.redeem(ctx.request, input),
      (view) => Object.assign(new RedeemVoucherSuccess(), { voucher: rewardVoucherObject(view) }),
    );
  }

  @Authorized('partner', 'member', 'operator')
  @Query(() => RewardVoucher, {
    nullable: true,
    description:
      'A voucher by its code, for the partner where it is redeemed (to check it at the till), its member and the operator; null for anyone else.',
  })
  async voucher(@Arg('code') code: string, @Ctx() ctx: GraphQLContext) {
    const view = await ctx.app.vouchers.voucher(ctx.request, code);
    return view && rewardVoucherObject(view);
  }

  @Authorized('member')
  @Query(() => RewardVouchersPage, {
    description: 'The calling member’s vouchers, newest first.',
  })
  async myVouchers(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', { nullable: true }) after?: string,
  ) {
    const page = await ctx.app.vouchers.memberVouchers(ctx.request, { first, after });
    return Object.assign(new RewardVouchersPage(), {
      nodes: page.vouchers.map(rewardVoucherObject),
      pageInfo: { endCursor: page.nextCursor, hasNextPage: page.nextCursor !== null },
    });
  }
}

function rewardVoucherObject(view: VoucherView): RewardVoucher {
  return Object.assign(new RewardVoucher(), {
    ...view,
    reward: view.reward as VoucherReward,
    percentOff: view.percentBp === null ? null : view.percentBp / 100,
    state: view.state as VoucherState,
  });
}
