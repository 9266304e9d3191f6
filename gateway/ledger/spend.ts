import type { Sql } from '../db/sql';
import { required } from '../shared/invariant';
import { type AccountDirectory, accountKeyString, lockAccounts } from './accounts';
import { InsufficientPoints } from './errors';
import type { IdempotencyClaim } from './idempotency';
import { idempotentWrite, receiptCodec } from './idempotent-write';
import { applyLotMovements, planConsumption } from './lots';
import { type AccountKey, availablePoints, type Money } from './model';
import { claimPurchaseLeg } from './purchase-legs';
import { writeTransfers } from './transfers';

/** A member paying with points at a partner, already validated by the caller. */
export interface SpendEntry {
  transferId: string;
  partnerId: string;
  memberId: string;
  currency: string;
  points: bigint;
  transactionId: string;
  purchase: Money | null;
  createdAt: Date;
  description: string;
  claim: IdempotencyClaim;
  /**
   * Set for a two-phase redemption: the points are held (pending) until the partner confirms
   * or declines, and voided by the hold sweep if neither happens by this time.
   */
  holdExpiresAt: Date | null;
}

export interface SpendReceipt {
  transferId: string;
  memberId: string;
  currency: string;
  points: bigint;
  createdAt: Date;
  holdExpiresAt: Date | null;
}

/**
 * Moves points from the member to the partner's redemption account, consuming the member's lots
 * soonest-expiring first and recording which, in the caller's transaction.
 *
 * Throws InsufficientPoints (checked against the locked account, and again by the
 * member_balance_must_not_be_negative constraint), TransactionConflict (the transaction id has
 * a payment already, or a leg of another member) or IdempotencyKeyReused; all roll back.
 */
export async function postSpend(
  sql: Sql,
  accounts: AccountDirectory,
  entry: SpendEntry,
): Promise<SpendReceipt> {
  const receipt: SpendReceipt = {
    transferId: entry.transferId,
    memberId: entry.memberId,
    currency: entry.currency,
    points: entry.points,
    createdAt: entry.createdAt,
    holdExpiresAt: entry.holdExpiresAt,
  };
  return idempotentWrite(
    sql,
    { claim: entry.claim, codec: spendReceiptCodec, receipt },
    async () => {
      await claimPurchaseLeg(sql, {
        partnerId: entry.partnerId,
        transactionId: entry.transactionId,
        memberId: entry.memberId,
        leg: 'payment',
      });

      const memberKey: AccountKey = {
        kind: 'member',
        currency: entry.currency,
        memberId: entry.memberId,
      };
      const redemptionKey: AccountKey = {
        kind: 'redemption',
        currency: entry.currency,
        partnerId: entry.partnerId,
      };
      // A member who never held this currency has no account: nothing to spend, nothing created.
      const existing = await accounts.find(sql, [memberKey]);
      const memberAccountId = existing.get(accountKeyString(memberKey));
      if (memberAccountId === undefined) {
        throw new InsufficientPoints(entry.currency, entry.points, 0n);
      }
      const locked = await lockAccounts(sql, [memberAccountId]);
      const available = availablePoints(
        required(locked.get(memberAccountId), 'the locked member account'),
      );
      if (available < entry.points)
        throw new InsufficientPoints(entry.currency, entry.points, available);

      const consumption = await planConsumption(sql, memberAccountId, entry.points);
      const systemIds = await accounts.resolve(sql, [redemptionKey]);
      await writeTransfers(sql, [
        {
          id: entry.transferId,
          code: entry.holdExpiresAt ? 'hold' : 'redeem',
          partnerId: entry.partnerId,
          memberId: entry.memberId,
          externalId: entry.transactionId,
          relatedId: null,
          purchase: entry.purchase,
          description: entry.description,
          createdAt: entry.createdAt,
          postings: [
            {
              kind: entry.holdExpiresAt ? 'pending' : 'posted',
              sourceAccountId: memberAccountId,
              targetAccountId: required(
                systemIds.get(accountKeyString(redemptionKey)),
                'the redemption account',
              ),
              currency: entry.currency,
              amountPoints: entry.points,
            },
          ],
        },
      ]);
      await applyLotMovements(sql, entry.transferId, consumption);
      if (entry.holdExpiresAt) {
        await sql.query(
          `insert into pending_transfer (transfer_id, kind, source_account_id, target_account_id,
                                       amount_points, remaining_points, due_at)
         values ($1, 'hold', $2, $3, $4, $4, $5)`,
          [
            entry.transferId,
            memberAccountId,
            required(systemIds.get(accountKeyString(redemptionKey)), 'the redemption account'),
            entry.points,
            entry.holdExpiresAt,
          ],
        );
      }
      return receipt;
    },
  );
}

/** Spend receipts as stored with their key (holds share them). */
export const spendReceiptCodec = receiptCodec<SpendReceipt>({
  points: 'bigint',
  createdAt: 'date',
  holdExpiresAt: 'date',
});
