import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Affordability, PointsPrice } from '../../../schema/redemptions';
import { affordabilityOf } from '../../redemptions/affordability';
import type { GraphQLContext } from '../context';

/**
 * The coalition's part of a partner's price: whether the calling member can afford it. Partner
 * services return `PointsPrice { currency points }`; the gateway asks this subgraph for
 * `affordability` through `_entities`, and the balances loader reads every member balance of
 * the request in one query however many rewards are listed.
 */
@Resolver(() => PointsPrice)
export class PointsPriceResolver {
  @FieldResolver(() => Affordability, {
    nullable: true,
    description:
      'Whether the calling member can pay this price now; null for callers who are not members.',
  })
  async affordability(
    @Root() price: PointsPrice,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Affordability | null> {
    if (ctx.caller.kind !== 'member') return null;
    const balances = await ctx.loaders.balances.load(ctx.caller.memberId);
    return Object.assign(new Affordability(), await affordabilityOf(balances, price));
  }
}
