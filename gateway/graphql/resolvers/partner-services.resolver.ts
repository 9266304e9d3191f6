import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import {
  PartnerService,
  RegisterPartnerServiceInput,
  RegisterPartnerServiceResult,
} from '../../../schema/partner-services';
import { registerServiceErrors } from '../../federation/onboarding';
import type { PartnerServiceRecord } from '../../federation/partner-service-directory';
import { required } from '../../shared/invariant';
import type { GraphQLContext } from '../context';
import { respond } from '../respond';

/** Onboarding of partner services (the operator's). */
@Resolver(() => PartnerService)
export class PartnerServiceResolver {
  @Authorized('operator')
  @Mutation(() => RegisterPartnerServiceResult, {
    description: `Registers (or re-registers) a partner’s subgraph service: fetches its SDL, composes the graph in-process and swaps it without a restart. On a composition error the previous graph keeps serving. ${errorsDoc(registerServiceErrors)}`,
  })
  registerPartnerService(
    @Arg('input') input: RegisterPartnerServiceInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      () =>
        federationOf(ctx).onboarding.register(ctx.request, {
          partnerId: input.partnerId,
          url: input.url,
          jwks: input.jwks ?? undefined,
        }),
      partnerServiceObject,
    );
  }

  @Authorized('operator')
  @Query(() => [PartnerService], {
    description: 'The partner services composed into the graph (operator).',
  })
  async partnerServices(@Ctx() ctx: GraphQLContext): Promise<PartnerService[]> {
    return (await federationOf(ctx).onboarding.list(ctx.request)).map(partnerServiceObject);
  }
}

function federationOf(ctx: GraphQLContext) {
  return required(ctx.federation, 'the federation of the gateway serving this request');
}

function partnerServiceObject(record: PartnerServiceRecord): PartnerService {
  return Object.assign(new PartnerService(), {
    partnerId: record.partnerId,
    url: record.url,
    keyIds: record.jwks.keys.map((key) => key.kid ?? ''),
    registeredAt: record.registeredAt,
    updatedAt: record.updatedAt,
  });
}
