import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import {
  CancelRedemptionResult,
  HoldStatus,
  PlaceRedemptionHoldInput,
  PlaceRedemptionHoldResult,
  PointsPrice,
  RedemptionHold,
  SettleRedemptionInput,
  SettleRedemptionResult,
} from '../../../schema/redemptions';
import type { HoldView } from '../../ledger/holds';
import {
  cancelRedemptionErrors,
  placeHoldErrors,
  settleHoldErrors,
} from '../../redemptions/redemption-service';
import { DomainError, NotFound } from '../../shared/errors';
import type { GraphQLContext } from '../context';
import { respond } from '../respond';

/**
 * Two-phase redemptions, called by a partner's own service: hold the member's points, then
 * confirm or decline once the reward is (or is not) fulfilled. Each returns the hold as it
 * stands afterwards.
 */
@Resolver(() => RedemptionHold)
export class RedemptionResolver {
  @Authorized('partner')
  @Mutation(() => PlaceRedemptionHoldResult, {
    description: `Holds a member’s points for a reward at the calling partner, until confirmRedemption (spent), declineRedemption (returned) or \`holdSeconds\` pass (returned by the hold sweep). Idempotent on \`transactionId\` (or \`idempotencyKey\`). ${errorsDoc(placeHoldErrors)}`,
  })
  placeRedemptionHold(@Arg('input') input: PlaceRedemptionHoldInput, @Ctx() ctx: GraphQLContext) {
    return respond(async () => {
      const receipt = await ctx.app.redemptions.placeHold(ctx.request, {
        member: input.member,
        transactionId: input.transactionId,
        currency: input.currency,
        points: input.points,
        rewardId: input.rewardId ?? undefined,
        holdSeconds: input.holdSeconds ?? undefined,
        idempotencyKey: input.idempotencyKey ?? undefined,
      });
      return receipt instanceof DomainError ? receipt : currentHold(ctx, receipt.transferId);
    }, holdObject);
  }

  @Authorized('partner')
  @Mutation(() => SettleRedemptionResult, {
    description: `The calling partner fulfilled the reward: the held points are spent. Idempotent on the hold id (or \`idempotencyKey\`). A HoldNotActiveError means the hold was already declined or expired: do not fulfil. ${errorsDoc(settleHoldErrors)}`,
  })
  confirmRedemption(@Arg('input') input: SettleRedemptionInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      async () => settled(ctx, await ctx.app.redemptions.confirm(ctx.request, settleInput(input))),
      holdObject,
    );
  }

  @Authorized('partner')
  @Mutation(() => SettleRedemptionResult, {
    description: `The calling partner could not fulfil the reward: the held points return to the lots they came from, with their original expiry. Idempotent like confirmRedemption. ${errorsDoc(settleHoldErrors)}`,
  })
  declineRedemption(@Arg('input') input: SettleRedemptionInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      async () => settled(ctx, await ctx.app.redemptions.decline(ctx.request, settleInput(input))),
      holdObject,
    );
  }

  @Authorized('partner')
  @Mutation(() => CancelRedemptionResult, {
    description: `The calling partner cancels a redemption it confirmed (a cancelled flight or stay): the confirmed points return to the member with their original expiry, and settlement reverses the reimbursement in the period the cancel falls in. Idempotent on the hold id (or \`idempotencyKey\`); another key after a cancel gets RedemptionAlreadyCancelledError. ${errorsDoc(cancelRedemptionErrors)}`,
  })
  cancelRedemption(@Arg('input') input: SettleRedemptionInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      async () => settled(ctx, await ctx.app.redemptions.cancel(ctx.request, settleInput(input))),
      holdObject,
    );
  }

  @Authorized('partner', 'member', 'operator')
  @Query(() => RedemptionHold, {
    nullable: true,
    description:
      'A redemption hold: its partner, its member and the operator see it. Null when not visible.',
  })
  async redemptionHold(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<RedemptionHold | null> {
    const hold = await ctx.app.redemptions.hold(ctx.request, id);
    return hold instanceof DomainError ? null : holdObject(hold);
  }
}

function settleInput(input: SettleRedemptionInput) {
  return {
    holdId: input.holdId,
    reason: input.reason ?? undefined,
    points: input.points ?? undefined,
    idempotencyKey: input.idempotencyKey ?? undefined,
  };
}

async function settled(
  ctx: GraphQLContext,
  receipt: { holdTransferId: string } | DomainError,
): Promise<HoldView | DomainError> {
  return receipt instanceof DomainError ? receipt : currentHold(ctx, receipt.holdTransferId);
}

async function currentHold(ctx: GraphQLContext, holdId: string): Promise<HoldView> {
  const hold = await ctx.app.redemptions.hold(ctx.request, holdId);
  if (hold instanceof NotFound) throw new Error(`hold ${holdId} vanished after it was written`);
  if (hold instanceof DomainError) throw hold;
  return hold;
}

export function holdObject(hold: HoldView): RedemptionHold {
  return Object.assign(new RedemptionHold(), {
    id: hold.holdTransferId,
    status: hold.status as HoldStatus,
    partnerId: hold.partnerId,
    memberId: hold.memberId,
    rewardId: hold.rewardId,
    price: Object.assign(new PointsPrice(), { currency: hold.currency, points: hold.points }),
    expiresAt: hold.expiresAt,
    settledTransferId: hold.settledTransferId,
    reason: hold.reason,
    confirmedPoints: hold.confirmedPoints,
    cancelTransferId: hold.cancelTransferId,
  });
}
