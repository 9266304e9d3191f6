import type { SqlDatabase } from '../db/sql';
import { type ProgramLiability, programLiabilities } from '../exchange/liabilities';
import type { ProgramCatalog } from '../programs/program-catalog';
import type { Clock } from '../shared/clock';
import type { RequestContext } from '../shared/context';
import { type ErrorOf, Forbidden, failsWith, InvalidInput, NotFound } from '../shared/errors';
import {
  activeMembers,
  type DayFigures,
  dailyFigures,
  issuedAndExpired,
  membersBySegment,
  membersByTier,
  type SegmentCount,
  scopeCurrencies,
  type TierCount,
} from './analytics-queries';

/** What analytics are about: one partner's activity, one program, or the whole coalition. */
export interface AnalyticsScope {
  /** The partner whose activity is counted (earned and burned at it); null: every partner. */
  partnerId: string | null;
  /** The program currency; null: every currency (each still reported on its own). */
  currency: string | null;
}

export interface AnalyticsInput {
  partnerId?: string | null;
  currency?: string | null;
  /** The first UTC day, "2026-11-01". */
  from: string;
  /** The last UTC day, included. */
  to: string;
}

/** Breakage: points that expired over points issued, in the range, per program currency. */
export interface Breakage {
  currency: string;
  issuedPoints: bigint;
  expiredPoints: bigint;
  /** floor(expired x 10,000 / issued): basis points, rounded down; null when none was issued. */
  rateBasisPoints: bigint | null;
}

export interface AnalyticsReport {
  scope: AnalyticsScope;
  from: string;
  to: string;
  days: DayFigures[];
  activeMembers: bigint;
  membersByTier: TierCount[];
  /** As of each segment's last refresh: the partner's segments, or the coalition's. */
  membersBySegment: SegmentCount[];
  /** Now (not at `to`): the programs the scope owns (a partner's), or the scope's programs. */
  liabilities: ProgramLiability[];
  breakage: Breakage[];
  generatedAt: Date;
}

export const analyticsErrors = [InvalidInput, NotFound] as const;

/** The longest range one request reads: a year, leap day included. */
export const analyticsDaysMax = 366;
const dayMs = 86_400_000;
const dayPattern = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Analytics (issue 18, item 5), read-only over the ledger: earn and burn per day, active
 * members, members by tier, liability and breakage, for one partner, one program or the
 * coalition, and members by segment (the counts of gateway/segments' last refresh).
 *
 * Who sees what: a partner (its point-of-sale token or its finance users) sees its own activity
 * and the programs it owns; the operator and the operator's finance users see any scope.
 * Liability and breakage belong to the program that issues the points, so a partner's scope
 * shows those of the programs it owns (an earn-only partner has none).
 */
export class Analytics {
  constructor(
    private readonly db: SqlDatabase,
    private readonly catalog: ProgramCatalog,
    private readonly clock: Clock,
  ) {}

  /**
   * The report for a scope and a range of UTC days (both ends included, at most
   * `analyticsDaysMax` days). Errors (`analyticsErrors`): InvalidInput (dates, range),
   * NotFound (partner, currency), Forbidden (another partner's scope, a program not owned).
   */
  report(
    ctx: RequestContext,
    input: AnalyticsInput,
  ): Promise<AnalyticsReport | ErrorOf<typeof analyticsErrors>> {
    return failsWith(analyticsErrors, async () => {
      const range = dayRange(input.from, input.to);
      const scope = await this.scopeFor(ctx, input);
      const currencies = await scopeCurrencies(this.db, scope.partnerId, scope.currency);
      const now = this.clock.now();
      const [days, active, tiers, segments, liabilities, flows] = await Promise.all([
        dailyFigures(this.db, range, scope.partnerId, scope.currency),
        activeMembers(this.db, range, scope.partnerId, scope.currency),
        membersByTier(this.db, scope.partnerId, scope.currency, now),
        membersBySegment(this.db, scope.partnerId),
        programLiabilities(this.db, scope.partnerId),
        issuedAndExpired(this.db, range, currencies),
      ]);
      return {
        scope,
        from: input.from,
        to: input.to,
        days,
        activeMembers: active,
        membersByTier: tiers,
        membersBySegment: segments,
        liabilities: liabilities.filter((row) => currencies.includes(row.currency)),
        breakage: currencies.map((currency) => breakageOf(currency, flows.get(currency))),
        generatedAt: now,
      };
    });
  }

  /** The scope asked for, checked against the caller (see the class comment). */
  private async scopeFor(ctx: RequestContext, input: AnalyticsInput): Promise<AnalyticsScope> {
    const partnerId = input.partnerId ?? null;
    const currency = input.currency ?? null;
    if (partnerId !== null && !(await this.catalog.partner(partnerId))) {
      throw new NotFound('partner', partnerId);
    }
    const program = currency === null ? null : await this.catalog.currency(currency);
    if (currency !== null && !program) throw new NotFound('currency', currency);
    const own = ownPartner(ctx);
    if (own === 'all') return { partnerId, currency };
    if (partnerId === null && currency === null) return { partnerId: own, currency: null };
    if (partnerId !== null && partnerId !== own) {
      throw new Forbidden('a partner sees analytics of its own activity only');
    }
    if (partnerId === null && program?.ownerPartnerId !== own) {
      throw new Forbidden('a partner sees program analytics of the programs it owns only');
    }
    return { partnerId, currency };
  }
}

/** The partner a caller is limited to, or 'all' (the operator, its finance users, jobs). */
function ownPartner(ctx: RequestContext): string | 'all' {
  const caller = ctx.caller;
  switch (caller.kind) {
    case 'partner':
      return caller.partnerId;
    case 'finance':
      return caller.partnerId ?? 'all';
    case 'operator':
    case 'system':
      return 'all';
    default:
      throw new Forbidden('analytics are for partners, finance users and the operator');
  }
}

/** UTC days "YYYY-MM-DD" to a time range [from 00:00, the day after `to` 00:00). */
export function dayRange(from: string, to: string): { from: Date; to: Date } {
  const start = utcDay('from', from);
  const end = utcDay('to', to);
  if (end < start) throw new InvalidInput('to', 'must not be before from');
  const days = (end - start) / dayMs + 1;
  if (days > analyticsDaysMax) {
    throw new InvalidInput('to', `a range covers at most ${analyticsDaysMax} days`);
  }
  return { from: new Date(start), to: new Date(end + dayMs) };
}

function utcDay(field: string, value: string): number {
  const ms = dayPattern.test(value) ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
  // Date.parse accepts "2026-02-31" as March 3rd: the round trip must give the same day back.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new InvalidInput(field, 'must be a UTC day "YYYY-MM-DD"');
  }
  return ms;
}

function breakageOf(
  currency: string,
  flows: { issuedPoints: bigint; expiredPoints: bigint } | undefined,
): Breakage {
  const issuedPoints = flows?.issuedPoints ?? 0n;
  const expiredPoints = flows?.expiredPoints ?? 0n;
  return {
    currency,
    issuedPoints,
    expiredPoints,
    rateBasisPoints: issuedPoints === 0n ? null : (expiredPoints * 10_000n) / issuedPoints,
  };
}
