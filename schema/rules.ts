import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { memberEventErrors, previewAwardErrors } from '../gateway/purchases/purchase-service';
import { defineRuleErrors, manageRuleErrors } from '../gateway/rules/rule-service';
import { Money, MoneyInput, PageInfo } from './common';
import { resultUnion } from './errors';
import { MemberRefInput } from './members';
import { Int64 } from './scalars';
import { EarnLine } from './tiers';
import { VoucherReward } from './vouchers';

export enum SalesChannel {
  STORE = 'store',
  ONLINE = 'online',
  APP = 'app',
}
registerEnumType(SalesChannel, { name: 'SalesChannel', description: 'Where a purchase was made.' });

export enum RuleStacking {
  STACKABLE = 'stackable',
  EXCLUSIVE = 'exclusive',
  STOP = 'stop',
}
registerEnumType(RuleStacking, {
  name: 'RuleStacking',
  description:
    'How a rule combines with others, evaluated by priority (highest first, then oldest).',
  valuesConfig: {
    STACKABLE: { description: 'Applies, and later rules may apply too.' },
    EXCLUSIVE: {
      description: 'Applies only when no rule applied before it; then no later rule applies.',
    },
    STOP: { description: 'Applies; then no later rule applies.' },
  },
});

export enum LimitPeriod {
  DAY = 'day',
  MONTH = 'month',
  EVER = 'ever',
}
registerEnumType(LimitPeriod, {
  name: 'LimitPeriod',
  description:
    'The period of a per-member limit: a day or a month in the rule’s time zone, or ever.',
});

export enum RuleMatch {
  ALL = 'all',
  ANY = 'any',
}
registerEnumType(RuleMatch, {
  name: 'RuleMatch',
  description: 'Whether every condition must hold, or one is enough.',
});

@InputType({ description: 'One line of a purchase’s basket.' })
export class BasketLineInput {
  @Field({ description: 'The partner’s product code.' })
  sku!: string;

  @Field({ nullable: true, description: 'The product’s category, e.g. "toys".' })
  category?: string;

  @Field(() => Int)
  quantity!: number;

  @Field({ description: 'Price of one unit, a decimal in the purchase’s currency, e.g. "9.99".' })
  unitPrice!: string;

  @Field({
    nullable: true,
    description:
      'What the line costs after line discounts (default: quantity x unit price). The lines add up to the purchase.',
  })
  amount?: string;
}

@InputType({ description: 'Basket lines matched by sku or by category (either matches).' })
export class LineConditionInput {
  @Field(() => [String], { nullable: true })
  skus?: string[];

  @Field(() => [String], { nullable: true })
  categories?: string[];

  @Field(() => Int, { nullable: true, description: 'Matching lines’ total quantity (default 1).' })
  quantityAtLeast?: number;

  @Field(() => MoneyInput, { nullable: true, description: 'Matching lines’ total amount.' })
  amountAtLeast?: MoneyInput;
}

@InputType({ description: 'One condition of a rule: give exactly one field.' })
export class RuleConditionInput {
  @Field(() => [SalesChannel], {
    nullable: true,
    description: 'The purchase’s channel is one of these.',
  })
  channels?: SalesChannel[];

  @Field(() => LineConditionInput, { nullable: true, description: 'The basket has such lines.' })
  lines?: LineConditionInput;

  @Field(() => MoneyInput, { nullable: true, description: 'The purchase is at least this much.' })
  basketTotalAtLeast?: MoneyInput;

  @Field(() => [String], {
    nullable: true,
    description: 'The member holds one of these tiers of the program (tier codes).',
  })
  memberTiers?: string[];

  @Field(() => Int, {
    nullable: true,
    description:
      'The member’s N-th purchase at this partner (in any of its programs), this one included (step by step: 1, 2, 3). Needs match ALL.',
  })
  purchaseNumber?: number;

  @Field({
    nullable: true,
    description:
      'The member’s first purchase anywhere in the coalition (give true). Needs match ALL.',
  })
  firstPurchaseInCoalition?: boolean;

  @Field(() => [String], {
    nullable: true,
    description:
      'A member event of one of these types (recordMemberEvent): profile_completed, app_installed, social_share, review_submitted, survey_submitted, or the partner’s own. Such a rule rewards events only (with bonusPoints); any other rule, purchases only.',
  })
  eventTypes?: string[];

  @Field({
    nullable: true,
    description:
      'The member’s birthday is in the month of the purchase, in the rule’s time zone (give true). A member with no birthday on record never matches. Needs match ALL.',
  })
  birthdayMonth?: boolean;

  @Field(() => Int, {
    nullable: true,
    description:
      'The member’s birthday is within this many days of the purchase, either way (0: the day itself; up to 31). Needs match ALL.',
  })
  birthdayWithinDays?: number;

  @Field(() => Int, {
    nullable: true,
    description:
      'The anniversary of the member’s joining the coalition is within this many days (0-31), from the first anniversary on. Needs match ALL.',
  })
  anniversaryWithinDays?: number;

  @Field(() => ID, {
    nullable: true,
    description:
      'The member is in this segment, as its last refresh computed it (see `segments`): a partner’s rule names one of its own segments, the operator’s any. Needs match ALL.',
  })
  inSegment?: string;
}

@InputType({ description: 'How often a rule may give; every field is optional (no limit).' })
export class RuleLimitsInput {
  @Field(() => Int, { nullable: true, description: 'Uses per member per `perMemberPeriod`.' })
  perMemberUses?: number;

  @Field(() => LimitPeriod, { nullable: true, description: 'Default EVER ("once per member").' })
  perMemberPeriod?: LimitPeriod;

  @Field(() => Int, { nullable: true, description: 'Uses in total, across members.' })
  usesMax?: number;

  @Field(() => Int64, {
    nullable: true,
    description: 'Points in total; never exceeded (the last few points may go unused).',
  })
  pointsBudget?: bigint;
}

@InputType({
  description: 'Multiplies the base points of matching lines (all lines when none named).',
})
export class MultiplyPointsInput {
  @Field({ description: 'A decimal above 1, e.g. "2" or "1.5".' })
  multiplier!: string;

  @Field(() => [String], { nullable: true })
  skus?: string[];

  @Field(() => [String], { nullable: true })
  categories?: string[];
}

@InputType({
  description:
    'Money off this purchase: a percentage (at most `cap`) or a fixed amount, of the matching lines (all of the purchase when no skus or categories are given). A purchase in another currency gets none.',
})
export class DiscountEffectInput {
  @Field(() => Int, { nullable: true, description: 'Percent off, 1-100.' })
  percent?: number;

  @Field(() => MoneyInput, { nullable: true, description: 'A fixed amount off.' })
  amount?: MoneyInput;

  @Field(() => MoneyInput, { nullable: true, description: 'At most this much off.' })
  cap?: MoneyInput;

  @Field({
    nullable: true,
    description: 'The purchase currency it applies to; default: that of `amount` or `cap`.',
  })
  currency?: string;

  @Field(() => [String], { nullable: true })
  skus?: string[];

  @Field(() => [String], { nullable: true })
  categories?: string[];
}

@InputType({ description: 'A reward voucher the rule gives the member.' })
export class VoucherEffectInput {
  @Field(() => VoucherReward)
  reward!: VoucherReward;

  @Field({ nullable: true, description: 'The free product of a FREE_PRODUCT voucher.' })
  sku?: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Percent off (1-100) of a PERCENT_OFF voucher.',
  })
  percentOff?: number;

  @Field(() => Int, { description: 'Days it stays valid after the purchase (1-730).' })
  validDays!: number;
}

@InputType({ description: 'One effect of a rule: give exactly one field.' })
export class RuleEffectInput {
  @Field(() => MultiplyPointsInput, { nullable: true })
  multiplyPoints?: MultiplyPointsInput;

  @Field(() => Int64, { nullable: true, description: 'Adds this many points.' })
  bonusPoints?: bigint;

  @Field(() => DiscountEffectInput, {
    nullable: true,
    description: 'Money off this purchase, returned to the point-of-sale.',
  })
  discount?: DiscountEffectInput;

  @Field(() => VoucherEffectInput, {
    nullable: true,
    description: 'A single-use voucher for the member, redeemable at the purchase’s partner.',
  })
  voucher?: VoucherEffectInput;
}

@InputType({ description: 'What an earning rule does, and when.' })
export class EarnRuleDefinitionInput {
  @Field({ description: 'Shown on receipts and in the wallet history, e.g. "Toys x2 for Gold".' })
  name!: string;

  @Field(() => Date, { nullable: true, description: 'In force from (default: now).' })
  startsAt?: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'In force until (exclusive; default: until ended).',
  })
  endsAt?: Date;

  @Field(() => [Int], {
    nullable: true,
    description: 'ISO days of the week it applies (1 Monday ... 7 Sunday; default: every day).',
  })
  daysOfWeek?: number[];

  @Field(() => Int, { nullable: true, description: 'First hour of the day it applies (0-23).' })
  hoursFrom?: number;

  @Field(() => Int, { nullable: true, description: 'Hour of the day it stops applying (1-24).' })
  hoursTo?: number;

  @Field({ nullable: true, description: 'IANA time zone of the days and hours (default "UTC").' })
  timeZone?: string;

  @Field(() => Int, { nullable: true, description: 'Higher runs first (default 0).' })
  priority?: number;

  @Field(() => RuleStacking, { nullable: true, description: 'Default STACKABLE.' })
  stacking?: RuleStacking;

  @Field(() => RuleMatch, { nullable: true, description: 'Default ALL.' })
  match?: RuleMatch;

  @Field(() => [RuleConditionInput], { nullable: true, description: 'None: every earn.' })
  conditions?: RuleConditionInput[];

  @Field(() => [RuleEffectInput])
  effects!: RuleEffectInput[];

  @Field(() => Int, {
    nullable: true,
    description:
      'The purchase partner’s share of the bonus in percent; the operator funds the rest. A partner’s rule: always 100 (the default); a coalition campaign: default 0.',
  })
  partnerSharePercent?: number;

  @Field(() => RuleLimitsInput, { nullable: true, description: 'Default: no limits.' })
  limits?: RuleLimitsInput;
}

@InputType({ description: 'A new earning rule in a program currency.' })
export class CreateEarnRuleInput {
  @Field({ description: 'The program currency the rule awards, e.g. "SKY".' })
  currency!: string;

  @Field(() => EarnRuleDefinitionInput)
  definition!: EarnRuleDefinitionInput;
}

@ObjectType({ description: 'One condition of an earning rule.' })
export class RuleCondition {
  @Field({
    description:
      '"channel", "lines", "basketTotal", "memberTier", "purchaseNumber", "firstInCoalition", "event", "birthday", "anniversary", "segment" or "activatedOffer".',
  })
  kind!: string;

  @Field(() => Int, { nullable: true })
  purchaseNumber!: number | null;

  @Field(() => [String], { nullable: true })
  eventTypes!: string[] | null;

  @Field(() => [SalesChannel], { nullable: true })
  channels!: SalesChannel[] | null;

  @Field(() => [String], { nullable: true })
  skus!: string[] | null;

  @Field(() => [String], { nullable: true })
  categories!: string[] | null;

  @Field(() => Int, { nullable: true })
  quantityAtLeast!: number | null;

  @Field(() => Money, { nullable: true, description: 'Lines’ amount, or the basket total.' })
  amountAtLeast!: Money | null;

  @Field(() => [String], { nullable: true })
  memberTiers!: string[] | null;

  @Field(() => Boolean, { nullable: true })
  birthdayMonth!: boolean | null;

  @Field(() => Int, { nullable: true })
  birthdayWithinDays!: number | null;

  @Field(() => Int, { nullable: true })
  anniversaryWithinDays!: number | null;

  @Field(() => ID, {
    nullable: true,
    description: '"segment": the segment the member must be in.',
  })
  segmentId!: string | null;

  @Field(() => ID, {
    nullable: true,
    description:
      '"activatedOffer": the offer the member must have activated (an offer’s own rule).',
  })
  activatedOfferId!: string | null;
}

@ObjectType({ description: 'One effect of an earning rule.' })
export class RuleEffect {
  @Field({ description: '"multiply", "bonus", "discount" or "voucher".' })
  kind!: string;

  @Field(() => String, { nullable: true, description: 'The multiplier, e.g. "2".' })
  multiplier!: string | null;

  @Field(() => [String], { nullable: true })
  skus!: string[] | null;

  @Field(() => [String], { nullable: true })
  categories!: string[] | null;

  @Field(() => Int64, { nullable: true })
  bonusPoints!: bigint | null;

  @Field(() => Int, { nullable: true, description: 'A discount’s percent off.' })
  discountPercent!: number | null;

  @Field(() => Money, { nullable: true, description: 'A discount’s fixed amount off.' })
  discountAmount!: Money | null;

  @Field(() => Money, { nullable: true, description: 'A discount’s most off.' })
  discountCap!: Money | null;

  @Field(() => VoucherReward, { nullable: true })
  voucherReward!: VoucherReward | null;

  @Field(() => String, { nullable: true, description: 'A FREE_PRODUCT voucher’s product.' })
  voucherSku!: string | null;

  @Field(() => Int, { nullable: true, description: 'A PERCENT_OFF voucher’s percent.' })
  voucherPercentOff!: number | null;

  @Field(() => Int, { nullable: true })
  voucherValidDays!: number | null;
}

@ObjectType({ description: 'How often a rule may give (null fields: no such limit).' })
export class RuleLimits {
  @Field(() => Int, { nullable: true })
  perMemberUses!: number | null;

  @Field(() => LimitPeriod, { nullable: true })
  perMemberPeriod!: LimitPeriod | null;

  @Field(() => Int, { nullable: true })
  usesMax!: number | null;

  @Field(() => Int64, { nullable: true })
  pointsBudget!: bigint | null;

  @Field(() => Int64, { nullable: true, description: 'Budget points not yet granted.' })
  pointsLeft!: bigint | null;

  @Field(() => Int64, { nullable: true, description: 'Uses not yet granted, of `usesMax`.' })
  usesLeft!: bigint | null;
}

@ObjectType({ description: 'An earning rule: a partner’s, or the operator’s coalition campaign.' })
export class EarnRule {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, {
    nullable: true,
    description:
      'The partner whose purchases it applies to; null: every partner’s (a coalition campaign).',
  })
  ownerPartnerId!: string | null;

  @Field()
  currency!: string;

  @Field(() => Int, { description: 'The version in force; each update adds one.' })
  version!: number;

  @Field()
  name!: string;

  @Field()
  startsAt!: Date;

  @Field(() => Date, { nullable: true })
  endsAt!: Date | null;

  @Field(() => [Int])
  daysOfWeek!: number[];

  @Field(() => Int, { nullable: true })
  hoursFrom!: number | null;

  @Field(() => Int, { nullable: true })
  hoursTo!: number | null;

  @Field()
  timeZone!: string;

  @Field(() => Int)
  priority!: number;

  @Field(() => RuleStacking)
  stacking!: RuleStacking;

  @Field(() => RuleMatch)
  match!: RuleMatch;

  @Field(() => [RuleCondition])
  conditions!: RuleCondition[];

  @Field(() => [RuleEffect])
  effects!: RuleEffect[];

  @Field(() => Int, { description: 'The purchase partner’s share of the bonus, in percent.' })
  partnerSharePercent!: number;

  @Field(() => RuleLimits)
  limits!: RuleLimits;

  @Field(() => Date, { nullable: true, description: 'When it was ended; null while live.' })
  endedAt!: Date | null;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType({ description: 'A page of earning rules, newest first.' })
export class EarnRulesPage {
  @Field(() => [EarnRule])
  nodes!: EarnRule[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'The rule as it now stands.' })
export class EarnRuleSuccess {
  @Field(() => EarnRule)
  rule!: EarnRule;
}

export const CreateEarnRuleResult = resultUnion({
  name: 'CreateEarnRuleResult',
  description: 'EarnRuleSuccess, or why no rule was created.',
  success: EarnRuleSuccess,
  errors: defineRuleErrors,
});

export const ChangeEarnRuleResult = resultUnion({
  name: 'ChangeEarnRuleResult',
  description: 'EarnRuleSuccess, or why the rule was not changed.',
  success: EarnRuleSuccess,
  errors: manageRuleErrors,
});

@ObjectType({ description: 'What an award would give now; nothing was written.' })
export class PreviewAwardSuccess {
  @Field(() => ID)
  memberId!: string;

  @Field()
  currency!: string;

  @Field(() => Int64, { description: 'The points: the sum of `lines`.' })
  points!: bigint;

  @Field(() => [EarnLine])
  lines!: EarnLine[];

  @Field(() => String, { nullable: true, description: 'The member’s tier it was priced at.' })
  tierCode!: string | null;

  @Field(() => Money, {
    nullable: true,
    description: 'Money off this purchase, the sum of the lines’ discounts (null: none).',
  })
  discount!: Money | null;
}

export const PreviewAwardResult = resultUnion({
  name: 'PreviewAwardResult',
  description: 'PreviewAwardSuccess, or why it cannot be priced.',
  success: PreviewAwardSuccess,
  errors: previewAwardErrors,
});

@InputType({ description: 'Something a member did that the calling partner rewards.' })
export class RecordMemberEventInput {
  @Field(() => MemberRefInput)
  member!: MemberRefInput;

  @Field({ description: 'The program currency its rules award, e.g. "FRM".' })
  currency!: string;

  @Field({
    description:
      'profile_completed, app_installed, social_share, review_submitted, survey_submitted, or the partner’s own type (lower snake case).',
  })
  type!: string;

  @Field({
    description:
      'The partner’s id of the event: the idempotency key unless `idempotencyKey` is given.',
  })
  eventId!: string;

  @Field({ nullable: true })
  idempotencyKey?: string;
}

@ObjectType({ description: 'The event was recorded (or had been, for a retried request).' })
export class MemberEventSuccess {
  @Field()
  eventId!: string;

  @Field()
  type!: string;

  @Field(() => ID)
  memberId!: string;

  @Field()
  currency!: string;

  @Field(() => Int64, {
    description: 'What the event’s rules gave: 0 when none applied or their limits were used up.',
  })
  points!: bigint;

  @Field(() => [EarnLine], { description: 'One line per rule that gave points.' })
  lines!: EarnLine[];

  @Field(() => ID, { nullable: true, description: 'The earn transfer; null when no points moved.' })
  transferId!: string | null;

  @Field()
  createdAt!: Date;
}

export const RecordMemberEventResult = resultUnion({
  name: 'RecordMemberEventResult',
  description: 'MemberEventSuccess, or why nothing was recorded.',
  success: MemberEventSuccess,
  errors: memberEventErrors,
});
