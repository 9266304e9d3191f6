import type { Sql, SqlDatabase } from '../db/sql';
import type { Clock } from '../shared/clock';
import { newId } from '../shared/ids';
import { required } from '../shared/invariant';
import { type AccountDirectory, accountKeyString, lockAccounts } from './accounts';
import { sweepBatchSize } from './limits';
import { applyLotMovements, createLots, type LotMovement } from './lots';
import type { AccountKey, TransferDraft } from './model';
import { writeTransfers } from './transfers';

/**
 * The scheduled jobs of the ledger. Each works in small transactions (sweepBatchSize items), so
 * it never holds many locks for long and can be stopped at any point: what committed is done,
 * the rest is picked up by the next run. Two sweeps running at once do not double-post: each
 * item is re-read under its account lock before it is moved.
 */

export type SweepProgress = (done: number) => void;
/**
 * Told, after each batch commits, the members whose balances it changed, so this process's
 * member caches drop them before the sweep returns (the change feed tells every process a
 * little later: a read right after a sweep must not be answered from before it).
 */
export type SweepChanged = (memberIds: string[]) => void;

/**
 * Runs `batch` in its own transaction until one does less than a full batch; after each commit
 * tells `changed` the members the batch returned (one per item done), then `progress` the total.
 */
async function inBatches(
  db: SqlDatabase,
  batch: (sql: Sql) => Promise<string[]>,
  progress: SweepProgress | undefined,
  changed: SweepChanged | undefined,
): Promise<number> {
  let total = 0;
  for (;;) {
    const memberIds = await db.transaction(batch);
    const done = memberIds.length;
    total += done;
    if (done > 0) {
      changed?.(memberIds);
      progress?.(total);
    }
    if (done < sweepBatchSize) return total;
  }
}

/** Posts every pending earn due by `asOf`: its points become spendable, as a new lot. */
export async function matureDue(
  db: SqlDatabase,
  clock: Clock,
  asOf: Date,
  progress?: SweepProgress,
  changed?: SweepChanged,
): Promise<number> {
  return inBatches(db, (sql) => matureBatch(sql, clock, asOf), progress, changed);
}

/** Matures one batch; the member of each earn it matured. */
async function matureBatch(sql: Sql, clock: Clock, asOf: Date): Promise<string[]> {
  const due = await sql.query<{ target_account_id: bigint }>(
    `select target_account_id from pending_transfer
     where kind = 'earn' and remaining_points > 0 and due_at <= $1
     order by due_at limit $2`,
    [asOf, sweepBatchSize],
  );
  if (due.rowCount === 0) return [];
  await lockAccounts(
    sql,
    due.rows.map((row) => row.target_account_id),
  );
  // Re-read under the account locks: a refund may have voided some meanwhile.
  const rows = await sql.query<{
    transfer_id: string;
    source_account_id: bigint;
    target_account_id: bigint;
    remaining_points: bigint;
    lot_expires_at: Date | null;
    partner_id: string | null;
    member_id: string | null;
    currency_code: string;
  }>(
    `select p.transfer_id, p.source_account_id, p.target_account_id, p.remaining_points,
            p.lot_expires_at, t.partner_id, t.member_id, a.currency_code
     from pending_transfer p
     join transfer t on t.id = p.transfer_id
     join account a on a.id = p.target_account_id
     where p.target_account_id = any($1::bigint[]) and p.kind = 'earn'
       and p.remaining_points > 0 and p.due_at <= $2
     order by p.due_at limit $3
     for update of p`,
    [due.rows.map((row) => row.target_account_id), asOf, sweepBatchSize],
  );
  const now = clock.now();
  const drafts = rows.rows.map(
    (row): TransferDraft => ({
      id: newId('trf'),
      code: 'mature',
      partnerId: row.partner_id,
      memberId: row.member_id,
      externalId: null,
      relatedId: row.transfer_id,
      purchase: null,
      description: 'Pending points became available',
      createdAt: now,
      postings: [
        {
          kind: 'post_pending',
          sourceAccountId: row.source_account_id,
          targetAccountId: row.target_account_id,
          currency: row.currency_code,
          amountPoints: row.remaining_points,
        },
      ],
    }),
  );
  await writeTransfers(sql, drafts);
  await createLots(
    sql,
    rows.rows.map((row, index) => ({
      accountId: row.target_account_id,
      transferId: drafts[index]!.id,
      amountPoints: row.remaining_points,
      expiresAt: row.lot_expires_at,
      createdAt: now,
    })),
  );
  await sql.query(
    `update pending_transfer set remaining_points = 0 where transfer_id = any($1::text[])`,
    [rows.rows.map((row) => row.transfer_id)],
  );
  return rows.rows.map((row) => required(row.member_id, 'the member of a pending earn'));
}

/** Expires every lot due by `asOf`: one expire transfer per member account, to breakage. */
export async function expireDue(
  db: SqlDatabase,
  accounts: AccountDirectory,
  clock: Clock,
  asOf: Date,
  progress?: SweepProgress,
  changed?: SweepChanged,
): Promise<number> {
  return inBatches(db, (sql) => expireBatch(sql, accounts, clock, asOf), progress, changed);
}

/** Expires one batch; the member of each account that lost points. */
async function expireBatch(
  sql: Sql,
  accounts: AccountDirectory,
  clock: Clock,
  asOf: Date,
): Promise<string[]> {
  const due = await sql.query<{ account_id: bigint }>(
    `select distinct account_id from lot
     where remaining_points > 0 and expires_at <= $1 limit $2`,
    [asOf, sweepBatchSize],
  );
  if (due.rowCount === 0) return [];
  const locked = await lockAccounts(
    sql,
    due.rows.map((row) => row.account_id),
  );
  const lots = await sql.query<{ id: bigint; account_id: bigint; remaining_points: bigint }>(
    `select id, account_id, remaining_points from lot
     where account_id = any($1::bigint[]) and remaining_points > 0 and expires_at <= $2`,
    [[...locked.keys()], asOf],
  );
  const byAccount = new Map<bigint, { total: bigint; movements: LotMovement[] }>();
  for (const lot of lots.rows) {
    const entry = byAccount.get(lot.account_id) ?? { total: 0n, movements: [] };
    entry.total += lot.remaining_points;
    entry.movements.push({ lotId: lot.id, amountPoints: -lot.remaining_points });
    byAccount.set(lot.account_id, entry);
  }
  const owners = await sql.query<{ id: bigint; member_id: string }>(
    `select id, member_id from account where id = any($1::bigint[])`,
    [[...byAccount.keys()]],
  );
  const memberOf = new Map(owners.rows.map((row) => [row.id, row.member_id]));
  const breakageKeys = [...byAccount.keys()].map(
    (accountId): AccountKey => ({
      kind: 'breakage',
      currency: required(locked.get(accountId), 'a locked account').currency,
    }),
  );
  const breakageIds = await accounts.resolve(sql, breakageKeys);
  const now = clock.now();
  const drafts: TransferDraft[] = [];
  for (const [accountId, { total }] of byAccount) {
    const currency = required(locked.get(accountId), 'a locked account').currency;
    drafts.push({
      id: newId('trf'),
      code: 'expire',
      partnerId: null,
      memberId: required(memberOf.get(accountId), 'the member of an expiring account'),
      externalId: null,
      relatedId: null,
      purchase: null,
      description: `${total} ${currency} reached their expiry date`,
      createdAt: now,
      postings: [
        {
          kind: 'posted',
          sourceAccountId: accountId,
          targetAccountId: required(
            breakageIds.get(accountKeyString({ kind: 'breakage', currency })),
            `the ${currency} breakage account`,
          ),
          currency,
          amountPoints: total,
        },
      ],
    });
  }
  await writeTransfers(sql, drafts);
  const accountIds = [...byAccount.keys()];
  for (const [index, accountId] of accountIds.entries()) {
    await applyLotMovements(
      sql,
      drafts[index]!.id,
      required(byAccount.get(accountId), 'the expiring lots of an account').movements,
    );
  }
  return accountIds.map((accountId) =>
    required(memberOf.get(accountId), 'the member of an expiring account'),
  );
}
