import { strict as assert } from 'node:assert';
import type { Sql } from '../db/sql';
import { type AccountDirectory, accountKeyString, lockAccounts } from '../ledger/accounts';
import { applyLotMovements, createLots, planConsumption } from '../ledger/lots';
import { type AccountKey, availablePoints, type TransferDraft } from '../ledger/model';
import { writeTransfers } from '../ledger/transfers';
import { InsufficientPoints } from '../shared/errors';
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
  const { sourceCurrency, targetCurrency } = entry.rate;
  const sourceKey = memberKey(entry.memberId, sourceCurrency);
  const targetKey = memberKey(entry.memberId, targetCurrency);
  const liquiditySource: AccountKey = { kind: 'liquidity', currency: sourceCurrency };
  const liquidityTarget: AccountKey = { kind: 'liquidity', currency: targetCurrency };
  const debited = entry.sourcePoints + entry.feePoints;
  const credited = entry.baseTargetPoints + entry.bonusPoints;

  const existing = await accounts.find(sql, [sourceKey]);
  const sourceId = existing.get(accountKeyString(sourceKey));
  if (sourceId === undefined) throw new InsufficientPoints(sourceCurrency, debited, 0n);
  const ids = await accounts.resolve(sql, [targetKey, liquiditySource, liquidityTarget]);
  const idOf = (key: AccountKey) => ids.get(accountKeyString(key))!;
  const targetId = idOf(targetKey);

  const locked = await lockAccounts(sql, [sourceId, targetId]);
  const available = availablePoints(locked.get(sourceId)!);
  if (available < debited) throw new InsufficientPoints(sourceCurrency, debited, available);
  const usage = await limitUsage(sql, entry.memberId, entry.createdAt, entry.rate);
  requireWithinLimits(
    entry.rate,
    usage.get(pairKey(sourceCurrency, targetCurrency)) ?? noUsage(entry.createdAt),
    entry.sourcePoints,
  );
  await requireLiquidity(sql, [idOf(liquiditySource), idOf(liquidityTarget)], {
    accountId: idOf(liquidityTarget),
    currency: targetCurrency,
    points: credited,
  });

  await applyLotMovements(
    sql,
    entry.transferId,
    await planConsumption(sql, sourceId, entry.sourcePoints),
  );
  const drafts: TransferDraft[] = [
    {
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
          sourceAccountId: sourceId,
          targetAccountId: idOf(liquiditySource),
          currency: sourceCurrency,
          amountPoints: entry.sourcePoints,
        },
        {
          kind: 'posted',
          sourceAccountId: idOf(liquidityTarget),
          targetAccountId: targetId,
          currency: targetCurrency,
          amountPoints: credited,
        },
      ],
    },
  ];
  if (entry.feePoints > 0n) {
    await applyLotMovements(
      sql,
      entry.feeTransferId,
      await planConsumption(sql, sourceId, entry.feePoints),
    );
    drafts.push(feeDraft(entry, sourceId, idOf(liquiditySource)));
  }
  await writeTransfers(sql, drafts);
  await createLots(sql, [
    {
      accountId: targetId,
      transferId: entry.transferId,
      amountPoints: credited,
      expiresAt: entry.targetLotExpiresAt,
      createdAt: entry.createdAt,
    },
  ]);
  await insertConversion(sql, entry);
  return {
    memberTargetAccountId: targetId,
    accountIds: new Map([...existing, ...ids]),
  };
}

function memberKey(memberId: string, currency: string): AccountKey {
  return { kind: 'member', currency, memberId };
}

/** The fee is retired into the source currency's liquidity account, like the converted points. */
function feeDraft(entry: ConversionEntry, sourceId: bigint, liquidityId: bigint): TransferDraft {
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
        sourceAccountId: sourceId,
        targetAccountId: liquidityId,
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
