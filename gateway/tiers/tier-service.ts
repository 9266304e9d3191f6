import { recordAudit } from '../audit/audit-log';
import type { SqlDatabase } from '../db/sql';
import { pageSizeDefault, pageSizeMax } from '../ledger/limits';
import type { MemberDirectory, MemberRef } from '../members/member-directory';
import type { CurrencyRecord } from '../programs/currency.entity';
import type { ProgramCatalog } from '../programs/program-catalog';
import type { Clock } from '../shared/clock';
import { callerName, type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, Forbidden, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { idPatterns } from '../shared/ids';
import { requireIntegerInRange, requirePattern, requireReference } from '../shared/validate';
import { NoTierLadder } from './errors';
import {
  type LadderInput,
  type QualificationWindow,
  type Tier,
  type TierMetric,
  validLadder,
} from './ladder';

/** A stored ladder version. */
export interface LadderVersion {
  currency: string;
  version: number;
  effectiveFrom: Date;
  metric: TierMetric;
  spendCurrency: string | null;
  window: QualificationWindow;
  downgradeLevelsMax: number;
  tiers: Tier[];
  createdBy: string;
  createdAt: Date;
}

/** Why a member holds the tier in force. */
export type TierSource = 'qualified' | 'manual' | 'match' | 'vip';

/** One change of a member's tier in force. */
export interface TierChange {
  at: Date;
  fromTier: string | null;
  toTier: string;
  reason: string;
  detail: string;
}

/** A member's standing in one program's tiers. */
export interface MemberTierStatus {
  currency: string;
  tier: Tier & { rank: number };
  source: TierSource;
  /** Until when a grant (manual, match, VIP) holds the tier; null for a qualified tier. */
  heldUntil: Date | null;
  metric: TierMetric;
  window: QualificationWindow;
  /** The qualifying total of the current window. */
  qualifyingTotal: bigint;
  windowStart: Date;
  windowEnd: Date;
  /** The next tier up and the qualifying total it still needs, by windowEnd. */
  nextTier: { code: string; name: string; threshold: bigint; needed: bigint } | null;
  /** When qualification is next reviewed: the qualified tier may go down then, never before. */
  reviewAt: Date;
  /** The most recent tier changes, newest first. */
  history: TierChange[];
}

export interface AssignTierInput {
  memberId: string;
  currency: string;
  tierCode: string;
  reason: string;
  until: Date;
}

export interface StatusMatchInput {
  fromCurrency: string;
  fromTierCode: string;
  toCurrency: string;
  toTierCode: string;
  startsAt?: Date;
  endsAt: Date;
}

export interface StatusMatch {
  id: string;
  fromCurrency: string;
  fromTierCode: string;
  toCurrency: string;
  toTierCode: string;
  startsAt: Date;
  endsAt: Date;
}

export interface TierMembersPage {
  members: { memberId: string; tierCode: string; since: Date }[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

export const defineLadderErrors = [InvalidInput, NotFound] as const;
export const assignTierErrors = [InvalidInput, NotFound, NoTierLadder] as const;
export const statusMatchErrors = [InvalidInput, NotFound, NoTierLadder] as const;
export const memberBenefitsErrors = [InvalidInput, NotFound] as const;

const historyLength = 20;
const dayMs = 86_400_000;

/**
 * Tier ladders and members' tiers (issue 13). Pricing at the tier and qualification happen in
 * the earn batch and refunds (the database functions of migrations/0017); this service defines
 * ladders, grants tiers (manual assignments, status matches), runs reviews and reads statuses.
 *
 * A program's ladder is managed by the operator or the partner that owns the program currency.
 */
export class TierService {
  constructor(
    private readonly db: SqlDatabase,
    private readonly catalog: ProgramCatalog,
    private readonly members: MemberDirectory,
    private readonly clock: Clock,
  ) {}

  /**
   * Adds a ladder version, in force from `effectiveFrom` (default now) until the next one.
   * Versions are history: a new one must start after every existing one. Errors
   * (`defineLadderErrors`): InvalidInput, NotFound (currency), Forbidden.
   */
  defineLadder(
    ctx: RequestContext,
    input: LadderInput,
  ): Promise<LadderVersion | ErrorOf<typeof defineLadderErrors>> {
    return failsWith(defineLadderErrors, async () => {
      const currency = await this.manageableProgram(ctx, input.currency);
      const ladder = validLadder(input);
      const now = this.clock.now();
      const effectiveFrom = input.effectiveFrom ?? now;
      if (effectiveFrom.getTime() < now.getTime() - dayMs) {
        throw new InvalidInput('effectiveFrom', 'a version cannot start in the past');
      }
      return this.db.transaction(async (sql) => {
        // One definer at a time per program: versions are numbered and ordered.
        await sql.query('select pg_advisory_xact_lock(hashtext($1))', [`tiers:${currency.code}`]);
        const latest = await sql.query<{ version: number; effective_from: Date }>(
          `select version, effective_from from tier_ladder_version
           where currency_code = $1 order by version desc limit 1`,
          [currency.code],
        );
        const previous = latest.rows[0];
        if (previous && previous.effective_from.getTime() >= effectiveFrom.getTime()) {
          throw new InvalidInput(
            'effectiveFrom',
            `must be after the latest version's start (${previous.effective_from.toISOString()}): versions never overlap`,
          );
        }
        const row = await sql.query<LadderRow>(
          `insert into tier_ladder_version (currency_code, version, effective_from, metric,
             spend_currency, qualification_window, downgrade_levels_max, tiers, created_by, created_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           returning *`,
          [
            currency.code,
            (previous?.version ?? 0) + 1,
            effectiveFrom,
            ladder.metric,
            ladder.spendCurrency,
            ladder.window,
            ladder.downgradeLevelsMax,
            JSON.stringify(ladder.tiers),
            callerName(ctx),
            now,
          ],
        );
        const version = ladderOf(row.rows[0]!);
        await recordAudit(sql, ctx, {
          entity: 'tier_ladder',
          entityId: `${currency.code}:${version.version}`,
          action: 'create',
          before: null,
          after: version,
          partnerIds: [currency.ownerPartnerId],
          at: now,
        });
        return version;
      });
    });
  }

  /** A program's ladder versions, newest first (empty: no tiers). */
  async ladderVersions(currency: string): Promise<LadderVersion[]> {
    const rows = await this.db.query<LadderRow>(
      'select * from tier_ladder_version where currency_code = $1 order by version desc',
      [currency],
    );
    return rows.rows.map(ladderOf);
  }

  /** The version in force at `at` (default now), if any. */
  async ladderAt(currency: string, at = this.clock.now()): Promise<LadderVersion | null> {
    const rows = await this.db.query<LadderRow>(
      'select * from tier_version_at($1, $2) where currency_code is not null',
      [currency, at],
    );
    return rows.rows[0] ? ladderOf(rows.rows[0]) : null;
  }

  /**
   * A member's standing in every program whose tiers they joined: for the member themself, or
   * for the operator (any member).
   */
  async memberStatuses(ctx: RequestContext, memberId?: string): Promise<MemberTierStatus[]> {
    const target = this.memberInView(ctx, memberId);
    const rows = await this.db.query<{ currency_code: string }>(
      'select currency_code from member_tier where member_id = $1 order by currency_code',
      [target],
    );
    const statuses: MemberTierStatus[] = [];
    for (const row of rows.rows) {
      const status = await this.memberStatus(target, row.currency_code);
      if (status) statuses.push(status);
    }
    return statuses;
  }

  /**
   * The tier and benefits a member has in a program now, for a partner's point-of-sale before a
   * purchase (null: no tier there). Any partner that awards or accepts the program may ask,
   * about its own members. Errors (`memberBenefitsErrors`): InvalidInput, NotFound, Forbidden.
   */
  memberBenefits(
    ctx: RequestContext,
    member: MemberRef,
    currency: string,
  ): Promise<MemberTierStatus | null | ErrorOf<typeof memberBenefitsErrors>> {
    return failsWith(memberBenefitsErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const program = await this.program(currency);
      const memberId = await this.members.resolveForPartner(ctx, partnerId, member);
      const terms = await this.catalog.partnerTerms(partnerId, program.code);
      if (!terms && program.ownerPartnerId !== partnerId) throw new NotFound('currency', currency);
      return this.memberStatus(memberId, program.code);
    });
  }

  /**
   * Sets a member's tier for a period, whatever they qualify for (a goodwill upgrade, a
   * correction), with a reason; recorded with who did it. The operator, or the program's owner
   * for a member linked to it. Errors (`assignTierErrors`): InvalidInput, NotFound,
   * NoTierLadder, Forbidden.
   */
  assignTier(
    ctx: RequestContext,
    input: AssignTierInput,
  ): Promise<MemberTierStatus | ErrorOf<typeof assignTierErrors>> {
    return failsWith(assignTierErrors, async () => {
      const program = await this.manageableProgram(ctx, input.currency);
      const memberId = await this.memberToManage(ctx, input.memberId);
      const reason = requireReference('reason', input.reason, 500);
      const now = this.clock.now();
      if (input.until.getTime() <= now.getTime()) {
        throw new InvalidInput('until', 'must be in the future');
      }
      const ladder = await this.ladderAt(program.code, now);
      if (!ladder) throw new NoTierLadder(program.code);
      const rank = rankOf(ladder, input.tierCode, 'tierCode');
      await this.db.transaction(async (sql) => {
        await sql.query('select tier_enrol($1, $2, $3, $4)', [
          memberId,
          program.code,
          now,
          'grant',
        ]);
        await sql.query(
          `insert into tier_grant (member_id, currency_code, kind, rank, starts_at, ends_at, reason, granted_by)
           values ($1, $2, 'manual', $3, $4, $5, $6, $7)`,
          [memberId, program.code, rank, now, input.until, reason, callerName(ctx)],
        );
        await sql.query('select tier_refresh($1, $2, $3, $4, $5, $6)', [
          memberId,
          program.code,
          now,
          'manual',
          reason,
          callerName(ctx),
        ]);
        await recordAudit(sql, ctx, {
          entity: 'tier_assignment',
          entityId: `${program.code}:${memberId}`,
          action: 'create',
          before: null,
          after: {
            memberId,
            currency: program.code,
            tierCode: input.tierCode,
            reason,
            until: input.until,
          },
          partnerIds: [program.ownerPartnerId],
          at: now,
        });
      });
      return (await this.memberStatus(memberId, program.code))!;
    });
  }

  /**
   * Agrees that holding a tier in one program gives a tier in another until `endsAt` ("SkyAir
   * Gold gives Nordic Silver"). Evaluated at once for members already at the tier, and whenever
   * a member's tier in the first program changes. The operator, or the owner of the program
   * that grants. Errors (`statusMatchErrors`): InvalidInput, NotFound, NoTierLadder, Forbidden.
   */
  defineStatusMatch(
    ctx: RequestContext,
    input: StatusMatchInput,
  ): Promise<StatusMatch | ErrorOf<typeof statusMatchErrors>> {
    return failsWith(statusMatchErrors, async () => {
      const to = await this.manageableProgram(ctx, input.toCurrency);
      const from = await this.program(input.fromCurrency);
      if (from.code === to.code) throw new InvalidInput('toCurrency', 'match two programs');
      const now = this.clock.now();
      const startsAt = input.startsAt ?? now;
      if (input.endsAt.getTime() <= Math.max(startsAt.getTime(), now.getTime())) {
        throw new InvalidInput('endsAt', 'must be after the start and in the future');
      }
      const fromLadder = await this.ladderAt(from.code, now);
      if (!fromLadder) throw new NoTierLadder(from.code);
      const toLadder = await this.ladderAt(to.code, now);
      if (!toLadder) throw new NoTierLadder(to.code);
      const fromRank = rankOf(fromLadder, input.fromTierCode, 'fromTierCode');
      const toRank = rankOf(toLadder, input.toTierCode, 'toTierCode');
      const id = `match_${from.code.toLowerCase()}_${input.fromTierCode.toLowerCase()}_${to.code.toLowerCase()}_${now.getTime()}`;
      await this.db.transaction(async (sql) => {
        await sql.query(
          `insert into tier_status_match (id, from_currency, from_rank, to_currency, to_rank, starts_at, ends_at, created_by)
           values ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [id, from.code, fromRank, to.code, toRank, startsAt, input.endsAt, callerName(ctx)],
        );
        await recordAudit(sql, ctx, {
          entity: 'tier_status_match',
          entityId: id,
          action: 'create',
          before: null,
          after: { ...input, startsAt },
          partnerIds: [...new Set([from.ownerPartnerId, to.ownerPartnerId])],
          at: now,
        });
        if (startsAt.getTime() <= now.getTime()) {
          // Members already at the tier get the match now (in batches would be kinder to a
          // huge program; a match is defined rarely).
          await sql.query(
            `select tier_apply_match(mt.member_id, m, mt.rank, $2)
             from member_tier mt, tier_status_match m
             where m.id = $1 and mt.currency_code = m.from_currency and mt.rank >= m.from_rank`,
            [id, now],
          );
        }
      });
      return {
        id,
        fromCurrency: from.code,
        fromTierCode: input.fromTierCode,
        toCurrency: to.code,
        toTierCode: input.toTierCode,
        startsAt,
        endsAt: input.endsAt,
      };
    });
  }

  /**
   * Reviews due by `asOf` (default now): qualified tiers go down at their review date by at most
   * the ladder's downgrade_levels_max, and grants that started or ended are applied. In
   * transactions of 500 members; idempotent (a second run finds nothing due). Returns how many
   * members were reviewed or refreshed.
   */
  async reviewDue(asOf = this.clock.now(), progress?: (done: number) => void): Promise<number> {
    let done = 0;
    for (;;) {
      const batch = await this.db.transaction(async (sql) => {
        const row = await sql.query<{ done: number }>('select tier_review_due($1, 500) as done', [
          asOf,
        ]);
        return row.rows[0]!.done;
      });
      if (batch === 0) return done;
      done += batch;
      progress?.(done);
    }
  }

  /**
   * The members of a program's tier, paged by member id (operator, or the program's owner).
   */
  async tierMembers(
    ctx: RequestContext,
    currency: string,
    tierCode: string,
    first = pageSizeDefault,
    after?: string,
  ): Promise<TierMembersPage> {
    const program = await this.manageableProgram(ctx, currency);
    requireIntegerInRange('first', first, 1, pageSizeMax);
    const ladder = await this.ladderAt(program.code);
    if (!ladder) return { members: [], nextCursor: null };
    const rank = rankOf(ladder, tierCode, 'tierCode');
    const rows = await this.db.query<{ member_id: string; since: Date }>(
      `select mt.member_id,
              coalesce((select max(e.at) from tier_event e
                        where e.member_id = mt.member_id and e.currency_code = mt.currency_code
                          and e.to_rank = mt.rank), mt.enrolled_at) as since
       from member_tier mt
       where mt.currency_code = $1 and mt.rank = $2 and ($3::text is null or mt.member_id > $3)
       order by mt.member_id limit $4`,
      [program.code, rank, after ?? null, first + 1],
    );
    const page = rows.rows.slice(0, first);
    return {
      members: page.map((row) => ({ memberId: row.member_id, tierCode, since: row.since })),
      nextCursor: rows.rows.length > first ? page[page.length - 1]!.member_id : null,
    };
  }

  /** How many members hold each tier of a program now (operator, or the program's owner). */
  async tierCounts(
    ctx: RequestContext,
    currency: string,
  ): Promise<{ tierCode: string; tierName: string; members: bigint }[]> {
    const program = await this.manageableProgram(ctx, currency);
    const ladder = await this.ladderAt(program.code);
    if (!ladder) return [];
    const rows = await this.db.query<{ rank: number; members: bigint }>(
      'select rank, count(*)::bigint as members from member_tier where currency_code = $1 group by rank',
      [program.code],
    );
    const counts = new Map(rows.rows.map((row) => [row.rank, row.members]));
    return ladder.tiers.map((tier, rank) => ({
      tierCode: tier.code,
      tierName: tier.name,
      members: counts.get(rank) ?? 0n,
    }));
  }

  /** A member's standing in one program, or null when they have not joined its tiers. */
  async memberStatus(memberId: string, currency: string): Promise<MemberTierStatus | null> {
    const now = this.clock.now();
    const ladder = await this.ladderAt(currency, now);
    if (!ladder) return null;
    const rows = await this.db.query<{
      rank: number;
      qualified_rank: number;
      review_at: Date;
      total: bigint;
      window_start: Date;
      grant_kind: TierSource | null;
      grant_ends_at: Date | null;
    }>(
      `select mt.rank, mt.qualified_rank, mt.review_at,
              tier_qualifying_total(mt.member_id, mt.currency_code, $3, $4, $5) as total,
              tier_window_start($4, $5)::timestamptz as window_start,
              g.kind as grant_kind, g.ends_at as grant_ends_at
       from member_tier mt
       left join lateral (
         select g.kind, g.ends_at from tier_grant g
         where g.member_id = mt.member_id and g.currency_code = mt.currency_code
           and g.starts_at <= $5 and g.ends_at > $5 and (g.kind = 'manual' or g.rank = mt.rank)
         order by g.kind = 'manual' desc, g.ends_at desc limit 1
       ) g on mt.rank <> mt.qualified_rank or g.kind = 'manual'
       where mt.member_id = $1 and mt.currency_code = $2`,
      [memberId, currency, ladder.metric, ladder.window, now],
    );
    const row = rows.rows[0];
    if (!row) return null;
    const history = await this.db.query<{
      at: Date;
      from_rank: number | null;
      to_rank: number;
      reason: string;
      detail: string;
    }>(
      `select at, from_rank, to_rank, reason, detail from tier_event
       where member_id = $1 and currency_code = $2 order by id desc limit $3`,
      [memberId, currency, historyLength],
    );
    const codeOf = (rank: number) => ladder.tiers[Math.min(rank, ladder.tiers.length - 1)]!.code;
    const rank = Math.min(row.rank, ladder.tiers.length - 1);
    const next = ladder.tiers[row.qualified_rank + 1];
    const windowEnd =
      ladder.window === 'calendar_year'
        ? new Date(Date.UTC(row.window_start.getUTCFullYear() + 1, 0, 1))
        : new Date(
            Date.UTC(row.window_start.getUTCFullYear(), row.window_start.getUTCMonth() + 12, 1),
          );
    return {
      currency,
      tier: { ...ladder.tiers[rank]!, rank },
      source: row.grant_kind ?? 'qualified',
      heldUntil: row.grant_ends_at,
      metric: ladder.metric,
      window: ladder.window,
      qualifyingTotal: row.total,
      windowStart: row.window_start,
      windowEnd,
      nextTier: next
        ? {
            code: next.code,
            name: next.name,
            threshold: BigInt(next.threshold),
            needed: BigInt(next.threshold) > row.total ? BigInt(next.threshold) - row.total : 0n,
          }
        : null,
      reviewAt: row.review_at,
      history: history.rows.map((event) => ({
        at: event.at,
        fromTier: event.from_rank === null ? null : codeOf(event.from_rank),
        toTier: codeOf(event.to_rank),
        reason: event.reason,
        detail: event.detail,
      })),
    };
  }

  /** A program currency by code (NotFound otherwise). */
  async program(code: string): Promise<CurrencyRecord> {
    requirePattern('currency', code, /^[A-Z][A-Z0-9]{1,9}$/, 'must be a program currency code');
    const currency = await this.catalog.currency(code);
    if (!currency) throw new NotFound('currency', code);
    return currency;
  }

  /**
   * A program the caller manages (its tiers, memberships, VIP plans): the operator any, a
   * partner its own. `kinds` narrows who may call (default: operator, partner, system).
   */
  async manageableProgram(
    ctx: RequestContext,
    code: string,
    ...kinds: ('operator' | 'partner' | 'system')[]
  ): Promise<CurrencyRecord> {
    const caller = requireCaller(
      ctx,
      ...(kinds.length > 0 ? kinds : (['operator', 'partner', 'system'] as const)),
    );
    const currency = await this.program(code);
    if (caller.kind === 'partner' && currency.ownerPartnerId !== caller.partnerId) {
      throw new Forbidden(`only the operator or the owner of ${code} manages its tiers`);
    }
    return currency;
  }

  /** A member the caller may manage: any for the operator, one linked to it for a partner. */
  private async memberToManage(ctx: RequestContext, memberId: string): Promise<string> {
    if (ctx.caller.kind === 'partner') {
      return this.members.resolveForPartner(ctx, ctx.caller.partnerId, { memberId });
    }
    if (!idPatterns.member.test(memberId)) throw new NotFound('member', memberId);
    const found = await this.db.query('select 1 from member where id = $1', [memberId]);
    if (found.rowCount === 0) throw new NotFound('member', memberId);
    return memberId;
  }

  /** The member whose status the caller may read: themself, or any for the operator. */
  private memberInView(ctx: RequestContext, memberId?: string): string {
    const caller = requireCaller(ctx, 'member', 'operator', 'system');
    if (caller.kind === 'member') {
      if (memberId !== undefined && memberId !== caller.memberId) {
        throw new Forbidden('a member sees only their own tiers');
      }
      return caller.memberId;
    }
    if (memberId === undefined) throw new InvalidInput('memberId', 'name the member');
    return memberId;
  }
}

interface LadderRow {
  currency_code: string;
  version: number;
  effective_from: Date;
  metric: TierMetric;
  spend_currency: string | null;
  qualification_window: QualificationWindow;
  downgrade_levels_max: number;
  tiers: Tier[];
  created_by: string;
  created_at: Date;
}

function ladderOf(row: LadderRow): LadderVersion {
  return {
    currency: row.currency_code,
    version: row.version,
    effectiveFrom: row.effective_from,
    metric: row.metric,
    spendCurrency: row.spend_currency,
    window: row.qualification_window,
    downgradeLevelsMax: row.downgrade_levels_max,
    tiers: row.tiers,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

function rankOf(ladder: LadderVersion, code: string, field: string): number {
  const rank = ladder.tiers.findIndex((tier) => tier.code === code);
  if (rank < 0) {
    throw new InvalidInput(
      field,
      `${ladder.currency} has tiers ${ladder.tiers.map((tier) => tier.code).join(', ')}`,
    );
  }
  return rank;
}
