import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import {
  CreateMemberInput,
  CreateMemberResult,
  EnrollMemberInput,
  EnrollMemberResult,
  EnrollMemberSuccess,
  LinkCode,
  LinkMemberInput,
  Member,
  MemberRefInput,
  SetBirthdayResult,
  SetBirthdaySuccess,
} from '../../../schema/members';
import { Balance, Wallet } from '../../../schema/wallet';
import type { MemberRecord } from '../../members/member.entity';
import {
  createMemberErrors,
  enrollmentErrors,
  setBirthdayErrors,
} from '../../members/member-directory';
import { catchDomainError, DomainError, NotFound } from '../../shared/errors';
import type { GraphQLContext } from '../context';
import { badInput, forbidden } from '../error-results';
import { balanceObject, memberObject } from '../mappers';
import { respond } from '../respond';

@Resolver(() => Member)
export class MemberResolver {
  @Authorized('partner', 'member', 'operator')
  @Query(() => Member, {
    nullable: true,
    description:
      'A member. Partners name members by id or by their own external id and see only members they enrolled; a member sees only themself; the operator sees anyone (by memberId). Null when not visible.',
  })
  async member(
    @Arg('ref') ref: MemberRefInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Member | null> {
    const memberId = await this.visibleMemberId(ctx, ref);
    if (!memberId) return null;
    const record = await ctx.loaders.member.load(memberId);
    return record && memberObject(record);
  }

  @Authorized('partner')
  @Mutation(() => EnrollMemberResult, {
    description: `Enrolls a member at the calling partner under the partner’s own id for them, or links an existing member (\`memberId\`). Idempotent on \`externalId\`. ${errorsDoc(enrollmentErrors)}`,
  })
  enrollMember(@Arg('input') input: EnrollMemberInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.members.enroll(ctx.request, {
          externalId: input.externalId,
          memberId: input.memberId ?? undefined,
          linkCode: input.linkCode ?? undefined,
          displayName: input.displayName ?? undefined,
          email: input.email ?? undefined,
          birthday: input.birthday ?? undefined,
          referralCode: input.referralCode ?? undefined,
        }),
      (enrollment) =>
        Object.assign(new EnrollMemberSuccess(), {
          member: memberObject(enrollment.member),
          externalId: enrollment.externalId,
          created: enrollment.created,
        }),
    );
  }

  @Authorized('member')
  @Mutation(() => SetBirthdayResult, {
    description: `The calling member sets their birthday ("MM-DD"), or removes it with null, for birthday rewards. ${errorsDoc(setBirthdayErrors)}`,
  })
  setMyBirthday(
    @Arg('birthday', () => String, { nullable: true }) birthday: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(
      () => ctx.app.members.setBirthday(ctx.request, birthday),
      (member) => Object.assign(new SetBirthdaySuccess(), { birthday: birthdayString(member) }),
    );
  }

  @Authorized('member')
  @Mutation(() => LinkCode, {
    description:
      'Issues a single-use link code (valid 15 minutes) the calling member gives a partner to be linked by member id.',
  })
  async issueLinkCode(@Ctx() ctx: GraphQLContext): Promise<LinkCode> {
    const issued = await ctx.app.members.issueLinkCode(ctx.request);
    if (issued instanceof DomainError) throw forbidden(issued.message);
    return Object.assign(new LinkCode(), issued);
  }

  @Authorized('operator')
  @Mutation(() => EnrollMemberResult, {
    description: `Links an existing member to a partner without a link code (operator onboarding). Idempotent on the partner’s external id. ${errorsDoc(enrollmentErrors)}`,
  })
  linkMember(@Arg('input') input: LinkMemberInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () => ctx.app.members.linkMember(ctx.request, input),
      (enrollment) =>
        Object.assign(new EnrollMemberSuccess(), {
          member: memberObject(enrollment.member),
          externalId: enrollment.externalId,
          created: enrollment.created,
        }),
    );
  }

  @Authorized('operator')
  @Mutation(() => CreateMemberResult, {
    description: `Creates a member with no partner link (operator). ${errorsDoc(createMemberErrors)}`,
  })
  createMember(@Arg('input') input: CreateMemberInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.members.createMember(ctx.request, {
          displayName: input.displayName,
          email: input.email ?? undefined,
        }),
      memberObject,
    );
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Birthday, "MM-DD"; visible to the member and the operator only.',
  })
  async birthday(@Root() member: Member, @Ctx() ctx: GraphQLContext): Promise<string | null> {
    if (!isSelfOrOperator(ctx, member.id)) return null;
    const record = await ctx.loaders.member.load(member.id);
    return record ? birthdayString(record) : null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Email; visible to the member and the operator only.',
  })
  async email(@Root() member: Member, @Ctx() ctx: GraphQLContext): Promise<string | null> {
    if (!isSelfOrOperator(ctx, member.id)) return null;
    return (await ctx.loaders.member.load(member.id))?.email ?? null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'The calling partner’s own id for this member.',
  })
  externalId(@Root() member: Member, @Ctx() ctx: GraphQLContext): Promise<string | null> | null {
    if (ctx.caller.kind !== 'partner') return null;
    return ctx.app.members.externalIdOf(ctx.request, ctx.caller.partnerId, member.id);
  }

  @FieldResolver(() => [Balance], {
    description:
      'Balances per currency. A partner sees only the currencies it accepts as payment; the member and the operator see all.',
  })
  async balances(@Root() member: Member, @Ctx() ctx: GraphQLContext): Promise<Balance[]> {
    const balances = await ctx.loaders.balances.load(member.id);
    if (ctx.caller.kind !== 'partner') return balances.map(balanceObject);
    const partnerId = ctx.caller.partnerId;
    const accepted = await Promise.all(
      balances.map(
        async (balance) =>
          (await ctx.app.catalog.partnerTerms(partnerId, balance.currency))?.accepts,
      ),
    );
    return balances.filter((_, index) => accepted[index]).map(balanceObject);
  }

  @FieldResolver(() => Wallet, {
    nullable: true,
    description: 'The full wallet with history; for the member and the operator only.',
  })
  wallet(@Root() member: Member, @Ctx() ctx: GraphQLContext): Wallet {
    if (!isSelfOrOperator(ctx, member.id)) throw forbidden('Only the member sees their wallet');
    return Object.assign(new Wallet(), { memberId: member.id });
  }

  /** The member id the caller may see for `ref`, or null. */
  private async visibleMemberId(ctx: GraphQLContext, ref: MemberRefInput): Promise<string | null> {
    const caller = ctx.caller;
    if (caller.kind === 'partner') {
      const resolved = await catchDomainError(() =>
        ctx.app.members.resolveForPartner(ctx.request, caller.partnerId, {
          memberId: ref.memberId ?? undefined,
          externalId: ref.externalId ?? undefined,
        }),
      );
      if (resolved instanceof NotFound) return null;
      if (typeof resolved !== 'string') throw badInput(resolved.message);
      return resolved;
    }
    if (caller.kind === 'member') return ref.memberId === caller.memberId ? caller.memberId : null;
    return ref.memberId ?? null;
  }
}

function isSelfOrOperator(ctx: GraphQLContext, memberId: string): boolean {
  const caller = ctx.caller;
  return caller.kind === 'operator' || (caller.kind === 'member' && caller.memberId === memberId);
}

function birthdayString(member: MemberRecord): string | null {
  if (member.birthMonth === null || member.birthDay === null) return null;
  return `${String(member.birthMonth).padStart(2, '0')}-${String(member.birthDay).padStart(2, '0')}`;
}
