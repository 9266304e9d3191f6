import { BoundedMap } from './bounded-map';

/**
 * A small read-through cache for reference data (partners' terms, currencies) that changes
 * rarely. Local writes invalidate at once; other gateway processes clear it when the database's
 * change feed says the table changed (gateway/db/change-feed.ts), and `ttlMs` bounds the rest.
 */
export class TtlCache<Key, Value> {
  private readonly entries: BoundedMap<Key, { value: Value; expiresAt: number }>;
  /** Bumped by every invalidation: a load that began before one does not store its value. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    sizeMax = 10_000,
  ) {
    this.entries = new BoundedMap(sizeMax);
  }

  async get(key: Key, load: () => Promise<Value>): Promise<Value> {
    const entry = this.entries.get(key);
    const now = Date.now();
    if (entry && entry.expiresAt > now) return entry.value;
    const generation = this.generation;
    const value = await load();
    if (generation !== this.generation) return value;
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    return value;
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
