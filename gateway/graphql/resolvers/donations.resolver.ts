import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import {
  CharitiesSuccess,
  Charity,
  DesignateCharityResult,
  DonatePointsInput,
  DonatePointsResult,
  DonationSuccess,
} from '../../../schema/donations';
import { errorsDoc } from '../../../schema/errors';
import { designateCharityErrors, donateErrors } from '../../redemptions/donations';
import type { GraphQLContext } from '../context';
import { respond } from '../respond';

/** Charities and members' gifts of points. Thin: one auth rule, one service call, a mapping. */
@Resolver()
export class DonationResolver {
  @Authorized('member', 'partner', 'operator', 'finance')
  @Query(() => [Charity], { description: 'Partners that accept gifts of points, by name.' })
  async charities(@Ctx() ctx: GraphQLContext) {
    return (await ctx.app.donations.charities()).map((charity) =>
      Object.assign(new Charity(), charity),
    );
  }

  @Authorized('member')
  @Mutation(() => DonatePointsResult, {
    description: `The calling member gives points to a charity: a redemption at the charity, reimbursed to it through settlement like any other; the history says "Donated to ...". Idempotent on \`idempotencyKey\`. ${errorsDoc(donateErrors)}`,
  })
  donatePoints(@Arg('input') input: DonatePointsInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () => ctx.app.donations.donate(ctx.request, input),
      (receipt) => Object.assign(new DonationSuccess(), receipt),
    );
  }

  @Authorized('operator')
  @Mutation(() => DesignateCharityResult, {
    description: `The operator designates a partner as a charity (or withdraws it; gifts made stay). ${errorsDoc(designateCharityErrors)}`,
  })
  designateCharity(
    @Arg('partnerId', () => ID) partnerId: string,
    @Arg('charity') charity: boolean,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      () => ctx.app.donations.designate(ctx.request, partnerId, charity),
      (charities) =>
        Object.assign(new CharitiesSuccess(), {
          charities: charities.map((found) => Object.assign(new Charity(), found)),
        }),
    );
  }
}
