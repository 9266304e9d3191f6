import {
  HoldNotActive,
  IdempotencyKeyReused,
  InsufficientPoints,
  RedemptionAlreadyCancelled,
  RedemptionNotConfirmed,
  TransactionConflict,
} from '../ledger/errors';
import type { CancelReceipt, HoldView, SettleReceipt } from '../ledger/holds';
import { requestHash } from '../ledger/idempotency';
import type { Ledger } from '../ledger/ledger';
import { pointsPerTransferMax } from '../ledger/limits';
import type { SpendReceipt } from '../ledger/spend';
import type { MemberDirectory, MemberRef } from '../members/member-directory';
import { CurrencyNotSupported } from '../programs/errors';
import type { ProgramCatalog } from '../programs/program-catalog';
import type { Clock } from '../shared/clock';
import { type RequestContext, requireCaller } from '../shared/context';
import {
  catchDomainError,
  type DomainError,
  type ErrorOf,
  failsWith,
  InvalidInput,
  NotFound,
} from '../shared/errors';
import { newId } from '../shared/ids';
import {
  requireIntegerInRange,
  requirePattern,
  requirePositive,
  requireReference,
} from '../shared/validate';

/** How long a hold waits for the partner's confirmation unless the partner asks otherwise. */
export const holdSecondsDefault = 300;
/** Bounds of a hold's life: long enough for a booking system, short enough not to strand points. */
export const holdSecondsMin = 10;
export const holdSecondsMax = 86_400;
const reasonLengthMax = 500;

export interface PlaceHoldInput {
  member: MemberRef;
  /** The partner's id of this redemption: the idempotency key unless `idempotencyKey` is given. */
  transactionId: string;
  currency: string;
  points: bigint;
  rewardId?: string;
  holdSeconds?: number;
  idempotencyKey?: string;
}

export interface SettleHoldInput {
  holdId: string;
  /** Why the partner declined or cancelled (shown in the member's history). */
  reason?: string;
  /** Confirm only: spend this many of the held points and return the rest at once. */
  points?: bigint;
  idempotencyKey?: string;
}

/** A redemption hold fails with one of these, and no other (its result union is built from them). */
export const placeHoldErrors = [
  InvalidInput,
  NotFound,
  CurrencyNotSupported,
  InsufficientPoints,
  IdempotencyKeyReused,
  TransactionConflict,
] as const;

/** Confirming or declining a hold fails with one of these, and no other (its result union is built from them). */
export const settleHoldErrors = [
  InvalidInput,
  NotFound,
  HoldNotActive,
  IdempotencyKeyReused,
] as const;

/** Cancelling a confirmed redemption fails with one of these, and no other (its result union is built from them). */
export const cancelRedemptionErrors = [
  InvalidInput,
  NotFound,
  RedemptionNotConfirmed,
  RedemptionAlreadyCancelled,
  IdempotencyKeyReused,
] as const;

/**
 * Two-phase redemptions of partner rewards. The partner's service holds the member's points
 * (placeHold), tries to fulfil the reward, then confirms (the points are spent) or declines (the
 * points come back to the lots they came from). A hold nobody settles is voided by the hold
 * sweep when it expires, so no outcome, including the partner crashing half-way, loses points
 * or spends them twice.
 *
 * A confirmation may spend part of the hold (the rest returns at once), and the partner that
 * confirmed a redemption may cancel it later (a cancelled flight or stay): the confirmed
 * points return to the lots they came from, and settlement reverses the reimbursement in the
 * period the cancel falls in.
 *
 * Every step is idempotent: placeHold on the partner's transaction id (or idempotencyKey),
 * confirm, decline and cancel on the hold id (or idempotencyKey); the same request again
 * returns the original result.
 */
export class RedemptionService {
  constructor(
    private readonly ledger: Ledger,
    private readonly catalog: ProgramCatalog,
    private readonly members: MemberDirectory,
    private readonly clock: Clock,
  ) {}

  /**
   * Holds a member's points for a reward at the calling partner. Errors (`placeHoldErrors`): InvalidInput, NotFound
   * (member, currency), CurrencyNotSupported, InsufficientPoints, IdempotencyKeyReused,
   * TransactionConflict, Forbidden.
   */
  placeHold(
    ctx: RequestContext,
    input: PlaceHoldInput,
  ): Promise<SpendReceipt | ErrorOf<typeof placeHoldErrors>> {
    return failsWith(placeHoldErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const transactionId = requireReference('transactionId', input.transactionId);
      requirePattern('currency', input.currency, /^[A-Z][A-Z0-9]{1,9}$/, 'must be a currency code');
      if (!(await this.catalog.currency(input.currency))) {
        throw new NotFound('currency', input.currency);
      }
      const terms = await this.catalog.partnerTerms(partnerId, input.currency);
      if (!terms?.accepts) throw new CurrencyNotSupported(input.currency, partnerId, 'accept');
      const points = requirePositive('points', input.points, pointsPerTransferMax);
      const rewardId =
        input.rewardId === undefined ? null : requireReference('rewardId', input.rewardId);
      const holdSeconds = input.holdSeconds ?? holdSecondsDefault;
      requireIntegerInRange('holdSeconds', holdSeconds, holdSecondsMin, holdSecondsMax);
      const memberId = await this.members.resolveForPartner(ctx, partnerId, input.member);
      const partner = await this.catalog.partner(partnerId);
      const now = this.clock.now();
      const outcome = await this.ledger.hold(
        {
          transferId: newId('trf'),
          partnerId,
          memberId,
          currency: input.currency,
          points,
          transactionId,
          purchase: null,
          createdAt: now,
          description: `Held for a reward at ${partner?.name ?? partnerId}${rewardId ? ` (${rewardId})` : ''}`,
          claim: {
            scope: partnerId,
            operation: 'hold',
            key: requireReference('idempotencyKey', input.idempotencyKey ?? transactionId),
            requestHash: requestHash({ ...input, idempotencyKey: undefined }),
          },
          holdExpiresAt: new Date(now.getTime() + holdSeconds * 1000),
          rewardId,
        },
        ctx.deadlineAt,
      );
      if (outcome instanceof Error) throw outcome;
      return outcome;
    });
  }

  /** The partner fulfilled the reward: the held points are spent. Errors: see settle. */
  confirm(ctx: RequestContext, input: SettleHoldInput): Promise<SettleReceipt | DomainError> {
    return this.settle(ctx, input, 'confirmed');
  }

  /** The partner could not fulfil the reward: the held points come back. Errors: see settle. */
  decline(ctx: RequestContext, input: SettleHoldInput): Promise<SettleReceipt | DomainError> {
    return this.settle(ctx, input, 'declined');
  }

  /**
   * The partner that confirmed a redemption cancels it: the confirmed points return to the
   * member with their original expiry. Another partner's redemption is NotFound (the same
   * answer as one that does not exist). Errors (`cancelRedemptionErrors`): InvalidInput,
   * NotFound, RedemptionNotConfirmed, RedemptionAlreadyCancelled, IdempotencyKeyReused,
   * Forbidden.
   */
  cancel(
    ctx: RequestContext,
    input: SettleHoldInput,
  ): Promise<CancelReceipt | ErrorOf<typeof cancelRedemptionErrors>> {
    return failsWith(cancelRedemptionErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const { holdId, reason } = this.settleRequest(input);
      if (input.points !== undefined) {
        throw new InvalidInput('points', 'a cancel returns every confirmed point');
      }
      const outcome = await this.ledger.cancelRedemption(
        {
          holdTransferId: holdId,
          partnerId,
          reason,
          transferId: newId('trf'),
          createdAt: this.clock.now(),
          claim: {
            scope: partnerId,
            operation: 'cancel-redemption',
            key: requireReference('idempotencyKey', input.idempotencyKey ?? holdId),
            requestHash: requestHash({ holdId, reason }),
          },
        },
        ctx.deadlineAt,
      );
      if (outcome instanceof Error) throw outcome;
      return outcome;
    });
  }

  /** The hold id and reason of a settle or cancel request, checked. */
  private settleRequest(input: SettleHoldInput): { holdId: string; reason: string | null } {
    const holdId = requirePattern('holdId', input.holdId, /^trf_[a-z0-9]{26}$/, 'is not a hold id');
    const reason =
      input.reason === undefined ? null : requireReference('reason', input.reason, reasonLengthMax);
    return { holdId, reason };
  }

  /** Errors (`settleHoldErrors`): InvalidInput (points beyond the hold, or on a decline), NotFound (hold, or another partner's), HoldNotActive, IdempotencyKeyReused, Forbidden. */
  private settle(
    ctx: RequestContext,
    input: SettleHoldInput,
    outcome: 'confirmed' | 'declined',
  ): Promise<SettleReceipt | ErrorOf<typeof settleHoldErrors>> {
    return failsWith(settleHoldErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const { holdId, reason } = this.settleRequest(input);
      if (input.points !== undefined && outcome !== 'confirmed') {
        throw new InvalidInput('points', 'only a confirmation spends part of a hold');
      }
      const confirmPoints =
        input.points === undefined
          ? null
          : requirePositive('points', input.points, pointsPerTransferMax);
      const outcomeOrError = await this.ledger.settleHold(
        {
          holdTransferId: holdId,
          partnerId,
          outcome,
          confirmPoints,
          reason,
          transferId: newId('trf'),
          createdAt: this.clock.now(),
          claim: {
            scope: partnerId,
            operation: outcome === 'confirmed' ? 'confirm-hold' : 'decline-hold',
            key: requireReference('idempotencyKey', input.idempotencyKey ?? holdId),
            // A whole confirmation hashes as before partial ones existed.
            requestHash: requestHash({ holdId, reason, points: confirmPoints ?? undefined }),
          },
        },
        ctx.deadlineAt,
      );
      if (outcomeOrError instanceof Error) throw outcomeOrError;
      return outcomeOrError;
    });
  }

  /**
   * A hold as its partner, its member or the operator sees it; NotFound for anyone else (the
   * same answer whether it exists or not).
   */
  hold(ctx: RequestContext, holdId: string): Promise<HoldView | DomainError> {
    return catchDomainError(async () => {
      const caller = requireCaller(ctx, 'partner', 'member', 'operator', 'system');
      const [hold] = /^trf_[a-z0-9]{26}$/.test(holdId) ? await this.ledger.findHolds([holdId]) : [];
      const visible =
        hold !== undefined &&
        (caller.kind === 'operator' ||
          caller.kind === 'system' ||
          (caller.kind === 'partner' && caller.partnerId === hold.partnerId) ||
          (caller.kind === 'member' && caller.memberId === hold.memberId));
      if (!visible) throw new NotFound('hold', holdId);
      return hold;
    });
  }
}
