import { GraphQLError } from 'graphql';
import type { CoalitionError, HoldView } from './coalition-client';
import { type PartnerContext, requireMember } from './context';
import { priceOf, RewardRedemption, RewardRedemptionStatus } from './types';

const idempotencyKeyLengthMax = 100;

/** A partner's side of fulfilling one reward; idempotent per hold id. */
export interface Fulfilment {
  /** Reserves the reward for this hold (or returns what an earlier call reserved). */
  fulfil(holdId: string, memberId: string): { reference: string } | { declined: string };
  /** Gives a reservation back (the hold expired before the partner could confirm it). */
  release(holdId: string): void;
  /** The booking reference of a hold fulfilled earlier, for retries. */
  referenceOf(holdId: string): string | null;
}

export interface RedeemRequest {
  rewardId: string;
  /** The reward's price; null when the partner has no such reward. */
  price: { currency: string; points: bigint } | null;
  idempotencyKey: string;
  fulfilment: Fulfilment;
  holdSeconds?: number;
}

/**
 * A member redeems a partner's reward, as a partner service drives it:
 * 1. hold the points at the coalition (idempotent on member + key: a retry finds the same hold);
 * 2. reserve the reward (idempotent on the hold id);
 * 3. confirm the hold (points spent), or decline it when the reward is gone (points back).
 * If the service dies between 1 and 3, nobody confirms and the coalition voids the hold when
 * it expires; a late confirm is refused (HOLD_NOT_ACTIVE) and the reservation released.
 */
export async function redeemReward(
  ctx: PartnerContext,
  request: RedeemRequest,
): Promise<RewardRedemption> {
  const memberId = requireMember(ctx);
  const key = request.idempotencyKey;
  if (key.length < 1 || key.length > idempotencyKeyLengthMax) {
    throw new GraphQLError(`idempotencyKey must be 1 to ${idempotencyKeyLengthMax} characters`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  const price = request.price;
  if (!price) {
    throw new GraphQLError(`No reward "${request.rewardId}" at this partner`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  const outcome = (status: RewardRedemptionStatus, fields: Partial<RewardRedemption> = {}) =>
    Object.assign(new RewardRedemption(), {
      status,
      holdId: null,
      reference: null,
      reason: null,
      price: priceOf(price.currency, price.points),
      ...fields,
    });

  const hold = await ctx.coalition.placeHold({
    memberId,
    transactionId: `${memberId}:${key}`,
    currency: price.currency,
    points: price.points,
    rewardId: request.rewardId,
    holdSeconds: request.holdSeconds,
  });
  if (isError(hold)) {
    const status =
      hold.code === 'INSUFFICIENT_POINTS'
        ? RewardRedemptionStatus.INSUFFICIENT_POINTS
        : RewardRedemptionStatus.REJECTED;
    return outcome(status, { reason: hold.message });
  }
  const settledEarlier = settledOutcome(hold, request.fulfilment);
  if (settledEarlier) return outcome(settledEarlier.status, { holdId: hold.id, ...settledEarlier });

  await ctx.faults.afterHold?.(hold.id);
  const reserved = request.fulfilment.fulfil(hold.id, memberId);
  if ('declined' in reserved) {
    await ctx.coalition.decline(hold.id, reserved.declined);
    return outcome(RewardRedemptionStatus.DECLINED, { holdId: hold.id, reason: reserved.declined });
  }
  const confirmed = await ctx.coalition.confirm(hold.id);
  if (isError(confirmed)) {
    request.fulfilment.release(hold.id);
    return outcome(RewardRedemptionStatus.EXPIRED, { holdId: hold.id, reason: confirmed.message });
  }
  return outcome(RewardRedemptionStatus.CONFIRMED, {
    holdId: hold.id,
    reference: reserved.reference,
  });
}

/** A retried redemption whose hold was already settled answers as the first one did. */
function settledOutcome(
  hold: HoldView,
  fulfilment: Fulfilment,
): { status: RewardRedemptionStatus; reference?: string | null; reason?: string | null } | null {
  switch (hold.status) {
    case 'held':
      return null;
    case 'confirmed':
      return {
        status: RewardRedemptionStatus.CONFIRMED,
        reference: fulfilment.referenceOf(hold.id),
      };
    case 'declined':
      return { status: RewardRedemptionStatus.DECLINED, reason: hold.reason };
    case 'expired':
      return { status: RewardRedemptionStatus.EXPIRED, reason: 'the hold expired' };
  }
}

function isError(value: HoldView | CoalitionError): value is CoalitionError {
  return 'code' in value;
}
