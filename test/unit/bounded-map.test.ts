import { BoundedMap } from '../../gateway/shared/bounded-map';

describe('BoundedMap', () => {
  it('empties itself before a new key would pass its bound', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2);
    map.set('c', 3);
    expect([...map]).toEqual([['c', 3]]);
  });

  it('replaces the value of a key it holds without emptying', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2).set('a', 10);
    expect([...map]).toEqual([
      ['a', 10],
      ['b', 2],
    ]);
  });

  it('computes a missing value once, and remembers null and undefined answers too', () => {
    const map = new BoundedMap<string, string | null | undefined>(10);
    const compute = jest.fn((key: string) => (key === 'n' ? null : key === 'u' ? undefined : key));
    for (let round = 0; round < 3; round++) {
      expect(map.getOrSet('x', compute)).toBe('x');
      expect(map.getOrSet('n', compute)).toBeNull();
      expect(map.getOrSet('u', compute)).toBeUndefined();
    }
    expect(compute).toHaveBeenCalledTimes(3);
  });

  it('never holds more than its bound', () => {
    const map = new BoundedMap<number, number>(100);
    for (let key = 0; key < 10_000; key++) {
      map.getOrSet(key, (k) => k * 2);
      expect(map.size).toBeLessThanOrEqual(100);
    }
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new BoundedMap(0)).toThrow(/positive bound/);
    expect(() => new BoundedMap(1.5)).toThrow(/positive bound/);
  });
});
