import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import {
  IssueTierInvitationsResult,
  JoinTiersResult,
  SetTierProgramInput,
  SetTierProgramResult,
  SubscribeVipInput,
  TierInvitations,
  TierProgram,
  VipSubscription,
  VipSubscriptionResult,
} from '../../../schema/tiers';
import {
  issueInvitationsErrors,
  joinTiersErrors,
  setTierProgramErrors,
  vipErrors,
} from '../../tiers/memberships';
import type { GraphQLContext } from '../context';
import { moneyFromInput } from '../mappers';
import { respond } from '../respond';
import { programObject, statusObject, vipObject } from '../tier-mappers';

/** Who may join programs' tiers, and paid VIP terms. Thin: auth, one service call, a mapping. */
@Resolver()
export class MembershipResolver {
  @Authorized('operator', 'partner')
  @Mutation(() => SetTierProgramResult, {
    description: `Sets who may join a program's tiers and its VIP plans (the operator, or the program's owner). ${errorsDoc(setTierProgramErrors)}`,
  })
  setTierProgram(@Arg('input') input: SetTierProgramInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.memberships.setProgram(ctx.request, {
          currency: input.currency,
          enrolment: input.enrolment,
          qualifyingPurchases: input.qualifyingPurchases ?? undefined,
          qualifyingSpend:
            input.qualifyingSpend && moneyFromInput(input.qualifyingSpend, 'qualifyingSpend'),
          vipPlans: input.vipPlans?.map((plan, index) => ({
            plan: plan.plan,
            fee: moneyFromInput(plan.fee, `vipPlans[${index}].fee`),
            tierCode: plan.tierCode,
          })),
        }),
      programObject,
    );
  }

  @Query(() => TierProgram, {
    description: 'Who may join a program’s tiers, and its VIP plans.',
  })
  async tierProgram(
    @Arg('currency') currency: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TierProgram> {
    return programObject(await ctx.app.memberships.program(currency));
  }

  @Authorized('operator', 'partner')
  @Mutation(() => IssueTierInvitationsResult, {
    description: `Issues single-use invitation codes to a closed program's tiers (the operator, or the program's owner). ${errorsDoc(issueInvitationsErrors)}`,
  })
  issueTierInvitations(
    @Arg('currency') currency: string,
    @Arg('count', () => Int) count: number,
    @Arg('expiresAt') expiresAt: Date,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      () => ctx.app.memberships.issueInvitations(ctx.request, currency, count, expiresAt),
      (issued) => Object.assign(new TierInvitations(), issued),
    );
  }

  @Authorized('member')
  @Mutation(() => JoinTiersResult, {
    description: `The calling member joins a program's tiers (with an invitation code when it is closed by invitation). ${errorsDoc(joinTiersErrors)}`,
  })
  joinTiers(
    @Arg('currency') currency: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('invitationCode', () => String, { nullable: true }) invitationCode: string | null,
  ) {
    return respond(
      () => ctx.app.memberships.join(ctx.request, currency, invitationCode ?? undefined),
      statusObject,
    );
  }

  @Authorized('partner', 'operator')
  @Mutation(() => VipSubscriptionResult, {
    description: `Starts a member's paid VIP term at the program's owner, recording the fee it charged; idempotent on paymentReference. ${errorsDoc(vipErrors)}`,
  })
  subscribeVip(@Arg('input') input: SubscribeVipInput, @Ctx() ctx: GraphQLContext) {
    return respond(() => ctx.app.memberships.subscribeVip(ctx.request, input), vipObject);
  }

  @Authorized('partner', 'operator')
  @Mutation(() => VipSubscriptionResult, {
    description: `Renews a VIP subscription for one more term, recording the fee; idempotent on paymentReference. ${errorsDoc(vipErrors)}`,
  })
  renewVip(
    @Arg('subscriptionId', () => ID) subscriptionId: string,
    @Arg('paymentReference') paymentReference: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      () => ctx.app.memberships.renewVip(ctx.request, subscriptionId, paymentReference),
      vipObject,
    );
  }

  @Authorized('partner', 'member', 'operator')
  @Mutation(() => VipSubscriptionResult, {
    description: `Cancels a VIP subscription (its partner, or the member): the tier is kept until the paid term ends. ${errorsDoc(vipErrors)}`,
  })
  cancelVip(@Arg('subscriptionId', () => ID) subscriptionId: string, @Ctx() ctx: GraphQLContext) {
    return respond(() => ctx.app.memberships.cancelVip(ctx.request, subscriptionId), vipObject);
  }

  @Authorized('member')
  @Query(() => [VipSubscription], { description: 'The calling member’s VIP subscriptions.' })
  async myVipSubscriptions(@Ctx() ctx: GraphQLContext): Promise<VipSubscription[]> {
    return (await ctx.app.memberships.mySubscriptions(ctx.request)).map(vipObject);
  }
}
