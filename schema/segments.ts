import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { defineSegmentErrors, segmentReadErrors } from '../gateway/segments/segments';
import { Money, MoneyInput, PageInfo } from './common';
import { resultUnion } from './errors';
import { Int64 } from './scalars';

export enum SegmentKind {
  NEW = 'new',
  ACTIVE = 'active',
  HIGH_VALUE = 'high_value',
  LAPSED = 'lapsed',
  AT_RISK = 'at_risk',
  CUSTOM = 'custom',
}
registerEnumType(SegmentKind, {
  name: 'SegmentKind',
  description:
    'What a segment holds. Activity and purchases count in the segment’s scope: at its partner, or anywhere for a coalition segment. See docs/segments-and-offers.md.',
  valuesConfig: {
    NEW: { description: 'Members whose first purchase was within the last 30 days.' },
    ACTIVE: { description: 'Members with activity within the last 90 days.' },
    HIGH_VALUE: {
      description:
        'The top 20% of members by net spend over the last 12 months (per purchase currency; ties at the boundary included).',
    },
    LAPSED: { description: 'Members with activity, but none within the last 90 days.' },
    AT_RISK: {
      description:
        'Members whose spend in the last 90 days is below their spend in the 90 days before (in a purchase currency).',
    },
    CUSTOM: { description: 'Members meeting every one of the segment’s conditions.' },
  },
});

@InputType({ description: 'The member holds one of these tiers of a program.' })
export class SegmentTierConditionInput {
  @Field({ description: 'The program currency, e.g. "SKY".' })
  currency!: string;

  @Field(() => [String], { description: '1 to 10 tier codes of its ladder.' })
  tiers!: string[];
}

@InputType({
  description:
    'The member’s net purchase money (purchases that earned points, less their refunds) over the last `withinDays` days. Give atLeast, below, or both, in one currency.',
})
export class SegmentSpendConditionInput {
  @Field(() => MoneyInput, { nullable: true, description: 'At least this much.' })
  atLeast?: MoneyInput | null;

  @Field(() => MoneyInput, { nullable: true, description: 'Less than this much.' })
  below?: MoneyInput | null;

  @Field(() => Int, { description: 'The window, 1 to 3,660 days back from the refresh.' })
  withinDays!: number;
}

@InputType({
  description:
    'The member’s purchases over the last `withinDays` days: give atLeast, atMost or both.',
})
export class SegmentVisitsConditionInput {
  @Field(() => Int, { nullable: true, description: 'At least this many purchases.' })
  atLeast?: number | null;

  @Field(() => Int, { nullable: true, description: 'At most this many purchases.' })
  atMost?: number | null;

  @Field(() => Int, { description: 'The window, 1 to 3,660 days back from the refresh.' })
  withinDays!: number;
}

@InputType({ description: 'One condition of a custom segment: give exactly one field.' })
export class SegmentConditionInput {
  @Field(() => SegmentTierConditionInput, { nullable: true, description: 'A tier held.' })
  tier?: SegmentTierConditionInput | null;

  @Field(() => SegmentSpendConditionInput, { nullable: true, description: 'Money spent.' })
  spend?: SegmentSpendConditionInput | null;

  @Field(() => SegmentVisitsConditionInput, { nullable: true, description: 'Purchases made.' })
  visits?: SegmentVisitsConditionInput | null;

  @Field(() => Int, {
    nullable: true,
    description: 'The member’s last activity is within this many days.',
  })
  lastActivityWithinDays?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'The member has activity, but none within this many days.',
  })
  lastActivityOlderThanDays?: number | null;

  @Field(() => [Int], {
    nullable: true,
    description: 'The member’s birthday is in one of these months (1-12).',
  })
  birthdayMonths?: number[] | null;

  @Field(() => String, {
    nullable: true,
    description: 'The member has an account in this program currency (e.g. "HTL").',
  })
  program?: string | null;
}

@InputType({ description: 'A custom segment: a name and conditions that must all hold.' })
export class SegmentInput {
  @Field({ description: '1 to 120 characters.' })
  name!: string;

  @Field(() => [SegmentConditionInput], { description: '1 to 10 conditions, all must hold.' })
  conditions!: SegmentConditionInput[];
}

@ObjectType({ description: 'One condition of a custom segment.' })
export class SegmentCondition {
  @Field({
    description: '"tier", "spend", "visits", "lastActivity", "birthdayMonth" or "program".',
  })
  kind!: string;

  @Field(() => String, { nullable: true, description: 'tier, program: the program currency.' })
  currency!: string | null;

  @Field(() => [String], { nullable: true, description: 'tier: the tier codes.' })
  tiers!: string[] | null;

  @Field(() => Money, { nullable: true, description: 'spend: at least this much.' })
  spendAtLeast!: Money | null;

  @Field(() => Money, { nullable: true, description: 'spend: less than this much.' })
  spendBelow!: Money | null;

  @Field(() => Int, { nullable: true, description: 'visits: at least this many purchases.' })
  visitsAtLeast!: number | null;

  @Field(() => Int, { nullable: true, description: 'visits: at most this many purchases.' })
  visitsAtMost!: number | null;

  @Field(() => Int, { nullable: true, description: 'spend, visits: the window in days.' })
  withinDays!: number | null;

  @Field(() => Int, { nullable: true, description: 'lastActivity: within this many days.' })
  lastActivityWithinDays!: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'lastActivity: some activity, none within this many days.',
  })
  lastActivityOlderThanDays!: number | null;

  @Field(() => [Int], { nullable: true, description: 'birthdayMonth: the months.' })
  birthdayMonths!: number[] | null;
}

@ObjectType({
  description:
    'A group of members: a partner’s, over the members linked to it, or the coalition’s (the operator’s), over every member. Membership is as the last refresh computed it.',
})
export class Segment {
  @Field(() => ID, {
    description:
      'The segment’s id: "seg_lapsed_ptr_freshmart" for a built-in one, "seg_..." for a custom one.',
  })
  id!: string;

  @Field(() => ID, { nullable: true, description: 'The partner; null: coalition-wide.' })
  partnerId!: string | null;

  @Field(() => SegmentKind, { description: 'Built-in, or custom.' })
  kind!: SegmentKind;

  @Field({ description: 'Its name.' })
  name!: string;

  @Field(() => [SegmentCondition], {
    description: 'A custom segment’s conditions; empty otherwise.',
  })
  conditions!: SegmentCondition[];

  @Field(() => Int64, { description: 'How many members it has, as last refreshed.' })
  memberCount!: bigint;

  @Field(() => Date, {
    nullable: true,
    description: 'The time membership was computed as of; null: not computed yet.',
  })
  asOf!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was last refreshed.' })
  refreshedAt!: Date | null;

  @Field({ description: 'When it was created.' })
  createdAt!: Date;

  @Field({ description: 'When its definition last changed.' })
  updatedAt!: Date;
}

@ObjectType({ description: 'A page of segments.' })
export class SegmentsPage {
  @Field(() => [Segment], { description: 'The segments of this page, by id.' })
  nodes!: Segment[];

  @Field(() => PageInfo, { description: 'Where the page ends and whether another follows.' })
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'A member of a segment.' })
export class SegmentMember {
  @Field(() => ID, { description: 'The member’s coalition id.' })
  memberId!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The partner’s own id for the member (a partner’s segment); null otherwise.',
  })
  externalId!: string | null;
}

@ObjectType({ description: 'A page of a segment’s members, by member id.' })
export class SegmentMembersPage {
  @Field(() => [SegmentMember], { description: 'The members of this page.' })
  nodes!: SegmentMember[];

  @Field(() => PageInfo, { description: 'Where the page ends and whether another follows.' })
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'The segment as defined.' })
export class SegmentSuccess {
  @Field(() => Segment, { description: 'The segment, its membership computed as of now.' })
  segment!: Segment;
}

export const DefineSegmentResult = resultUnion({
  name: 'DefineSegmentResult',
  description: 'SegmentSuccess, or why the segment was not defined.',
  success: SegmentSuccess,
  errors: defineSegmentErrors,
});

export const SegmentMembersResult = resultUnion({
  name: 'SegmentMembersResult',
  description: 'A page of the segment’s members, or why none can be read.',
  success: SegmentMembersPage,
  errors: segmentReadErrors,
});
