import { strict as assert } from 'node:assert';

/**
 * A Map with a bound on its size, for values that are cheap to compute again: parsed
 * documents, compiled operations, routes, verified tokens. Adding a new key to a full map
 * empties it first. Emptying instead of evicting one entry is deliberate: nothing to keep in
 * order on the hot path, and a working set smaller than the bound fills it again at once.
 * Only a working set larger than the bound pays, by computing again; memory never grows.
 */
export class BoundedMap<Key, Value> extends Map<Key, Value> {
  constructor(readonly sizeMax: number) {
    super();
    assert(Number.isInteger(sizeMax) && sizeMax > 0, 'a BoundedMap needs a positive bound');
  }

  override set(key: Key, value: Value): this {
    if (this.size >= this.sizeMax && !this.has(key)) this.clear();
    return super.set(key, value);
  }

  /** The value remembered for `key`, or `compute(key)`, remembered. */
  getOrSet(key: Key, compute: (key: Key) => Value): Value {
    const found = this.get(key);
    if (found !== undefined || this.has(key)) return found as Value;
    const value = compute(key);
    this.set(key, value);
    return value;
  }
}
