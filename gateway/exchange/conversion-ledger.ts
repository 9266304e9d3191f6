import { strict as assert } from 'node:assert';
import type { Sql } from '../db/sql';
import { type AccountDirectory, accountKeyString, lockAccounts } from '../ledger/accounts';
import { InsufficientPoints } from '../ledger/errors';
import { applyLotMovements, createLots, planConsumption } from '../ledger/lots';
import { type AccountKey, availablePoints, type TransferDraft } from '../ledger/model';
import { writeTransfers } from '../ledger/transfers';
import { limitUsage, noUsage, pairKey, requireWithinLimits } from './conversion-limits';
import type { ConversionAmounts, ExchangeRate } from './exchange-model';
import { requireLiquidity } from './liquidity';

/** One conversion, priced and validated by the caller, to write in the caller's transaction. */
export interface ConversionEntry extends ConversionAmounts {
  transferId: string;
  /** Used when `feePoints` > 0: the id of the fee's own transfer. */
  feeTransferId: string;
  memberId: string;
  /** The partner acting for the member; null when the member converts themself. */
  partnerId: string | null;
  externalId: string | null;
  rate: ExchangeRate;
  promotionId: bigint | null;
  quoteId: string | null;
  /** Expiry of the lot the target points form (the target currency's own expiry). */
  targetLotExpiresAt: Date | null;
  createdAt: Date;
  description: string;
}

export interface PostedConversion {
  memberTargetAccountId: bigint;
  /** Account ids resolved in the transaction: cache them once it has committed. */
  accountIds: Map<string, bigint>;
}

/**
 * Writes a conversion in the caller's transaction, as the settlement contract requires: ONE
 * `convert` transfer with two posted postings (index 0: member(S) -> liquidity(S), the source
 * points; index 1: liquidity(T) -> member(T), base + bonus target points), a `fee` transfer of
 * its own (member(S) -> liquidity(S), related to the convert) when a fee is due, and the
 * `conversion` row with the economic terms.
 *
 * Locks the member's two accounts first (in id order), checks the balance and the member's
 * limits under that lock, then locks the two liquidity accounts (in id order) and checks the
 * target's floor. Source lots are consumed soonest-expiring first; the target points form a new
 * lot. Throws InsufficientPoints, ConversionLimitExceeded or LiquidityFloorReached, which roll
 * the transaction back.
 */
export async function postConversion(
  sql: Sql,
  accounts: AccountDirectory,
  entry: ConversionEntry,
): Promise<PostedConversion> {
  const { ids, resolved } = await lockAndCheck(sql, accounts, entry);
  await applyLotMovements(
    sql,
    entry.transferId,
    await planConsumption(sql, ids.memberSource, entry.sourcePoints),
  );
  const drafts = [convertDraft(entry, ids)];
  if (entry.feePoints > 0n) {
    await applyLotMovements(
      sql,
      entry.feeTransferId,
      await planConsumption(sql, ids.memberSource, entry.feePoints),
    );
    drafts.push(feeDraft(entry, ids));
  }
  await writeTransfers(sql, drafts);
  await createLots(sql, [
    {
      accountId: ids.memberTarget,
      transferId: entry.transferId,
      amountPoints: entry.baseTargetPoints + entry.bonusPoints,
      expiresAt: entry.targetLotExpiresAt,
      createdAt: entry.createdAt,
    },
  ]);
  await insertConversion(sql, entry);
  return { memberTargetAccountId: ids.memberTarget, accountIds: resolved };
}

interface ConversionAccounts {
  memberSource: bigint;
  memberTarget: bigint;
  liquiditySource: bigint;
  liquidityTarget: bigint;
}

/**
 * Finds (or creates, for the target) the four accounts, locks the member's two (in id order),
 * checks the balance and the limits under that lock, then locks the liquidity accounts (in id
 * order) and checks the target's floor.
 */
async function lockAndCheck(
  sql: Sql,
  accounts: AccountDirectory,
  entry: ConversionEntry,
): Promise<{ ids: ConversionAccounts; resolved: Map<string, bigint> }> {
  const { sourceCurrency, targetCurrency } = entry.rate;
  const sourceKey: AccountKey = {
    kind: 'member',
    currency: sourceCurrency,
    memberId: entry.memberId,
  };
  const targetKey: AccountKey = {
    kind: 'member',
    currency: targetCurrency,
    memberId: entry.memberId,
  };
  const liquiditySource: AccountKey = { kind: 'liquidity', currency: sourceCurrency };
  const liquidityTarget: AccountKey = { kind: 'liquidity', currency: targetCurrency };
  const debited = entry.sourcePoints + entry.feePoints;

  // A member who never held the source currency has no account: nothing is created for them.
  const existing = await accounts.find(sql, [sourceKey]);
  const memberSource = existing.get(accountKeyString(sourceKey));
  if (memberSource === undefined) throw new InsufficientPoints(sourceCurrency, debited, 0n);
  const resolved = await accounts.resolve(sql, [targetKey, liquiditySource, liquidityTarget]);
  const idOf = (key: AccountKey) => resolved.get(accountKeyString(key))!;
  const ids: ConversionAccounts = {
    memberSource,
    memberTarget: idOf(targetKey),
    liquiditySource: idOf(liquiditySource),
    liquidityTarget: idOf(liquidityTarget),
  };

  const locked = await lockAccounts(sql, [ids.memberSource, ids.memberTarget]);
  const available = availablePoints(locked.get(ids.memberSource)!);
  if (available < debited) throw new InsufficientPoints(sourceCurrency, debited, available);
  const usage = await limitUsage(sql, entry.memberId, entry.createdAt, entry.rate);
  requireWithinLimits(
    entry.rate,
    usage.get(pairKey(sourceCurrency, targetCurrency)) ?? noUsage(entry.createdAt),
    entry.sourcePoints,
  );
  await requireLiquidity(sql, [ids.liquiditySource, ids.liquidityTarget], {
    accountId: ids.liquidityTarget,
    currency: targetCurrency,
    points: entry.baseTargetPoints + entry.bonusPoints,
  });
  return { ids, resolved: new Map([...existing, ...resolved]) };
}

function convertDraft(entry: ConversionEntry, ids: ConversionAccounts): TransferDraft {
  return {
    id: entry.transferId,
    code: 'convert',
    partnerId: entry.partnerId,
    memberId: entry.memberId,
    externalId: entry.externalId,
    relatedId: null,
    purchase: null,
    description: entry.description,
    createdAt: entry.createdAt,
    postings: [
      {
        kind: 'posted',
        sourceAccountId: ids.memberSource,
        targetAccountId: ids.liquiditySource,
        currency: entry.rate.sourceCurrency,
        amountPoints: entry.sourcePoints,
      },
      {
        kind: 'posted',
        sourceAccountId: ids.liquidityTarget,
        targetAccountId: ids.memberTarget,
        currency: entry.rate.targetCurrency,
        amountPoints: entry.baseTargetPoints + entry.bonusPoints,
      },
    ],
  };
}

/** The fee is retired into the source currency's liquidity account, like the converted points. */
function feeDraft(entry: ConversionEntry, ids: ConversionAccounts): TransferDraft {
  return {
    id: entry.feeTransferId,
    code: 'fee',
    partnerId: entry.partnerId,
    memberId: entry.memberId,
    externalId: null,
    relatedId: entry.transferId,
    purchase: null,
    description: `Exchange fee: ${entry.feePoints} ${entry.rate.sourceCurrency}`,
    createdAt: entry.createdAt,
    postings: [
      {
        kind: 'posted',
        sourceAccountId: ids.memberSource,
        targetAccountId: ids.liquiditySource,
        currency: entry.rate.sourceCurrency,
        amountPoints: entry.feePoints,
      },
    ],
  };
}

async function insertConversion(sql: Sql, entry: ConversionEntry): Promise<void> {
  assert.ok(
    entry.baseTargetPoints * entry.rate.sourceUnits <= entry.sourcePoints * entry.rate.targetUnits,
    'conversion_must_round_in_liquidity_favour',
  );
  await sql.query(
    `insert into conversion (transfer_id, member_id, source_currency, target_currency,
       source_points, base_target_points, bonus_points, fee_points, rate_id, promotion_id,
       quote_id, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      entry.transferId,
      entry.memberId,
      entry.rate.sourceCurrency,
      entry.rate.targetCurrency,
      entry.sourcePoints,
      entry.baseTargetPoints,
      entry.bonusPoints,
      entry.feePoints,
      entry.rate.id,
      entry.promotionId,
      entry.quoteId,
      entry.createdAt,
    ],
  );
}
