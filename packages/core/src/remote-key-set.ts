/**
 * A remote JSON Web Key Set, fetched once and shared by every verifier of the same URL.
 *
 * Why not jose's createRemoteJWKSet as it is: when its cached set is older than `cacheMaxAge`
 * it re-fetches before verifying, so during an identity-provider outage even tokens signed by
 * keys it already holds fail. Here the last good set keeps serving while a refresh is retried
 * in the background; only a token whose key we do not have, while the key server cannot be
 * reached, fails, and with KeysUnavailableError (503), not as an invalid token. Keys are parsed
 * and selected by jose's createLocalJWKSet.
 *
 * A fetch reads at most `maxBodyBytes` (a key set is a few kilobytes; a server sending hundreds
 * of megabytes must not fill the heap) and follows no redirect: the URL is configuration, and a
 * redirect is either a misconfiguration to fix or a way to be pointed at someone else's keys. A
 * failed fetch says why in `stats.lastError` (for logs and readiness probes).
 */
import { createLocalJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import type { JSONWebKeySet, KeyLookup } from './jose-types';
import { KeysUnavailableError } from './errors';
import { jwkFingerprint } from './key-fingerprint';

export interface RemoteKeySetOptions {
  /** Fetch timeout, ms. Default 5000. */
  timeoutDuration?: number;
  /** Minimum time between two fetches (an unknown `kid` triggers at most one per period), ms. Default 30000. */
  cooldownDuration?: number;
  /** Age after which the set is refreshed in the background, ms. Default 600000 (10 min). */
  cacheMaxAge?: number;
  /** Largest key set response read, bytes; a larger one fails that fetch. Default 1048576 (1 MiB). */
  maxBodyBytes?: number;
  /** Allow an `http://` URL whose host is not loopback (keys then travel unprotected). Default `false`. */
  allowInsecureHttp?: boolean;
}

/** Counters, for tests, metrics and readiness probes. */
export interface RemoteKeySetStats {
  fetches: number;
  failures: number;
  /** Whether a key set has been loaded at least once. */
  loaded: boolean;
  /** Why the last fetch failed (safe to log: no key material), or `null` after a success. */
  lastError: string | null;
}

export interface RemoteKeySet {
  readonly url: string;
  getKey: KeyLookup;
  /** Fetch now unless a fetch is under way (honours no cooldown); resolves when done. */
  refresh(): Promise<void>;
  readonly stats: Readonly<RemoteKeySetStats>;
  /** Counts loads that changed the set's keys: a cached verification older than it must be re-checked (`hasKey`). */
  readonly generation: number;
  /** Whether the current set holds the key of this fingerprint (see `key-fingerprint`). */
  hasKey(fingerprint: string): boolean;
}

const registry = new Map<string, RemoteKeySet>();

/** The shared key set for this URL and options (one per URL and option set in the process). */
export function remoteKeySet(url: string, options: RemoteKeySetOptions = {}): RemoteKeySet {
  const timeout = options.timeoutDuration ?? 5000;
  const cooldown = options.cooldownDuration ?? 30_000;
  const maxAge = options.cacheMaxAge ?? 600_000;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const id = `${url} ${timeout} ${cooldown} ${maxAge} ${maxBody}`;
  let set = registry.get(id);
  if (!set) registry.set(id, (set = createRemoteKeySet(url, timeout, cooldown, maxAge, maxBody)));
  return set;
}

/** 1 MiB: a key set of a hundred RSA-4096 keys is well under 100 KiB. */
export const DEFAULT_MAX_BODY = 1 << 20;

/** A fetch that failed for a reason worth saying in a log line or a readiness probe. */
class FetchFailure extends Error {}

function createRemoteKeySet(url: string, timeout: number, cooldown: number, maxAge: number, maxBody: number): RemoteKeySet {
  let local: ReturnType<typeof createLocalJWKSet> | null = null;
  let keys = new Set<string>();
  let generation = 0;
  let loadedAt = 0;
  let lastAttempt = -Infinity;
  let lastFailed = false;
  let pending: Promise<void> | null = null;
  const stats: RemoteKeySetStats = { fetches: 0, failures: 0, loaded: false, lastError: null };

  const fetchOnce = (): Promise<void> => {
    if (pending) return pending;
    lastAttempt = Date.now();
    stats.fetches++;
    pending = (async () => {
      try {
        const body = await fetchKeySet(url, timeout, maxBody);
        let next;
        try {
          next = createLocalJWKSet(body); // validates the set's shape
        } catch {
          throw new FetchFailure('the key server answered something that is not a JSON Web Key Set');
        }
        const fingerprints = new Set<string>();
        for (const jwk of body.keys) {
          const fp = jwkFingerprint(jwk);
          if (fp !== null) fingerprints.add(fp);
        }
        // A new generation only when keys changed: cached tokens are re-checked against it.
        if (fingerprints.size !== keys.size || [...fingerprints].some((fp) => !keys.has(fp))) generation++;
        keys = fingerprints;
        local = next;
        loadedAt = Date.now();
        lastFailed = false;
        stats.loaded = true;
        stats.lastError = null;
      } catch (err) {
        lastFailed = true;
        stats.failures++;
        stats.lastError = err instanceof FetchFailure ? err.message : isTimeout(err) ? `the key server did not answer within ${timeout} ms` : 'the key server could not be reached';
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
    get generation() {
      return generation;
    },
    hasKey: (fingerprint) => keys.has(fingerprint),
  };
}

/**
 * GET the key set: 200 only, no redirect followed, at most `maxBody` bytes read (the
 * declared length is checked first, the received bytes as they come), JSON.
 */
async function fetchKeySet(url: string, timeout: number, maxBody: number): Promise<JSONWebKeySet> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('timeout', 'TimeoutError')), timeout);
  try {
    const res = await fetch(url, { signal: controller.signal, headers: { accept: 'application/json' }, redirect: 'manual' });
    if (res.status >= 300 && res.status < 400) {
      controller.abort();
      throw new FetchFailure(`the key server answered a redirect (${res.status}); redirects are not followed: set the key set URL to where it points`);
    }
    if (res.status !== 200) {
      controller.abort();
      throw new FetchFailure(`the key server answered ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length'));
    if (declared > maxBody) {
      controller.abort();
      throw new FetchFailure(`the key set is larger than ${maxBody} bytes (maxBodyBytes)`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (res.body) {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > maxBody) {
          controller.abort();
          throw new FetchFailure(`the key set is larger than ${maxBody} bytes (maxBodyBytes)`);
        }
        chunks.push(chunk);
      }
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as JSONWebKeySet;
    } catch {
      throw new FetchFailure('the key server answered something that is not JSON');
    }
  } finally {
    clearTimeout(timer);
  }
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || (err.cause instanceof Error && err.cause.name === 'TimeoutError'));
}
