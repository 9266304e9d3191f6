import { eraseMemberErrors } from '../gateway/members/data-rights';
import 'reflect-metadata';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { resultUnion } from './errors';

@InputType({ description: 'Erases a member’s personal data. It cannot be undone.' })
export class EraseMemberInput {
  @Field(() => ID, {
    nullable: true,
    description: 'The member to erase: the operator names one; a member may omit it (themself).',
  })
  memberId?: string;

  @Field({ description: 'Must be true: erasure cannot be undone.' })
  confirm!: boolean;
}

@ObjectType({
  description:
    'A member whose personal data was erased: name, email, partner links and link codes are gone; balances, history, statements and settlement are unchanged; the member can no longer sign in.',
})
export class MemberErasure {
  @Field(() => ID, { description: 'The member (the id stays; it names nobody any more).' })
  memberId!: string;

  @Field({ description: 'When the member was erased (the first time, for a repeated request).' })
  erasedAt!: Date;
}

export const EraseMemberResult = resultUnion({
  name: 'EraseMemberResult',
  description: 'The MemberErasure, or why nothing was erased.',
  success: MemberErasure,
  errors: eraseMemberErrors,
});
