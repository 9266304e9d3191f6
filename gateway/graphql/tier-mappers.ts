import {
  EarnTier,
  type Enrolment,
  MemberTierStatus,
  NextTier,
  type QualificationWindow,
  StatusMatch,
  Tier,
  TierChange,
  TierLadderVersion,
  type TierMetric,
  TierProgram,
  VipPayment,
  VipPlan,
  type VipPlanPeriod,
  VipSubscription,
} from '../../schema/tiers';
import type { EarnTier as DomainEarnTier } from '../ledger/earn';
import { type Tier as DomainTier, decimalOfBasisPoints } from '../tiers/ladder';
import type {
  TierProgram as DomainTierProgram,
  VipSubscription as DomainVipSubscription,
} from '../tiers/memberships';
import type {
  MemberTierStatus as DomainStatus,
  StatusMatch as DomainStatusMatch,
  LadderVersion,
} from '../tiers/tier-service';
import { money } from './settlement-mappers';

/** Domain tiers to GraphQL objects: basis points become decimals ("1.5", "2.5"). */

export function tierObject(tier: DomainTier, rank: number): Tier {
  return Object.assign(new Tier(), {
    rank,
    code: tier.code,
    name: tier.name,
    threshold: BigInt(tier.threshold),
    multiplier: decimalOfBasisPoints(tier.multiplierBp),
    discountPercent: decimalOfBasisPoints(tier.discountBp * 100),
    perks: tier.perks,
  });
}

export function ladderObject(version: LadderVersion): TierLadderVersion {
  return Object.assign(new TierLadderVersion(), {
    ...version,
    metric: version.metric as TierMetric,
    window: version.window as QualificationWindow,
    tiers: version.tiers.map(tierObject),
  });
}

export function statusObject(status: DomainStatus): MemberTierStatus {
  return Object.assign(new MemberTierStatus(), {
    ...status,
    metric: status.metric as TierMetric,
    window: status.window as QualificationWindow,
    tier: tierObject(status.tier, status.tier.rank),
    nextTier: status.nextTier && Object.assign(new NextTier(), status.nextTier),
    history: status.history.map((change) => Object.assign(new TierChange(), change)),
  });
}

export function statusMatchObject(match: DomainStatusMatch): StatusMatch {
  return Object.assign(new StatusMatch(), match);
}

export function earnTierObject(tier: DomainEarnTier): EarnTier {
  return Object.assign(new EarnTier(), {
    code: tier.code,
    name: tier.name,
    multiplier: decimalOfBasisPoints(tier.multiplierBp),
    discountPercent: decimalOfBasisPoints(tier.discountBp * 100),
    perks: tier.perks,
  });
}

export function programObject(program: DomainTierProgram): TierProgram {
  return Object.assign(new TierProgram(), {
    ...program,
    enrolment: program.enrolment as Enrolment,
    qualifyingSpend:
      program.qualifyingSpend &&
      money(program.qualifyingSpend.amountMinor, program.qualifyingSpend.currency),
    vipPlans: program.vipPlans.map((plan) =>
      Object.assign(new VipPlan(), {
        plan: plan.plan as VipPlanPeriod,
        fee: money(plan.fee.amountMinor, plan.fee.currency),
        tierCode: plan.tierCode,
      }),
    ),
  });
}

export function vipObject(subscription: DomainVipSubscription): VipSubscription {
  return Object.assign(new VipSubscription(), {
    ...subscription,
    plan: subscription.plan as VipPlanPeriod,
    payments: subscription.payments.map((payment) =>
      Object.assign(new VipPayment(), {
        ...payment,
        fee: money(payment.fee.amountMinor, payment.fee.currency),
      }),
    ),
  });
}
