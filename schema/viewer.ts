import 'reflect-metadata';
import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Who the API thinks is calling, from the bearer token.' })
export class Viewer {
  @Field({ description: 'partner, member, finance, operator, or anonymous.' })
  kind!: string;

  @Field(() => ID, { nullable: true, description: 'The partner, member or user id.' })
  id!: string | null;

  @Field(() => ID, { nullable: true, description: 'For a partner’s finance user: the partner.' })
  partnerId!: string | null;
}
