/**
 * Replay stores for DPoP proofs (RFC 9449 §11.1): each proof's `jti` is accepted once while the
 * proof could still pass the `iat` window, then forgotten. The interface, and the in-memory store
 * (one process); `RedisReplayStore` in @scopegate/redis shares one store between instances.
 */
import { ConfigError } from './errors';

/**
 * Where used proof ids are recorded. `use` answers `true` the first time an id is seen (and
 * records it until `expiresAt`), `false` when it was seen before — or when the store cannot tell
 * it apart from one that was. It throws or rejects when the store cannot answer; the request is
 * then refused with 503 (`ERR_REPLAY_UNAVAILABLE`), never let through.
 *
 * `id` is a fixed-length digest of the proof's key thumbprint and `jti` (no claim value is
 * stored); `iat` is the proof's issue time (seconds); `expiresAt` the time (ms since the epoch)
 * after which the proof's `iat` is outside the window and the id may be forgotten; `key` the
 * proof key's RFC 7638 thumbprint (public), for stores that keep per-key state.
 */
export interface ReplayStore {
  use(id: string, iat: number, expiresAt: number, key?: string): boolean | Promise<boolean>;
}

/** Options of `createMemoryReplayStore`. */
export interface MemoryReplayStoreOptions {
  /** Most ids held at once (and most per-key floors). Default 100,000 (about 15 MB at most). */
  max?: number;
}

/**
 * A replay store in this process's memory: bounded, and fail-closed when full. Ids are held in
 * arrival order; expired ones are dropped first. When `max` live ids are held, the oldest is
 * forgotten and a floor is raised to its `iat` **for its key**: from then on, a proof of that key
 * issued at or before the floor is answered "seen" (`false`), so a forgotten id can never be
 * replayed, while other keys' proofs — and that key's fresh ones — still pass: a client flooding
 * the store (even with proofs dated ahead) locks out only itself. (Past `max` keys with floors,
 * the oldest key's floor is folded into one floor for all.) Only for a single process: several
 * instances need a shared store (`RedisReplayStore`), or a proof used on one is accepted by
 * another.
 *
 * @example
 * const verifier = createVerifier({ …, dpop: { origins: 'https://api.example.com', replay: createMemoryReplayStore({ max: 50_000 }) } });
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore & { readonly size: number } {
  if (options === null || typeof options !== 'object') throw new ConfigError('replay store options must be an object');
  const max = options.max ?? 100_000;
  if (!Number.isInteger(max) || max < 1) throw new ConfigError('replay store max must be a positive integer');
  // Map keeps insertion order: the first entries are the oldest to arrive.
  const seen = new Map<string, { iat: number; expiresAt: number; key: string }>();
  const floors = new Map<string, number>();
  let everyKey = -Infinity;
  const raise = (key: string, iat: number) => {
    const before = floors.get(key);
    if (before !== undefined && before >= iat) return;
    floors.delete(key); // re-inserted last: the least recently raised floors are folded first
    floors.set(key, iat);
    if (floors.size > max) {
      for (const [k, v] of floors) {
        floors.delete(k);
        if (v > everyKey) everyKey = v;
        break;
      }
    }
  };
  return {
    use(id: string, iat: number, expiresAt: number, key = ''): boolean {
      if (iat <= everyKey) return false;
      const floor = floors.get(key);
      if (floor !== undefined && iat <= floor) return false;
      const now = Date.now();
      const held = seen.get(id);
      if (held !== undefined && held.expiresAt > now) return false;
      if (held !== undefined) seen.delete(id);
      if (seen.size >= max) {
        // Drop expired ids from the front, then the oldest live one; bounded by the store's size.
        for (const [k, entry] of seen) {
          if (seen.size < max && entry.expiresAt > now) break;
          seen.delete(k);
          if (entry.expiresAt > now) raise(entry.key, entry.iat); // forgot a live id: no proof of its key that old passes again
        }
        const after = floors.get(key);
        if (iat <= everyKey || (after !== undefined && iat <= after)) return false;
      }
      seen.set(id, { iat, expiresAt, key });
      return true;
    },
    get size() {
      return seen.size;
    },
  };
}
