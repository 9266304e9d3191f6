import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { EraseMemberInput, EraseMemberResult, MemberErasure } from '../../../schema/data-rights';
import { errorsDoc } from '../../../schema/errors';
import { eraseMemberErrors } from '../../members/data-rights';
import type { GraphQLContext } from '../context';
import { respond } from '../respond';

/**
 * Members' data rights. Erasure is here; the export is a streamed HTTP route
 * (`GET /members/export`, gateway/http/member-export.ts), since a long history is too big for
 * one GraphQL answer.
 */
@Resolver()
export class DataRightsResolver {
  @Authorized('member', 'operator')
  @Mutation(() => EraseMemberResult, {
    description: `Erases a member’s personal data (name, email, partner links, link codes), keeping the ledger, statements and settlement exactly as they are; the member can no longer sign in. A member erases themself, the operator anyone; \`confirm\` must be true. Idempotent: erasing again answers the first erasure. Recorded in the audit log (who and when, nothing erased). ${errorsDoc(eraseMemberErrors)}`,
  })
  eraseMember(@Arg('input') input: EraseMemberInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.dataRights.erase(ctx.request, {
          memberId: input.memberId ?? undefined,
          confirm: input.confirm,
        }),
      (receipt) => Object.assign(new MemberErasure(), receipt),
    );
  }
}
