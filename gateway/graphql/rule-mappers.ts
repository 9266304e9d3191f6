import type { Money as MoneyObject } from '../../schema/common';
import type { AwardPointsInput } from '../../schema/purchases';
import {
  type DiscountEffectInput,
  EarnRule,
  type EarnRuleDefinitionInput,
  type LimitPeriod,
  type LineConditionInput,
  RuleCondition,
  RuleEffect,
  type RuleEffectInput,
  RuleLimits,
  type RuleMatch,
  type RuleStacking,
  type SalesChannel,
} from '../../schema/rules';
import { EarnLine as EarnLineObject } from '../../schema/tiers';
import { IssuedVoucher as IssuedVoucherObject, type VoucherReward } from '../../schema/vouchers';
import type { EarnLine } from '../ledger/earn';
import type { AwardInput, BasketLineInput } from '../purchases/purchase-service';
import type {
  RuleCondition as DomainCondition,
  RuleEffect as DomainEffect,
  RuleDefinition,
} from '../rules/rule-definition';
import type { EarnRuleView } from '../rules/rule-service';
import { InvalidInput } from '../shared/errors';
import { parseMoneyAmount } from '../shared/money';
import { basisPoints, decimalOfBasisPoints } from '../tiers/ladder';
import { moneyFromInput, moneyObject } from './mappers';

/** awardPoints' and previewAward's input as the purchase service takes it. */
export function awardInputOf(input: AwardPointsInput): AwardInput {
  const purchase = input.purchase && moneyFromInput(input.purchase, 'purchase');
  let basket: BasketLineInput[] | undefined;
  if (input.basket) {
    if (!purchase) throw new InvalidInput('basket', 'a basket needs the purchase it adds up to');
    basket = input.basket.map((line, index) => ({
      sku: line.sku,
      category: line.category ?? undefined,
      quantity: line.quantity,
      unitPriceMinor: lineMoney(line.unitPrice, purchase.currency, `basket[${index}].unitPrice`),
      amountMinor:
        line.amount === undefined || line.amount === null
          ? undefined
          : lineMoney(line.amount, purchase.currency, `basket[${index}].amount`),
    }));
  }
  return {
    member: input.member,
    transactionId: input.transactionId,
    currency: input.currency,
    purchase,
    points: input.points ?? undefined,
    pendingDays: input.pendingDays ?? undefined,
    idempotencyKey: input.idempotencyKey ?? undefined,
    basket,
    channel: input.channel ?? undefined,
  };
}

function lineMoney(amount: string, currency: string, field: string): bigint {
  const minor = parseMoneyAmount(amount, currency);
  if (minor === undefined) {
    throw new InvalidInput(field, `must be a decimal amount in ${currency}, e.g. "9.99"`);
  }
  return minor;
}

/** A rule definition from its input; fields left out take their documented defaults. */
export function ruleDefinitionOf(
  input: EarnRuleDefinitionInput,
  partnerOwned: boolean,
  /** The default start: the app clock's now. */
  now: Date,
): RuleDefinition {
  const share = input.partnerSharePercent ?? (partnerOwned ? 100 : 0);
  if (!Number.isInteger(share) || share < 0 || share > 100) {
    throw new InvalidInput('partnerSharePercent', 'must be an integer from 0 to 100');
  }
  if ((input.hoursFrom == null) !== (input.hoursTo == null)) {
    throw new InvalidInput('hoursTo', 'give both hoursFrom and hoursTo, or neither');
  }
  return {
    name: input.name,
    window: {
      startsAt: input.startsAt ?? now,
      endsAt: input.endsAt ?? null,
      daysOfWeek: input.daysOfWeek ?? [],
      hours: input.hoursFrom == null ? null : { from: input.hoursFrom, to: input.hoursTo! },
      timeZone: input.timeZone ?? 'UTC',
    },
    priority: input.priority ?? 0,
    stacking: input.stacking ?? ('stackable' as RuleStacking),
    match: input.match ?? ('all' as RuleMatch),
    conditions: (input.conditions ?? []).map((condition, index) => {
      const field = `conditions[${index}]`;
      const given = [
        condition.channels,
        condition.lines,
        condition.basketTotalAtLeast,
        condition.memberTiers,
        condition.purchaseNumber,
        condition.firstPurchaseInCoalition,
        condition.eventTypes,
        condition.birthdayMonth,
        condition.birthdayWithinDays,
        condition.anniversaryWithinDays,
        condition.inSegment,
      ].filter((value) => value !== undefined && value !== null);
      if (given.length !== 1) {
        throw new InvalidInput(
          field,
          'give exactly one of channels, lines, basketTotalAtLeast, memberTiers, purchaseNumber, firstPurchaseInCoalition, eventTypes, birthdayMonth, birthdayWithinDays, anniversaryWithinDays, inSegment',
        );
      }
      if (condition.birthdayMonth != null) {
        if (!condition.birthdayMonth) {
          throw new InvalidInput(`${field}.birthdayMonth`, 'give true, or leave it out');
        }
        return { kind: 'birthday', scope: 'month', days: 0 };
      }
      if (condition.birthdayWithinDays != null) {
        return { kind: 'birthday', scope: 'days', days: condition.birthdayWithinDays };
      }
      if (condition.anniversaryWithinDays != null) {
        return { kind: 'anniversary', days: condition.anniversaryWithinDays };
      }
      if (condition.inSegment != null) return { kind: 'segment', segmentId: condition.inSegment };
      if (condition.purchaseNumber != null) {
        return { kind: 'purchaseNumber', number: condition.purchaseNumber };
      }
      if (condition.eventTypes != null) return { kind: 'event', types: condition.eventTypes };
      if (condition.firstPurchaseInCoalition != null) {
        if (!condition.firstPurchaseInCoalition) {
          throw new InvalidInput(`${field}.firstPurchaseInCoalition`, 'give true, or leave it out');
        }
        return { kind: 'firstInCoalition' };
      }
      if (condition.channels) return { kind: 'channel', channels: condition.channels };
      if (condition.lines) return lineCondition(condition.lines, `${field}.lines`);
      if (condition.basketTotalAtLeast) {
        const money = moneyFromInput(condition.basketTotalAtLeast, `${field}.basketTotalAtLeast`);
        return { kind: 'basketTotal', currency: money.currency, amountMinorMin: money.amountMinor };
      }
      return { kind: 'memberTier', tiers: condition.memberTiers! };
    }),
    effects: input.effects.map((effect, index) => ruleEffectOf(effect, `effects[${index}]`)),
    partnerShareBp: share * 100,
    limits: {
      perMember:
        input.limits?.perMemberUses == null
          ? null
          : { uses: input.limits.perMemberUses, period: input.limits.perMemberPeriod ?? 'ever' },
      usesMax: input.limits?.usesMax ?? null,
      pointsBudget: input.limits?.pointsBudget ?? null,
    },
  };
}

/** A rule effect (an earning rule's, or an offer's) from its input. */
export function ruleEffectOf(effect: RuleEffectInput, field: string): DomainEffect {
  const given = [effect.multiplyPoints, effect.bonusPoints, effect.discount, effect.voucher].filter(
    (value) => value != null,
  );
  if (given.length !== 1) {
    throw new InvalidInput(
      field,
      'give exactly one of multiplyPoints, bonusPoints, discount, voucher',
    );
  }
  if (effect.bonusPoints != null) return { kind: 'bonus', points: effect.bonusPoints };
  if (effect.discount) return discountEffect(effect.discount, `${field}.discount`);
  if (effect.voucher) {
    return {
      kind: 'voucher',
      reward: effect.voucher.reward,
      sku: effect.voucher.sku ?? null,
      percentBp: effect.voucher.percentOff == null ? null : effect.voucher.percentOff * 100,
      validDays: effect.voucher.validDays,
    };
  }
  const multiply = effect.multiplyPoints!;
  return {
    kind: 'multiply',
    multiplierBp: basisPoints(`${field}.multiplyPoints.multiplier`, multiply.multiplier),
    filter: { skus: multiply.skus ?? [], categories: multiply.categories ?? [] },
  };
}

function discountEffect(discount: DiscountEffectInput, field: string): DomainEffect {
  const amount = discount.amount && moneyFromInput(discount.amount, `${field}.amount`);
  const cap = discount.cap && moneyFromInput(discount.cap, `${field}.cap`);
  const currency = discount.currency ?? amount?.currency ?? cap?.currency;
  if (!currency) throw new InvalidInput(`${field}.currency`, 'give the purchase currency');
  for (const [name, money] of [
    ['amount', amount],
    ['cap', cap],
  ] as const) {
    if (money && money.currency !== currency) {
      throw new InvalidInput(`${field}.${name}.currency`, `must be ${currency}`);
    }
  }
  return {
    kind: 'discount',
    currency,
    percentBp: discount.percent == null ? null : discount.percent * 100,
    amountMinor: amount?.amountMinor ?? null,
    capMinor: cap?.amountMinor ?? null,
    filter: { skus: discount.skus ?? [], categories: discount.categories ?? [] },
  };
}

/** An earn's receipt lines for GraphQL (money as Money objects, vouchers as IssuedVoucher). */
export function earnLineObjects(lines: readonly EarnLine[]): EarnLineObject[] {
  return lines.map((line) =>
    Object.assign(new EarnLineObject(), {
      kind: line.kind,
      points: line.points,
      description: line.description,
      ruleId: line.ruleId,
      discount: line.discount && moneyObject(line.discount.amountMinor, line.discount.currency),
      voucher:
        line.voucher &&
        Object.assign(new IssuedVoucherObject(), {
          code: line.voucher.code,
          reward: line.voucher.reward as VoucherReward,
          sku: line.voucher.sku,
          percentOff: line.voucher.percentBp === null ? null : line.voucher.percentBp / 100,
          expiresAt: line.voucher.expiresAt,
        }),
    }),
  );
}

/** The money off a purchase its lines give (null: none). */
export function discountOfLines(lines: readonly EarnLine[]): MoneyObject | null {
  let total: bigint | null = null;
  let currency = '';
  for (const line of lines) {
    if (!line.discount) continue;
    total = (total ?? 0n) + line.discount.amountMinor;
    currency = line.discount.currency;
  }
  return total === null ? null : moneyObject(total, currency);
}

function lineCondition(lines: LineConditionInput, field: string): DomainCondition {
  const amount =
    lines.amountAtLeast && moneyFromInput(lines.amountAtLeast, `${field}.amountAtLeast`);
  return {
    kind: 'lines',
    filter: { skus: lines.skus ?? [], categories: lines.categories ?? [] },
    quantityMin: lines.quantityAtLeast ?? 1,
    amountMin: amount ? { currency: amount.currency, amountMinor: amount.amountMinor } : null,
  };
}

export function earnRuleObject(view: EarnRuleView): EarnRule {
  const { definition } = view;
  return Object.assign(new EarnRule(), {
    id: view.id,
    ownerPartnerId: view.ownerPartnerId,
    currency: view.currency,
    version: view.version,
    name: definition.name,
    startsAt: definition.window.startsAt,
    endsAt: definition.window.endsAt,
    daysOfWeek: definition.window.daysOfWeek,
    hoursFrom: definition.window.hours?.from ?? null,
    hoursTo: definition.window.hours?.to ?? null,
    timeZone: definition.window.timeZone,
    priority: definition.priority,
    stacking: definition.stacking as RuleStacking,
    match: definition.match as RuleMatch,
    conditions: definition.conditions.map(conditionObject),
    effects: definition.effects.map(effectObject),
    partnerSharePercent: definition.partnerShareBp / 100,
    limits: Object.assign(new RuleLimits(), {
      perMemberUses: definition.limits.perMember?.uses ?? null,
      perMemberPeriod: (definition.limits.perMember?.period as LimitPeriod | undefined) ?? null,
      usesMax: definition.limits.usesMax,
      pointsBudget: definition.limits.pointsBudget,
      pointsLeft: view.budgetLeft?.points ?? null,
      usesLeft: view.budgetLeft?.uses ?? null,
    }),
    endedAt: view.endedAt,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
  });
}

function conditionObject(condition: DomainCondition): RuleCondition {
  const object = Object.assign(new RuleCondition(), {
    kind: condition.kind,
    channels: null,
    skus: null,
    categories: null,
    quantityAtLeast: null,
    amountAtLeast: null,
    memberTiers: null,
    purchaseNumber: null,
    eventTypes: null,
    birthdayMonth: null,
    birthdayWithinDays: null,
    anniversaryWithinDays: null,
    segmentId: null,
    activatedOfferId: null,
  });
  switch (condition.kind) {
    case 'segment':
      return Object.assign(object, { segmentId: condition.segmentId });
    case 'activatedOffer':
      return Object.assign(object, { activatedOfferId: condition.offerId });
    case 'birthday':
      return Object.assign(
        object,
        condition.scope === 'month'
          ? { birthdayMonth: true }
          : { birthdayWithinDays: condition.days },
      );
    case 'anniversary':
      return Object.assign(object, { anniversaryWithinDays: condition.days });
    case 'event':
      return Object.assign(object, { eventTypes: condition.types });
    case 'purchaseNumber':
      return Object.assign(object, { purchaseNumber: condition.number });
    case 'firstInCoalition':
      return object;
    case 'channel':
      return Object.assign(object, { channels: condition.channels as SalesChannel[] });
    case 'lines':
      return Object.assign(object, {
        skus: condition.filter.skus,
        categories: condition.filter.categories,
        quantityAtLeast: condition.quantityMin,
        amountAtLeast:
          condition.amountMin &&
          moneyObject(condition.amountMin.amountMinor, condition.amountMin.currency),
      });
    case 'basketTotal':
      return Object.assign(object, {
        amountAtLeast: moneyObject(condition.amountMinorMin, condition.currency),
      });
    case 'memberTier':
      return Object.assign(object, { memberTiers: condition.tiers });
  }
}

/** A rule effect as the schema shows it (an earning rule's, or an offer's). */
export function effectObject(effect: DomainEffect): RuleEffect {
  return Object.assign(new RuleEffect(), {
    kind: effect.kind,
    multiplier: effect.kind === 'multiply' ? decimalOfBasisPoints(effect.multiplierBp) : null,
    skus: effect.kind === 'multiply' || effect.kind === 'discount' ? effect.filter.skus : null,
    categories:
      effect.kind === 'multiply' || effect.kind === 'discount' ? effect.filter.categories : null,
    bonusPoints: effect.kind === 'bonus' ? effect.points : null,
    discountPercent:
      effect.kind === 'discount' && effect.percentBp !== null ? effect.percentBp / 100 : null,
    discountAmount:
      effect.kind === 'discount' && effect.amountMinor !== null
        ? moneyObject(effect.amountMinor, effect.currency)
        : null,
    discountCap:
      effect.kind === 'discount' && effect.capMinor !== null
        ? moneyObject(effect.capMinor, effect.currency)
        : null,
    voucherReward: effect.kind === 'voucher' ? (effect.reward as VoucherReward) : null,
    voucherSku: effect.kind === 'voucher' ? effect.sku : null,
    voucherPercentOff:
      effect.kind === 'voucher' && effect.percentBp !== null ? effect.percentBp / 100 : null,
    voucherValidDays: effect.kind === 'voucher' ? effect.validDays : null,
  });
}
