import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { EarnLine } from '../../../schema/tiers';
import { WalletEntry } from '../../../schema/wallet';
import type { GraphQLContext } from '../context';
import { earnLineObjects } from '../rule-mappers';

/** What a wallet entry says beyond its transfer: the campaigns that gave its points. */
@Resolver(() => WalletEntry)
export class WalletEntryResolver {
  @FieldResolver(() => [EarnLine], {
    description:
      'The earning rules’ lines of an earn: each campaign’s points, money off or voucher, and why (empty for other entries).',
  })
  async campaignLines(@Root() entry: WalletEntry, @Ctx() ctx: GraphQLContext): Promise<EarnLine[]> {
    if (!entry.earn) return [];
    return earnLineObjects(await ctx.loaders.ruleLines.load(entry.id));
  }
}
