import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import {
  MyReferrals,
  ReferralProgram,
  ReferralProgramSuccess,
  SetReferralProgramInput,
  SetReferralProgramResult,
} from '../../../schema/referrals';
import {
  type ReferralProgram as ProgramView,
  setReferralProgramErrors,
} from '../../rules/referrals';
import type { GraphQLContext } from '../context';
import { moneyFromInput, moneyObject } from '../mappers';
import { respond } from '../respond';

/** Referral programs and codes. Thin: one auth rule, one service call, a mapping. */
@Resolver()
export class ReferralResolver {
  @Authorized('operator')
  @Mutation(() => SetReferralProgramResult, {
    description: `Sets (or pauses) a currency’s referral program. Audited. ${errorsDoc(setReferralProgramErrors)}`,
  })
  setReferralProgram(@Arg('input') input: SetReferralProgramInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      async () =>
        ctx.app.referrals.setProgram(ctx.request, {
          currency: input.currency,
          referrerPoints: input.referrerPoints,
          refereePoints: input.refereePoints,
          purchaseMin: input.purchaseAtLeast
            ? moneyFromInput(input.purchaseAtLeast, 'purchaseAtLeast')
            : null,
          referralsPerMemberMax: input.referralsPerMemberMax,
          active: input.active ?? true,
        }),
      (program) => Object.assign(new ReferralProgramSuccess(), { program: programObject(program) }),
    );
  }

  @Authorized('partner', 'member', 'operator')
  @Query(() => [ReferralProgram], { description: 'Every referral program, by currency.' })
  async referralPrograms(@Ctx() ctx: GraphQLContext): Promise<ReferralProgram[]> {
    return (await ctx.app.referrals.programs()).map(programObject);
  }

  @Authorized('member')
  @Query(() => MyReferrals, {
    description:
      'The calling member’s referral code (drawn on first use, then fixed) and how many friends joined with it per program.',
  })
  async myReferrals(@Ctx() ctx: GraphQLContext): Promise<MyReferrals> {
    const mine = await ctx.app.referrals.myReferrals(ctx.request);
    return Object.assign(new MyReferrals(), { code: mine.code, programs: mine.referred });
  }
}

function programObject(program: ProgramView): ReferralProgram {
  return Object.assign(new ReferralProgram(), {
    ...program,
    purchaseAtLeast:
      program.purchaseMin &&
      moneyObject(program.purchaseMin.amountMinor, program.purchaseMin.currency),
  });
}
