import { Arg, Authorized, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { PageInfo } from '../../../schema/common';
import { MemberTierStatus } from '../../../schema/tiers';
import { Balance, Wallet, WalletHistory } from '../../../schema/wallet';
import {
  expiringSoonDaysDefault,
  expiringSoonDaysMax,
  pageSizeDefault,
  pageSizeMax,
} from '../../ledger/limits';
import type { GraphQLContext } from '../context';
import { badInput } from '../error-results';
import { expiringHorizon } from '../loaders';
import { balanceObject, walletEntryObject } from '../mappers';
import { statusObject } from '../tier-mappers';

/** Wallet fields. A Wallet is only ever handed out for its own member (or the operator). */
@Resolver(() => Wallet)
export class WalletResolver {
  @Authorized('member')
  @Query(() => Wallet, { description: 'The calling member’s wallet across every program.' })
  wallet(@Ctx() ctx: GraphQLContext): Wallet {
    const caller = ctx.caller as { kind: 'member'; memberId: string };
    return Object.assign(new Wallet(), { memberId: caller.memberId });
  }

  @FieldResolver(() => [Balance], {
    description: 'Balance per currency, with pending, held and soon-expiring points.',
  })
  async balances(
    @Root() wallet: Wallet,
    @Ctx() ctx: GraphQLContext,
    @Arg('expiringWithinDays', () => Int, {
      defaultValue: expiringSoonDaysDefault,
      description: `Horizon of expiringSoon, 1-${expiringSoonDaysMax} days.`,
    })
    expiringWithinDays: number,
  ): Promise<Balance[]> {
    if (expiringWithinDays === expiringSoonDaysDefault) {
      return (await ctx.loaders.wallet.balances(wallet.memberId)).map(balanceObject);
    }
    if (expiringWithinDays < 1 || expiringWithinDays > expiringSoonDaysMax) {
      throw badInput(`expiringWithinDays must be 1 to ${expiringSoonDaysMax}`);
    }
    const before = expiringHorizon(ctx.app.clock.now(), expiringWithinDays);
    return (await ctx.app.ledger.balances([wallet.memberId], before)).map(balanceObject);
  }

  @FieldResolver(() => [MemberTierStatus], {
    description:
      'The member’s tier in each program they joined: benefits, qualifying totals, what the next tier needs and by when, the review date, and the tier changes with why.',
  })
  async tiers(@Root() wallet: Wallet, @Ctx() ctx: GraphQLContext): Promise<MemberTierStatus[]> {
    return (await ctx.app.tiers.memberStatuses(ctx.request, wallet.memberId)).map(statusObject);
  }

  @FieldResolver(() => WalletHistory, {
    description: 'Every change across all partners, newest first, with why it happened.',
  })
  async history(
    @Root() wallet: Wallet,
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
  ): Promise<WalletHistory> {
    const size = pageSize(first);
    const from = cursor(after);
    const page =
      from === null
        ? await ctx.loaders.wallet.firstPage(wallet.memberId, size)
        : await ctx.app.ledger.transfers({ memberId: wallet.memberId }, size, from);
    return Object.assign(new WalletHistory(), {
      entries: page.items.map((transfer) => walletEntryObject(transfer, wallet.memberId)),
      pageInfo: Object.assign(new PageInfo(), {
        endCursor: page.endCursor,
        hasNextPage: page.hasNextPage,
      }),
    });
  }
}

export function pageSize(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > pageSizeMax) {
    throw badInput(`first must be 1 to ${pageSizeMax}`);
  }
  return first;
}

export function cursor(after: string | null | undefined): string | null {
  if (after == null) return null;
  if (!/^trf_[a-z0-9]{26}$/.test(after)) throw badInput('after is not a cursor');
  return after;
}
