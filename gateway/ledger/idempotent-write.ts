import type { Sql } from '../db/sql';
import { toJson } from '../shared/json';
import { IdempotencyKeyReused } from './errors';
import { claimKeys, type IdempotencyClaim, storeResponse } from './idempotency';

/**
 * How a write's receipt is stored as its key's response, so a replay returns exactly the
 * original answer. JSON, with bigints as decimal strings and dates as ISO strings.
 */
export interface ResponseCodec<Receipt> {
  encode(receipt: Receipt): unknown;
  decode(json: unknown): Receipt;
}

/**
 * What a stored field becomes again: a bigint, a Date, or a nested record of such fields (a list
 * of records is decoded item by item).
 */
export type FieldDecoder = 'bigint' | 'date' | { readonly [field: string]: FieldDecoder };

/**
 * A codec for a plain receipt: every field is stored as JSON, and the fields named in
 * `decoders` are read back as bigints, dates or nested records (null stays null). Adding a
 * receipt field of another type needs no code.
 */
export function receiptCodec<Receipt extends object>(
  decoders: {
    readonly [Field in keyof Receipt]?: FieldDecoder;
  },
): ResponseCodec<Receipt> {
  return {
    encode: (receipt) => toJson(receipt),
    decode: (json) => decodeRecord(json, decoders as Record<string, FieldDecoder>) as Receipt,
  };
}

function decodeRecord(json: unknown, decoders: Record<string, FieldDecoder>): unknown {
  if (json === null || json === undefined) return null;
  if (Array.isArray(json)) return json.map((item) => decodeRecord(item, decoders));
  const record = { ...(json as Record<string, unknown>) };
  for (const [name, decoder] of Object.entries(decoders)) {
    const raw = record[name];
    if (raw === null || raw === undefined) continue;
    if (decoder === 'bigint') record[name] = BigInt(raw as string);
    else if (decoder === 'date') record[name] = new Date(raw as string);
    else record[name] = decodeRecord(raw, decoder);
  }
  return record;
}

export interface IdempotentWrite<Receipt> {
  claim: IdempotencyClaim;
  codec: ResponseCodec<Receipt>;
  /**
   * The receipt, when it is known before the work runs: stored with the claim, which saves the
   * statement that stores it afterwards.
   */
  receipt?: Receipt;
  /**
   * The error for the same key with another request, when the operation has a more precise one
   * than IdempotencyKeyReused (a quote's id reused after it was converted: QuoteAlreadyUsed).
   */
  conflict?: () => Promise<Error | undefined>;
}

/**
 * Runs one write that moves value idempotently, in the caller's transaction: claims the key
 * (with a hash of the request), answers a replay from the stored receipt, refuses the same key
 * with another request (IdempotencyKeyReused), otherwise runs `work` and stores its receipt
 * with the key. If `work` throws, the transaction rolls back, claim included, and the key stays
 * free for a retry.
 *
 * Every write that moves value goes through here, except the earn batch, which claims its keys
 * in the same SQL statement that posts them (ledger_earn_batch) for speed.
 */
export async function idempotentWrite<Receipt>(
  sql: Sql,
  write: IdempotentWrite<Receipt>,
  work: () => Promise<Receipt>,
): Promise<Receipt> {
  const known = write.receipt !== undefined;
  const [outcome] = await claimKeys(
    sql,
    [write.claim],
    [known ? write.codec.encode(write.receipt as Receipt) : { pending: true }],
  );
  if (outcome!.status === 'replay') return write.codec.decode(outcome!.response);
  if (outcome!.status === 'conflict') {
    throw (await write.conflict?.()) ?? new IdempotencyKeyReused(write.claim.key);
  }
  const receipt = await work();
  if (!known) await storeResponse(sql, write.claim, write.codec.encode(receipt));
  return receipt;
}
