import { Ctx, Query, Resolver } from 'type-graphql';
import { Viewer } from '../../../schema/viewer';
import type { GraphQLContext } from '../context';

@Resolver(() => Viewer)
export class ViewerResolver {
  @Query(() => Viewer, {
    description: 'Who is calling, as read from the bearer token; works without one.',
  })
  viewer(@Ctx() ctx: GraphQLContext): Viewer {
    const caller = ctx.caller;
    const id =
      caller.kind === 'partner'
        ? caller.partnerId
        : caller.kind === 'member'
          ? caller.memberId
          : caller.kind === 'finance' || caller.kind === 'operator'
            ? caller.userId
            : null;
    return Object.assign(new Viewer(), {
      kind: caller.kind,
      id,
      partnerId: caller.kind === 'finance' ? (caller.partnerId ?? null) : null,
    });
  }
}
