import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import { AwardPointsInput } from '../../../schema/purchases';
import {
  ChangeEarnRuleResult,
  CreateEarnRuleInput,
  CreateEarnRuleResult,
  EarnRuleDefinitionInput,
  EarnRuleSuccess,
  EarnRulesPage,
  MemberEventSuccess,
  PreviewAwardResult,
  PreviewAwardSuccess,
  RecordMemberEventInput,
  RecordMemberEventResult,
} from '../../../schema/rules';
import { memberEventErrors, previewAwardErrors } from '../../purchases/purchase-service';
import { defineRuleErrors, manageRuleErrors } from '../../rules/rule-service';
import type { GraphQLContext } from '../context';
import { respond } from '../respond';
import {
  awardInputOf,
  discountOfLines,
  earnLineObjects,
  earnRuleObject,
  ruleDefinitionOf,
} from '../rule-mappers';

/** Earning rules and award previews. Thin: one auth rule, one service call, a mapping. */
@Resolver()
export class RuleResolver {
  @Authorized('partner', 'operator')
  @Mutation(() => CreateEarnRuleResult, {
    description: `Creates an earning rule: a partner's over its own purchases (funded by it), or the operator's coalition campaign over every partner's purchases in the currency. ${errorsDoc(defineRuleErrors)}`,
  })
  createEarnRule(@Arg('input') input: CreateEarnRuleInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      async () =>
        ctx.app.rules.createRule(ctx.request, {
          currency: input.currency,
          definition: ruleDefinitionOf(
            input.definition,
            ctx.request.caller.kind === 'partner',
            ctx.app.clock.now(),
          ),
        }),
      (rule) => Object.assign(new EarnRuleSuccess(), { rule: earnRuleObject(rule) }),
    );
  }

  @Authorized('partner', 'operator')
  @Mutation(() => ChangeEarnRuleResult, {
    description: `Replaces a rule's definition with a new version; earns already priced keep theirs. ${errorsDoc(manageRuleErrors)}`,
  })
  updateEarnRule(
    @Arg('ruleId', () => ID) ruleId: string,
    @Arg('definition') definition: EarnRuleDefinitionInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      async () =>
        ctx.app.rules.updateRule(
          ctx.request,
          ruleId,
          ruleDefinitionOf(definition, ctx.request.caller.kind === 'partner', ctx.app.clock.now()),
        ),
      (rule) => Object.assign(new EarnRuleSuccess(), { rule: earnRuleObject(rule) }),
    );
  }

  @Authorized('partner', 'operator')
  @Mutation(() => ChangeEarnRuleResult, {
    description: `Ends a rule: it no longer applies from now. ${errorsDoc(manageRuleErrors)}`,
  })
  endEarnRule(@Arg('ruleId', () => ID) ruleId: string, @Ctx() ctx: GraphQLContext) {
    return respond(
      () => ctx.app.rules.endRule(ctx.request, ruleId),
      (rule) => Object.assign(new EarnRuleSuccess(), { rule: earnRuleObject(rule) }),
    );
  }

  @Authorized('partner', 'operator')
  @Query(() => EarnRulesPage, {
    description:
      'Earning rules, newest first: a partner sees its own and the coalition campaigns, the operator every rule.',
  })
  async earnRules(
    @Ctx() ctx: GraphQLContext,
    @Arg('currency', { nullable: true }) currency?: string,
    @Arg('includeEnded', { nullable: true, defaultValue: false }) includeEnded?: boolean,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first?: number,
    @Arg('after', { nullable: true }) after?: string,
  ) {
    const page = await ctx.app.rules.rules(ctx.request, { currency, includeEnded, first, after });
    return Object.assign(new EarnRulesPage(), {
      nodes: page.rules.map(earnRuleObject),
      pageInfo: { endCursor: page.nextCursor, hasNextPage: page.nextCursor !== null },
    });
  }

  @Authorized('partner', 'operator')
  @Mutation(() => RecordMemberEventResult, {
    description: `Records something a member did (a completed profile, an installed app, a review...) and gives what the rules on that event type give, limits included. A partner records events at itself; the operator records coalition-wide ones (members by memberId, issued in the currency owner’s name, rewarded by coalition campaigns only). Idempotent on \`eventId\`. ${errorsDoc(memberEventErrors)}`,
  })
  recordMemberEvent(@Arg('input') input: RecordMemberEventInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.purchases.recordEvent(ctx.request, {
          member: input.member,
          currency: input.currency,
          type: input.type,
          eventId: input.eventId,
          idempotencyKey: input.idempotencyKey ?? undefined,
        }),
      (receipt) =>
        Object.assign(new MemberEventSuccess(), receipt, { lines: earnLineObjects(receipt.lines) }),
    );
  }

  @Authorized('partner')
  @Query(() => PreviewAwardResult, {
    description: `What awardPoints would give this member now (base, tier, earning rules), without writing: "you will earn X" at the point-of-sale. ${errorsDoc(previewAwardErrors)}`,
  })
  previewAward(@Arg('input') input: AwardPointsInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      async () => ctx.app.purchases.previewAward(ctx.request, awardInputOf(input)),
      (preview) =>
        Object.assign(new PreviewAwardSuccess(), {
          memberId: preview.memberId,
          currency: preview.currency,
          points: preview.points,
          lines: earnLineObjects(preview.lines),
          discount: discountOfLines(preview.lines),
          tierCode: preview.tier?.code ?? null,
        }),
    );
  }
}
