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
 * after which the proof's `iat` is outside the window and the id may be forgotten.
 */
export interface ReplayStore {
  use(id: string, iat: number, expiresAt: number): boolean | Promise<boolean>;
}

/** Options of `createMemoryReplayStore`. */
export interface MemoryReplayStoreOptions {
  /** Most ids held at once. Default 100,000 (about 12 MB). */
  max?: number;
}

/**
 * A replay store in this process's memory: bounded, and fail-closed when full. Ids are held in
 * arrival order; expired ones are dropped first. When `max` live ids are held, the oldest is
 * forgotten and the store raises a floor to that id's `iat`: from then on, a proof issued at or
 * before the floor is answered "seen" (`false`), so a forgotten id can never be replayed, while
 * fresh proofs (a later `iat`) still pass. Only for a single process: several instances need a
 * shared store (`RedisReplayStore`), or a proof used on one is accepted by another.
 *
 * @example
 * const verifier = createVerifier({ …, dpop: { origins: 'https://api.example.com', replay: createMemoryReplayStore({ max: 50_000 }) } });
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore & { readonly size: number } {
  if (options === null || typeof options !== 'object') throw new ConfigError('replay store options must be an object');
  const max = options.max ?? 100_000;
  if (!Number.isInteger(max) || max < 1) throw new ConfigError('replay store max must be a positive integer');
  // Map keeps insertion order: the first entries are the oldest to arrive.
  const seen = new Map<string, { iat: number; expiresAt: number }>();
  let floor = -Infinity;
  return {
    use(id: string, iat: number, expiresAt: number): boolean {
      if (iat <= floor) return false;
      const now = Date.now();
      const held = seen.get(id);
      if (held !== undefined && held.expiresAt > now) return false;
      if (held !== undefined) seen.delete(id);
      if (seen.size >= max) {
        // Drop expired ids from the front; bounded by the store's size.
        for (const [key, entry] of seen) {
          if (seen.size < max && entry.expiresAt > now) break;
          seen.delete(key);
          if (entry.expiresAt > now && entry.iat > floor) floor = entry.iat; // forgot a live id: no proof that old passes again
        }
        if (iat <= floor) return false;
      }
      seen.set(id, { iat, expiresAt });
      return true;
    },
    get size() {
      return seen.size;
    },
  };
}
