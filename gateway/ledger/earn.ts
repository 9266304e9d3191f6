import type { Sql } from '../db/sql';
import { type DomainError, IdempotencyKeyReused } from '../shared/errors';
import { type AccountDirectory, accountKeyString, lockAccounts } from './accounts';
import { claimKeys, type IdempotencyClaim } from './idempotency';
import { createLots } from './lots';
import type { AccountKey, Money, TransferDraft } from './model';
import { writeTransfers } from './transfers';

/** One award of points, already validated and priced by the caller. */
export interface EarnEntry {
  transferId: string;
  partnerId: string;
  memberId: string;
  currency: string;
  points: bigint;
  /** The partner's transaction id (the purchase). */
  transactionId: string;
  purchase: Money | null;
  createdAt: Date;
  /** Set for pending points: they become spendable when the maturity sweep passes this time. */
  maturesAt: Date | null;
  /** When the resulting lot expires (null: never). */
  lotExpiresAt: Date | null;
  description: string;
  claim: IdempotencyClaim;
}

export interface EarnReceipt {
  transferId: string;
  memberId: string;
  currency: string;
  points: bigint;
  maturesAt: Date | null;
  expiresAt: Date | null;
  createdAt: Date;
}

/**
 * Posts many earns in the caller's transaction with a fixed number of statements, whatever the
 * batch size: claim the keys, create missing member accounts, lock them, write transfers and
 * postings, create lots (or pending rows). Entries whose key was already used are answered from
 * the stored response and write nothing. Keys must be unique within the batch.
 *
 * Returns one outcome per entry, in order, and the account ids resolved (to cache after commit).
 */
export async function postEarns(
  sql: Sql,
  accounts: AccountDirectory,
  entries: readonly EarnEntry[],
): Promise<{ outcomes: (EarnReceipt | DomainError)[]; accountIds: Map<string, bigint> }> {
  const receipts = entries.map(receiptOf);
  const claims = await claimKeys(
    sql,
    entries.map((entry) => entry.claim),
    receipts.map(earnReceiptToJson),
  );
  const outcomes = claims.map((claim, index): EarnReceipt | DomainError => {
    if (claim.status === 'claimed') return receipts[index]!;
    if (claim.status === 'replay') return earnReceiptFromJson(claim.response);
    return new IdempotencyKeyReused(entries[index]!.claim.key);
  });
  const fresh = entries.filter((_, index) => claims[index]!.status === 'claimed');
  if (fresh.length === 0) return { outcomes, accountIds: new Map() };

  const memberKey = (entry: EarnEntry): AccountKey => ({
    kind: 'member',
    currency: entry.currency,
    memberId: entry.memberId,
  });
  const issuanceKey = (entry: EarnEntry): AccountKey => ({
    kind: 'issuance',
    currency: entry.currency,
    partnerId: entry.partnerId,
  });
  const accountIds = await accounts.resolve(sql, [
    ...fresh.map(memberKey),
    ...fresh.map(issuanceKey),
  ]);
  const idOf = (key: AccountKey) => accountIds.get(accountKeyString(key))!;
  await lockAccounts(
    sql,
    fresh.map((entry) => idOf(memberKey(entry))),
  );

  const drafts = fresh.map(
    (entry): TransferDraft => ({
      id: entry.transferId,
      code: 'earn',
      partnerId: entry.partnerId,
      memberId: entry.memberId,
      externalId: entry.transactionId,
      relatedId: null,
      purchase: entry.purchase,
      description: entry.description,
      createdAt: entry.createdAt,
      postings: [
        {
          kind: entry.maturesAt ? 'pending' : 'posted',
          sourceAccountId: idOf(issuanceKey(entry)),
          targetAccountId: idOf(memberKey(entry)),
          currency: entry.currency,
          amountPoints: entry.points,
        },
      ],
    }),
  );
  await writeTransfers(sql, drafts);

  const posted = fresh.filter((entry) => !entry.maturesAt);
  await createLots(
    sql,
    posted.map((entry) => ({
      accountId: idOf(memberKey(entry)),
      transferId: entry.transferId,
      amountPoints: entry.points,
      expiresAt: entry.lotExpiresAt,
      createdAt: entry.createdAt,
    })),
  );
  const pending = fresh.filter((entry) => entry.maturesAt);
  if (pending.length > 0) {
    await sql.query(
      `insert into pending_transfer (transfer_id, kind, source_account_id, target_account_id,
                                     amount_points, remaining_points, due_at, lot_expires_at)
       select t, 'earn', s, d, p, p, due, e
       from unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::timestamptz[],
                   $6::timestamptz[]) as x(t, s, d, p, due, e)`,
      [
        pending.map((entry) => entry.transferId),
        pending.map((entry) => idOf(issuanceKey(entry))),
        pending.map((entry) => idOf(memberKey(entry))),
        pending.map((entry) => entry.points),
        pending.map((entry) => entry.maturesAt),
        pending.map((entry) => entry.lotExpiresAt),
      ],
    );
  }
  return { outcomes, accountIds };
}

function receiptOf(entry: EarnEntry): EarnReceipt {
  return {
    transferId: entry.transferId,
    memberId: entry.memberId,
    currency: entry.currency,
    points: entry.points,
    maturesAt: entry.maturesAt,
    expiresAt: entry.lotExpiresAt,
    createdAt: entry.createdAt,
  };
}

export function earnReceiptToJson(receipt: EarnReceipt): unknown {
  return {
    transferId: receipt.transferId,
    memberId: receipt.memberId,
    currency: receipt.currency,
    points: receipt.points.toString(),
    maturesAt: receipt.maturesAt?.toISOString() ?? null,
    expiresAt: receipt.expiresAt?.toISOString() ?? null,
    createdAt: receipt.createdAt.toISOString(),
  };
}

export function earnReceiptFromJson(json: unknown): EarnReceipt {
  const value = json as Record<string, string | null>;
  return {
    transferId: value.transferId!,
    memberId: value.memberId!,
    currency: value.currency!,
    points: BigInt(value.points!),
    maturesAt: value.maturesAt ? new Date(value.maturesAt) : null,
    expiresAt: value.expiresAt ? new Date(value.expiresAt) : null,
    createdAt: new Date(value.createdAt!),
  };
}
