import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import { MemberRefInput } from '../../../schema/members';
import {
  AssignTierInput,
  AssignTierResult,
  DefineStatusMatchInput,
  DefineStatusMatchResult,
  DefineTierLadderInput,
  DefineTierLadderResult,
  MemberBenefitsResult,
  MemberBenefitsSuccess,
  MemberTierStatus,
  TierCount,
  TierLadderVersion,
  TierMember,
  TierMembersPage,
} from '../../../schema/tiers';
import { catchDomainError } from '../../shared/errors';
import {
  assignTierErrors,
  defineLadderErrors,
  memberBenefitsErrors,
  statusMatchErrors,
} from '../../tiers/tier-service';
import type { GraphQLContext } from '../context';
import { respond } from '../respond';
import { queryValue } from '../settlement-mappers';
import { ladderObject, statusMatchObject, statusObject } from '../tier-mappers';

/** Tier ladders and members' tiers. Thin: one auth rule, one service call, a mapping. */
@Resolver()
export class TierResolver {
  @Authorized('operator', 'partner')
  @Mutation(() => DefineTierLadderResult, {
    description: `Adds a version of a program's tier ladder (the operator, or the partner owning the program currency). ${errorsDoc(defineLadderErrors)}`,
  })
  defineTierLadder(@Arg('input') input: DefineTierLadderInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.tiers.defineLadder(ctx.request, {
          currency: input.currency,
          metric: input.metric,
          spendCurrency: input.spendCurrency ?? undefined,
          window: input.window,
          downgradeLevelsMax: input.downgradeLevelsMax ?? undefined,
          effectiveFrom: input.effectiveFrom ?? undefined,
          tiers: input.tiers.map((tier) => ({
            code: tier.code,
            name: tier.name,
            threshold: tier.threshold,
            multiplier: tier.multiplier,
            discountPercent: tier.discountPercent ?? undefined,
            perks: tier.perks ?? undefined,
          })),
        }),
      ladderObject,
    );
  }

  @Query(() => [TierLadderVersion], {
    description:
      "A program's tier ladder versions, newest first (empty: the program has no tiers).",
  })
  async tierLadder(
    @Arg('currency') currency: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TierLadderVersion[]> {
    return (await ctx.app.tiers.ladderVersions(currency)).map(ladderObject);
  }

  @Authorized('member', 'operator')
  @Query(() => [MemberTierStatus], {
    description:
      'A member’s tier in each program they joined: the tier and its benefits, qualifying totals, what the next tier needs and by when, the review date, recent changes. Members read their own (omit memberId); the operator any.',
  })
  async memberTiers(
    @Ctx() ctx: GraphQLContext,
    @Arg('memberId', () => ID, { nullable: true }) memberId: string | null,
  ): Promise<MemberTierStatus[]> {
    const statuses = queryValue(
      await catchDomainError(() =>
        ctx.app.tiers.memberStatuses(ctx.request, memberId ?? undefined),
      ),
    );
    return statuses.map(statusObject);
  }

  @Authorized('partner')
  @Query(() => MemberBenefitsResult, {
    description: `A member’s tier benefits in a program now, for a point-of-sale before the purchase (the calling partner’s own member). ${errorsDoc(memberBenefitsErrors)}`,
  })
  memberBenefits(
    @Arg('member') member: MemberRefInput,
    @Arg('currency') currency: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      () => ctx.app.tiers.memberBenefits(ctx.request, member, currency),
      (status) =>
        Object.assign(new MemberBenefitsSuccess(), { status: status && statusObject(status) }),
    );
  }

  @Authorized('operator', 'partner')
  @Mutation(() => AssignTierResult, {
    description: `Sets a member’s tier until a date, with a reason (the operator, or the program’s owner for its own members). ${errorsDoc(assignTierErrors)}`,
  })
  assignTier(@Arg('input') input: AssignTierInput, @Ctx() ctx: GraphQLContext) {
    return respond(() => ctx.app.tiers.assignTier(ctx.request, input), statusObject);
  }

  @Authorized('operator', 'partner')
  @Mutation(() => DefineStatusMatchResult, {
    description: `Agrees that a tier in one program gives a tier in another until a date (the operator, or the owner of the program that grants). ${errorsDoc(statusMatchErrors)}`,
  })
  defineStatusMatch(@Arg('input') input: DefineStatusMatchInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.tiers.defineStatusMatch(ctx.request, {
          ...input,
          startsAt: input.startsAt ?? undefined,
        }),
      statusMatchObject,
    );
  }

  @Authorized('operator', 'partner')
  @Query(() => TierMembersPage, {
    description:
      'The members holding a tier of a program, paged (the operator, or the program’s owner).',
  })
  async tierMembers(
    @Arg('currency') currency: string,
    @Arg('tierCode') tierCode: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<TierMembersPage> {
    const page = queryValue(
      await catchDomainError(() =>
        ctx.app.tiers.tierMembers(
          ctx.request,
          currency,
          tierCode,
          first ?? undefined,
          after ?? undefined,
        ),
      ),
    );
    return Object.assign(new TierMembersPage(), {
      members: page.members.map((member) => Object.assign(new TierMember(), member)),
      nextCursor: page.nextCursor,
    });
  }

  @Authorized('operator', 'partner')
  @Query(() => [TierCount], {
    description:
      'How many members hold each tier of a program (the operator, or the program’s owner).',
  })
  async tierCounts(
    @Arg('currency') currency: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TierCount[]> {
    const counts = queryValue(
      await catchDomainError(() => ctx.app.tiers.tierCounts(ctx.request, currency)),
    );
    return counts.map((count) => Object.assign(new TierCount(), count));
  }
}
