import { strict as assert } from 'node:assert';
import { hash } from 'node:crypto';
import type { Sql } from '../db/sql';

/**
 * Idempotency, Stripe-style: a write names its key (the partner's transaction id, or an explicit
 * key) and the key is stored with a hash of the request and the response, in the same
 * transaction as the transfer. Replaying the same request returns the stored response; the same
 * key with a different request is an IdempotencyKeyReused error.
 *
 * The key is claimed with INSERT ... ON CONFLICT DO NOTHING, never check-then-insert: when two
 * duplicates race, the second INSERT waits on the unique index until the first commits, then
 * finds its row. A failed request rolls back its claim, so the key stays free for a retry.
 */
export interface IdempotencyClaim {
  /** The caller the key belongs to (a partner or member id): keys never collide across callers. */
  scope: string;
  /** The operation (earn, redeem, refund...): one POS transaction id may both earn and redeem. */
  operation: string;
  key: string;
  requestHash: string;
}

export type ClaimOutcome =
  | { status: 'claimed' }
  | { status: 'replay'; response: unknown }
  | { status: 'conflict' };

/** Claims every key, storing `responses[i]` with claim i; says for each whether it was free. */
export async function claimKeys(
  sql: Sql,
  claims: readonly IdempotencyClaim[],
  responses: readonly unknown[],
): Promise<ClaimOutcome[]> {
  // Within one statement a duplicate would look claimed twice; batches dedupe keys first.
  assert.equal(new Set(claims.map(claimString)).size, claims.length, 'keys must be unique');
  const inserted = await sql.query<{ scope: string; operation: string; key: string }>(
    `insert into idempotency_key (scope, operation, key, request_hash, response)
     select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[])
     on conflict do nothing
     returning scope, operation, key`,
    [
      claims.map((claim) => claim.scope),
      claims.map((claim) => claim.operation),
      claims.map((claim) => claim.key),
      claims.map((claim) => claim.requestHash),
      responses.map((response) => JSON.stringify(response, bigintAsString)),
    ],
  );
  const claimed = new Set(inserted.rows.map(claimString));
  const taken = claims.filter((claim) => !claimed.has(claimString(claim)));
  const existing = new Map<string, { request_hash: string; response: unknown }>();
  if (taken.length > 0) {
    const rows = await sql.query<{
      scope: string;
      operation: string;
      key: string;
      request_hash: string;
      response: unknown;
    }>(
      `select i.scope, i.operation, i.key, i.request_hash, i.response
       from idempotency_key i
       join unnest($1::text[], $2::text[], $3::text[]) as c(scope, operation, key)
         on i.scope = c.scope and i.operation = c.operation and i.key = c.key`,
      [taken.map((c) => c.scope), taken.map((c) => c.operation), taken.map((c) => c.key)],
    );
    for (const row of rows.rows) existing.set(claimString(row), row);
  }
  return claims.map((claim): ClaimOutcome => {
    if (claimed.has(claimString(claim))) return { status: 'claimed' };
    const row = existing.get(claimString(claim));
    if (!row) throw new Error(`idempotency key ${claimString(claim)} neither claimed nor found`);
    return row.request_hash === claim.requestHash
      ? { status: 'replay', response: row.response }
      : { status: 'conflict' };
  });
}

/** Replaces the stored response of a claimed key (for writes whose result is known only later). */
export async function storeResponse(
  sql: Sql,
  claim: IdempotencyClaim,
  response: unknown,
): Promise<void> {
  await sql.query(
    `update idempotency_key set response = $4::jsonb
     where scope = $1 and operation = $2 and key = $3`,
    [claim.scope, claim.operation, claim.key, JSON.stringify(response, bigintAsString)],
  );
}

/**
 * A stable hash of a request: keys sorted at every level, bigints as decimal strings, undefined
 * fields dropped, so the same request always hashes the same however it was written.
 */
export function requestHash(request: unknown): string {
  return hash('sha256', canonicalJson(request), 'base64url');
}

/**
 * The text the hash is taken of. Stored hashes depend on it byte for byte (a replay after an
 * upgrade must match), so a change of form is a change of every key's meaning: keep it.
 * Written as loops, not entries/filter/sort/map: it runs on every earn.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += (i > 0 ? ',' : '') + canonicalJson(value[i]);
    return `${text}]`;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    let text = '{';
    for (const key of keys) {
      const field = record[key];
      if (field === undefined) continue;
      text += `${text.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(field)}`;
    }
    return `${text}}`;
  }
  return JSON.stringify(value ?? null);
}

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** One string per (scope, operation, key): the identity of a claim, for sets and maps. */
export function claimString(claim: { scope: string; operation: string; key: string }): string {
  return `${claim.scope}\u0000${claim.operation}\u0000${claim.key}`;
}
