import { BoundedMap } from './bounded-map';

/** What `peek` finds: the value and how long it has left. */
export interface Fresh<Value> {
  value: Value;
  remainingMs: number;
}

/**
 * A small cache of values that each expire, bounded in size (emptied when it grows past
 * `sizeMax`, as BoundedMap is). Two ways to use it:
 *
 * - read-through (`get`): reference data that changes rarely (partners' terms, currencies,
 *   partners' keys, erased members). Local writes invalidate at once; other gateway processes
 *   clear it when the database's change feed says the table changed (gateway/db/change-feed.ts),
 *   and `ttlMs` bounds the rest.
 * - by hand (`peek`, `ticket`, `store`): a caller that decides what to keep and for how long
 *   each (a partner's public answers, for the max-age the partner gave).
 *
 * Every invalidation (`delete`, `clear`) bumps a generation: a load begun before one stores
 * nothing after it, so a value read before a change never outlives the change.
 */
export class TtlCache<Key, Value> {
  private readonly entries: BoundedMap<Key, { value: Value; expiresAtMs: number }>;
  private generation = 0;

  constructor(
    /** The lifetime of what `get` loads, and of a `store` that names none. */
    private readonly ttlMs: number,
    sizeMax = 10_000,
    /** Milliseconds now: the app's clock where tests move time (Date.now by default). */
    private readonly nowMs: () => number = Date.now,
  ) {
    this.entries = new BoundedMap(sizeMax);
  }

  /** The value for `key`, loaded (and kept for `ttlMs`) when absent or expired. */
  async get(key: Key, load: () => Promise<Value>): Promise<Value> {
    const found = this.peek(key);
    if (found) return found.value;
    const ticket = this.ticket();
    const startedAtMs = this.nowMs();
    const value = await load();
    // Counted from before the load: the value may be as old as that.
    this.store(key, value, ticket, this.ttlMs - (this.nowMs() - startedAtMs));
    return value;
  }

  /** The value for `key` and the time it has left, if it has not expired (an expired one goes). */
  peek(key: Key): Fresh<Value> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const remainingMs = entry.expiresAtMs - this.nowMs();
    if (remainingMs > 0) return { value: entry.value, remainingMs };
    this.entries.delete(key);
    return undefined;
  }

  /** Taken before loading a value: `store` ignores it if the cache was invalidated since. */
  ticket(): number {
    return this.generation;
  }

  /** Keeps `value` for `ttlMs` from now, unless an invalidation came after `ticket` was taken. */
  store(key: Key, value: Value, ticket: number, ttlMs = this.ttlMs): void {
    if (ticket !== this.generation || ttlMs <= 0) return;
    this.entries.set(key, { value, expiresAtMs: this.nowMs() + ttlMs });
  }

  /** Entries held, expired ones included until they are looked at. */
  get size(): number {
    return this.entries.size;
  }

  delete(key: Key): void {
    this.generation++;
    this.entries.delete(key);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
