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
import { awardFlights, awardSeats, flightActivity } from './fixtures';

const currency = 'SKY';

@ObjectType({ description: 'A SkyAir seat bookable with SkyAir miles.' })
export class AwardFlight {
  @Field(() => ID, { description: 'SkyAir’s id of the award, e.g. "awd_osl_lhr_0312".' })
  id!: string;

  @Field({ description: 'e.g. "SK 815".' })
  flightNumber!: string;

  @Field({ description: 'IATA airport code.' })
  origin!: string;

  @Field({ description: 'IATA airport code.' })
  destination!: string;

  @Field({ description: 'economy or business.' })
  cabin!: string;

  @Field({ description: 'Departure date (YYYY-MM-DD).' })
  departsOn!: string;

  @Field(() => Int, { description: 'Award seats left.' })
  seatsLeft!: number;

  @Field(() => PointsPriceReference, { description: 'The price in SKY miles.' })
  price!: PointsPriceReference;
}

@ObjectType({ description: 'A flight a member flew with SkyAir.' })
export class FlightActivity {
  @Field({ description: 'e.g. "SK 4035".' })
  flightNumber!: string;

  @Field({ description: 'e.g. "OSL-BGO".' })
  route!: string;

  @Field({ description: 'Date flown (YYYY-MM-DD).' })
  flownOn!: string;

  @Field(() => Int64, { description: 'Miles the flight earned.' })
  milesEarned!: bigint;
}

@Directive('@key(fields: "id")')
@ObjectType('Member', { description: 'A coalition member, as SkyAir knows them.' })
export class SkyAirMember {
  @Field(() => ID, { description: 'Coalition member id.' })
  id!: string;
}

function buildSkyAirResolvers(inventory: RewardInventory) {
  const flightObject = (flight: (typeof awardFlights)[number]) =>
    Object.assign(new AwardFlight(), {
      ...flight,
      seatsLeft: inventory.left(flight.id),
      price: priceOf(currency, flight.miles),
    });

  @Resolver(() => AwardFlight)
  class AwardFlightResolver {
    @Query(() => [AwardFlight], {
      nullable: true,
      description: 'SkyAir award flights, with their price in SKY miles.',
    })
    skyAirAwardFlights(
      @Arg('destination', () => String, { nullable: true, description: 'IATA code.' })
      destination: string | null | undefined,
    ): AwardFlight[] {
      return awardFlights
        .filter((flight) => destination == null || flight.destination === destination)
        .map(flightObject);
    }

    @Authorized('member')
    @Mutation(() => RewardRedemption, {
      description:
        'Books an award flight with the calling member’s SKY miles (held, then confirmed once the seat is issued). Idempotent on `idempotencyKey`.',
    })
    redeemAwardFlight(
      @Arg('flightId', () => ID) flightId: string,
      @Arg('idempotencyKey') idempotencyKey: string,
      @Ctx() ctx: PartnerContext,
    ): Promise<RewardRedemption> {
      const flight = awardFlights.find((candidate) => candidate.id === flightId);
      return redeemReward(ctx, {
        rewardId: flightId,
        price: flight ? { currency, points: flight.miles } : null,
        idempotencyKey,
        fulfilment: inventory.forReward(flightId),
      });
    }
  }

  @Resolver(() => SkyAirMember)
  class SkyAirMemberResolver {
    @FieldResolver(() => [FlightActivity], {
      nullable: true,
      description: 'Flights with SkyAir; for the member, SkyAir and the operator only.',
    })
    skyAirFlights(
      @Root() member: SkyAirMember,
      @Ctx() ctx: PartnerContext,
    ): FlightActivity[] | null {
      if (!maySeeMember(ctx, member.id)) return null;
      return (flightActivity[member.id] ?? []).map((flight) =>
        Object.assign(new FlightActivity(), flight),
      );
    }
  }
  return [AwardFlightResolver, SkyAirMemberResolver] as const;
}

export const skyAir: PartnerDefinition = {
  partnerId: 'ptr_skyair',
  name: 'SkyAir',
  defaultPort: 4101,
  // The catalogue changes rarely and is the same whoever asks, so any caller may be answered
  // from it (public); rewards left may show up to 10 s late (a booking re-checks).
  cacheHints: { skyAirAwardFlights: { maxAgeSeconds: 10, scope: 'public' } },
  build: async () => {
    const inventory = new RewardInventory('SKY-TKT', awardSeats);
    const schema = await buildSchema({
      resolvers: buildSkyAirResolvers(inventory),
      orphanedTypes: [SkyAirMember],
      authChecker: partnerAuthChecker,
      validate: false,
      skipCheck: true,
    });
    const subgraph = buildFederatedSchema<PartnerContext>(schema, {
      Member: (reference) => Object.assign(new SkyAirMember(), { id: String(reference.id) }),
    });
    return { subgraph, inventory };
  },
};
