import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import {
  DefineSegmentResult,
  Segment,
  SegmentCondition,
  type SegmentConditionInput,
  SegmentInput,
  type SegmentKind,
  SegmentMember,
  SegmentMembersPage,
  SegmentMembersResult,
  SegmentSuccess,
  SegmentsPage,
} from '../../../schema/segments';
import type { SegmentCondition as DomainCondition } from '../../segments/segment-definition';
import {
  defineSegmentErrors,
  type Page,
  type SegmentView,
  segmentReadErrors,
} from '../../segments/segments';
import { InvalidInput } from '../../shared/errors';
import type { GraphQLContext } from '../context';
import { moneyFromInput, moneyObject } from '../mappers';
import { respond } from '../respond';

/** Segments (issue 18, item 1). Thin: an auth rule, one service call, a mapping. */
@Resolver()
export class SegmentResolver {
  @Authorized('partner', 'operator')
  @Query(() => SegmentsPage, {
    description:
      'Segments with their member counts, by id: a partner’s own (built-in and custom); the operator’s, the coalition’s, or one partner’s.',
  })
  async segments(
    @Ctx() ctx: GraphQLContext,
    @Arg('partnerId', () => ID, { nullable: true, description: 'Operator only: one partner’s.' })
    partnerId?: string,
    @Arg('first', () => Int, {
      nullable: true,
      defaultValue: 50,
      description: 'Page size, 1 to 100.',
    })
    first?: number,
    @Arg('after', () => String, {
      nullable: true,
      description: 'The endCursor of the previous page.',
    })
    after?: string,
  ) {
    const page = await ctx.app.segments.segments(ctx.request, { partnerId, first, after });
    return pageObject(new SegmentsPage(), page, segmentObject);
  }

  @Authorized('partner', 'operator')
  @Query(() => SegmentMembersResult, {
    description: `A segment’s members as its last refresh computed them, by member id. A partner reads its own segments’. ${errorsDoc(segmentReadErrors)}`,
  })
  segmentMembers(
    @Arg('segmentId', () => ID, { description: 'The segment.' }) segmentId: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, {
      nullable: true,
      defaultValue: 50,
      description: 'Page size, 1 to 100.',
    })
    first?: number,
    @Arg('after', () => String, {
      nullable: true,
      description: 'The endCursor of the previous page.',
    })
    after?: string,
  ) {
    return respond(
      () => ctx.app.segments.members(ctx.request, segmentId, { first, after }),
      (page) =>
        pageObject(new SegmentMembersPage(), page, (member) =>
          Object.assign(new SegmentMember(), member),
        ),
    );
  }

  @Authorized('partner', 'operator')
  @Mutation(() => DefineSegmentResult, {
    description: `Defines a custom segment: a partner’s over the members linked to it, the operator’s coalition-wide. Its members are computed at once. ${errorsDoc(defineSegmentErrors)}`,
  })
  createSegment(
    @Arg('input', { description: 'The segment.' }) input: SegmentInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      async () => ctx.app.segments.create(ctx.request, segmentOf(input)),
      segmentSuccess,
    );
  }

  @Authorized('partner', 'operator')
  @Mutation(() => DefineSegmentResult, {
    description: `Replaces a custom segment’s name and conditions and recomputes its members. ${errorsDoc(defineSegmentErrors)}`,
  })
  updateSegment(
    @Arg('segmentId', () => ID, { description: 'The segment.' }) segmentId: string,
    @Arg('input', { description: 'The segment.' }) input: SegmentInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      async () => ctx.app.segments.update(ctx.request, segmentId, segmentOf(input)),
      segmentSuccess,
    );
  }

  @Authorized('partner', 'operator')
  @Mutation(() => [Segment], {
    description:
      'Recomputes segments now (the hourly `segments` job does it too): a partner’s own; the operator’s, every partner’s and the coalition’s. Returns the caller’s segments.',
  })
  async refreshSegments(@Ctx() ctx: GraphQLContext) {
    return (await ctx.app.segments.refresh(ctx.request)).map(segmentObject);
  }
}

function conditionOf(input: SegmentConditionInput, field: string): DomainCondition {
  const given = [
    input.tier,
    input.spend,
    input.visits,
    input.lastActivityWithinDays,
    input.lastActivityOlderThanDays,
    input.birthdayMonths,
    input.program,
  ].filter((value) => value !== undefined && value !== null);
  if (given.length !== 1) {
    throw new InvalidInput(
      field,
      'give exactly one of tier, spend, visits, lastActivityWithinDays, lastActivityOlderThanDays, birthdayMonths, program',
    );
  }
  if (input.tier) return { kind: 'tier', currency: input.tier.currency, tiers: input.tier.tiers };
  if (input.spend) {
    const atLeast =
      input.spend.atLeast && moneyFromInput(input.spend.atLeast, `${field}.spend.atLeast`);
    const below = input.spend.below && moneyFromInput(input.spend.below, `${field}.spend.below`);
    if (atLeast && below && atLeast.currency !== below.currency) {
      throw new InvalidInput(`${field}.spend.below.currency`, `must be ${atLeast.currency}`);
    }
    return {
      kind: 'spend',
      currency: atLeast?.currency ?? below?.currency ?? '',
      minMinor: atLeast?.amountMinor ?? null,
      belowMinor: below?.amountMinor ?? null,
      days: input.spend.withinDays,
    };
  }
  if (input.visits) {
    return {
      kind: 'visits',
      min: input.visits.atLeast ?? null,
      max: input.visits.atMost ?? null,
      days: input.visits.withinDays,
    };
  }
  if (input.birthdayMonths) return { kind: 'birthdayMonth', months: input.birthdayMonths };
  if (input.program) return { kind: 'program', currency: input.program };
  return {
    kind: 'lastActivity',
    withinDays: input.lastActivityWithinDays ?? null,
    olderThanDays: input.lastActivityOlderThanDays ?? null,
  };
}

function segmentOf(input: SegmentInput) {
  return {
    name: input.name,
    conditions: input.conditions.map((condition, index) =>
      conditionOf(condition, `conditions[${index}]`),
    ),
  };
}

function conditionObject(condition: DomainCondition): SegmentCondition {
  const object = Object.assign(new SegmentCondition(), {
    kind: condition.kind,
    currency: null,
    tiers: null,
    spendAtLeast: null,
    spendBelow: null,
    visitsAtLeast: null,
    visitsAtMost: null,
    withinDays: null,
    lastActivityWithinDays: null,
    lastActivityOlderThanDays: null,
    birthdayMonths: null,
  });
  switch (condition.kind) {
    case 'tier':
      return Object.assign(object, { currency: condition.currency, tiers: condition.tiers });
    case 'spend':
      return Object.assign(object, {
        spendAtLeast: moneyObject(condition.minMinor, condition.currency),
        spendBelow: moneyObject(condition.belowMinor, condition.currency),
        withinDays: condition.days,
      });
    case 'visits':
      return Object.assign(object, {
        visitsAtLeast: condition.min,
        visitsAtMost: condition.max,
        withinDays: condition.days,
      });
    case 'lastActivity':
      return Object.assign(object, {
        lastActivityWithinDays: condition.withinDays,
        lastActivityOlderThanDays: condition.olderThanDays,
      });
    case 'birthdayMonth':
      return Object.assign(object, { birthdayMonths: condition.months });
    case 'program':
      return Object.assign(object, { currency: condition.currency });
  }
}

function segmentObject(view: SegmentView): Segment {
  return Object.assign(new Segment(), {
    ...view,
    kind: view.kind as SegmentKind,
    conditions: view.conditions.map(conditionObject),
  });
}

function segmentSuccess(view: SegmentView): SegmentSuccess {
  return Object.assign(new SegmentSuccess(), { segment: segmentObject(view) });
}

function pageObject<P extends object, T, N>(page: P, from: Page<T>, map: (item: T) => N) {
  return Object.assign(page, {
    nodes: from.items.map(map),
    pageInfo: { endCursor: from.nextCursor, hasNextPage: from.nextCursor !== null },
  });
}
