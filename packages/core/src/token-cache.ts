/**
 * A bounded LRU of verified tokens. An entry lives until its token stops being valid (`exp`, or
 * `iat + maxTokenAge`) and never past it; the least recently used entry goes when `max` is
 * reached, so memory stays bounded under any flood of distinct tokens.
 */
export class TokenCache<V> {
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the LRU one.
  // A hit re-inserts at most once a second per entry (`touched`): a hot token would otherwise
  // pay a delete and a set on every request for an order that barely changes.
  readonly #map = new Map<string, { value: V; until: number; touched: number }>();
  readonly #max: number;
  hits = 0;
  misses = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#map.size;
  }

  /** The value for `key` if it is still valid at `now` (ms since the epoch). */
  get(key: string, now: number): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    if (now >= entry.until) {
      this.#map.delete(key);
      this.misses++;
      return undefined;
    }
    if (now - entry.touched > 1000) {
      entry.touched = now;
      this.#map.delete(key);
      this.#map.set(key, entry);
    }
    this.hits++;
    return entry.value;
  }

  /** Keep `value` until `until` (ms since the epoch); nothing is kept that is already invalid. */
  set(key: string, value: V, until: number, now: number): void {
    if (!(until > now) || this.#max === 0) return;
    this.#map.delete(key);
    if (this.#map.size >= this.#max) this.#map.delete(this.#map.keys().next().value as string);
    this.#map.set(key, { value, until, touched: now });
  }

  clear(): void {
    this.#map.clear();
  }
}
