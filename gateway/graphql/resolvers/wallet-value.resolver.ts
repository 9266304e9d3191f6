import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Money } from '../../../schema/common';
import { ConversionPreview } from '../../../schema/exchange';
import { Balance, Wallet } from '../../../schema/wallet';
import type { WalletValue } from '../../exchange/wallet-valuation';
import type { GraphQLContext } from '../context';
import { previewObject } from '../exchange-mappers';
import { moneyObject } from '../mappers';

/**
 * The unified wallet's exchange fields: values in the reference unit and conversion previews.
 * One valuation per member and request, shared by every Balance and the Wallet total.
 */
@Resolver(() => Balance)
export class BalanceValueResolver {
  @FieldResolver(() => Money, {
    nullable: true,
    description:
      'What the available points are worth in the reference unit (EUR), rounded down; null when the currency has no reference value.',
  })
  async value(@Root() balance: Balance, @Ctx() ctx: GraphQLContext): Promise<Money | null> {
    const valuation = await walletValue(ctx, balance.memberId);
    const value = valuation.balances.get(balance.currency);
    return moneyObject(value?.valueMinor ?? null, valuation.referenceUnit);
  }

  @FieldResolver(() => [ConversionPreview], {
    description:
      'What the available points would convert to at today’s rates, one entry per pair from this currency.',
  })
  async convertsTo(
    @Root() balance: Balance,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ConversionPreview[]> {
    const valuation = await walletValue(ctx, balance.memberId);
    return (valuation.balances.get(balance.currency)?.convertsTo ?? []).map(previewObject);
  }
}

@Resolver(() => Wallet)
export class WalletValueResolver {
  @FieldResolver(() => Money, {
    description:
      'The sum of the balances’ values in the reference unit (EUR); currencies without a reference value are left out (see unvaluedCurrencies).',
  })
  async totalValue(@Root() wallet: Wallet, @Ctx() ctx: GraphQLContext): Promise<Money> {
    const valuation = await walletValue(ctx, wallet.memberId);
    return moneyObject(valuation.totalMinor, valuation.referenceUnit)!;
  }

  @FieldResolver(() => [String], {
    description: 'Currencies held that have no reference value, so are not in totalValue.',
  })
  async unvaluedCurrencies(@Root() wallet: Wallet, @Ctx() ctx: GraphQLContext): Promise<string[]> {
    return (await walletValue(ctx, wallet.memberId)).unvaluedCurrencies;
  }
}

const valuations = new WeakMap<GraphQLContext, Map<string, Promise<WalletValue>>>();

function walletValue(ctx: GraphQLContext, memberId: string): Promise<WalletValue> {
  let byMember = valuations.get(ctx);
  if (!byMember) {
    byMember = new Map();
    valuations.set(ctx, byMember);
  }
  let valuation = byMember.get(memberId);
  if (!valuation) {
    valuation = ctx.loaders.balances
      .load(memberId)
      .then((balances) => ctx.app.walletValuation.value(memberId, balances));
    byMember.set(memberId, valuation);
  }
  return valuation;
}
