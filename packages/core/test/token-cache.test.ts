import { TokenCache } from '../src/token-cache';

// Keys that end alike share a hash chain: the cache must still tell them apart.
const SAME_TAIL = '.' + 'S'.repeat(40);
const twin = (n: number): string => `head-${n}${SAME_TAIL}`;

describe('TokenCache', () => {
  test('returns what was set until it expires, and never after', () => {
    const c = new TokenCache<string>(10);
    c.set('a.b.c', 'A', 2_000, 1_000);
    expect(c.get('a.b.c', 1_500)).toBe('A');
    expect(c.get('a.b.c', 2_000)).toBeUndefined();
    expect(c.size).toBe(0);
    expect(c).toMatchObject({ hits: 1, misses: 1 });
  });

  test('does not keep what is already invalid, nor anything with max 0', () => {
    const c = new TokenCache<string>(10);
    c.set('k', 'v', 1_000, 1_000);
    expect(c.size).toBe(0);
    const none = new TokenCache<string>(0);
    none.set('k', 'v', 5_000, 1_000);
    expect(none.get('k', 1_000)).toBeUndefined();
  });

  test('keys sharing their tail are kept apart, expire apart and are replaced apart', () => {
    const c = new TokenCache<number>(10);
    for (let i = 0; i < 5; i++) c.set(twin(i), i, 10_000 + i * 1_000, 0);
    expect(c.size).toBe(5);
    for (let i = 0; i < 5; i++) expect(c.get(twin(i), 1)).toBe(i);
    expect(c.get(twin(99), 1)).toBeUndefined();
    // The middle one expires alone.
    expect(c.get(twin(2), 12_000)).toBeUndefined();
    expect(c.size).toBe(4);
    expect([0, 1, 3, 4].map((i) => c.get(twin(i), 10_500))).toEqual([undefined, 1, 3, 4]);
    expect(c.size).toBe(3);
    // Setting a key again replaces its entry, not a neighbour's.
    c.set(twin(3), 33, 50_000, 10_600);
    expect(c.size).toBe(3);
    expect([1, 3, 4].map((i) => c.get(twin(i), 10_900))).toEqual([1, 33, 4]);
  });

  test('a miss is counted only when asked (a probe before a full check counts once)', () => {
    const c = new TokenCache<string>(10);
    expect(c.get('x', 0, false)).toBeUndefined();
    expect(c.misses).toBe(0);
    expect(c.get('x', 0)).toBeUndefined();
    expect(c.misses).toBe(1);
  });

  test('stays bounded and evicts the least recently used first', () => {
    const c = new TokenCache<number>(3);
    c.set('t1', 1, 1e9, 0);
    c.set('t2', 2, 1e9, 0);
    c.set('t3', 3, 1e9, 0);
    // Touch t1 more than a second later: it becomes the most recently used.
    expect(c.get('t1', 5_000)).toBe(1);
    c.set('t4', 4, 1e9, 5_000);
    expect(c.size).toBe(3);
    expect(c.get('t2', 5_001)).toBeUndefined();
    expect([1, 3, 4].map((n) => c.get(`t${n}`, 5_001))).toEqual([1, 3, 4]);
  });

  test('under a flood of distinct keys, with chains, size never passes max and the newest stay', () => {
    const c = new TokenCache<number>(50);
    for (let i = 0; i < 1_000; i++) {
      c.set(i % 3 === 0 ? twin(i) : `token-${i}`, i, 1e9, i);
      expect(c.size).toBeLessThanOrEqual(50);
    }
    expect(c.get('token-998', 2_000)).toBe(998);
    expect(c.get('token-1', 2_000)).toBeUndefined();
    c.clear();
    expect(c.size).toBe(0);
    expect(c.get('token-998', 2_000)).toBeUndefined();
  });
});
