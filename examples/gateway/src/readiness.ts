/**
 * The checks behind `GET /readyz`, shared between callers.
 *
 * Why: /readyz is anonymous. Run per call, its checks let anyone make the gateway open one
 * upstream connection per request, and, while the keys are not loaded, one key-set fetch per
 * request (`RemoteKeySet.refresh()` honours no cooldown): the probe amplifies onto the upstream
 * and the identity provider. Here each check runs at most once at a time, and its result (pass
 * or fail) is reused for `reuseMs` after it settles, so N concurrent calls cost at most one
 * upstream probe and one key fetch, and a steady poll at most one of each per `reuseMs`.
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { RemoteKeySet, Verifier } from '@scopegate/core';

/**
 * `run` behind a single flight and a reuse window: calls while it runs share its promise; its
 * result, a rejection counted as `false`, is reused for `reuseMs` after it settled (never longer,
 * so a failure is retried once the window has passed).
 */
export function sharedCheck(run: () => Promise<boolean>, reuseMs: number): () => Promise<boolean> {
  let inFlight: Promise<boolean> | null = null;
  let last: { ok: boolean; at: number } | null = null;
  return () => {
    // performance.now(): monotonic, so a wall-clock step neither extends nor skips the window.
    if (last && performance.now() - last.at < reuseMs) return Promise.resolve(last.ok);
    inFlight ??= run()
      .then(
        (ok) => ok === true,
        () => false,
      )
      .then((ok) => {
        last = { ok, at: performance.now() };
        inFlight = null;
        return ok;
      });
    return inFlight;
  };
}

export interface ReadinessOptions {
  verifier: Verifier;
  upstreamUrl: URL;
  /** Timeout of the upstream probe, ms. */
  timeout: number;
  /** How long a check's result is reused, ms (0: only concurrent calls share one run). */
  reuseMs: number;
}

export interface Readiness {
  /** Every remote key set of the verifier loaded (true when there is none). */
  keys: boolean;
  upstream: boolean;
  /** Why the keys are not ready: the first failing set's `lastError`; null when they are. */
  keysReason: string | null;
  /** The first failing set's URL (for a log line: redact before logging); null when the keys are ready. */
  keysUrl: string | null;
}

/** Every remote key set a verifier uses: `keySets`, or its one `keySet`. */
export function keySetsOf(verifier: Verifier): readonly RemoteKeySet[] {
  return verifier.keySets ?? (verifier.keySet ? [verifier.keySet] : []);
}

/** Both checks of /readyz, each shared (see `sharedCheck`). */
export function readinessChecks(options: ReadinessOptions): () => Promise<Readiness> {
  if (typeof options.reuseMs !== 'number' || !Number.isFinite(options.reuseMs) || options.reuseMs < 0) {
    throw new RangeError(`readyCacheMs must be a finite number of milliseconds >= 0, got ${String(options.reuseMs)}`);
  }
  // One shared check per key set: each set is fetched at most once per window, whatever the callers.
  const checks = keySetsOf(options.verifier).map((set) => {
    const refresh = sharedCheck(async () => {
      await set.refresh().catch(() => undefined);
      return set.stats.loaded;
    }, options.reuseMs);
    // Keys, once loaded, stay loaded (the last good set keeps serving): no fetch is needed to say so.
    return { set, loaded: (): Promise<boolean> => (set.stats.loaded ? Promise.resolve(true) : refresh()) };
  });
  const upstream = sharedCheck(() => reachable(options.upstreamUrl, options.timeout), options.reuseMs);
  return async () => {
    const [loaded, u] = await Promise.all([Promise.all(checks.map((c) => c.loaded())), upstream()]);
    const failing = checks.find((_, i) => !loaded[i]);
    return {
      keys: failing === undefined,
      upstream: u,
      keysReason: failing === undefined ? null : (failing.set.stats.lastError ?? 'the key set is not loaded'),
      keysUrl: failing === undefined ? null : failing.set.url,
    };
  };
}

/** The upstream answers HTTP at all (any status) within the timeout. */
function reachable(url: URL, timeout: number): Promise<boolean> {
  return new Promise((resolve) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, { method: 'HEAD', timeout }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}
