import {
  HoldNotActive,
  IdempotencyKeyReused,
  InsufficientPoints,
  TransactionConflict,
} from '../ledger/errors';
import type { HoldView, SettleReceipt } from '../ledger/holds';
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
  /** Why the partner declined (shown in the member's history). */
  reason?: string;
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

/**
 * Two-phase redemptions of partner rewards. The partner's service holds the member's points
 * (placeHold), tries to fulfil the reward, then confirms (the points are spent) or declines (the
 * points come back to the lots they came from). A hold nobody settles is voided by the hold
 * sweep when it expires, so no outcome, including the partner crashing half-way, loses points
 * or spends them twice.
 *
 * Every step is idempotent: placeHold on the partner's transaction id (or idempotencyKey),
 * confirm and decline on the hold id (or idempotencyKey); the same request again returns the
 * original result.
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

  /** Errors (`settleHoldErrors`): InvalidInput, NotFound (hold, or another partner's), HoldNotActive, IdempotencyKeyReused, Forbidden. */
  private settle(
    ctx: RequestContext,
    input: SettleHoldInput,
    outcome: 'confirmed' | 'declined',
  ): Promise<SettleReceipt | ErrorOf<typeof settleHoldErrors>> {
    return failsWith(settleHoldErrors, async () => {
      const { partnerId } = requireCaller(ctx, 'partner');
      const holdId = requirePattern(
        'holdId',
        input.holdId,
        /^trf_[a-z0-9]{26}$/,
        'is not a hold id',
      );
      const reason =
        input.reason === undefined
          ? null
          : requireReference('reason', input.reason, reasonLengthMax);
      const outcomeOrError = await this.ledger.settleHold(
        {
          holdTransferId: holdId,
          partnerId,
          outcome,
          reason,
          transferId: newId('trf'),
          createdAt: this.clock.now(),
          claim: {
            scope: partnerId,
            operation: outcome === 'confirmed' ? 'confirm-hold' : 'decline-hold',
            key: requireReference('idempotencyKey', input.idempotencyKey ?? holdId),
            requestHash: requestHash({ holdId, reason }),
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
