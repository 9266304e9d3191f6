import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Affordability, ConversionRoute, PointsPrice } from '../../../schema/redemptions';
import type { ExchangeRate } from '../../exchange/exchange-model';
import { affordabilityOf } from '../../redemptions/affordability';
import type { GraphQLContext } from '../context';

/**
 * The coalition's part of a partner's price: whether the calling member can afford it. Partner
 * services return `PointsPrice { currency points }`; the gateway asks this subgraph for
 * `affordability` through `_entities`, and the balances loader reads every member balance of
 * the request in one query however many rewards are listed (the rates from memory: RatesInMemory).
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
    const [balances, rates] = await Promise.all([
      ctx.loaders.balances.load(ctx.caller.memberId),
      ratesOf(ctx),
    ]);
    const { byConverting, ...rest } = affordabilityOf(balances, price, rates);
    return Object.assign(new Affordability(), {
      ...rest,
      byConverting: byConverting && Object.assign(new ConversionRoute(), byConverting),
    });
  }
}

const ratesByRequest = new WeakMap<GraphQLContext, Promise<ExchangeRate[]>>();

/**
 * The rates in force, once per request however many prices it lists: from memory while the
 * change feed listens (RatesInMemory), else a statement.
 */
function ratesOf(ctx: GraphQLContext): Promise<ExchangeRate[]> {
  let rates = ratesByRequest.get(ctx);
  if (!rates) {
    rates = ctx.app.exchangeRates.inForce(ctx.app.clock.now());
    ratesByRequest.set(ctx, rates);
  }
  return rates;
}
