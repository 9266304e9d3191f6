import { registerServiceErrors } from '../gateway/federation/onboarding';
import 'reflect-metadata';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { resultUnion } from './errors';

@ObjectType({
  description: 'A partner’s own GraphQL service (a subgraph), composed into the coalition’s graph.',
})
export class PartnerService {
  @Field(() => ID, { description: 'The partner.' })
  partnerId!: string;

  @Field({ description: 'Where the gateway sends the partner’s part of each query.' })
  url!: string;

  @Field(() => [String], { description: 'Key ids the partner signs its own tokens with.' })
  keyIds!: string[];

  @Field({ description: 'When it was first registered.' })
  registeredAt!: Date;

  @Field({ description: 'When it was last (re)registered.' })
  updatedAt!: Date;
}

@InputType({ description: 'Registers (or re-registers) a partner’s subgraph service.' })
export class RegisterPartnerServiceInput {
  @Field(() => ID, { description: 'The partner, e.g. "ptr_skyair".' })
  partnerId!: string;

  @Field({ description: 'The service’s GraphQL URL, e.g. "https://graph.skyair.example/graphql".' })
  url!: string;

  @Field({
    nullable: true,
    description:
      'The partner’s public keys as a JWKS JSON document: the partner signs its own calls to the coalition with them. Omit to fetch them from the service’s /.well-known/jwks.json.',
  })
  jwks?: string;
}

export const RegisterPartnerServiceResult = resultUnion({
  name: 'RegisterPartnerServiceResult',
  description:
    'The registered PartnerService (now part of the graph), or why not. On any error the previous graph keeps serving.',
  success: PartnerService,
  errors: registerServiceErrors,
});
