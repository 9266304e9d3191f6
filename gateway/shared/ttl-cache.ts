/**
 * A small read-through cache for reference data (partners' terms, currencies) that changes
 * rarely. Local writes invalidate at once; other gateway processes see a change within `ttlMs`.
 */
export class TtlCache<Key, Value> {
  private readonly entries = new Map<Key, { value: Value; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly sizeMax = 10_000,
  ) {}

  async get(key: Key, load: () => Promise<Value>): Promise<Value> {
    const entry = this.entries.get(key);
    const now = Date.now();
    if (entry && entry.expiresAt > now) return entry.value;
    const value = await load();
    if (this.entries.size >= this.sizeMax) this.entries.clear();
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    return value;
  }

  delete(key: Key): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
