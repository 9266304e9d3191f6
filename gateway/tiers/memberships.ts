import { randomBytes } from 'node:crypto';
import { recordAudit } from '../audit/audit-log';
import type { Sql, SqlDatabase } from '../db/sql';
import { purchaseMinorMax } from '../ledger/limits';
import type { Money } from '../ledger/model';
import type { MemberDirectory, MemberRef } from '../members/member-directory';
import type { CurrencyRecord } from '../programs/currency.entity';
import type { ProgramCatalog } from '../programs/program-catalog';
import type { Clock } from '../shared/clock';
import { callerName, type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { formatMoneyAmount, isKnownMoneyCurrency } from '../shared/money';
import { requireIntegerInRange, requirePositive, requireReference } from '../shared/validate';
import { EnrolmentRefused, NoTierLadder } from './errors';
import type { MemberTierStatus, TierService } from './tier-service';

export type Enrolment = 'open' | 'invitation' | 'qualification';
export type VipPlanPeriod = 'monthly' | 'yearly';

export interface VipPlan {
  plan: VipPlanPeriod;
  fee: Money;
  tierCode: string;
}

export interface TierProgramInput {
  currency: string;
  enrolment: Enrolment;
  /** Closed by qualification: purchases at the owning partner needed to join... */
  qualifyingPurchases?: number;
  /** ...or spend there (either suffices). */
  qualifyingSpend?: Money;
  vipPlans?: VipPlan[];
}

export interface TierProgram {
  currency: string;
  enrolment: Enrolment;
  qualifyingPurchases: number | null;
  qualifyingSpend: Money | null;
  vipPlans: VipPlan[];
}

export interface VipSubscription {
  id: string;
  memberId: string;
  currency: string;
  plan: VipPlanPeriod;
  tierCode: string;
  startedAt: Date;
  termEndsAt: Date;
  cancelledAt: Date | null;
  /** active; cancelled (benefits kept to the term's end); lapsed (the term ended unrenewed). */
  status: 'active' | 'cancelled' | 'lapsed';
  /** Fees charged, one per term. */
  payments: { termStartsAt: Date; fee: Money; paymentReference: string }[];
}

export const setTierProgramErrors = [InvalidInput, NotFound, NoTierLadder] as const;
export const issueInvitationsErrors = [InvalidInput, NotFound] as const;
export const joinTiersErrors = [InvalidInput, NotFound, NoTierLadder, EnrolmentRefused] as const;
export const vipErrors = [InvalidInput, NotFound, NoTierLadder] as const;

const invitationsPerCallMax = 1000;

/**
 * Who may join a program's tiers, and paid VIP terms (issue 13, memberships). An open program
 * enrols a member with their first earn; a closed one by an invitation code its owner issued
 * (single use, expiring), or once the member has made enough purchases or spend at the owner.
 * A VIP subscription, sold by the program's owner for a monthly or yearly fee (charged by the
 * partner in money and recorded here), gives its plan's tier for the paid term; cancelling keeps
 * it to the term's end; a term not renewed lapses then (the tier review job applies the end).
 */
export class TierMemberships {
  constructor(
    private readonly db: SqlDatabase,
    private readonly catalog: ProgramCatalog,
    private readonly members: MemberDirectory,
    private readonly tiers: TierService,
    private readonly clock: Clock,
  ) {}

  /**
   * Sets a program's enrolment policy and VIP plans (the operator or the owner). Errors
   * (`setTierProgramErrors`): InvalidInput, NotFound, NoTierLadder, Forbidden.
   */
  setProgram(
    ctx: RequestContext,
    input: TierProgramInput,
  ): Promise<TierProgram | ErrorOf<typeof setTierProgramErrors>> {
    return failsWith(setTierProgramErrors, async () => {
      const program = await this.tiers.manageableProgram(ctx, input.currency);
      if (!['open', 'invitation', 'qualification'].includes(input.enrolment)) {
        throw new InvalidInput('enrolment', 'must be open, invitation or qualification');
      }
      const qualifying = input.enrolment === 'qualification';
      if (qualifying !== (input.qualifyingPurchases !== undefined || !!input.qualifyingSpend)) {
        throw new InvalidInput(
          'enrolment',
          'closed by qualification needs qualifyingPurchases or qualifyingSpend, and only it has them',
        );
      }
      if (input.qualifyingPurchases !== undefined) {
        requireIntegerInRange('qualifyingPurchases', input.qualifyingPurchases, 1, 10_000);
      }
      if (input.qualifyingSpend) validMoney('qualifyingSpend', input.qualifyingSpend);
      const ladder = await this.tiers.ladderAt(program.code);
      const plans = (input.vipPlans ?? []).map((plan, index) => {
        if (!ladder) throw new NoTierLadder(program.code);
        if (!['monthly', 'yearly'].includes(plan.plan)) {
          throw new InvalidInput(`vipPlans[${index}].plan`, 'must be monthly or yearly');
        }
        validMoney(`vipPlans[${index}].fee`, plan.fee);
        if (!ladder.tiers.some((tier) => tier.code === plan.tierCode)) {
          throw new InvalidInput(`vipPlans[${index}].tierCode`, `not a tier of ${program.code}`);
        }
        return plan;
      });
      if (new Set(plans.map((plan) => plan.plan)).size !== plans.length) {
        throw new InvalidInput('vipPlans', 'one plan per period');
      }
      const before = await this.program(program.code);
      await this.db.transaction(async (sql) => {
        await sql.query(
          `insert into tier_program (currency_code, enrolment, qualifying_purchases, qualifying_spend_minor,
                                   qualifying_spend_currency, vip_plans, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (currency_code) do update set enrolment = excluded.enrolment,
           qualifying_purchases = excluded.qualifying_purchases,
           qualifying_spend_minor = excluded.qualifying_spend_minor,
           qualifying_spend_currency = excluded.qualifying_spend_currency,
           vip_plans = excluded.vip_plans, updated_at = excluded.updated_at`,
          [
            program.code,
            input.enrolment,
            input.qualifyingPurchases ?? null,
            input.qualifyingSpend?.amountMinor ?? null,
            input.qualifyingSpend?.currency ?? null,
            JSON.stringify(
              plans.map((plan) => ({
                ...plan,
                fee: { ...plan.fee, amountMinor: String(plan.fee.amountMinor) },
              })),
            ),
            this.clock.now(),
          ],
        );
        await recordAudit(sql, ctx, {
          entity: 'tier_program',
          entityId: program.code,
          action: 'update',
          before,
          after: { ...input, vipPlans: plans },
          partnerIds: [program.ownerPartnerId],
          at: this.clock.now(),
        });
      });
      return (await this.program(program.code))!;
    });
  }

  /** A program's enrolment policy (open, with no VIP plans, unless set). */
  async program(currency: string): Promise<TierProgram> {
    const rows = await this.db.query<{
      enrolment: Enrolment;
      qualifying_purchases: number | null;
      qualifying_spend_minor: bigint | null;
      qualifying_spend_currency: string | null;
      vip_plans: {
        plan: VipPlanPeriod;
        fee: { amountMinor: string; currency: string };
        tierCode: string;
      }[];
    }>('select * from tier_program where currency_code = $1', [currency]);
    const row = rows.rows[0];
    return {
      currency,
      enrolment: row?.enrolment ?? 'open',
      qualifyingPurchases: row?.qualifying_purchases ?? null,
      qualifyingSpend:
        row?.qualifying_spend_minor != null
          ? { amountMinor: row.qualifying_spend_minor, currency: row.qualifying_spend_currency! }
          : null,
      vipPlans: (row?.vip_plans ?? []).map((plan) => ({
        ...plan,
        fee: { amountMinor: BigInt(plan.fee.amountMinor), currency: plan.fee.currency },
      })),
    };
  }

  /**
   * Issues single-use invitation codes to a program's tiers, valid until `expiresAt` (the
   * operator or the owner). Errors (`issueInvitationsErrors`): InvalidInput, NotFound, Forbidden.
   */
  issueInvitations(
    ctx: RequestContext,
    currency: string,
    count: number,
    expiresAt: Date,
  ): Promise<{ codes: string[]; expiresAt: Date } | ErrorOf<typeof issueInvitationsErrors>> {
    return failsWith(issueInvitationsErrors, async () => {
      const program = await this.tiers.manageableProgram(ctx, currency);
      requireIntegerInRange('count', count, 1, invitationsPerCallMax);
      const now = this.clock.now();
      if (expiresAt.getTime() <= now.getTime()) {
        throw new InvalidInput('expiresAt', 'must be in the future');
      }
      // 12 characters of A-Z0-9 from 9 random bytes each: about 62 bits, not guessable.
      const codes = Array.from({ length: count }, () =>
        randomBytes(9)
          .toString('base64')
          .replace(/[^A-Za-z0-9]/g, '0')
          .toUpperCase()
          .slice(0, 12),
      );
      await this.db.query(
        `insert into tier_invitation (code, currency_code, issued_by, created_at, expires_at)
         select unnest($1::text[]), $2, $3, $4, $5`,
        [codes, program.code, callerName(ctx), now, expiresAt],
      );
      return { codes, expiresAt };
    });
  }

  /**
   * The calling member joins a program's tiers: at once when open (an earn would also enrol),
   * with an unused, unexpired invitation code when closed by invitation, or when closed by
   * qualification once their purchases or spend at the owner reach the threshold. Joining
   * twice answers the standing. Errors (`joinTiersErrors`): InvalidInput, NotFound, NoTierLadder,
   * EnrolmentRefused (with what is missing), Forbidden.
   */
  join(
    ctx: RequestContext,
    currency: string,
    invitationCode?: string,
  ): Promise<MemberTierStatus | ErrorOf<typeof joinTiersErrors>> {
    return failsWith(joinTiersErrors, async () => {
      const { memberId } = requireCaller(ctx, 'member');
      const program = await this.tiers.program(currency);
      const now = this.clock.now();
      if (!(await this.tiers.ladderAt(program.code, now))) throw new NoTierLadder(program.code);
      const existing = await this.tiers.memberStatus(memberId, program.code);
      if (existing) return existing;
      const policy = await this.program(program.code);
      await this.db.transaction(async (sql) => {
        if (policy.enrolment === 'invitation') {
          if (invitationCode === undefined) {
            throw new EnrolmentRefused(program.code, 'INVITATION_REQUIRED');
          }
          const used = await sql.query(
            `update tier_invitation set used_by = $1, used_at = $2
             where code = $3 and currency_code = $4 and used_by is null and expires_at > $2`,
            [memberId, now, invitationCode.toUpperCase(), program.code],
          );
          if (used.rowCount === 0) throw new EnrolmentRefused(program.code, 'INVITATION_INVALID');
        } else if (policy.enrolment === 'qualification') {
          const missing = await this.qualificationMissing(sql, memberId, program, policy);
          if (missing) throw new EnrolmentRefused(program.code, 'QUALIFICATION_MISSING', missing);
        }
        await sql.query('select tier_enrol($1, $2, $3, $4)', [
          memberId,
          program.code,
          now,
          policy.enrolment === 'open' ? 'earn' : policy.enrolment,
        ]);
      });
      return (await this.tiers.memberStatus(memberId, program.code))!;
    });
  }

  /**
   * Starts (or restarts, after a lapse) a member's VIP subscription at the program's owner,
   * recording the first term's fee, which the partner charged. Idempotent on
   * `paymentReference`: a retry answers the subscription without a second term. Errors
   * (`vipErrors`): InvalidInput, NotFound, NoTierLadder, Forbidden.
   */
  subscribeVip(
    ctx: RequestContext,
    input: { member: MemberRef; currency: string; plan: VipPlanPeriod; paymentReference: string },
  ): Promise<VipSubscription | ErrorOf<typeof vipErrors>> {
    return failsWith(vipErrors, async () => {
      const program = await this.tiers.manageableProgram(ctx, input.currency, 'partner');
      const memberId = await this.members.resolveForPartner(
        ctx,
        program.ownerPartnerId,
        input.member,
      );
      const reference = requireReference('paymentReference', input.paymentReference, 100);
      const plan = (await this.program(program.code)).vipPlans.find((p) => p.plan === input.plan);
      if (!plan) throw new InvalidInput('plan', `${program.code} has no ${input.plan} VIP plan`);
      const ladder = await this.tiers.ladderAt(program.code);
      if (!ladder) throw new NoTierLadder(program.code);
      const rank = ladder.tiers.findIndex((tier) => tier.code === plan.tierCode);
      const now = this.clock.now();
      const id = `vip_${memberId}_${program.code.toLowerCase()}`;
      await this.db.transaction(async (sql) => {
        const current = await sql.query<{ term_ends_at: Date; paid: boolean }>(
          `select s.term_ends_at, exists (select 1 from vip_payment p
                                          where p.subscription_id = s.id and p.payment_reference = $2) as paid
           from vip_subscription s where s.id = $1 for update`,
          [id, reference],
        );
        if (current.rows[0]?.paid) return;
        if (current.rows[0] && current.rows[0].term_ends_at.getTime() > now.getTime()) {
          throw new InvalidInput('member', 'already a VIP: renew the subscription instead');
        }
        const termEndsAt = addPeriod(now, plan.plan);
        await sql.query(
          `insert into vip_subscription (id, member_id, currency_code, partner_id, plan, rank, started_at, term_ends_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8)
           on conflict (id) do update set plan = excluded.plan, rank = excluded.rank,
             started_at = excluded.started_at, term_ends_at = excluded.term_ends_at, cancelled_at = null`,
          [id, memberId, program.code, program.ownerPartnerId, plan.plan, rank, now, termEndsAt],
        );
        await this.payTerm(
          sql,
          id,
          memberId,
          program.code,
          rank,
          plan,
          now,
          termEndsAt,
          reference,
          ctx,
        );
      });
      return (await this.subscription(id))!;
    });
  }

  /**
   * Renews a VIP subscription for one more term from its current end (or from now, after a
   * lapse), recording the fee. Idempotent on `paymentReference`. A cancelled subscription
   * renewed is active again. Errors (`vipErrors`).
   */
  renewVip(
    ctx: RequestContext,
    subscriptionId: string,
    paymentReference: string,
  ): Promise<VipSubscription | ErrorOf<typeof vipErrors>> {
    return failsWith(vipErrors, async () => {
      const subscription = await this.subscriptionFor(ctx, subscriptionId);
      const reference = requireReference('paymentReference', paymentReference, 100);
      const plan = (await this.program(subscription.currency)).vipPlans.find(
        (p) => p.plan === subscription.plan,
      );
      if (!plan)
        throw new InvalidInput('plan', `${subscription.currency} no longer sells this plan`);
      const ladder = await this.tiers.ladderAt(subscription.currency);
      if (!ladder) throw new NoTierLadder(subscription.currency);
      const rank = ladder.tiers.findIndex((tier) => tier.code === plan.tierCode);
      const now = this.clock.now();
      await this.db.transaction(async (sql) => {
        const current = await sql.query<{ term_ends_at: Date; paid: boolean }>(
          `select s.term_ends_at, exists (select 1 from vip_payment p
                                          where p.subscription_id = s.id and p.payment_reference = $2) as paid
           from vip_subscription s where s.id = $1 for update`,
          [subscription.id, reference],
        );
        if (current.rows[0]!.paid) return;
        const from = new Date(Math.max(current.rows[0]!.term_ends_at.getTime(), now.getTime()));
        const termEndsAt = addPeriod(from, plan.plan);
        await sql.query(
          'update vip_subscription set term_ends_at = $2, rank = $3, cancelled_at = null where id = $1',
          [subscription.id, termEndsAt, rank],
        );
        await this.payTerm(
          sql,
          subscription.id,
          subscription.memberId,
          subscription.currency,
          rank,
          plan,
          from,
          termEndsAt,
          reference,
          ctx,
        );
      });
      return (await this.subscription(subscription.id))!;
    });
  }

  /**
   * Cancels a VIP subscription (the owner, or the member themself): nothing is renewed, and
   * the tier is kept until the paid term ends. Errors (`vipErrors`).
   */
  cancelVip(
    ctx: RequestContext,
    subscriptionId: string,
  ): Promise<VipSubscription | ErrorOf<typeof vipErrors>> {
    return failsWith(vipErrors, async () => {
      const subscription = await this.subscriptionFor(ctx, subscriptionId);
      await this.db.query(
        'update vip_subscription set cancelled_at = coalesce(cancelled_at, $2) where id = $1',
        [subscription.id, this.clock.now()],
      );
      return (await this.subscription(subscription.id))!;
    });
  }

  /** A member's VIP subscriptions (the member themself). */
  async mySubscriptions(ctx: RequestContext): Promise<VipSubscription[]> {
    const { memberId } = requireCaller(ctx, 'member');
    const rows = await this.db.query<{ id: string }>(
      'select id from vip_subscription where member_id = $1 order by id',
      [memberId],
    );
    return Promise.all(rows.rows.map(async (row) => (await this.subscription(row.id))!));
  }

  async subscription(id: string): Promise<VipSubscription | null> {
    const rows = await this.db.query<{
      id: string;
      member_id: string;
      currency_code: string;
      plan: VipPlanPeriod;
      rank: number;
      started_at: Date;
      term_ends_at: Date;
      cancelled_at: Date | null;
    }>('select * from vip_subscription where id = $1', [id]);
    const row = rows.rows[0];
    if (!row) return null;
    const payments = await this.db.query<{
      term_starts_at: Date;
      fee_minor: bigint;
      fee_currency: string;
      payment_reference: string;
    }>('select * from vip_payment where subscription_id = $1 order by term_starts_at', [id]);
    const ladder = await this.tiers.ladderAt(row.currency_code);
    const now = this.clock.now();
    return {
      id: row.id,
      memberId: row.member_id,
      currency: row.currency_code,
      plan: row.plan,
      tierCode: ladder?.tiers[row.rank]?.code ?? String(row.rank),
      startedAt: row.started_at,
      termEndsAt: row.term_ends_at,
      cancelledAt: row.cancelled_at,
      status:
        row.term_ends_at.getTime() <= now.getTime()
          ? 'lapsed'
          : row.cancelled_at
            ? 'cancelled'
            : 'active',
      payments: payments.rows.map((payment) => ({
        termStartsAt: payment.term_starts_at,
        fee: { amountMinor: payment.fee_minor, currency: payment.fee_currency },
        paymentReference: payment.payment_reference,
      })),
    };
  }

  /** Records a paid term and grants its tier for exactly that term. */
  private async payTerm(
    sql: Sql,
    subscriptionId: string,
    memberId: string,
    currency: string,
    rank: number,
    plan: VipPlan,
    termStartsAt: Date,
    termEndsAt: Date,
    paymentReference: string,
    ctx: RequestContext,
  ): Promise<void> {
    const now = this.clock.now();
    await sql.query(
      `insert into vip_payment (subscription_id, term_starts_at, term_ends_at, fee_minor, fee_currency,
                                payment_reference, recorded_at)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [
        subscriptionId,
        termStartsAt,
        termEndsAt,
        plan.fee.amountMinor,
        plan.fee.currency,
        paymentReference,
        now,
      ],
    );
    await sql.query('select tier_enrol($1, $2, $3, $4)', [memberId, currency, now, 'grant']);
    await sql.query(
      `insert into tier_grant (member_id, currency_code, kind, rank, starts_at, ends_at, reason, granted_by, source_id)
       values ($1, $2, 'vip', $3, $4, $5, $6, $7, $8)`,
      [
        memberId,
        currency,
        rank,
        termStartsAt,
        termEndsAt,
        `VIP ${plan.plan} term (${formatMoneyAmount(plan.fee.amountMinor, plan.fee.currency)} ${plan.fee.currency})`,
        callerName(ctx),
        `${subscriptionId}:${termStartsAt.toISOString()}`,
      ],
    );
    await sql.query('select tier_refresh($1, $2, $3, $4, $5, $6)', [
      memberId,
      currency,
      now,
      'vip',
      `VIP ${plan.plan} membership`,
      callerName(ctx),
    ]);
  }

  /** What a member still lacks to join a program closed by qualification; null: nothing. */
  private async qualificationMissing(
    sql: Sql,
    memberId: string,
    program: CurrencyRecord,
    policy: TierProgram,
  ): Promise<string | null> {
    const spendCurrency = policy.qualifyingSpend?.currency ?? null;
    const rows = await sql.query<{ purchases: bigint; spend: bigint | null }>(
      `select count(*) filter (where t.code = 'earn') as purchases,
              (coalesce(sum(t.purchase_amount_minor) filter (where t.code = 'earn' and t.purchase_currency = $3), 0)
              - coalesce(sum(t.purchase_amount_minor) filter (where t.code = 'refund' and t.purchase_currency = $3), 0))::bigint as spend
       from transfer t where t.partner_id = $1 and t.member_id = $2 and t.code in ('earn', 'refund')`,
      [program.ownerPartnerId, memberId, spendCurrency],
    );
    const purchases = Number(rows.rows[0]!.purchases);
    const spend = rows.rows[0]!.spend ?? 0n;
    const needPurchases = policy.qualifyingPurchases;
    const needSpend = policy.qualifyingSpend;
    if (needPurchases !== null && purchases >= needPurchases) return null;
    if (needSpend && spend >= needSpend.amountMinor) return null;
    const partner = await this.catalog.partner(program.ownerPartnerId);
    const at = partner?.name ?? program.ownerPartnerId;
    const parts = [
      needPurchases !== null ? `${needPurchases - purchases} more purchases at ${at}` : null,
      needSpend
        ? `${formatMoneyAmount(needSpend.amountMinor - spend, needSpend.currency)} ${needSpend.currency} more spend at ${at}`
        : null,
    ].filter((part) => part !== null);
    return parts.join(', or ');
  }

  /** A subscription the caller may act on: the program's owner's, or the member's own. */
  private async subscriptionFor(ctx: RequestContext, id: string): Promise<VipSubscription> {
    const caller = requireCaller(ctx, 'partner', 'member', 'operator');
    const subscription = await this.subscription(requireReference('subscriptionId', id, 200));
    const visible =
      subscription &&
      (caller.kind === 'operator' ||
        (caller.kind === 'member' && subscription.memberId === caller.memberId) ||
        (caller.kind === 'partner' &&
          (await this.catalog.currency(subscription.currency))?.ownerPartnerId ===
            caller.partnerId));
    if (!visible) throw new NotFound('member', id);
    return subscription;
  }
}

function validMoney(field: string, money: Money): void {
  if (!isKnownMoneyCurrency(money.currency)) {
    throw new InvalidInput(`${field}.currency`, 'must be a supported ISO 4217 currency');
  }
  requirePositive(`${field}.amount`, money.amountMinor, purchaseMinorMax);
}

function addPeriod(from: Date, plan: VipPlanPeriod): Date {
  const next = new Date(from);
  if (plan === 'monthly') next.setUTCMonth(next.getUTCMonth() + 1);
  else next.setUTCFullYear(next.getUTCFullYear() + 1);
  return next;
}
