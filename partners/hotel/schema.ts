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
import { hotelRewards, roomsAvailable, stays } from './fixtures';

const currency = 'HTL';

@ObjectType({ description: 'Reward nights at a Nordic hotel, bookable with HTL points.' })
export class HotelReward {
  @Field(() => ID, { description: 'Nordic’s id of the reward, e.g. "nh_osl_1n".' })
  id!: string;

  @Field({ description: 'The hotel.' })
  hotel!: string;

  @Field({ description: 'The city.' })
  city!: string;

  @Field(() => Int, { description: 'Nights included.' })
  nights!: number;

  @Field(() => Int, { description: 'Reward rooms left.' })
  roomsLeft!: number;

  @Field(() => PointsPriceReference, { description: 'The price in HTL points.' })
  price!: PointsPriceReference;
}

@ObjectType({ description: 'A stay at a Nordic hotel.' })
export class HotelStay {
  @Field({ description: 'The hotel.' })
  hotel!: string;

  @Field({ description: 'Check-in date (YYYY-MM-DD).' })
  checkIn!: string;

  @Field(() => Int, { description: 'Nights stayed.' })
  nights!: number;

  @Field(() => Int64, { description: 'HTL points the stay earned.' })
  pointsEarned!: bigint;
}

@Directive('@key(fields: "id")')
@ObjectType('Member', { description: 'A coalition member, as Nordic Hotels knows them.' })
export class NordicMember {
  @Field(() => ID, { description: 'Coalition member id.' })
  id!: string;
}

function buildNordicResolvers(inventory: RewardInventory) {
  @Resolver(() => HotelReward)
  class HotelRewardResolver {
    @Query(() => [HotelReward], {
      nullable: true,
      description: 'Nordic Hotels reward nights, with their price in HTL points.',
    })
    nordicHotelRewards(
      @Arg('city', () => String, { nullable: true, description: 'Only this city.' })
      city: string | null | undefined,
    ): HotelReward[] {
      return hotelRewards
        .filter((reward) => city == null || reward.city === city)
        .map((reward) =>
          Object.assign(new HotelReward(), {
            ...reward,
            roomsLeft: inventory.left(reward.id),
            price: priceOf(currency, reward.points),
          }),
        );
    }

    @Authorized('member')
    @Mutation(() => RewardRedemption, {
      description:
        'Books reward nights with the calling member’s HTL points (held, then confirmed once the room is reserved). Idempotent on `idempotencyKey`.',
    })
    redeemHotelReward(
      @Arg('rewardId', () => ID) rewardId: string,
      @Arg('idempotencyKey') idempotencyKey: string,
      @Ctx() ctx: PartnerContext,
    ): Promise<RewardRedemption> {
      const reward = hotelRewards.find((candidate) => candidate.id === rewardId);
      return redeemReward(ctx, {
        rewardId,
        price: reward ? { currency, points: reward.points } : null,
        idempotencyKey,
        fulfilment: inventory.forReward(rewardId),
      });
    }
  }

  @Resolver(() => NordicMember)
  class NordicMemberResolver {
    @FieldResolver(() => [HotelStay], {
      nullable: true,
      description: 'Stays at Nordic hotels; for the member, Nordic and the operator only.',
    })
    nordicStays(@Root() member: NordicMember, @Ctx() ctx: PartnerContext): HotelStay[] | null {
      if (!maySeeMember(ctx, member.id)) return null;
      return (stays[member.id] ?? []).map((stay) => Object.assign(new HotelStay(), stay));
    }
  }
  return [HotelRewardResolver, NordicMemberResolver] as const;
}

export const nordicHotels: PartnerDefinition = {
  partnerId: 'ptr_nordic',
  name: 'Nordic Hotels',
  defaultPort: 4102,
  // The catalogue changes rarely and is the same whoever asks, so any caller may be answered
  // from it (public); rewards left may show up to 10 s late (a booking re-checks).
  cacheHints: { nordicHotelRewards: { maxAgeSeconds: 10, scope: 'public' } },
  build: async () => {
    const inventory = new RewardInventory('NH-BKG', roomsAvailable);
    const schema = await buildSchema({
      resolvers: buildNordicResolvers(inventory),
      orphanedTypes: [NordicMember],
      authChecker: partnerAuthChecker,
      validate: false,
      skipCheck: true,
    });
    const subgraph = buildFederatedSchema<PartnerContext>(schema, {
      Member: (reference) => Object.assign(new NordicMember(), { id: String(reference.id) }),
    });
    return { subgraph, inventory };
  },
};
