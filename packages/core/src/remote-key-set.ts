/**
 * A remote JSON Web Key Set, fetched once and shared by every verifier of the same URL.
 *
 * Why not jose's createRemoteJWKSet as it is: when its cached set is older than `cacheMaxAge`
 * it re-fetches before verifying, so during an identity-provider outage even tokens signed by
 * keys it already holds fail. Here the last good set keeps serving while a refresh is retried
 * in the background; only a token whose key we do not have, while the key server cannot be
 * reached, fails, and with KeysUnavailableError (503), not as an invalid token. Keys are parsed
 * and selected by jose's createLocalJWKSet.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { KeysUnavailableError } from './errors';

export interface RemoteKeySetOptions {
  /** Fetch timeout, ms. Default 5000. */
  timeoutDuration?: number;
  /** Minimum time between two fetches (an unknown `kid` triggers at most one per period), ms. Default 30000. */
  cooldownDuration?: number;
  /** Age after which the set is refreshed in the background, ms. Default 600000 (10 min). */
  cacheMaxAge?: number;
}

/** Counters, for tests, metrics and readiness probes. */
export interface RemoteKeySetStats {
  fetches: number;
  failures: number;
  /** Whether a key set has been loaded at least once. */
  loaded: boolean;
}

export interface RemoteKeySet {
  readonly url: string;
  getKey: JWTVerifyGetKey;
  /** Fetch now unless a fetch is under way (honours no cooldown); resolves when done. */
  refresh(): Promise<void>;
  readonly stats: Readonly<RemoteKeySetStats>;
}

const registry = new Map<string, RemoteKeySet>();

/** The shared key set for this URL and options (one per URL and option set in the process). */
export function remoteKeySet(url: string, options: RemoteKeySetOptions = {}): RemoteKeySet {
  const timeout = options.timeoutDuration ?? 5000;
  const cooldown = options.cooldownDuration ?? 30_000;
  const maxAge = options.cacheMaxAge ?? 600_000;
  const id = `${url} ${timeout} ${cooldown} ${maxAge}`;
  let set = registry.get(id);
  if (!set) registry.set(id, (set = createRemoteKeySet(url, timeout, cooldown, maxAge)));
  return set;
}

function createRemoteKeySet(url: string, timeout: number, cooldown: number, maxAge: number): RemoteKeySet {
  let local: ReturnType<typeof createLocalJWKSet> | null = null;
  let loadedAt = 0;
  let lastAttempt = -Infinity;
  let lastFailed = false;
  let pending: Promise<void> | null = null;
  const stats: RemoteKeySetStats = { fetches: 0, failures: 0, loaded: false };

  const fetchOnce = (): Promise<void> => {
    if (pending) return pending;
    lastAttempt = Date.now();
    stats.fetches++;
    pending = (async () => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(timeout), headers: { accept: 'application/json' }, redirect: 'manual' });
        if (res.status !== 200) throw new Error(`key server answered ${res.status}`);
        const body = (await res.json()) as JSONWebKeySet;
        local = createLocalJWKSet(body); // validates the set's shape
        loadedAt = Date.now();
        lastFailed = false;
        stats.loaded = true;
      } catch (err) {
        lastFailed = true;
        stats.failures++;
        throw new KeysUnavailableError('Authentication keys unavailable', err);
      } finally {
        pending = null;
      }
    })();
    return pending;
  };

  const getKey: JWTVerifyGetKey = async (header, token) => {
    const now = Date.now();
    if (!local) {
      if (now - lastAttempt < cooldown && lastFailed) throw new KeysUnavailableError();
      await fetchOnce();
    } else if (now - loadedAt > maxAge && now - lastAttempt >= cooldown) {
      fetchOnce().catch(() => undefined); // refresh in the background; keep serving the last good set
    }
    try {
      return await local!(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      // An unknown kid: the set may have rotated. Fetch again, at most once per cooldown.
      if (Date.now() - lastAttempt >= cooldown) {
        await fetchOnce();
        return local!(header, token);
      }
      if (lastFailed) throw new KeysUnavailableError();
      throw err;
    }
  };

  return {
    url,
    getKey,
    refresh: () => fetchOnce(),
    get stats() {
      return { ...stats };
    },
  };
}
