import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { errorsDoc } from '../../../schema/errors';
import {
  DecideReceiptResult,
  MemberReceipt,
  MemberReceiptsPage,
  ReceiptStatus,
  ReceiptSuccess,
  RegisterReceiptInput,
  RegisterReceiptResult,
} from '../../../schema/receipts';
import {
  decideReceiptErrors,
  type ReceiptView,
  registerReceiptErrors,
} from '../../purchases/receipts';
import type { GraphQLContext } from '../context';
import { moneyFromInput, moneyObject } from '../mappers';
import { respond } from '../respond';

/** Receipts members register after the fact. Thin: one auth rule, one service call, a mapping. */
@Resolver()
export class ReceiptResolver {
  @Authorized('member')
  @Mutation(() => RegisterReceiptResult, {
    description: `The calling member registers a purchase made in store that earned nothing at the till: matched at once to the purchase the partner reported, or pending until the partner confirms it. ${errorsDoc(registerReceiptErrors)}`,
  })
  registerReceipt(@Arg('input') input: RegisterReceiptInput, @Ctx() ctx: GraphQLContext) {
    return respond(
      async () =>
        ctx.app.receipts.register(ctx.request, {
          partnerId: input.partnerId,
          receiptNumber: input.receiptNumber,
          purchasedAt: input.purchasedAt,
          amount: moneyFromInput(input.amount, 'amount'),
          currency: input.currency,
        }),
      receiptSuccess,
    );
  }

  @Authorized('member', 'partner')
  @Query(() => MemberReceiptsPage, {
    description:
      'Registered receipts, newest first: a member’s own; for a partner, those registered at it (PENDING unless `status` says otherwise).',
  })
  async receipts(
    @Ctx() ctx: GraphQLContext,
    @Arg('status', () => ReceiptStatus, { nullable: true }) status?: ReceiptStatus,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first?: number,
    @Arg('after', { nullable: true }) after?: string,
  ) {
    const page = await ctx.app.receipts.receipts(ctx.request, { status, first, after });
    return Object.assign(new MemberReceiptsPage(), {
      nodes: page.receipts.map(receiptObject),
      pageInfo: { endCursor: page.nextCursor, hasNextPage: page.nextCursor !== null },
    });
  }

  @Authorized('partner')
  @Mutation(() => DecideReceiptResult, {
    description: `The calling partner confirms a pending receipt: it earns like a purchase, rules included, the receipt number as the transaction id. Confirming again answers the same. ${errorsDoc(decideReceiptErrors)}`,
  })
  confirmReceipt(@Arg('receiptId', () => ID) receiptId: string, @Ctx() ctx: GraphQLContext) {
    return respond(() => ctx.app.receipts.confirm(ctx.request, receiptId), receiptSuccess);
  }

  @Authorized('partner')
  @Mutation(() => DecideReceiptResult, {
    description: `The calling partner rejects a pending receipt, with a reason the member sees. ${errorsDoc(decideReceiptErrors)}`,
  })
  rejectReceipt(
    @Arg('receiptId', () => ID) receiptId: string,
    @Arg('reason') reason: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return respond(() => ctx.app.receipts.reject(ctx.request, receiptId, reason), receiptSuccess);
  }
}

function receiptObject(view: ReceiptView): MemberReceipt {
  return Object.assign(new MemberReceipt(), {
    ...view,
    status: view.status as ReceiptStatus,
    amount: moneyObject(view.amount.amountMinor, view.amount.currency),
  });
}

function receiptSuccess(view: ReceiptView): ReceiptSuccess {
  return Object.assign(new ReceiptSuccess(), { receipt: receiptObject(view) });
}
