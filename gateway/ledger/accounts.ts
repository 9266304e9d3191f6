import type { Sql } from '../db/sql';
import type { AccountKey, AccountKind, AccountTotals } from './model';

/**
 * Account ids by owner. System accounts (issuance, redemption, breakage, liquidity, adjustment)
 * are created with the partner or currency they belong to, so the hot path only looks them up;
 * their ids never change and are cached. Member accounts are created inside the transaction of
 * the first transfer that credits them, so a failed request leaves no empty account behind.
 */
export class AccountDirectory {
  private readonly cache = new Map<string, bigint>();

  /**
   * Ids of the given accounts, creating the missing ones in the caller's transaction. Call
   * `remember` after that transaction commits; until then new ids must not be cached.
   */
  async resolve(sql: Sql, keys: readonly AccountKey[]): Promise<Map<string, bigint>> {
    const { found, missing } = this.fromCache(keys);
    if (missing.length === 0) return found;
    await sql.query(
      `insert into account (kind, currency_code, member_id, partner_id)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[])
       on conflict (owner_id, kind, currency_code) do nothing`,
      keyColumns(missing),
    );
    await selectIds(sql, missing, found);
    for (const key of missing) {
      if (!found.has(accountKeyString(key))) {
        throw new Error(`account ${accountKeyString(key)} was neither created nor found`);
      }
    }
    return found;
  }

  /** Ids of accounts that already exist; missing ones are absent from the map. */
  async find(sql: Sql, keys: readonly AccountKey[]): Promise<Map<string, bigint>> {
    const { found, missing } = this.fromCache(keys);
    if (missing.length > 0) await selectIds(sql, missing, found);
    return found;
  }

  private fromCache(keys: readonly AccountKey[]): {
    found: Map<string, bigint>;
    missing: AccountKey[];
  } {
    const found = new Map<string, bigint>();
    const missing = new Map<string, AccountKey>();
    for (const key of keys) {
      const keyString = accountKeyString(key);
      const id = this.cache.get(keyString);
      if (id === undefined) missing.set(keyString, key);
      else found.set(keyString, id);
    }
    return { found, missing: [...missing.values()] };
  }

  /** Caches ids resolved in a transaction that has committed. */
  remember(ids: Map<string, bigint>): void {
    for (const [key, id] of ids) this.cache.set(key, id);
  }

  /** Forgets every cached id (tests that recreate the database between runs). */
  clear(): void {
    this.cache.clear();
  }
}

/**
 * Locks accounts for the rest of the transaction, in ascending id order, and returns their
 * totals. Every transaction locks its member accounts first and its system accounts last, each
 * group sorted, so two transactions never wait on each other in a cycle (deadlocks that still
 * happen, e.g. with foreign-key checks, are retried by SqlDatabase.transaction).
 *
 * FOR NO KEY UPDATE, not FOR UPDATE: inserting a posting takes a KEY SHARE lock on its accounts
 * for the foreign key, which FOR UPDATE would block.
 */
export async function lockAccounts(
  sql: Sql,
  ids: readonly bigint[],
): Promise<Map<bigint, AccountTotals>> {
  const sorted = [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rows = await sql.query<TotalsRow>(
    `select id, kind, currency_code, debits_posted, credits_posted, debits_pending, credits_pending
     from account where id = any($1::bigint[]) order by id for no key update`,
    [sorted],
  );
  if (rows.rowCount !== sorted.length) {
    throw new Error(`expected ${sorted.length} accounts to lock, found ${rows.rowCount}`);
  }
  return new Map(rows.rows.map((row) => [row.id, totalsFromRow(row)]));
}

function keyColumns(keys: readonly AccountKey[]): unknown[] {
  return [
    keys.map((key) => key.kind),
    keys.map((key) => key.currency),
    keys.map((key) => key.memberId ?? null),
    keys.map((key) => key.partnerId ?? null),
  ];
}

async function selectIds(
  sql: Sql,
  keys: readonly AccountKey[],
  into: Map<string, bigint>,
): Promise<void> {
  const rows = await sql.query<AccountRow>(
    `select a.id, a.kind, a.currency_code, a.member_id, a.partner_id
     from account a
     join unnest($1::text[], $2::text[], $3::text[], $4::text[]) as k(kind, currency, member_id, partner_id)
       on a.owner_id = coalesce(k.member_id, k.partner_id, '')
      and a.kind = k.kind and a.currency_code = k.currency`,
    keyColumns(keys),
  );
  for (const row of rows.rows) into.set(rowKeyString(row), row.id);
}

export function accountKeyString(key: AccountKey): string {
  return `${key.kind}:${key.currency}:${key.memberId ?? ''}:${key.partnerId ?? ''}`;
}

interface AccountRow {
  id: bigint;
  kind: AccountKind;
  currency_code: string;
  member_id: string | null;
  partner_id: string | null;
}

function rowKeyString(row: AccountRow): string {
  return accountKeyString({
    kind: row.kind,
    currency: row.currency_code,
    memberId: row.member_id ?? undefined,
    partnerId: row.partner_id ?? undefined,
  });
}

export interface TotalsRow {
  id: bigint;
  kind: AccountKind;
  currency_code: string;
  debits_posted: bigint;
  credits_posted: bigint;
  debits_pending: bigint;
  credits_pending: bigint;
}

export function totalsFromRow(row: TotalsRow): AccountTotals {
  return {
    id: row.id,
    kind: row.kind,
    currency: row.currency_code,
    debitsPosted: row.debits_posted,
    creditsPosted: row.credits_posted,
    debitsPending: row.debits_pending,
    creditsPending: row.credits_pending,
  };
}
