import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { activateOfferErrors, createOfferErrors, endOfferErrors } from '../gateway/offers/offers';
import { PageInfo } from './common';
import { resultUnion } from './errors';
import { RuleEffect, RuleEffectInput } from './rules';
import { Int64 } from './scalars';

@InputType({
  description:
    'A personalised offer: what a targeted member gets at their next purchase once they activate it, in a window, with a budget and a per-member limit.',
})
export class OfferInput {
  @Field({ description: 'The program currency its points are in (one the partner awards).' })
  currency!: string;

  @Field({ description: 'What the member reads, 1 to 120 characters.' })
  name!: string;

  @Field(() => String, {
    nullable: true,
    description: 'More for the member, at most 500 characters.',
  })
  description?: string | null;

  @Field(() => [RuleEffectInput], {
    description:
      'What it gives, as an earning rule’s effects: bonusPoints, multiplyPoints ("x times points"), discount (percent off), voucher.',
  })
  effects!: RuleEffectInput[];

  @Field(() => [ID], {
    nullable: true,
    description: 'Members in any of these segments when they activate (a partner’s own segments).',
  })
  targetSegmentIds?: string[] | null;

  @Field(() => [ID], {
    nullable: true,
    description: 'These members (coalition ids; a partner’s must be linked to it).',
  })
  targetMemberIds?: string[] | null;

  @Field(() => Date, { nullable: true, description: 'When it opens; default now.' })
  startsAt?: Date | null;

  @Field({ description: 'When it closes (in the future, at most 366 days after startsAt).' })
  endsAt!: Date;

  @Field(() => Int64, {
    nullable: true,
    description: 'Points it may give in total; never exceeded under concurrency.',
  })
  pointsBudget?: bigint | null;

  @Field(() => Int, { nullable: true, description: 'Purchases it may apply to in total.' })
  usesMax?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Purchases it applies to per member, 1 to 100 (default 1: the next one).',
  })
  perMemberUses?: number | null;
}

@ObjectType({ description: 'A personalised offer, as its partner (or the operator) sees it.' })
export class Offer {
  @Field(() => ID, { description: 'The offer’s id ("ofr_...").' })
  id!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'The partner; null: the operator’s coalition offer (any partner’s purchases).',
  })
  partnerId!: string | null;

  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field(() => ID, { description: 'The earning rule that applies it (see earnRules).' })
  ruleId!: string;

  @Field({ description: 'Its name.' })
  name!: string;

  @Field({ description: 'Its description.' })
  description!: string;

  @Field(() => [RuleEffect], { description: 'What it gives.' })
  effects!: RuleEffect[];

  @Field(() => [ID], { description: 'The segments it targets.' })
  targetSegmentIds!: string[];

  @Field(() => Int64, { description: 'How many members it targets by name.' })
  targetMembersCount!: bigint;

  @Field({ description: 'When it opens.' })
  startsAt!: Date;

  @Field({ description: 'When it closes.' })
  endsAt!: Date;

  @Field(() => Int, { description: 'Purchases it applies to per member.' })
  perMemberUses!: number;

  @Field(() => Int64, { nullable: true, description: 'Its points budget; null: none.' })
  pointsBudget!: bigint | null;

  @Field(() => Int, { nullable: true, description: 'Its total uses; null: no limit.' })
  usesMax!: number | null;

  @Field(() => Int64, { nullable: true, description: 'Points left of the budget.' })
  pointsLeft!: bigint | null;

  @Field(() => Int64, { description: 'How many members activated it.' })
  activationsCount!: bigint;

  @Field(() => Int64, { description: 'How many purchases it applied to (refunded ones not).' })
  usesCount!: bigint;

  @Field(() => Date, { nullable: true, description: 'When it was ended early; null: not.' })
  endedAt!: Date | null;

  @Field({ description: 'When it was created.' })
  createdAt!: Date;
}

@ObjectType({ description: 'A page of offers, newest first.' })
export class OffersPage {
  @Field(() => [Offer], { description: 'The offers of this page.' })
  nodes!: Offer[];

  @Field(() => PageInfo, { description: 'Where the page ends and whether another follows.' })
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'An offer for the calling member.' })
export class MemberOffer {
  @Field(() => ID, { description: 'The offer’s id: activate it with activateOffer.' })
  id!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'Where it applies: the partner; null: at any partner (a coalition offer).',
  })
  partnerId!: string | null;

  @Field({ description: 'The program currency of its points.' })
  currency!: string;

  @Field({ description: 'Its name.' })
  name!: string;

  @Field({ description: 'Its description.' })
  description!: string;

  @Field(() => [RuleEffect], { description: 'What it gives at the next purchase.' })
  effects!: RuleEffect[];

  @Field({ description: 'When it opens.' })
  startsAt!: Date;

  @Field({ description: 'When it closes.' })
  endsAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'When the member activated it; null: not yet (it applies only once activated).',
  })
  activatedAt!: Date | null;

  @Field(() => Int, { description: 'Purchases it may still apply to for the member.' })
  usesLeft!: number;
}

@ObjectType({ description: 'The offer as created or changed.' })
export class OfferSuccess {
  @Field(() => Offer, { description: 'The offer.' })
  offer!: Offer;
}

@ObjectType({ description: 'The offer, activated.' })
export class ActivateOfferSuccess {
  @Field(() => MemberOffer, { description: 'The offer with its activation time.' })
  offer!: MemberOffer;
}

export const CreateOfferResult = resultUnion({
  name: 'CreateOfferResult',
  description: 'OfferSuccess, or why no offer was created.',
  success: OfferSuccess,
  errors: createOfferErrors,
});

export const EndOfferResult = resultUnion({
  name: 'EndOfferResult',
  description: 'OfferSuccess, or why the offer was not ended.',
  success: OfferSuccess,
  errors: endOfferErrors,
});

export const ActivateOfferResult = resultUnion({
  name: 'ActivateOfferResult',
  description: 'ActivateOfferSuccess, or why the offer cannot be activated.',
  success: ActivateOfferSuccess,
  errors: activateOfferErrors,
});
