import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import {
  ActivateOfferResult,
  ActivateOfferSuccess,
  CreateOfferResult,
  EndOfferResult,
  MemberOffer,
  Offer,
  OfferInput,
  OfferSuccess,
  OffersPage,
} from '../../../schema/offers';
import {
  activateOfferErrors,
  createOfferErrors,
  endOfferErrors,
  type MemberOfferView,
  type OfferView,
} from '../../offers/offers';
import type { GraphQLContext } from '../context';
import { respond } from '../respond';
import { effectObject, ruleEffectOf } from '../rule-mappers';

/** Personalised offers (issue 18, item 2). Thin: an auth rule, one service call, a mapping. */
@Resolver()
export class OfferResolver {
  @Authorized('partner', 'operator')
  @Mutation(() => CreateOfferResult, {
    description: `Creates a personalised offer targeted at segments or members: a partner’s applies at its purchases, the operator’s at any partner’s. A targeted member sees it in myOffers and activates it; it then applies at their next purchase in its window, as often as perMemberUses allows, within its budget. ${errorsDoc(createOfferErrors)}`,
  })
  createOffer(
    @Arg('input', { description: 'The offer.' }) input: OfferInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      async () =>
        ctx.app.offers.create(ctx.request, {
          currency: input.currency,
          name: input.name,
          description: input.description ?? '',
          effects: input.effects.map((effect, index) => ruleEffectOf(effect, `effects[${index}]`)),
          targetSegmentIds: input.targetSegmentIds ?? [],
          targetMemberIds: input.targetMemberIds ?? [],
          startsAt: input.startsAt ?? ctx.app.clock.now(),
          endsAt: input.endsAt,
          pointsBudget: input.pointsBudget ?? null,
          usesMax: input.usesMax ?? null,
          perMemberUses: input.perMemberUses ?? 1,
        }),
      offerSuccess,
    );
  }

  @Authorized('partner', 'operator')
  @Mutation(() => EndOfferResult, {
    description: `Ends an offer now: it no longer applies, activated or not. ${errorsDoc(endOfferErrors)}`,
  })
  endOffer(
    @Arg('offerId', () => ID, { description: 'The offer.' }) offerId: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(() => ctx.app.offers.end(ctx.request, offerId), offerSuccess);
  }

  @Authorized('partner', 'operator')
  @Query(() => OffersPage, {
    description:
      'Offers, newest first, with their activations, uses and budget: a partner’s own; the operator’s coalition offers, or one partner’s.',
  })
  async offers(
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
    const page = await ctx.app.offers.offers(ctx.request, { partnerId, first, after });
    return Object.assign(new OffersPage(), {
      nodes: page.items.map(offerObject),
      pageInfo: { endCursor: page.nextCursor, hasNextPage: page.nextCursor !== null },
    });
  }

  @Authorized('member')
  @Query(() => [MemberOffer], {
    description:
      'The calling member’s offers: targeted at them (or activated by them), open now and not used up, soonest ending first (at most 100).',
  })
  async myOffers(@Ctx() ctx: GraphQLContext) {
    return (await ctx.app.offers.myOffers(ctx.request)).map(memberOfferObject);
  }

  @Authorized('member')
  @Mutation(() => ActivateOfferResult, {
    description: `The calling member activates an offer targeted at them; it applies at their next matching purchase. Activating it again answers the same activation. ${errorsDoc(activateOfferErrors)}`,
  })
  activateOffer(
    @Arg('offerId', () => ID, { description: 'The offer.' }) offerId: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      () => ctx.app.offers.activate(ctx.request, offerId),
      (view) => Object.assign(new ActivateOfferSuccess(), { offer: memberOfferObject(view) }),
    );
  }
}

function offerObject(view: OfferView): Offer {
  return Object.assign(new Offer(), {
    ...view,
    effects: view.effects.map(effectObject),
    pointsLeft: view.budgetLeft?.points ?? null,
  });
}

function offerSuccess(view: OfferView): OfferSuccess {
  return Object.assign(new OfferSuccess(), { offer: offerObject(view) });
}

function memberOfferObject(view: MemberOfferView): MemberOffer {
  return Object.assign(new MemberOffer(), { ...view, effects: view.effects.map(effectObject) });
}
