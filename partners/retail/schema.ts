import 'reflect-metadata';
import {
  Arg,
  Authorized,
  buildSchema,
  Ctx,
  Directive,
  Field,
  FieldResolver,
  ID,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { buildFederatedSchema } from '../../gateway/federation/subgraph-schema';
import { Int64 } from '../../schema/scalars';
import { maySeeMember, type PartnerContext, partnerAuthChecker } from '../shared/context';
import type { PartnerDefinition } from '../shared/definition';
import { RewardInventory } from '../shared/inventory';
import { redeemReward } from '../shared/redemption-flow';
import { PointsPriceReference, priceOf, RewardRedemption } from '../shared/types';
import { groceryRewards, receipts, vouchersAvailable } from './fixtures';

const currency = 'HTL';

@ObjectType({ description: 'A FreshMart reward, bought with HTL points.' })
export class GroceryReward {
  @Field(() => ID, { description: 'FreshMart’s id of the reward, e.g. "fm_coffee".' })
  id!: string;

  @Field({ description: 'What it is.' })
  title!: string;

  @Field(() => Int, { description: 'How many are left.' })
  left!: number;

  @Field(() => PointsPriceReference, { description: 'The price in HTL points.' })
  price!: PointsPriceReference;
}

@ObjectType({ description: 'A purchase at FreshMart that earned points.' })
export class GroceryReceipt {
  @Field({ description: 'FreshMart’s receipt number.' })
  receiptId!: string;

  @Field({ description: 'Date (YYYY-MM-DD).' })
  boughtOn!: string;

  @Field(() => Int64, { description: 'HTL points it earned.' })
  pointsEarned!: bigint;
}

@Directive('@key(fields: "id")')
@ObjectType('Member', { description: 'A coalition member, as FreshMart knows them.' })
export class FreshMartMember {
  @Field(() => ID, { description: 'Coalition member id.' })
  id!: string;
}

function buildFreshMartResolvers(inventory: RewardInventory) {
  @Resolver(() => GroceryReward)
  class GroceryRewardResolver {
    @Query(() => [GroceryReward], {
      nullable: true,
      description: 'FreshMart rewards, with their price in HTL points.',
    })
    freshMartRewards(): GroceryReward[] {
      return groceryRewards.map((reward) =>
        Object.assign(new GroceryReward(), {
          ...reward,
          left: inventory.left(reward.id),
          price: priceOf(currency, reward.points),
        }),
      );
    }

    @Authorized('member')
    @Mutation(() => RewardRedemption, {
      description:
        'Redeems a FreshMart reward with the calling member’s HTL points. Idempotent on `idempotencyKey`.',
    })
    redeemGroceryReward(
      @Arg('rewardId', () => ID) rewardId: string,
      @Arg('idempotencyKey') idempotencyKey: string,
      @Ctx() ctx: PartnerContext,
    ): Promise<RewardRedemption> {
      const reward = groceryRewards.find((candidate) => candidate.id === rewardId);
      return redeemReward(ctx, {
        rewardId,
        price: reward ? { currency, points: reward.points } : null,
        idempotencyKey,
        fulfilment: inventory.forReward(rewardId),
      });
    }
  }

  @Resolver(() => FreshMartMember)
  class FreshMartMemberResolver {
    @FieldResolver(() => [GroceryReceipt], {
      nullable: true,
      description: 'Receipts at FreshMart; for the member, FreshMart and the operator only.',
    })
    freshMartReceipts(
      @Root() member: FreshMartMember,
      @Ctx() ctx: PartnerContext,
    ): GroceryReceipt[] | null {
      if (!maySeeMember(ctx, member.id)) return null;
      return (receipts[member.id] ?? []).map((receipt) =>
        Object.assign(new GroceryReceipt(), receipt),
      );
    }
  }
  return [GroceryRewardResolver, FreshMartMemberResolver] as const;
}

export const freshMart: PartnerDefinition = {
  partnerId: 'ptr_freshmart',
  name: 'FreshMart',
  defaultPort: 4103,
  // The catalogue changes rarely and is the same whoever asks, so any caller may be answered
  // from it (public); rewards left may show up to 10 s late (a booking re-checks).
  cacheHints: { freshMartRewards: { maxAgeSeconds: 10, scope: 'public' } },
  build: async () => {
    const inventory = new RewardInventory('FM-VCH', vouchersAvailable);
    const schema = await buildSchema({
      resolvers: buildFreshMartResolvers(inventory),
      orphanedTypes: [FreshMartMember],
      authChecker: partnerAuthChecker,
      validate: false,
      skipCheck: true,
    });
    const subgraph = buildFederatedSchema<PartnerContext>(schema, {
      Member: (reference) => Object.assign(new FreshMartMember(), { id: String(reference.id) }),
    });
    return { subgraph, inventory };
  },
};
