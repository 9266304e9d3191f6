import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { PageInfo } from '../../../schema/common';
import { AccountDetails, Transfer, TransferConnection } from '../../../schema/transfers';
import { pageSizeDefault, pageSizeMax } from '../../ledger/limits';
import { idPatterns } from '../../shared/ids';
import type { GraphQLContext } from '../context';
import { badInput } from '../error-results';
import { accountGlobalId, accountIdFromGlobal, transferObject } from '../mappers';
import { cursor, pageSize } from './wallet.resolver';

@Resolver(() => Transfer)
export class TransferResolver {
  @Authorized('partner', 'operator')
  @Query(() => TransferConnection, {
    description:
      'Transfers newest first. A partner gets its own; the operator names a partner (`partnerId`) or a member (`memberId`).',
  })
  async transfers(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, {
      defaultValue: pageSizeDefault,
      description: `Page size, 1-${pageSizeMax}.`,
    })
    first: number,
    @Arg('after', () => String, {
      nullable: true,
      description: 'The endCursor of the previous page.',
    })
    after: string | null,
    @Arg('partnerId', () => ID, { nullable: true, description: 'Operator only.' })
    partnerId: string | null,
    @Arg('memberId', () => ID, { nullable: true, description: 'Operator only.' })
    memberId: string | null,
  ): Promise<TransferConnection> {
    // Omitted arguments arrive as undefined, explicit ones may be null: == null covers both.
    let filter: { partnerId: string } | { memberId: string };
    if (ctx.caller.kind === 'partner') {
      if (partnerId != null || memberId != null) {
        throw badInput('partners see their own transfers: omit partnerId and memberId');
      }
      filter = { partnerId: ctx.caller.partnerId };
    } else if ((partnerId == null) === (memberId == null)) {
      throw badInput('give exactly one of partnerId or memberId');
    } else {
      filter = partnerId != null ? { partnerId } : { memberId: memberId! };
    }
    const page = await ctx.app.ledger.transfers(filter, pageSize(first), cursor(after));
    return Object.assign(new TransferConnection(), {
      nodes: page.items.map(transferObject),
      pageInfo: Object.assign(new PageInfo(), {
        endCursor: page.endCursor,
        hasNextPage: page.hasNextPage,
      }),
    });
  }

  @Authorized('partner', 'member', 'operator')
  @Query(() => Transfer, {
    nullable: true,
    description:
      'One transfer: a partner sees its own, a member theirs, the operator any. Null when not visible.',
  })
  async transfer(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Transfer | null> {
    if (!idPatterns.transfer.test(id)) return null;
    const [transfer] = await ctx.app.ledger.findTransfers([id]);
    if (!transfer) return null;
    const caller = ctx.caller;
    const visible =
      caller.kind === 'operator' ||
      (caller.kind === 'partner' && transfer.partnerId === caller.partnerId) ||
      (caller.kind === 'member' && transfer.memberId === caller.memberId);
    return visible ? transferObject(transfer) : null;
  }

  @Authorized('operator')
  @Query(() => [AccountDetails], {
    description:
      'Accounts with their totals (operator): by ids, or every account of one member or partner.',
  })
  async accounts(
    @Ctx() ctx: GraphQLContext,
    @Arg('ids', () => [ID], { nullable: true }) ids: string[] | null,
    @Arg('ownerId', () => ID, { nullable: true, description: 'A member or partner id.' })
    ownerId: string | null,
  ): Promise<AccountDetails[]> {
    if ((ids == null) === (ownerId == null)) throw badInput('give exactly one of ids or ownerId');
    let filter: { ids: bigint[] } | { ownerId: string };
    if (ids != null) {
      if (ids.length > pageSizeMax) throw badInput(`at most ${pageSizeMax} ids`);
      const parsed = ids.map(accountIdFromGlobal);
      if (parsed.some((id) => id === undefined)) throw badInput('account ids look like acc_42');
      filter = { ids: parsed as bigint[] };
    } else {
      filter = { ownerId: ownerId! };
    }
    const accounts = await ctx.app.ledger.listAccounts(filter, pageSizeMax);
    return accounts.map((account) =>
      Object.assign(new AccountDetails(), {
        ...account,
        id: accountGlobalId(account.id),
        balance: account.creditsPosted - account.debitsPosted,
      }),
    );
  }
}
