import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import {
  issueInvitationsErrors,
  joinTiersErrors,
  setTierProgramErrors,
  vipErrors,
} from '../gateway/tiers/memberships';
import {
  assignTierErrors,
  defineLadderErrors,
  memberBenefitsErrors,
  statusMatchErrors,
} from '../gateway/tiers/tier-service';
import { Money, MoneyInput } from './common';
import { resultUnion } from './errors';
import { MemberRefInput } from './members';
import { Int64 } from './scalars';
import { IssuedVoucher } from './vouchers';

export enum TierMetric {
  POINTS = 'points',
  SPEND = 'spend',
  ACTIVITIES = 'activities',
}
registerEnumType(TierMetric, {
  name: 'TierMetric',
  description: 'What members qualify for tiers with.',
  valuesConfig: {
    POINTS: {
      description:
        'Qualifying points earned in the program (base points: never the balance, nor tier bonuses).',
    },
    SPEND: {
      description: 'Qualifying spend in money, minor units of the ladder’s spend currency.',
    },
    ACTIVITIES: { description: 'Qualifying activities: purchases, stays, flights (one per earn).' },
  },
});

export enum QualificationWindow {
  CALENDAR_YEAR = 'calendar_year',
  ROLLING_12_MONTHS = 'rolling_12_months',
}
registerEnumType(QualificationWindow, {
  name: 'QualificationWindow',
  description: 'The period qualification is counted over (UTC).',
  valuesConfig: {
    CALENDAR_YEAR: { description: 'The calendar year; reviewed on 1 January.' },
    ROLLING_12_MONTHS: {
      description:
        'The current month and the 11 before it; reviewed 12 months after the tier was reached.',
    },
  },
});

@InputType({ description: 'One tier of a ladder, lowest first.' })
export class TierInput {
  @Field({ description: 'A code such as "GOLD": capital letters, digits and _.' })
  code!: string;

  @Field({ description: 'The name members see.' })
  name!: string;

  @Field(() => Int64, {
    description: 'The qualifying total from which a member holds this tier; the first tier’s is 0.',
  })
  threshold!: bigint;

  @Field({
    description:
      'Earn multiplier as a decimal, e.g. "1.5": an earn is priced at floor(base points x multiplier). Greater than 0, at most 10.',
  })
  multiplier!: string;

  @Field({ nullable: true, description: 'Standing discount in percent, e.g. "5" (default 0).' })
  discountPercent?: string;

  @Field(() => [String], { nullable: true, description: 'Perks, e.g. "lounge access".' })
  perks?: string[];
}

@InputType({ description: 'A new version of a program’s tier ladder.' })
export class DefineTierLadderInput {
  @Field({ description: 'The program currency, e.g. "SKY".' })
  currency!: string;

  @Field(() => TierMetric)
  metric!: TierMetric;

  @Field({
    nullable: true,
    description:
      'For a SPEND ladder: the money currency spend counts in (other purchases add none).',
  })
  spendCurrency?: string;

  @Field(() => QualificationWindow)
  window!: QualificationWindow;

  @Field(() => Int, {
    nullable: true,
    description: 'At most this many levels down at one review (soft landing); default 1.',
  })
  downgradeLevelsMax?: number;

  @Field({
    nullable: true,
    description: 'When the version applies from (default now); after every existing version.',
  })
  effectiveFrom?: Date;

  @Field(() => [TierInput], { description: '1 to 10 tiers, lowest first, thresholds increasing.' })
  tiers!: TierInput[];
}

@ObjectType({ description: 'A tier and its benefits.' })
export class Tier {
  @Field(() => Int, { description: 'Its place on the ladder: 0 is the lowest.' })
  rank!: number;

  @Field()
  code!: string;

  @Field()
  name!: string;

  @Field(() => Int64, { description: 'The qualifying total from which it is held.' })
  threshold!: bigint;

  @Field({ description: 'Earn multiplier, e.g. "1.5".' })
  multiplier!: string;

  @Field({ description: 'Standing discount in percent, e.g. "5".' })
  discountPercent!: string;

  @Field(() => [String])
  perks!: string[];
}

@ObjectType({ description: 'One version of a program’s tier ladder (versions are never edited).' })
export class TierLadderVersion {
  @Field()
  currency!: string;

  @Field(() => Int)
  version!: number;

  @Field({ description: 'In force from this instant until the next version’s.' })
  effectiveFrom!: Date;

  @Field(() => TierMetric)
  metric!: TierMetric;

  @Field(() => String, { nullable: true })
  spendCurrency!: string | null;

  @Field(() => QualificationWindow)
  window!: QualificationWindow;

  @Field(() => Int)
  downgradeLevelsMax!: number;

  @Field(() => [Tier])
  tiers!: Tier[];

  @Field({ description: 'Who defined it, e.g. "partner:ptr_skyair".' })
  createdBy!: string;

  @Field()
  createdAt!: Date;
}

@ObjectType({ description: 'The next tier up and what it still needs.' })
export class NextTier {
  @Field()
  code!: string;

  @Field()
  name!: string;

  @Field(() => Int64)
  threshold!: bigint;

  @Field(() => Int64, { description: 'Qualifying total still needed, by the window’s end.' })
  needed!: bigint;
}

@ObjectType({ description: 'A change of a member’s tier in force, and why.' })
export class TierChange {
  @Field()
  at!: Date;

  @Field(() => String, { nullable: true, description: 'The tier before; null when enrolled.' })
  fromTier!: string | null;

  @Field()
  toTier!: string;

  @Field({
    description:
      '"enrolled", "qualified" (upgrade), "review" (the review date), "manual", "match", "vip" or "grant_ended".',
  })
  reason!: string;

  @Field()
  detail!: string;
}

@ObjectType({ description: 'A member’s standing in one program’s tiers.' })
export class MemberTierStatus {
  @Field({ description: 'The program currency.' })
  currency!: string;

  @Field(() => Tier, { description: 'The tier in force, with its benefits.' })
  tier!: Tier;

  @Field({
    description: '"qualified", or the grant that holds the tier: "manual", "match" or "vip".',
  })
  source!: string;

  @Field(() => Date, { nullable: true, description: 'Until when a grant holds the tier.' })
  heldUntil!: Date | null;

  @Field(() => TierMetric)
  metric!: TierMetric;

  @Field(() => QualificationWindow)
  window!: QualificationWindow;

  @Field(() => Int64, { description: 'Qualifying total of the current window.' })
  qualifyingTotal!: bigint;

  @Field()
  windowStart!: Date;

  @Field()
  windowEnd!: Date;

  @Field(() => NextTier, { nullable: true, description: 'Null at the top tier.' })
  nextTier!: NextTier | null;

  @Field({ description: 'When the qualified tier is reviewed: it may go down then, never before.' })
  reviewAt!: Date;

  @Field(() => [TierChange], { description: 'The 20 most recent tier changes, newest first.' })
  history!: TierChange[];
}

@ObjectType({ description: 'The member’s tier benefits now; `status` is null without a tier.' })
export class MemberBenefitsSuccess {
  @Field(() => MemberTierStatus, { nullable: true })
  status!: MemberTierStatus | null;
}

@InputType({ description: 'Sets a member’s tier for a period, whatever they qualify for.' })
export class AssignTierInput {
  @Field(() => ID)
  memberId!: string;

  @Field()
  currency!: string;

  @Field()
  tierCode!: string;

  @Field({ description: 'Why (recorded with who did it).' })
  reason!: string;

  @Field({ description: 'When the assignment ends; qualification applies again then.' })
  until!: Date;
}

@InputType({ description: '"SkyAir Gold gives Nordic Silver", until `endsAt`.' })
export class DefineStatusMatchInput {
  @Field()
  fromCurrency!: string;

  @Field()
  fromTierCode!: string;

  @Field()
  toCurrency!: string;

  @Field()
  toTierCode!: string;

  @Field({ nullable: true, description: 'Default now.' })
  startsAt?: Date;

  @Field()
  endsAt!: Date;
}

@ObjectType({ description: 'A status match between two programs.' })
export class StatusMatch {
  @Field(() => ID)
  id!: string;

  @Field()
  fromCurrency!: string;

  @Field()
  fromTierCode!: string;

  @Field()
  toCurrency!: string;

  @Field()
  toTierCode!: string;

  @Field()
  startsAt!: Date;

  @Field()
  endsAt!: Date;
}

@ObjectType({ description: 'A member holding a tier.' })
export class TierMember {
  @Field(() => ID)
  memberId!: string;

  @Field()
  tierCode!: string;

  @Field({ description: 'Since when they hold it.' })
  since!: Date;
}

@ObjectType({ description: 'A page of a tier’s members, by member id.' })
export class TierMembersPage {
  @Field(() => [TierMember])
  members!: TierMember[];

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page.' })
  nextCursor!: string | null;
}

@ObjectType({ description: 'How many members hold a tier.' })
export class TierCount {
  @Field()
  tierCode!: string;

  @Field()
  tierName!: string;

  @Field(() => Int64)
  members!: bigint;
}

@ObjectType({ description: 'One line of an earn’s explanation.' })
export class EarnLine {
  @Field({
    description:
      '"base" (the purchase at the earn rate, or given points), "tier" (the tier multiplier) or "rule" (an earning rule’s bonus).',
  })
  kind!: string;

  @Field(() => Int64)
  points!: bigint;

  @Field()
  description!: string;

  @Field(() => ID, { nullable: true, description: 'The earning rule of a "rule" line.' })
  ruleId?: string;

  @Field(() => Money, {
    nullable: true,
    description: 'Money off this purchase a "rule" line gives: the point-of-sale takes it off.',
  })
  discount?: Money;

  @Field(() => IssuedVoucher, {
    nullable: true,
    description: 'The voucher a "rule" line gives the member.',
  })
  voucher?: IssuedVoucher;
}

@ObjectType({
  description: 'The tier an earn was priced at, and its benefits for the point-of-sale.',
})
export class EarnTier {
  @Field()
  code!: string;

  @Field()
  name!: string;

  @Field({ description: 'e.g. "1.5".' })
  multiplier!: string;

  @Field({ description: 'Standing discount in percent, e.g. "5".' })
  discountPercent!: string;

  @Field(() => [String])
  perks!: string[];
}

export const DefineTierLadderResult = resultUnion({
  name: 'DefineTierLadderResult',
  description: 'The new TierLadderVersion, or why nothing was written.',
  success: TierLadderVersion,
  errors: defineLadderErrors,
});

export const AssignTierResult = resultUnion({
  name: 'AssignTierResult',
  description: 'The member’s MemberTierStatus after the assignment, or why nothing was written.',
  success: MemberTierStatus,
  errors: assignTierErrors,
});

export const DefineStatusMatchResult = resultUnion({
  name: 'DefineStatusMatchResult',
  description: 'The StatusMatch, or why nothing was written.',
  success: StatusMatch,
  errors: statusMatchErrors,
});

export const MemberBenefitsResult = resultUnion({
  name: 'MemberBenefitsResult',
  description: 'The member’s benefits, or why they cannot be read.',
  success: MemberBenefitsSuccess,
  errors: memberBenefitsErrors,
});

export enum Enrolment {
  OPEN = 'open',
  INVITATION = 'invitation',
  QUALIFICATION = 'qualification',
}
registerEnumType(Enrolment, {
  name: 'Enrolment',
  description: 'Who may join a program’s tiers.',
  valuesConfig: {
    OPEN: { description: 'Anyone: a first earn enrols.' },
    INVITATION: { description: 'Closed: with a single-use, expiring invitation code.' },
    QUALIFICATION: {
      description: 'Closed: once the member has enough purchases or spend at the program’s owner.',
    },
  },
});

export enum VipPlanPeriod {
  MONTHLY = 'monthly',
  YEARLY = 'yearly',
}
registerEnumType(VipPlanPeriod, { name: 'VipPlanPeriod', description: 'A VIP term’s length.' });

@InputType({ description: 'A paid VIP plan: its fee per term and the tier it gives.' })
export class VipPlanInput {
  @Field(() => VipPlanPeriod)
  plan!: VipPlanPeriod;

  @Field(() => MoneyInput, { description: 'The fee per term, charged by the partner.' })
  fee!: MoneyInput;

  @Field()
  tierCode!: string;
}

@ObjectType({ description: 'A paid VIP plan.' })
export class VipPlan {
  @Field(() => VipPlanPeriod)
  plan!: VipPlanPeriod;

  @Field(() => Money)
  fee!: Money;

  @Field()
  tierCode!: string;
}

@InputType({ description: 'A program’s enrolment policy and VIP plans.' })
export class SetTierProgramInput {
  @Field()
  currency!: string;

  @Field(() => Enrolment)
  enrolment!: Enrolment;

  @Field(() => Int, { nullable: true, description: 'QUALIFICATION: purchases needed...' })
  qualifyingPurchases?: number;

  @Field(() => MoneyInput, { nullable: true, description: '...or spend needed (either suffices).' })
  qualifyingSpend?: MoneyInput;

  @Field(() => [VipPlanInput], { nullable: true })
  vipPlans?: VipPlanInput[];
}

@ObjectType({ description: 'A program’s enrolment policy and VIP plans.' })
export class TierProgram {
  @Field()
  currency!: string;

  @Field(() => Enrolment)
  enrolment!: Enrolment;

  @Field(() => Int, { nullable: true })
  qualifyingPurchases!: number | null;

  @Field(() => Money, { nullable: true })
  qualifyingSpend!: Money | null;

  @Field(() => [VipPlan])
  vipPlans!: VipPlan[];
}

@ObjectType({ description: 'Invitation codes to a closed program’s tiers: each works once.' })
export class TierInvitations {
  @Field(() => [String])
  codes!: string[];

  @Field()
  expiresAt!: Date;
}

@ObjectType({ description: 'A paid term of a VIP subscription.' })
export class VipPayment {
  @Field()
  termStartsAt!: Date;

  @Field(() => Money)
  fee!: Money;

  @Field({ description: 'The partner’s reference of the charge (the idempotency key).' })
  paymentReference!: string;
}

@ObjectType({ description: 'A member’s VIP membership of a program.' })
export class VipSubscription {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  memberId!: string;

  @Field()
  currency!: string;

  @Field(() => VipPlanPeriod)
  plan!: VipPlanPeriod;

  @Field({ description: 'The tier the paid term gives.' })
  tierCode!: string;

  @Field()
  startedAt!: Date;

  @Field({ description: 'The paid term ends (and the tier with it, unless renewed).' })
  termEndsAt!: Date;

  @Field(() => Date, { nullable: true })
  cancelledAt!: Date | null;

  @Field({
    description:
      '"active"; "cancelled" (benefits kept to the term’s end); "lapsed" (the term ended unrenewed).',
  })
  status!: string;

  @Field(() => [VipPayment])
  payments!: VipPayment[];
}

@InputType({ description: 'A member subscribes to a program’s VIP plan at its owner.' })
export class SubscribeVipInput {
  @Field(() => MemberRefInput)
  member!: MemberRefInput;

  @Field()
  currency!: string;

  @Field(() => VipPlanPeriod)
  plan!: VipPlanPeriod;

  @Field({ description: 'The partner’s reference of the fee it charged: the idempotency key.' })
  paymentReference!: string;
}

export const SetTierProgramResult = resultUnion({
  name: 'SetTierProgramResult',
  description: 'The TierProgram, or why nothing was written.',
  success: TierProgram,
  errors: setTierProgramErrors,
});

export const IssueTierInvitationsResult = resultUnion({
  name: 'IssueTierInvitationsResult',
  description: 'The TierInvitations, or why none were issued.',
  success: TierInvitations,
  errors: issueInvitationsErrors,
});

export const JoinTiersResult = resultUnion({
  name: 'JoinTiersResult',
  description: 'The member’s MemberTierStatus, or why they cannot join.',
  success: MemberTierStatus,
  errors: joinTiersErrors,
});

export const VipSubscriptionResult = resultUnion({
  name: 'VipSubscriptionResult',
  description: 'The VipSubscription, or why nothing was written.',
  success: VipSubscription,
  errors: vipErrors,
});
