import {
  Arg,
  Authorized,
  Ctx,
  FieldResolver,
  ID,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import {
  CreateCurrencyInput,
  CreateCurrencyResult,
  CreatePartnerInput,
  CreatePartnerResult,
  Currency,
  Partner,
  PartnerCurrencyTerms,
  SetPartnerCurrencyInput,
  SetPartnerCurrencyResult,
} from '../../../schema/programs';
import {
  createCurrencyErrors,
  createPartnerErrors,
  setPartnerCurrencyErrors,
} from '../../programs/program-catalog';
import type { GraphQLContext } from '../context';
import { currencyObject, partnerObject, termsObject } from '../mappers';
import { respond } from '../respond';

@Resolver(() => Partner)
export class ProgramResolver {
  @Authorized()
  @Query(() => [Partner], { description: 'Every partner in the coalition.' })
  async partners(@Ctx() ctx: GraphQLContext): Promise<Partner[]> {
    return (await ctx.app.catalog.listPartners(ctx.request)).map(partnerObject);
  }

  @Authorized()
  @Query(() => Partner, { nullable: true, description: 'One partner.' })
  async partner(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Partner | null> {
    const record = await ctx.loaders.partner.load(id);
    return record && partnerObject(record);
  }

  @Authorized()
  @Query(() => [Currency], { description: 'Every program currency.' })
  async currencies(@Ctx() ctx: GraphQLContext): Promise<Currency[]> {
    return (await ctx.app.catalog.listCurrencies(ctx.request)).map(currencyObject);
  }

  @FieldResolver(() => [PartnerCurrencyTerms], {
    description: 'The currencies this partner awards and accepts, and its earn rates.',
  })
  async terms(
    @Root() partner: Partner,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PartnerCurrencyTerms[]> {
    return (await ctx.app.catalog.listPartnerTerms(ctx.request, partner.id)).map(termsObject);
  }

  @Authorized('operator')
  @Mutation(() => CreatePartnerResult, {
    description: `Adds a partner (operator). ${errorsDoc(createPartnerErrors)}`,
  })
  createPartner(@Arg('input') input: CreatePartnerInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.catalog.createPartner(ctx.request, { id: input.id ?? undefined, name: input.name }),
      partnerObject,
    );
  }

  @Authorized('operator')
  @Mutation(() => CreateCurrencyResult, {
    description: `Adds a program currency owned by a partner (operator). ${errorsDoc(createCurrencyErrors)}`,
  })
  createCurrency(@Arg('input') input: CreateCurrencyInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.catalog.createCurrency(ctx.request, {
          code: input.code,
          name: input.name,
          ownerPartnerId: input.ownerPartnerId,
          expiryMonths: input.expiryMonths ?? null,
        }),
      currencyObject,
    );
  }

  @Authorized('operator')
  @Mutation(() => SetPartnerCurrencyResult, {
    description: `Sets whether a partner awards and accepts a currency, and its earn rate (operator). ${errorsDoc(setPartnerCurrencyErrors)}`,
  })
  setPartnerCurrency(@Arg('input') input: SetPartnerCurrencyInput, @Ctx() ctx: GraphQLContext) {
    return respond(() => ctx.app.catalog.setPartnerCurrency(ctx.request, input), termsObject);
  }
}

@Resolver(() => Currency)
export class CurrencyResolver {
  @FieldResolver(() => Partner, { nullable: true, description: 'The issuing partner.' })
  async owner(@Root() currency: Currency, @Ctx() ctx: GraphQLContext): Promise<Partner | null> {
    const record = await ctx.loaders.partner.load(currency.ownerPartnerId);
    return record && partnerObject(record);
  }
}
