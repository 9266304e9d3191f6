import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import {
  AwardPointsInput,
  AwardPointsResult,
  AwardPointsSuccess,
  PayWithPointsInput,
  PayWithPointsResult,
  PayWithPointsSuccess,
  PointsAmount,
  RefundPurchaseInput,
  RefundPurchaseResult,
  RefundPurchaseSuccess,
} from '../../../schema/purchases';
import type { PointsAmount as DomainPointsAmount } from '../../ledger/refund';
import { awardErrors, payWithPointsErrors, refundErrors } from '../../purchases/purchase-service';
import type { GraphQLContext } from '../context';
import { moneyFromInput } from '../mappers';
import { respond } from '../respond';
import { awardInputOf, discountOfLines, earnLineObjects } from '../rule-mappers';
import { earnTierObject } from '../tier-mappers';

/** A partner's point-of-sale operations. Thin: one auth rule, one service call, a mapping. */
@Resolver()
export class PurchaseResolver {
  @Authorized('partner')
  @Mutation(() => AwardPointsResult, {
    description: `Awards points to a member for a purchase at the calling partner. Idempotent on \`transactionId\` (or \`idempotencyKey\`): a retry returns the original result. ${errorsDoc(awardErrors)}`,
  })
  awardPoints(@Arg('input') input: AwardPointsInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      async () => ctx.app.purchases.award(ctx.request, awardInputOf(input)),
      (receipt) =>
        Object.assign(new AwardPointsSuccess(), {
          transferId: receipt.transferId,
          memberId: receipt.memberId,
          currency: receipt.currency,
          points: receipt.points,
          lines: earnLineObjects(receipt.lines),
          discount: discountOfLines(receipt.lines),
          tier: receipt.tier && earnTierObject(receipt.tier),
          available: receipt.maturesAt === null,
          maturesAt: receipt.maturesAt,
          expiresAt: receipt.expiresAt,
          createdAt: receipt.createdAt,
        }),
    );
  }

  @Authorized('partner')
  @Mutation(() => PayWithPointsResult, {
    description: `A member pays at the calling partner with points of a currency it accepts; the soonest-expiring points are used first. Idempotent like awardPoints. ${errorsDoc(payWithPointsErrors)}`,
  })
  payWithPoints(@Arg('input') input: PayWithPointsInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.purchases.payWithPoints(ctx.request, {
          member: input.member,
          transactionId: input.transactionId,
          currency: input.currency,
          points: input.points,
          purchase: input.purchase && moneyFromInput(input.purchase, 'purchase'),
          idempotencyKey: input.idempotencyKey ?? undefined,
        }),
      (receipt) =>
        Object.assign(new PayWithPointsSuccess(), {
          transferId: receipt.transferId,
          memberId: receipt.memberId,
          currency: receipt.currency,
          points: receipt.points,
          createdAt: receipt.createdAt,
        }),
    );
  }

  @Authorized('partner')
  @Mutation(() => RefundPurchaseResult, {
    description: `Refunds a purchase made at the calling partner, fully or partly: earned points are taken back and spent points returned in proportion, never beyond the original. Idempotent on \`refundId\`. ${errorsDoc(refundErrors)}`,
  })
  refundPurchase(@Arg('input') input: RefundPurchaseInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      () =>
        ctx.app.purchases.refundPurchase(ctx.request, {
          member: input.member ?? undefined,
          transactionId: input.transactionId,
          refundId: input.refundId,
          amount: input.amount && moneyFromInput(input.amount, 'amount'),
          idempotencyKey: input.idempotencyKey ?? undefined,
        }),
      (receipt) =>
        Object.assign(new RefundPurchaseSuccess(), {
          transferId: receipt.transferId,
          memberId: receipt.memberId,
          transactionId: receipt.transactionId,
          refundedMinor: receipt.refundedMinor,
          takenBack: pointsObject(receipt.takenBack),
          returned: pointsObject(receipt.returned),
          shortfallPoints: receipt.shortfallPoints,
          createdAt: receipt.createdAt,
        }),
    );
  }
}

function pointsObject(amount: DomainPointsAmount | null): PointsAmount | null {
  return amount && Object.assign(new PointsAmount(), amount);
}
