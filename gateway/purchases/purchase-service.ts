import {
  candidateLine,
  type EarnLine,
  type EarnReceipt,
  type EarnTier,
  type RuleWorlds,
} from '../ledger/earn';
import {
  IdempotencyKeyReused,
  InsufficientPoints,
  RefundExceedsPurchase,
  TransactionConflict,
} from '../ledger/errors';
import { requestHash } from '../ledger/idempotency';
import type { Ledger } from '../ledger/ledger';
import { pendingDaysMax, pointsPerTransferMax, purchaseMinorMax } from '../ledger/limits';
import type { Money } from '../ledger/model';
import type { RefundReceipt } from '../ledger/refund';
import type { SpendReceipt } from '../ledger/spend';
import type { MemberDirectory, MemberRef } from '../members/member-directory';
import { CurrencyNotSupported } from '../programs/errors';
import type { ProgramCatalog } from '../programs/program-catalog';
import { type Channel, channels, eventTypePattern } from '../rules/rule-definition';
import {
  applyStacking,
  type BasketLine,
  type MemberDates,
  memberDatesHold,
  worldCandidates,
} from '../rules/rule-engine';
import type { RuleService } from '../rules/rule-service';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { idPatterns, newId } from '../shared/ids';
import { formatMoneyAmount, isKnownMoneyCurrency, maxBig } from '../shared/money';
import {
  requireIntegerInRange,
  requirePattern,
  requirePositive,
  requireReference,
} from '../shared/validate';
import { decimalOfBasisPoints } from '../tiers/ladder';
import { EarnPricing } from './earn-pricing';

const dayMs = 86_400_000;

export interface AwardInput {
  member: MemberRef;
  /** The partner's transaction id; the idempotency key unless `idempotencyKey` is given. */
  transactionId: string;
  currency: string;
  /** The purchase; points are priced from it at the partner's earn rate unless `points` is given. */
  purchase?: Money;
  points?: bigint;
  /** Points become spendable after this many days (e.g. after a hotel stay's cancellation window). */
  pendingDays?: number;
  idempotencyKey?: string;
  /** What was bought: lines whose amounts add up to the purchase (earning rules read them). */
  basket?: BasketLineInput[];
  /** Where the purchase was made. */
  channel?: Channel;
}

/** A basket line as a point-of-sale sends it: the amount defaults to quantity x unit price. */
export interface BasketLineInput {
  sku: string;
  category?: string;
  quantity: number;
  unitPriceMinor: bigint;
  amountMinor?: bigint;
}

/** What an award would give, priced without writing (previewAward). */
export interface AwardPreview {
  memberId: string;
  currency: string;
  points: bigint;
  lines: EarnLine[];
  /** The member's tier the preview priced at (null: none). */
  tier: Pick<EarnTier, 'code' | 'name' | 'multiplierBp'> | null;
}

export interface PayInput {
  member: MemberRef;
  transactionId: string;
  currency: string;
  points: bigint;
  purchase?: Money;
  idempotencyKey?: string;
}

export interface RefundInput {
  member?: MemberRef;
  /** The transaction id of the purchase being refunded. */
  transactionId: string;
  /** The partner's id of this refund; the idempotency key unless `idempotencyKey` is given. */
  refundId: string;
  /** Money refunded; omitted refunds the whole (remaining) purchase. */
  amount?: Money;
  idempotencyKey?: string;
}

/** An award fails with one of these, and no other (its result union is built from them). */
export const awardErrors = [
  InvalidInput,
  NotFound,
  CurrencyNotSupported,
  IdempotencyKeyReused,
  TransactionConflict,
] as const;

/** A member event: something a member did that a partner rewards (profile completed...). */
export interface MemberEventInput {
  member: MemberRef;
  /** The program currency its rules award. */
  currency: string;
  /** A built-in type (profile_completed, app_installed, social_share, review_submitted, survey_submitted) or the partner's own. */
  type: string;
  /** The partner's id of the event: the idempotency key unless `idempotencyKey` is given. */
  eventId: string;
  idempotencyKey?: string;
}

export interface MemberEventReceipt {
  eventId: string;
  type: string;
  memberId: string;
  currency: string;
  /** What the event's rules gave (0: none applied, or their limits were used up). */
  points: bigint;
  lines: EarnLine[];
  /** The earn transfer; null when no points moved. */
  transferId: string | null;
  createdAt: Date;
}

/** A member event fails with one of these, and no other. */
export const memberEventErrors = [
  InvalidInput,
  NotFound,
  CurrencyNotSupported,
  IdempotencyKeyReused,
  TransactionConflict,
] as const;

/** A preview fails as an award would (less what only writing finds). */
export const previewAwardErrors = [InvalidInput, NotFound, CurrencyNotSupported] as const;

/** A payment with points fails with one of these, and no other (its result union is built from them). */
export const payWithPointsErrors = [
  InvalidInput,
  NotFound,
  CurrencyNotSupported,
  InsufficientPoints,
  IdempotencyKeyReused,
  TransactionConflict,
] as const;

/** A refund fails with one of these, and no other (its result union is built from them). */
export const refundErrors = [
  InvalidInput,
  NotFound,
  RefundExceedsPurchase,
  IdempotencyKeyReused,
] as const;

/**
 * What a partner's point-of-sale does: award points on a purchase, let a member pay with points,
 * refund a purchase. Validates and prices requests, then hands them to the ledger.
 *
 * Every method is idempotent on the partner's own id (transaction id, refund id) or an explicit
 * idempotency key, stored with a hash of the request: a retry returns the original receipt, the
 * same key with a different request is IdempotencyKeyReused.
 */
export class PurchaseService {
  constructor(
    private readonly ledger: Ledger,
    private readonly catalog: ProgramCatalog,
    private readonly members: MemberDirectory,
    private readonly clock: Clock,
    /** Earning rules: their bonus is priced per tier world and granted by the earn batch. */
    private readonly rules: RuleService,
    /** How an award's points are computed: the base step, then what other steps add. */
    private readonly pricing = new EarnPricing(),
  ) {}

  /**
   * Awards points to a member, priced by the EarnPricing steps (the base step: explicit points,
   * or floor(purchase x earn rate), rounding in the program's favour). Errors (`awardErrors`): InvalidInput,
   * NotFound (member, currency), CurrencyNotSupported, IdempotencyKeyReused,
   * TransactionConflict, Forbidden.
   */
  award(
    ctx: RequestContext,
    input: AwardInput,
  ): Promise<EarnReceipt | ErrorOf<typeof awardErrors>> {
    return failsWith(awardErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const transactionId = requireReference('transactionId', input.transactionId);
      const now = this.clock.now();
      const { partner, currency, purchase, points, lines, rules } = await this.priceAward(
        partnerId,
        input,
        now,
      );
      const pendingDays = input.pendingDays ?? 0;
      requireIntegerInRange('pendingDays', pendingDays, 0, pendingDaysMax);
      // Resolved through the partner's links by the ledger, in the same call as the earn.
      const member = memberRefFor(input.member);

      const [outcome] = await this.ledger.earn([
        {
          transferId: newId('trf'),
          partnerId,
          member,
          currency: currency.code,
          points,
          transactionId,
          purchase: purchase ?? null,
          createdAt: now,
          maturesAt: pendingDays > 0 ? new Date(now.getTime() + pendingDays * dayMs) : null,
          lotExpiresAt: currency.expiryMonths ? addMonths(now, currency.expiryMonths) : null,
          description: `Earned at ${partner.name}${purchaseNote(purchase)}`,
          lines,
          rules,
          claim: {
            scope: partnerId,
            operation: 'earn',
            key: requireReference('idempotencyKey', input.idempotencyKey ?? transactionId),
            requestHash: requestHash({ ...input, idempotencyKey: undefined }),
          },
          deadlineAt: ctx.deadlineAt,
        },
      ]);
      if (outcome instanceof Error) throw outcome;
      return outcome!;
    });
  }

  /**
   * Records a member event at the calling partner (a completed profile, an installed app, a
   * review...), or a coalition-wide one by the operator (issued by the currency's owner, for any
   * member, rewarded by the coalition campaigns only), and gives what the partner's and the
   * coalition's rules on that event type give,
   * decided by the earn batch like a purchase's rule points (limits such as once per member
   * included). Idempotent on the event id. An event no rule rewards is recorded with 0 points
   * and no transfer. Errors (`memberEventErrors`): InvalidInput, NotFound, CurrencyNotSupported,
   * IdempotencyKeyReused, TransactionConflict, Forbidden.
   */
  recordEvent(
    ctx: RequestContext,
    input: MemberEventInput,
  ): Promise<MemberEventReceipt | ErrorOf<typeof memberEventErrors>> {
    return failsWith(memberEventErrors, async () => {
      const caller = requireCaller(ctx, 'partner', 'operator');
      const currency = await this.currencyFor(input.currency);
      // The operator's events (coalition-wide actions) are issued in the currency owner's name,
      // rewarded by the coalition campaigns only, for any member (migrations/0036).
      const byOperator = caller.kind === 'operator';
      const partnerId = byOperator ? currency.ownerPartnerId : caller.partnerId;
      const partner = await this.partnerFor(partnerId);
      if (byOperator && input.member.memberId === undefined) {
        throw new InvalidInput('member', 'the operator names members by memberId');
      }
      const terms = await this.catalog.partnerTerms(partnerId, currency.code);
      if (!byOperator && !terms?.earns) {
        throw new CurrencyNotSupported(currency.code, partnerId, 'earn');
      }
      requirePattern(
        'type',
        input.type,
        eventTypePattern,
        'lower snake case, 2 to 40 characters (e.g. profile_completed)',
      );
      const eventId = requireReference('eventId', input.eventId, 190);
      const member = memberRefFor(input.member);
      const now = this.clock.now();
      const rules = (await this.rules.priceEarn(
        partnerId,
        currency.code,
        {
          at: now,
          channel: null,
          purchase: null,
          basket: [],
          basePoints: 0n,
          event: input.type,
        },
        { coalitionOnly: byOperator },
      )) ?? { candidates: [], worlds: [[]] };
      const [outcome] = await this.ledger.earn([
        {
          transferId: newId('trf'),
          partnerId,
          member,
          currency: currency.code,
          points: 0n,
          // An event is its own "purchase": one per event id at the partner (the operator's
          // have their own namespace at the currency's owner).
          transactionId: byOperator ? `event:operator:${eventId}` : `event:${eventId}`,
          purchase: null,
          createdAt: now,
          maturesAt: null,
          lotExpiresAt: currency.expiryMonths ? addMonths(now, currency.expiryMonths) : null,
          description: byOperator
            ? `${input.type.replace(/_/g, ' ')} in the coalition`
            : `${input.type.replace(/_/g, ' ')} at ${partner.name}`,
          lines: [],
          rules,
          claim: {
            // 'operator' also tells the earn batch to resolve the member without a link.
            scope: byOperator ? 'operator' : partnerId,
            operation: 'event',
            key: requireReference('idempotencyKey', input.idempotencyKey ?? eventId),
            requestHash: requestHash({ ...input, idempotencyKey: undefined }),
          },
          deadlineAt: ctx.deadlineAt,
        },
      ]);
      if (outcome instanceof Error) throw outcome;
      const receipt = outcome!;
      return {
        eventId,
        type: input.type,
        memberId: receipt.memberId,
        currency: receipt.currency,
        points: receipt.points,
        lines: receipt.lines,
        transferId: receipt.points > 0n ? receipt.transferId : null,
        createdAt: receipt.createdAt,
      };
    });
  }

  /**
   * What `award` would give this member now, without writing: the base, the tier line at the
   * member's current tier, and the earning rules in force. The award itself may differ when the
   * member's tier changes first. Errors (`previewAwardErrors`): InvalidInput, NotFound,
   * CurrencyNotSupported, Forbidden.
   */
  previewAward(
    ctx: RequestContext,
    input: AwardInput,
  ): Promise<AwardPreview | ErrorOf<typeof previewAwardErrors>> {
    return failsWith(previewAwardErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const now = this.clock.now();
      const priced = await this.priceAward(partnerId, input, now);
      const memberId = await this.members.resolveForPartner(ctx, partnerId, input.member);
      const tiers = await ctx.em
        .getConnection()
        .execute<
          { rank: number; code: string; name: string; multiplier_bp: number; ranks: number }[]
        >(
          `select mt.rank, t ->> 'code' as code, t ->> 'name' as name,
                (t ->> 'multiplierBp')::integer as multiplier_bp
         from member_tier mt
         cross join lateral tier_version_at(mt.currency_code, ?) v
         cross join lateral (select v.tiers -> least(mt.rank, jsonb_array_length(v.tiers) - 1) as t) x
         where mt.member_id = ? and mt.currency_code = ?`,
          [now, memberId, priced.currency.code],
        );
      const tier = tiers[0];
      let points = priced.points;
      const lines = [...priced.lines];
      // Lines in the order a receipt lists them: base, earning rules, then the tier line.
      const world = priced.rules ? worldCandidates(priced.rules, tier ? tier.rank + 1 : 0) : [];
      // History conditions as the batch would find them now; limits and budgets are not
      // checked (the award may find a rule used up).
      let history = { atPartner: 0, anywhere: 0 };
      if (world.some((c) => c.purchaseNumber !== null || c.firstInCoalition)) {
        const counts = await ctx.em
          .getConnection()
          .execute<{ at_partner: number; anywhere: number }[]>(
            `select count(*) filter (where partner_id = ?)::integer as at_partner, count(*)::integer as anywhere
           from transfer where member_id = ? and code = 'earn'`,
            [partnerId, memberId],
          );
        history = { atPartner: counts[0]!.at_partner, anywhere: counts[0]!.anywhere };
      }
      let dates: MemberDates | null = null;
      if (world.some((c) => c.localDate !== null)) {
        const rows = await ctx.em
          .getConnection()
          .execute<{ birth_month: number | null; birth_day: number | null; created_at: Date }[]>(
            'select birth_month, birth_day, created_at from member where id = ?',
            [memberId],
          );
        const row = rows[0]!;
        dates = {
          birthday:
            row.birth_month === null ? null : { month: row.birth_month, day: row.birth_day! },
          joinedAt: new Date(row.created_at),
        };
      }
      // Segment and activated-offer conditions (migrations/0071), as the batch would find them.
      const memberOf = new Set<string>();
      const segmentIds = world.flatMap((c) => (c.segmentId === null ? [] : [c.segmentId]));
      const offerIds = world.flatMap((c) => (c.offerId === null ? [] : [c.offerId]));
      if (segmentIds.length + offerIds.length > 0) {
        const rows = await ctx.em.getConnection().execute<{ id: string }[]>(
          `select segment_id as id from segment_member where member_id = ? and segment_id = any(?::text[])
           union all
           select offer_id from offer_activation where member_id = ? and offer_id = any(?::text[])`,
          // Array literals: the ids are lower case letters, digits and "_" (no quoting needed).
          [memberId, `{${segmentIds.join(',')}}`, memberId, `{${offerIds.join(',')}}`],
        );
        for (const row of rows) memberOf.add(row.id);
      }
      const allowed = world.filter(
        (candidate) =>
          (candidate.segmentId === null || memberOf.has(candidate.segmentId)) &&
          (candidate.offerId === null || memberOf.has(candidate.offerId)) &&
          (candidate.purchaseNumber === null ||
            candidate.purchaseNumber === history.atPartner + 1) &&
          (!candidate.firstInCoalition || history.anywhere === 0) &&
          (candidate.localDate === null || (dates !== null && memberDatesHold(candidate, dates))),
      );
      for (const candidate of applyStacking(allowed)) {
        const line = candidateLine(candidate);
        // A preview issues no voucher: it shows what one would be, without a code.
        if (line.voucher) line.voucher = { ...line.voucher, code: '' };
        lines.push(line);
        points += candidate.points;
      }
      if (tier) {
        // As the earn batch prices it: max(1, floor(base x multiplier)) replaces the base.
        const base = basePointsOf(priced.lines);
        const line = maxBig(1n, (base * BigInt(tier.multiplier_bp)) / 10_000n) - base;
        if (line !== 0n) {
          lines.push({
            kind: 'tier',
            points: line,
            description: `${tier.name} x${decimalOfBasisPoints(tier.multiplier_bp)}`,
          });
          points += line;
        }
      }
      return {
        memberId,
        currency: priced.currency.code,
        points,
        lines,
        tier: tier ? { code: tier.code, name: tier.name, multiplierBp: tier.multiplier_bp } : null,
      };
    });
  }

  /**
   * Prices an award from the request and configuration only: the pricing steps' lines and the
   * earning rules' bonus per tier world (the batch picks the world). Shared by award and preview.
   */
  private async priceAward(partnerId: string, input: AwardInput, now: Date) {
    const partner = await this.partnerFor(partnerId);
    const currency = await this.currencyFor(input.currency);
    const terms = await this.catalog.partnerTerms(partnerId, currency.code);
    if (!terms?.earns) throw new CurrencyNotSupported(currency.code, partnerId, 'earn');
    const purchase = input.purchase && validPurchase(input.purchase);
    const basket = validBasket(input.basket, purchase);
    if (input.channel !== undefined && !channels.includes(input.channel)) {
      throw new InvalidInput('channel', `must be one of ${channels.join(', ')}`);
    }
    const { points, lines } = await this.pricing.price({
      partnerId,
      currency: currency.code,
      member: input.member,
      purchase: purchase ?? null,
      explicitPoints:
        input.points === undefined
          ? null
          : requirePositive('points', input.points, pointsPerTransferMax),
      terms,
    });
    if (points > pointsPerTransferMax) {
      throw new InvalidInput('points', `at most ${pointsPerTransferMax} in one transfer`);
    }
    const rules: RuleWorlds | null = await this.rules.priceEarn(partnerId, currency.code, {
      at: now,
      channel: input.channel ?? null,
      purchase: purchase ?? null,
      basket,
      basePoints: basePointsOf(lines),
      event: null,
    });
    return { partner, currency, purchase, points, lines, rules };
  }

  /**
   * A member pays at the calling partner with points of a currency it accepts. Errors (`payWithPointsErrors`):
   * InvalidInput, NotFound, CurrencyNotSupported, InsufficientPoints, IdempotencyKeyReused,
   * TransactionConflict, Forbidden.
   */
  payWithPoints(
    ctx: RequestContext,
    input: PayInput,
  ): Promise<SpendReceipt | ErrorOf<typeof payWithPointsErrors>> {
    return failsWith(payWithPointsErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const partner = await this.partnerFor(partnerId);
      const transactionId = requireReference('transactionId', input.transactionId);
      const currency = await this.currencyFor(input.currency);
      const terms = await this.catalog.partnerTerms(partnerId, currency.code);
      if (!terms?.accepts) throw new CurrencyNotSupported(currency.code, partnerId, 'accept');
      const points = requirePositive('points', input.points, pointsPerTransferMax);
      const purchase = input.purchase && validPurchase(input.purchase);
      const memberId = await this.members.resolveForPartner(ctx, partnerId, input.member);
      const outcome = await this.ledger.spend(
        {
          transferId: newId('trf'),
          partnerId,
          memberId,
          currency: currency.code,
          points,
          transactionId,
          purchase: purchase ?? null,
          createdAt: this.clock.now(),
          description: `Paid at ${partner.name}${purchaseNote(purchase)}`,
          claim: {
            scope: partnerId,
            operation: 'redeem',
            key: requireReference('idempotencyKey', input.idempotencyKey ?? transactionId),
            requestHash: requestHash({ ...input, idempotencyKey: undefined }),
          },
          holdExpiresAt: null,
        },
        ctx.deadlineAt,
      );
      if (outcome instanceof Error) throw outcome;
      return outcome;
    });
  }

  /**
   * Refunds a purchase fully or partly: earned points are taken back, spent points returned,
   * in proportion to the money refunded and never beyond the original. Errors (`refundErrors`): InvalidInput,
   * NotFound (purchase, member), RefundExceedsPurchase, IdempotencyKeyReused, Forbidden.
   */
  refundPurchase(
    ctx: RequestContext,
    input: RefundInput,
  ): Promise<RefundReceipt | ErrorOf<typeof refundErrors>> {
    return failsWith(refundErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      await this.partnerFor(partnerId);
      const transactionId = requireReference('transactionId', input.transactionId);
      const refundId = requireReference('refundId', input.refundId);
      const amount = input.amount && validPurchase(input.amount, 'amount');
      const memberId = input.member
        ? await this.members.resolveForPartner(ctx, partnerId, input.member)
        : null;
      const outcome = await this.ledger.refund(
        {
          transferId: newId('trf'),
          partnerId,
          memberId,
          transactionId,
          amountMinor: amount?.amountMinor ?? null,
          amountCurrency: amount?.currency ?? null,
          createdAt: this.clock.now(),
          claim: {
            scope: partnerId,
            operation: 'refund',
            key: requireReference('idempotencyKey', input.idempotencyKey ?? refundId),
            requestHash: requestHash({ ...input, idempotencyKey: undefined }),
          },
        },
        ctx.deadlineAt,
      );
      if (outcome instanceof Error) throw outcome;
      return outcome;
    });
  }

  /** The calling partner, which must exist (a token for a removed partner changes nothing). */
  private async partnerFor(partnerId: string) {
    const partner = await this.catalog.partner(partnerId);
    if (!partner) throw new NotFound('partner', partnerId);
    return partner;
  }

  private async currencyFor(code: string) {
    requirePattern('currency', code, /^[A-Z][A-Z0-9]{1,9}$/, 'must be a program currency code');
    const currency = await this.catalog.currency(code);
    if (!currency) throw new NotFound('currency', code);
    return currency;
  }
}

/** Exactly one of memberId or externalId; a malformed member id can name nobody. */
function memberRefFor(ref: MemberRef): { memberId: string } | { externalId: string } {
  if ((ref.memberId === undefined) === (ref.externalId === undefined)) {
    throw new InvalidInput('member', 'give exactly one of memberId or externalId');
  }
  if (ref.externalId !== undefined)
    return { externalId: requireReference('member.externalId', ref.externalId, 100) };
  if (!idPatterns.member.test(ref.memberId!)) throw new NotFound('member', ref.memberId!);
  return { memberId: ref.memberId! };
}

function validPurchase(money: Money, field = 'purchase'): Money {
  if (!isKnownMoneyCurrency(money.currency)) {
    throw new InvalidInput(`${field}.currency`, 'must be a supported ISO 4217 currency');
  }
  requirePositive(`${field}.amount`, money.amountMinor, purchaseMinorMax);
  return money;
}

const basketLinesMax = 500;

/**
 * A basket's lines, each amount defaulting to quantity x unit price, adding up to the purchase
 * exactly (a basket without a purchase is refused: the lines would price nothing).
 */
function validBasket(
  lines: BasketLineInput[] | undefined,
  purchase: Money | undefined,
): BasketLine[] {
  if (!lines || lines.length === 0) return [];
  if (!purchase) throw new InvalidInput('basket', 'a basket needs the purchase it adds up to');
  if (lines.length > basketLinesMax)
    throw new InvalidInput('basket', `at most ${basketLinesMax} lines`);
  let total = 0n;
  const valid = lines.map((line, index) => {
    const field = `basket[${index}]`;
    const sku = requireReference(`${field}.sku`, line.sku, 100);
    const category =
      line.category === undefined
        ? null
        : requireReference(`${field}.category`, line.category, 100);
    requireIntegerInRange(`${field}.quantity`, line.quantity, 1, 1_000_000);
    if (line.unitPriceMinor < 0n || line.unitPriceMinor > purchaseMinorMax) {
      throw new InvalidInput(`${field}.unitPrice`, 'must be 0 or more, within the purchase limit');
    }
    const amountMinor = line.amountMinor ?? line.unitPriceMinor * BigInt(line.quantity);
    if (amountMinor < 0n || amountMinor > purchaseMinorMax) {
      throw new InvalidInput(`${field}.amount`, 'must be 0 or more, within the purchase limit');
    }
    total += amountMinor;
    return {
      sku,
      category,
      quantity: line.quantity,
      unitPriceMinor: line.unitPriceMinor,
      amountMinor,
    };
  });
  if (total !== purchase.amountMinor) {
    throw new InvalidInput(
      'basket',
      `the lines add up to ${formatMoneyAmount(total, purchase.currency)} ${purchase.currency}, the purchase is ${formatMoneyAmount(purchase.amountMinor, purchase.currency)}`,
    );
  }
  return valid;
}

function basePointsOf(lines: readonly EarnLine[]): bigint {
  let base = 0n;
  for (const line of lines) if (line.kind === 'base') base += line.points;
  return base;
}

function purchaseNote(purchase: Money | undefined): string {
  return purchase
    ? ` (${formatMoneyAmount(purchase.amountMinor, purchase.currency)} ${purchase.currency})`
    : '';
}

/** Calendar months later, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(date: Date, months: number): Date {
  const result = new Date(date);
  const day = result.getUTCDate();
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() + months);
  const lastDay = new Date(
    Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0),
  ).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}
