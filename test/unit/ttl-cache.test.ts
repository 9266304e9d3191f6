import { TtlCache } from '../../gateway/shared/ttl-cache';

/** A cache on a clock the test moves. */
function cacheAt(ttlMs: number, sizeMax = 10) {
  const clock = { nowMs: 1_000_000 };
  const cache = new TtlCache<string, string>(ttlMs, sizeMax, () => clock.nowMs);
  return { cache, clock };
}

describe('TtlCache', () => {
  it('loads once and serves the value until its lifetime, counted from before the load, ends', async () => {
    const { cache, clock } = cacheAt(1_000);
    let loads = 0;
    const load = async () => {
      loads++;
      clock.nowMs += 100; // the load itself takes time
      return `v${loads}`;
    };
    expect(await cache.get('k', load)).toBe('v1');
    expect(await cache.get('k', load)).toBe('v1');
    expect(cache.peek('k')).toEqual({ value: 'v1', remainingMs: 900 });
    clock.nowMs += 899;
    expect(await cache.get('k', load)).toBe('v1');
    clock.nowMs += 1;
    expect(cache.peek('k')).toBeUndefined();
    expect(await cache.get('k', load)).toBe('v2');
    expect(loads).toBe(2);
  });

  it('keeps what a load began before an invalidation returned to its caller, not in the cache', async () => {
    const { cache } = cacheAt(1_000);
    let release!: (value: string) => void;
    const pending = cache.get('k', () => new Promise<string>((resolve) => (release = resolve)));
    cache.delete('k');
    release('old');
    expect(await pending).toBe('old');
    expect(cache.peek('k')).toBeUndefined();
    expect(await cache.get('k', async () => 'new')).toBe('new');
    expect(cache.peek('k')?.value).toBe('new');
  });

  it('stores by hand for a lifetime of each entry’s own, unless invalidated since the ticket', () => {
    const { cache, clock } = cacheAt(0);
    const ticket = cache.ticket();
    cache.store('short', 'a', ticket, 1_000);
    cache.store('long', 'b', ticket, 10_000);
    cache.store('none', 'c', ticket); // the cache's own lifetime: 0, nothing kept
    expect(cache.size).toBe(2);
    clock.nowMs += 1_000;
    expect(cache.peek('short')).toBeUndefined();
    expect(cache.peek('long')).toEqual({ value: 'b', remainingMs: 9_000 });
    const before = cache.ticket();
    cache.clear();
    cache.store('late', 'd', before, 10_000);
    expect(cache.peek('late')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('stays within its bound', () => {
    const { cache } = cacheAt(60_000, 3);
    for (const key of ['a', 'b', 'c', 'd', 'e']) cache.store(key, key, cache.ticket());
    expect(cache.size).toBeLessThanOrEqual(3);
    expect(cache.peek('e')?.value).toBe('e');
  });
});
