import {
  createMemberErrors,
  enrollmentErrors,
  setBirthdayErrors,
} from '../gateway/members/member-directory';
import 'reflect-metadata';
import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';
import { resultUnion } from './errors';

@Directive('@key(fields: "id")')
@ObjectType({
  description:
    'A person in the coalition, with one wallet across every program. Partners see the members they enrolled; a member sees only themself.',
})
export class Member {
  @Field(() => ID, { description: 'Coalition member id, e.g. "mbr_alice".' })
  id!: string;

  @Field({ description: 'Name to show.' })
  displayName!: string;
}

@InputType({
  description: 'Names a member: give exactly one of `memberId` or the partner’s own `externalId`.',
})
export class MemberRefInput {
  @Field(() => ID, { nullable: true, description: 'The coalition member id.' })
  memberId?: string;

  @Field({
    nullable: true,
    description: 'The calling partner’s own id for the member (card or frequent flyer number).',
  })
  externalId?: string;
}

@InputType({ description: 'Enrolls a member at the calling partner, or links an existing one.' })
export class EnrollMemberInput {
  @Field({
    description:
      'The partner’s own id for the member (1-100 characters). Enrolling it again returns the same member.',
  })
  externalId!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'Link this existing coalition member instead of creating one; needs `linkCode`.',
  })
  memberId?: string;

  @Field({
    nullable: true,
    description: 'The single-use code the member issued (issueLinkCode) to consent to the link.',
  })
  linkCode?: string;

  @Field({
    nullable: true,
    description: 'Name of a new member (required unless `memberId` is given).',
  })
  displayName?: string;

  @Field({ nullable: true, description: 'Email of a new member.' })
  email?: string;

  @Field({
    nullable: true,
    description:
      'A new member’s birthday, "MM-DD" (a "YYYY-MM-DD" date is accepted; the year is not kept), for birthday rewards.',
  })
  birthday?: string;

  @Field({
    nullable: true,
    description:
      'The referral code of the member who brought this new member: when the new member makes a first qualifying purchase, both are rewarded per the referral program.',
  })
  referralCode?: string;
}

@InputType({ description: 'A new member without any partner link (operator only).' })
export class CreateMemberInput {
  @Field({ description: 'Name to show.' })
  displayName!: string;

  @Field({ nullable: true })
  email?: string;
}

@ObjectType({ description: 'The member is enrolled at the calling partner.' })
export class EnrollMemberSuccess {
  @Field(() => Member)
  member!: Member;

  @Field({ description: 'The partner’s own id for the member.' })
  externalId!: string;

  @Field({
    description: 'True when this call created the member; false when it linked or found one.',
  })
  created!: boolean;
}

export const EnrollMemberResult = resultUnion({
  name: 'EnrollMemberResult',
  description: 'EnrollMemberSuccess, or why nobody was enrolled.',
  success: EnrollMemberSuccess,
  errors: enrollmentErrors,
});

export const CreateMemberResult = resultUnion({
  name: 'CreateMemberResult',
  description: 'The new Member, or why none was created.',
  success: Member,
  errors: createMemberErrors,
});

@ObjectType({
  description:
    'A single-use code a member gives a partner to consent to being linked by their member id.',
})
export class LinkCode {
  @Field({ description: 'The code, e.g. "K7MQ2XPA9R"; shown once.' })
  code!: string;

  @Field({ description: 'When the code stops working.' })
  expiresAt!: Date;
}

@InputType({ description: 'Links a member to a partner without a link code (operator only).' })
export class LinkMemberInput {
  @Field(() => ID)
  partnerId!: string;

  @Field({ description: 'The partner’s own id for the member.' })
  externalId!: string;

  @Field(() => ID)
  memberId!: string;
}

@ObjectType({ description: 'The calling member’s birthday now stands as given.' })
export class SetBirthdaySuccess {
  @Field(() => String, { nullable: true, description: '"MM-DD", or null when removed.' })
  birthday!: string | null;
}

export const SetBirthdayResult = resultUnion({
  name: 'SetBirthdayResult',
  description: 'SetBirthdaySuccess, or why the birthday was not set.',
  success: SetBirthdaySuccess,
  errors: setBirthdayErrors,
});
