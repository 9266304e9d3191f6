import { recordAudit } from '../audit/audit-log';
import type { Sql, SqlDatabase } from '../db/sql';
import { pointsPerTransferMax } from '../ledger/limits';
import type { ProgramCatalog } from '../programs/program-catalog';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import { type ErrorOf, failsWith, InvalidInput, NotFound } from '../shared/errors';
import { arbitrageCycle, edgeGain, formatGain, type Rational } from './arbitrage';
import { ArbitrageCycle } from './errors';
import { requireCurrency, requirePair } from './exchange-input';
import {
  bonusPerMilleMax,
  feeFixedPointsMax,
  feePerMilleMax,
  incrementPointsMax,
  liquidityFloorPointsMin,
  promotionDaysMax,
  quoteTtlMs,
  rateUnitsMax,
  referenceValueMicrosMax,
} from './exchange-limits';
import type { ExchangePromotion, ExchangeRate } from './exchange-model';
import { type LiquidityPosition, liquidityPositions, setLiquidityFloor } from './liquidity';
import {
  appendRateVersion,
  insertPromotion,
  largestBonus,
  lastRateUse,
  latestRate,
  lockRatesForChange,
  type UsableRate,
  usableRates,
} from './rate-book';
import {
  lockedReferenceValue,
  type ReferenceValue,
  upsertReferenceValue,
} from './reference-values';

export interface SetRateInput {
  sourceCurrency: string;
  targetCurrency: string;
  sourceUnits: bigint;
  targetUnits: bigint;
  incrementPoints: bigint;
  /** Defaults to the increment. */
  minimumPoints?: bigint;
  dailyLimitPoints?: bigint;
  monthlyLimitPoints?: bigint;
  feeFixedPoints?: bigint;
  feePerMille?: bigint;
  /** Defaults to now; never in the past. */
  effectiveFrom?: Date;
}

export interface AddPromotionInput {
  sourceCurrency: string;
  targetCurrency: string;
  bonusPerMille: bigint;
  /** Defaults to now; never in the past. */
  startsAt?: Date;
  endsAt: Date;
  description?: string;
}

const dayMs = 86_400_000;

/** Setting a rate fails with one of these, and no other (its result union is built from them). */
export const setRateErrors = [InvalidInput, NotFound, ArbitrageCycle] as const;

/** Adding a promotion fails with one of these, and no other (its result union is built from them). */
export const addPromotionErrors = [InvalidInput, NotFound, ArbitrageCycle] as const;

/** Setting a liquidity floor fails with one of these, and no other (its result union is built from them). */
export const setLiquidityFloorErrors = [InvalidInput, NotFound] as const;

/** Setting a reference value fails with one of these, and no other (its result union is built from them). */
export const setReferenceValueErrors = [InvalidInput, NotFound] as const;

/**
 * The operator's side of exchange: rate versions, promotions, liquidity floors, reference
 * values. Every rate or promotion change is refused when it would let a cycle of conversions
 * create points (ArbitrageCycle), checked while holding the rate lock exclusively, so changes
 * run one at a time and never while a quote or payment is reading the rates.
 */
export class ExchangeAdmin {
  constructor(
    private readonly db: SqlDatabase,
    private readonly catalog: ProgramCatalog,
    private readonly clock: Clock,
    /** Dropped once a rate change commits: this process's next read sees the new version. */
    private readonly ratesInMemory: { clear(): void },
  ) {}

  /**
   * Sets a new rate version for a pair, closing the open one at its start. Errors (`setRateErrors`): InvalidInput,
   * NotFound (currency), ArbitrageCycle, Forbidden.
   */
  setRate(
    ctx: RequestContext,
    input: SetRateInput,
  ): Promise<ExchangeRate | ErrorOf<typeof setRateErrors>> {
    return failsWith(setRateErrors, async () => {
      const setBy = operatorName(ctx);
      const { source, target } = await requirePair(
        this.catalog,
        input.sourceCurrency,
        input.targetCurrency,
      );
      const terms = validRateTerms(input);
      const rate = await this.db.transaction(async (sql) => {
        await lockRatesForChange(sql);
        const now = this.clock.now();
        const pair = { sourceCurrency: source.code, targetCurrency: target.code };
        const effectiveFrom = await changeStart(
          sql,
          pair,
          input.effectiveFrom,
          now,
          'effectiveFrom',
        );
        const latest = await latestRate(sql, source.code, target.code);
        if (latest && effectiveFrom <= latest.effectiveFrom) {
          throw new InvalidInput(
            'effectiveFrom',
            `must be after the latest version's start, ${latest.effectiveFrom.toISOString()}`,
          );
        }
        const usableAfter = new Date(now.getTime() - quoteTtlMs);
        // Only promotions still running when the new version starts can combine with it.
        const bonus = await largestBonus(sql, source.code, target.code, effectiveFrom);
        await refuseArbitrage(sql, usableAfter, {
          sourceCurrency: source.code,
          targetCurrency: target.code,
          gain: edgeGain(terms.sourceUnits, terms.targetUnits, bonus),
        });
        const rate = await appendRateVersion(sql, {
          sourceCurrency: source.code,
          targetCurrency: target.code,
          ...terms,
          effectiveFrom,
          setBy,
          createdAt: now,
        });
        await recordAudit(sql, ctx, {
          entity: 'exchange_rate',
          entityId: `${source.code}:${target.code}`,
          action: 'add_version',
          before: latest,
          after: rate,
          partnerIds: [source.ownerPartnerId, target.ownerPartnerId],
          at: now,
        });
        return rate;
      });
      this.ratesInMemory.clear();
      return rate;
    });
  }

  /**
   * Adds a time-boxed bonus on a pair. Errors (`addPromotionErrors`): InvalidInput, NotFound (currency),
   * ArbitrageCycle, Forbidden.
   */
  addPromotion(
    ctx: RequestContext,
    input: AddPromotionInput,
  ): Promise<ExchangePromotion | ErrorOf<typeof addPromotionErrors>> {
    return failsWith(addPromotionErrors, async () => {
      const setBy = operatorName(ctx);
      const { source, target } = await requirePair(
        this.catalog,
        input.sourceCurrency,
        input.targetCurrency,
      );
      requireInRange('bonusPerMille', input.bonusPerMille, 1n, bonusPerMilleMax);
      const description = (input.description ?? '').trim();
      if (description.length > 200) throw new InvalidInput('description', 'at most 200 characters');
      return this.db.transaction(async (sql) => {
        await lockRatesForChange(sql);
        const now = this.clock.now();
        const pair = { sourceCurrency: source.code, targetCurrency: target.code };
        const startsAt = await changeStart(sql, pair, input.startsAt, now, 'startsAt');
        requireWindow(startsAt, input.endsAt);
        const usableAfter = new Date(now.getTime() - quoteTtlMs);
        // Only versions in force at some time during the promotion can combine with it.
        const pairVersions = (await usableRates(sql, usableAfter)).filter(
          (rate) =>
            rate.sourceCurrency === source.code &&
            rate.targetCurrency === target.code &&
            rate.effectiveFrom < input.endsAt &&
            (rate.effectiveTo === null || rate.effectiveTo > startsAt),
        );
        for (const version of pairVersions) {
          await refuseArbitrage(sql, usableAfter, withBonus(version, input.bonusPerMille));
        }
        const promotion = await insertPromotion(sql, {
          sourceCurrency: source.code,
          targetCurrency: target.code,
          bonusPerMille: input.bonusPerMille,
          startsAt,
          endsAt: input.endsAt,
          description,
          setBy,
          createdAt: now,
        });
        await recordAudit(sql, ctx, {
          entity: 'exchange_promotion',
          entityId: promotion.id.toString(),
          action: 'create',
          before: null,
          after: promotion,
          partnerIds: [source.ownerPartnerId, target.ownerPartnerId],
          at: now,
        });
        return promotion;
      });
    });
  }

  /**
   * Sets how far below zero a currency's liquidity account may go (a value from
   * liquidityFloorPointsMin to 0). Errors (`setLiquidityFloorErrors`): InvalidInput (out of range, or the balance is already
   * below it), NotFound (currency), Forbidden.
   */
  setLiquidityFloor(
    ctx: RequestContext,
    input: { currency: string; floorPoints: bigint },
  ): Promise<LiquidityPosition | ErrorOf<typeof setLiquidityFloorErrors>> {
    return failsWith(setLiquidityFloorErrors, async () => {
      operatorName(ctx);
      const currency = await requireCurrency(this.catalog, 'currency', input.currency);
      requireInRange('floorPoints', input.floorPoints, liquidityFloorPointsMin, 0n);
      return this.db.transaction(async (sql) => {
        const outcome = await setLiquidityFloor(sql, currency.code, input.floorPoints);
        if (!outcome) throw new NotFound('account', `liquidity ${currency.code}`);
        if (outcome.refused) {
          throw new InvalidInput(
            'floorPoints',
            `the liquidity balance is already ${outcome.position.balancePoints}, below that floor`,
          );
        }
        await recordAudit(sql, ctx, {
          entity: 'liquidity_floor',
          entityId: currency.code,
          action: 'set',
          before: { floorPoints: outcome.previousFloorPoints },
          after: { floorPoints: outcome.position.floorPoints },
          partnerIds: [currency.ownerPartnerId],
          at: this.clock.now(),
        });
        return outcome.position;
      });
    });
  }

  /** Sets what one point is worth in EUR millionths. Errors (`setReferenceValueErrors`): InvalidInput, NotFound, Forbidden. */
  setReferenceValue(
    ctx: RequestContext,
    input: { currency: string; valueMicros: bigint },
  ): Promise<ReferenceValue | ErrorOf<typeof setReferenceValueErrors>> {
    return failsWith(setReferenceValueErrors, async () => {
      const setBy = operatorName(ctx);
      const currency = await requireCurrency(this.catalog, 'currency', input.currency);
      requireInRange('valueMicros', input.valueMicros, 1n, referenceValueMicrosMax);
      return this.db.transaction(async (sql) => {
        const before = await lockedReferenceValue(sql, currency.code);
        const after = await upsertReferenceValue(sql, {
          currency: currency.code,
          valueMicros: input.valueMicros,
          setBy,
          updatedAt: this.clock.now(),
        });
        await recordAudit(sql, ctx, {
          entity: 'reference_value',
          entityId: currency.code,
          action: 'set',
          before,
          after,
          partnerIds: [currency.ownerPartnerId],
          at: after.updatedAt,
        });
        return after;
      });
    });
  }

  /**
   * Liquidity positions: every currency's for the operator and its finance users, only the
   * currencies its partner owns for a partner's finance user.
   */
  async liquidity(ctx: RequestContext, currency: string | null): Promise<LiquidityPosition[]> {
    const caller = requireCaller(ctx, 'operator', 'finance', 'system');
    const positions = await liquidityPositions(this.db, currency);
    if (caller.kind !== 'finance' || caller.partnerId === undefined) return positions;
    const owners = await Promise.all(
      positions.map(
        async (position) => (await this.catalog.currency(position.currency))?.ownerPartnerId,
      ),
    );
    return positions.filter((_, index) => owners[index] === caller.partnerId);
  }
}

function operatorName(ctx: RequestContext): string {
  const caller = requireCaller(ctx, 'operator', 'system');
  return caller.kind === 'operator' ? caller.userId : 'system';
}

/**
 * When a change takes effect: the time asked for (now by default), never in the past, and
 * strictly after the pair's last quote or payment, so no quote was made at an instant the
 * history would show under the new terms (with millisecond clocks, a default start moves on
 * by a millisecond at most).
 */
async function changeStart(
  sql: Sql,
  pair: { sourceCurrency: string; targetCurrency: string },
  requested: Date | undefined,
  now: Date,
  field: string,
): Promise<Date> {
  const start = notInPast(field, requested ?? now, now);
  const lastUse = await lastRateUse(sql, pair.sourceCurrency, pair.targetCurrency);
  if (lastUse === null || start > lastUse) return start;
  if (requested) {
    throw new InvalidInput(field, `must be after the pair's last quote, ${lastUse.toISOString()}`);
  }
  return new Date(lastUse.getTime() + 1);
}

function requireWindow(startsAt: Date, endsAt: Date): void {
  if (endsAt <= startsAt) throw new InvalidInput('endsAt', 'must be after startsAt');
  if (endsAt.getTime() - startsAt.getTime() > promotionDaysMax * dayMs) {
    throw new InvalidInput('endsAt', `a promotion lasts at most ${promotionDaysMax} days`);
  }
}

async function refuseArbitrage(
  sql: Sql,
  usableAfter: Date,
  added: { sourceCurrency: string; targetCurrency: string; gain: Rational },
): Promise<void> {
  const existing = await usableRates(sql, usableAfter);
  const found = arbitrageCycle(existing, added);
  if (found) throw new ArbitrageCycle(found.cycle, formatGain(found.gain));
}

function withBonus(version: UsableRate, bonusPerMille: bigint) {
  const bonus = bonusPerMille > version.bonusPerMille ? bonusPerMille : version.bonusPerMille;
  return {
    sourceCurrency: version.sourceCurrency,
    targetCurrency: version.targetCurrency,
    gain: edgeGain(version.sourceUnits, version.targetUnits, bonus),
  };
}

function validRateTerms(input: SetRateInput) {
  const incrementPoints = requireInRange(
    'incrementPoints',
    input.incrementPoints,
    1n,
    incrementPointsMax,
  );
  const minimumPoints = requireInRange(
    'minimumPoints',
    input.minimumPoints ?? incrementPoints,
    1n,
    pointsPerTransferMax,
  );
  const limit = (field: string, value: bigint | undefined) =>
    value === undefined ? null : requireInRange(field, value, minimumPoints, pointsPerTransferMax);
  const dailyLimitPoints = limit('dailyLimitPoints', input.dailyLimitPoints);
  const monthlyLimitPoints = limit('monthlyLimitPoints', input.monthlyLimitPoints);
  if (
    dailyLimitPoints !== null &&
    monthlyLimitPoints !== null &&
    dailyLimitPoints > monthlyLimitPoints
  ) {
    throw new InvalidInput('dailyLimitPoints', 'must not exceed monthlyLimitPoints');
  }
  return {
    sourceUnits: requireInRange('sourceUnits', input.sourceUnits, 1n, rateUnitsMax),
    targetUnits: requireInRange('targetUnits', input.targetUnits, 1n, rateUnitsMax),
    incrementPoints,
    minimumPoints,
    dailyLimitPoints,
    monthlyLimitPoints,
    feeFixedPoints: requireInRange(
      'feeFixedPoints',
      input.feeFixedPoints ?? 0n,
      0n,
      feeFixedPointsMax,
    ),
    feePerMille: requireInRange('feePerMille', input.feePerMille ?? 0n, 0n, feePerMilleMax),
  };
}

function requireInRange(field: string, value: bigint, min: bigint, max: bigint): bigint {
  if (value < min || value > max) {
    throw new InvalidInput(field, `must be from ${min} to ${max}`);
  }
  return value;
}

function notInPast(field: string, value: Date, now: Date): Date {
  if (Number.isNaN(value.getTime())) throw new InvalidInput(field, 'must be a date');
  if (value < now) throw new InvalidInput(field, 'must not be in the past');
  return value;
}
