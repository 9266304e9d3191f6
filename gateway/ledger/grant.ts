import { strict as assert } from 'node:assert';
import type { Sql } from '../db/sql';
import { required } from '../shared/invariant';
import { type AccountDirectory, accountKeyString, lockAccounts } from './accounts';
import { pointsPerTransferMax } from './limits';
import { createLots } from './lots';
import type { AccountKey } from './model';
import { writeTransfers } from './transfers';

/** Points a partner issues to a member outside a purchase (a referral reward). */
export interface GrantEntry {
  transferId: string;
  /** The issuing partner: its issuance account is debited, as for an earn. */
  partnerId: string;
  memberId: string;
  currency: string;
  points: bigint;
  /** The transfer's external id (a referral's, e.g. "referral:mbr_x:referee"). */
  externalId: string;
  description: string;
  createdAt: Date;
  lotExpiresAt: Date | null;
}

/**
 * Writes grants as earns in the caller's transaction: a transfer and posting from the partner's
 * issuance account to the member's (created if missing), a lot with the currency's expiry, the
 * account totals moved. The member's link to the partner is not needed: the caller decides who
 * is rewarded (a referral program), and the caller makes the write once (its own row, locked
 * in the same transaction). Each grant appends its `points.earned` webhook event. Member accounts are locked first, in id order, system accounts
 * last (writeTransfers), like every other write.
 */
export async function postGrants(
  sql: Sql,
  accounts: AccountDirectory,
  entries: readonly GrantEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  const memberKey = (entry: GrantEntry): AccountKey => ({
    kind: 'member',
    currency: entry.currency,
    memberId: entry.memberId,
  });
  const issuanceKey = (entry: GrantEntry): AccountKey => ({
    kind: 'issuance',
    currency: entry.currency,
    partnerId: entry.partnerId,
  });
  for (const entry of entries) {
    assert.ok(entry.points > 0n && entry.points <= pointsPerTransferMax, 'amount_must_be_positive');
  }
  const ids = await accounts.resolve(sql, [...entries.map(memberKey), ...entries.map(issuanceKey)]);
  const idOf = (key: AccountKey) => required(ids.get(accountKeyString(key)), 'an account id');
  await lockAccounts(
    sql,
    [...new Set(entries.map((entry) => idOf(memberKey(entry))))].sort((a, b) =>
      a < b ? -1 : a > b ? 1 : 0,
    ),
  );
  await writeTransfers(
    sql,
    entries.map((entry) => ({
      id: entry.transferId,
      code: 'earn',
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
          sourceAccountId: idOf(issuanceKey(entry)),
          targetAccountId: idOf(memberKey(entry)),
          currency: entry.currency,
          amountPoints: entry.points,
        },
      ],
    })),
  );
  await createLots(
    sql,
    entries.map((entry) => ({
      accountId: idOf(memberKey(entry)),
      transferId: entry.transferId,
      amountPoints: entry.points,
      expiresAt: entry.lotExpiresAt,
      createdAt: entry.createdAt,
    })),
  );
  // The partner's points.earned webhook events, as the earn batch writes them (migrations/0072).
  await sql.query('select outbox_append_earns($1::text[])', [
    entries.map((entry) => entry.transferId),
  ]);
}
