/**
 * A bounded LRU of verified tokens. An entry lives until its token stops being valid (`exp`, or
 * `iat + maxTokenAge`) and never past it; the least recently used entries go when `max` is
 * reached, so memory stays bounded under any flood of distinct tokens.
 */
interface Entry<V> {
  readonly key: string;
  readonly value: V;
  readonly until: number;
  touched: number;
  /** Next entry whose key has the same `tailHash` (rare). */
  next: Entry<V> | null;
}

/**
 * Characters hashed, from the end of the key: a token ends with its signature, and 8 of its
 * base64url characters carry 48 unpredictable bits, more than the 30-bit hash keeps.
 */
const TAIL = 8;

/**
 * FNV-1a over the last TAIL characters. Why not a Map keyed by the token: each request brings a
 * new string, and V8 hashes all of it (hundreds of characters) on every lookup; the end of a
 * signed token is its signature, as good a spread as the whole. Keys that share their tail only
 * share a chain, compared in full, and only verified tokens are ever stored, so nobody can
 * flood a chain with keys they choose.
 */
function tailHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = key.length > TAIL ? key.length - TAIL : 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  // 30 bits: a small integer (Smi) to V8, so the Map key is never a boxed number.
  return h & 0x3fffffff;
}

export class TokenCache<V> {
  // A Map iterates in insertion order: re-inserting a chain on a hit makes the first key the
  // least recently used one. A hit re-inserts at most once a second per entry (`touched`): a
  // hot token would otherwise pay a delete and a set on every request for an order that
  // barely changes.
  readonly #map = new Map<number, Entry<V>>();
  readonly #max: number;
  #size = 0;
  hits = 0;
  misses = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#size;
  }

  /** The value for `key` if it is still valid at `now` (ms since the epoch). A miss is counted when `countMiss`. */
  get(key: string, now: number, countMiss = true): V | undefined {
    const h = tailHash(key);
    const head = this.#map.get(h);
    let entry: Entry<V> | null = head ?? null;
    while (entry !== null && entry.key !== key) entry = entry.next;
    if (entry === null) {
      if (countMiss) this.misses++;
      return undefined;
    }
    if (now >= entry.until) {
      this.#unlink(h, head!, entry);
      if (countMiss) this.misses++;
      return undefined;
    }
    if (now - entry.touched > 1000) {
      entry.touched = now;
      this.#map.delete(h);
      this.#map.set(h, head!);
    }
    this.hits++;
    return entry.value;
  }

  /** Keep `value` until `until` (ms since the epoch); nothing is kept that is already invalid. */
  set(key: string, value: V, until: number, now: number): void {
    if (!(until > now) || this.#max === 0) return;
    const h = tailHash(key);
    let head = this.#map.get(h);
    for (let e = head ?? null; e !== null; e = e.next) {
      if (e.key === key) {
        this.#unlink(h, head!, e);
        head = this.#map.get(h);
        break;
      }
    }
    // Evict from the least recently used end until there is room (a chain goes as one).
    while (this.#size >= this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      let n = 0;
      for (let e: Entry<V> | null = this.#map.get(oldest.value)!; e !== null; e = e.next) n++;
      this.#map.delete(oldest.value);
      this.#size -= n;
      if (oldest.value === h) head = undefined;
    }
    this.#map.delete(h);
    this.#map.set(h, { key, value, until, touched: now, next: head ?? null });
    this.#size++;
  }

  /** Drop `key` (its verification no longer holds, e.g. its key left the key set). */
  delete(key: string): void {
    const h = tailHash(key);
    const head = this.#map.get(h);
    for (let e = head ?? null; e !== null; e = e.next) {
      if (e.key === key) return this.#unlink(h, head!, e);
    }
  }

  clear(): void {
    this.#map.clear();
    this.#size = 0;
  }

  #unlink(h: number, head: Entry<V>, entry: Entry<V>): void {
    this.#size--;
    if (entry === head) {
      if (entry.next === null) this.#map.delete(h);
      else this.#map.set(h, entry.next);
      return;
    }
    let prev = head;
    while (prev.next !== entry) prev = prev.next!;
    prev.next = entry.next;
  }
}
