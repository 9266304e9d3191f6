/**
 * A small read-through cache for reference data (partners' terms, currencies) that changes
 * rarely. Local writes invalidate at once; other gateway processes clear it when the database's
 * change feed says the table changed (gateway/db/change-feed.ts), and `ttlMs` bounds the rest.
 */
export class TtlCache<Key, Value> {
  private readonly entries = new Map<Key, { value: Value; expiresAt: number }>();
  /** Bumped by every invalidation: a load that began before one does not store its value. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly sizeMax = 10_000,
  ) {}

  async get(key: Key, load: () => Promise<Value>): Promise<Value> {
    const entry = this.entries.get(key);
    const now = Date.now();
    if (entry && entry.expiresAt > now) return entry.value;
    const generation = this.generation;
    const value = await load();
    if (generation !== this.generation) return value;
    if (this.entries.size >= this.sizeMax) this.entries.clear();
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
