/**
 * Bearer JWT verification with jose: full authentication (signature, algorithm allow-list,
 * exp/nbf/iat, iss/aud, max age, revocation) before any scope is read, with a bounded cache of
 * verified tokens. No web framework here.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { JSONWebKeySet, JWK, JWTHeaderParameters, JWTPayload } from './jose-types';
import { ConfigError, InternalError, KeysUnavailableError, ScopeGateError, UnauthorizedError } from './errors';
import { remoteKeySet, type RemoteKeySet, type RemoteKeySetOptions } from './remote-key-set';
import { TokenCache } from './token-cache';
import { isToken68 } from './bearer';
import { keyFingerprint } from './key-fingerprint';
import { isCanonicalCompactJws } from './compact-jws';
import { DEFAULT_SCOPE_CLAIMS, scopesFromClaims } from './scopes';

/** Algorithms a verifier may allow. `none` is not among them. */
export type VerifierAlgorithm =
  | 'HS256' | 'HS384' | 'HS512'
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'EdDSA' | 'Ed25519';

const HMAC_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };
const ALGORITHMS = new Set<string>(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);
const EC_CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/** Options of `createVerifier`. Exactly one key source: `secret`, `publicKey`, `jwks` or `jwksUri`. */
export interface VerifierOptions {
  /** Required allow-list of JWS algorithms; a token signed with any other is refused. */
  algorithms: readonly VerifierAlgorithm[];
  /** Shared secret, HS256/384/512 only; at least as many bytes as the hash (32/48/64). */
  secret?: string | Uint8Array;
  /** Public key: PEM (SPKI) or a public JWK. Private keys are refused. */
  publicKey?: string | JWK;
  /** Local JSON Web Key Set. */
  jwks?: JSONWebKeySet;
  /**
   * Remote JSON Web Key Set URL: fetched once, shared per URL, refreshed in the background.
   * `https://`, or `http://` on a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`); any other
   * `http://` URL needs `jwksOptions.allowInsecureHttp`.
   */
  jwksUri?: string;
  /** Fetch timeout, cooldown, refresh age and body cap of `jwksUri`. Defaults 5 s, 30 s, 10 min, 1 MiB. */
  jwksOptions?: RemoteKeySetOptions;
  /** Expected `iss` (one of). Default: not checked. */
  issuer?: string | readonly string[];
  /** Expected `aud` (one of). Default: not checked. */
  audience?: string | readonly string[];
  /** Leeway for `exp`, `nbf` and `iat`, seconds. Default 5. */
  clockTolerance?: number;
  /** Maximum age since `iat`: seconds or a jose time span ("2h"). Default: none. */
  maxTokenAge?: number | string;
  /** Claims that must be present; `exp` always is. Default `[]`. */
  requiredClaims?: readonly string[];
  /** Claims read for scopes (space-delimited string or string array), united. Default `['scope', 'scopes', 'scp']`. */
  scopeClaims?: readonly string[];
  /**
   * Cache of verified tokens, bounded to `max` entries, each kept at most `maxAge` ms whatever
   * its `exp` (and dropped as soon as its key leaves a remote key set); `false` disables. Default
   * `{ max: 10000, maxAge: <the key set's refresh age, jwksOptions.cacheMaxAge, 10 min by default> }`.
   */
  cache?: { max: number; maxAge?: number } | false;
  /** Called on every request (cache hit or miss) after verification; `true` refuses the token. */
  isRevoked?: (claims: Readonly<JWTPayload>) => boolean | Promise<boolean>;
  /** Longest accepted token, characters. Default 8192. */
  maxTokenLength?: number;
}

/** A verified token. Frozen: cached results are shared between requests. */
export interface VerifiedToken {
  readonly claims: Readonly<JWTPayload>;
  readonly scopes: ReadonlySet<string>;
  readonly header: Readonly<JWTHeaderParameters>;
}

/** A configured verifier. */
export interface Verifier {
  /** Verify a compact JWS token. Rejects with `UnauthorizedError` (401), `KeysUnavailableError` (503) or `InternalError` (500). */
  verify(token: string): Promise<VerifiedToken>;
  /**
   * As `verify`, but synchronous when it can be (a cached token, and an `isRevoked` that answers
   * synchronously): returns the result or throws; otherwise returns a promise.
   */
  check?(token: string): VerifiedToken | Promise<VerifiedToken>;
  /**
   * `check` for a token found in the cache (revocation is still asked), or `undefined` when it
   * is not cached: nothing is verified here. Every cached token is a well-formed token68.
   */
  checkCached?(token: string): VerifiedToken | Promise<VerifiedToken> | undefined;
  /** Cache counters (hits, misses, size) — never the tokens. */
  readonly cacheStats: { readonly hits: number; readonly misses: number; readonly size: number };
  /** The remote key set, when `jwksUri` is used (its fetch counters, readiness). */
  readonly keySet: RemoteKeySet | null;
}

/**
 * Build a verifier. Bad or contradictory options throw `ConfigError` here, not at the first request.
 *
 * @example
 * const verifier = createVerifier({
 *   algorithms: ['ES256'],
 *   jwksUri: 'https://issuer.example/.well-known/jwks.json',
 *   issuer: 'https://issuer.example/',
 *   audience: 'api',
 * });
 * const { claims, scopes } = await verifier.verify(token);
 */
export function createVerifier(options: VerifierOptions): Verifier {
  if (options === null || typeof options !== 'object') throw new ConfigError('verifier options must be an object');
  const algorithms = checkAlgorithms(options.algorithms);
  const key = resolveKey(options, algorithms);
  const clockTolerance = options.clockTolerance ?? 5;
  if (typeof clockTolerance !== 'number' || !(clockTolerance >= 0) || !Number.isFinite(clockTolerance)) {
    throw new ConfigError('clockTolerance must be a non-negative number of seconds');
  }
  const maxTokenAge = options.maxTokenAge;
  let maxAgeSeconds: number | undefined;
  if (maxTokenAge !== undefined) maxAgeSeconds = parseSpan(maxTokenAge, 'maxTokenAge');
  const issuer = stringList(options.issuer, 'issuer');
  const audience = stringList(options.audience, 'audience');
  const requiredClaims = stringList(options.requiredClaims, 'requiredClaims') ?? [];
  const scopeClaims = stringList(options.scopeClaims, 'scopeClaims') ?? [...DEFAULT_SCOPE_CLAIMS];
  if (scopeClaims.length === 0) throw new ConfigError('scopeClaims must name at least one claim');
  const cacheOption = options.cache ?? { max: 10_000 };
  if (cacheOption !== false && (typeof cacheOption !== 'object' || cacheOption === null || !Number.isInteger(cacheOption.max) || cacheOption.max < 0)) {
    throw new ConfigError('cache must be false or { max: <non-negative integer>, maxAge?: <ms> }');
  }
  const refreshAge = options.jwksOptions?.cacheMaxAge ?? 600_000;
  const cacheMaxAge = cacheOption === false ? 0 : (cacheOption.maxAge ?? refreshAge);
  if (!(Number.isFinite(cacheMaxAge) && cacheMaxAge >= 0)) throw new ConfigError('cache.maxAge must be a non-negative number of ms');
  const isRevoked = options.isRevoked;
  if (isRevoked !== undefined && typeof isRevoked !== 'function') throw new ConfigError('isRevoked must be a function');
  const maxTokenLength = options.maxTokenLength ?? 8192;
  if (!Number.isInteger(maxTokenLength) || maxTokenLength < 16) throw new ConfigError('maxTokenLength must be an integer ≥ 16');

  const cache = cacheOption === false ? null : new TokenCache<Cached>(cacheOption.max);
  const remote = key.remote;
  const verifyOptions = {
    algorithms: [...algorithms],
    issuer,
    audience,
    clockTolerance,
    maxTokenAge,
    requiredClaims: ['exp', ...requiredClaims],
  };

  async function authenticate(token: string): Promise<VerifiedToken> {
    // Only the one spelling of each part: base64url has 4 (or 16) spellings of the same last
    // bytes, and `=` padding is not base64url. Each would verify, and take a cache entry of its own.
    if (!isCanonicalCompactJws(token)) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: malformed');
    // The key the signature verified with, to tell later whether it is still in a remote set,
    // and the set's generation before the key was chosen: a refresh that lands while this
    // verification is in flight must not pass for one the entry was checked against.
    const generation = remote?.generation ?? 0;
    let used: unknown = null;
    const getKey = remote !== null ? async (...args: Parameters<JWTVerifyGetKey>) => (used = await remote.getKey(...args)) : key.get;
    let result;
    try {
      result = await jwtVerify(token, getKey, verifyOptions);
    } catch (err) {
      if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw mapJoseError(err);
      // No kid (or a shared one), several keys of the type, as during a rotation: try each.
      const tried = await tryEachKey(token, err, verifyOptions);
      result = tried.result;
      used = tried.key;
    }
    const { payload, protectedHeader } = result;
    const now = Date.now() / 1000;
    // iat sanity (jose checks it only with maxTokenAge): a token cannot be issued in the future.
    if (payload.iat !== undefined && payload.iat > now + clockTolerance) {
      throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: "iat" is in the future');
    }
    const scopes = readScopes(payload, scopeClaims);
    const verified: VerifiedToken = Object.freeze({ claims: deepFreeze(payload), scopes, header: Object.freeze(protectedHeader) });
    // Only token68 text is cached, so a cache hit also proves a header well-formed (see checkCached).
    if (cache && isToken68(token)) {
      // Valid until exp, or until iat + maxTokenAge if sooner: never cached past either.
      // …and never longer than cacheMaxAge, whatever exp says.
      const now = Date.now();
      let until = Math.min(payload.exp! * 1000, now + cacheMaxAge);
      if (maxAgeSeconds !== undefined && payload.iat !== undefined) until = Math.min(until, (payload.iat + maxAgeSeconds) * 1000);
      const fingerprint = remote !== null ? keyFingerprint(used) : null;
      // A remote-set token whose key cannot be identified is not cached: it could not be dropped with its key.
      if (remote === null || fingerprint !== null) cache.set(token, { verified, fingerprint, generation }, until, now);
    }
    return verified;
  }

  /**
   * A cache entry still good to use: with a remote key set, its key must still be in the set
   * (checked once per change of the set: one integer compare per request otherwise).
   */
  const current = (token: string, entry: Cached): VerifiedToken | undefined => {
    if (remote === null || entry.generation === remote.generation) return entry.verified;
    if (entry.fingerprint !== null && remote.hasKey(entry.fingerprint)) {
      entry.generation = remote.generation;
      return entry.verified;
    }
    cache!.delete(token);
    return undefined;
  };

  const revocation = (verified: VerifiedToken): VerifiedToken | Promise<VerifiedToken> => {
    let revoked: boolean | Promise<boolean>;
    try {
      revoked = isRevoked!(verified.claims);
    } catch (err) {
      // A ScopeGateError (e.g. RevocationUnavailableError, 503) says what went wrong; keep it.
      throw err instanceof ScopeGateError ? err : new InternalError(err);
    }
    if (typeof revoked === 'boolean') {
      if (revoked) throw new UnauthorizedError('ERR_TOKEN_REVOKED', 'Token revoked');
      return verified;
    }
    return Promise.resolve(revoked).then(
      (r) => {
        if (r) throw new UnauthorizedError('ERR_TOKEN_REVOKED', 'Token revoked');
        return verified;
      },
      (err: unknown) => {
        throw err instanceof ScopeGateError ? err : new InternalError(err);
      },
    );
  };

  // Synchronous when the token is cached and isRevoked answers synchronously: no promise, no
  // microtask on the hot path.
  const check = (token: string): VerifiedToken | Promise<VerifiedToken> => {
    if (typeof token !== 'string' || token.length === 0) throw new UnauthorizedError('ERR_TOKEN_MISSING', 'No jwt provided!');
    if (token.length > maxTokenLength) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: too large');
    const entry = cache ? cache.get(token, Date.now()) : undefined;
    const cached = entry !== undefined ? current(token, entry) : undefined;
    if (cached !== undefined) return isRevoked ? revocation(cached) : cached;
    return authenticate(token).then((verified) => (isRevoked ? revocation(verified) : verified));
  };

  const checkCached = (token: string): VerifiedToken | Promise<VerifiedToken> | undefined => {
    const entry = cache !== null && typeof token === 'string' ? cache.get(token, Date.now(), false) : undefined;
    const cached = entry !== undefined ? current(token, entry) : undefined;
    if (cached === undefined) return undefined;
    return isRevoked ? revocation(cached) : cached;
  };

  return {
    check,
    checkCached,
    async verify(token: string): Promise<VerifiedToken> {
      return check(token);
    },
    get cacheStats() {
      return { hits: cache?.hits ?? 0, misses: cache?.misses ?? 0, size: cache?.size ?? 0 };
    },
    keySet: key.remote,
  };
}

/** A cached verification: the result, and the key it used (remote key sets only). */
interface Cached {
  readonly verified: VerifiedToken;
  readonly fingerprint: string | null;
  /** The key set generation it was last checked against. */
  generation: number;
}

/**
 * Several keys are candidates for a token (no `kid`, or one shared by several keys): try each,
 * as jose's error allows, at most MAX_KEY_CANDIDATES. A candidate that cannot verify it (a wrong
 * signature, or a key jose will not use: an RSA key under 2048 bits, another curve) moves on;
 * a failure that comes after a valid signature (an expired token, a wrong audience, a payload
 * that is not a claims set) or from the token's own form is the answer.
 */
const MAX_KEY_CANDIDATES = 4;
async function tryEachKey(token: string, candidates: errors.JWKSMultipleMatchingKeys, options: Parameters<typeof jwtVerify>[2]) {
  let tried = 0;
  for await (const candidate of candidates as unknown as AsyncIterable<Parameters<typeof jwtVerify>[1]>) {
    if (++tried > MAX_KEY_CANDIDATES) break;
    try {
      return { result: await jwtVerify(token, candidate as Exclude<Parameters<typeof jwtVerify>[1], JWTVerifyGetKey>, options), key: candidate as unknown };
    } catch (err) {
      if (err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired || err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid || err instanceof errors.JOSEAlgNotAllowed) {
        throw mapJoseError(err);
      }
      continue;
    }
  }
  throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: signature verification failed');
}

function checkAlgorithms(value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length === 0) throw new ConfigError('algorithms must be a non-empty array (e.g. ["ES256"])');
  for (const alg of value) {
    if (typeof alg !== 'string' || !ALGORITHMS.has(alg)) {
      throw new ConfigError(`algorithm ${JSON.stringify(alg)} is not allowed (one of ${[...ALGORITHMS].join(', ')})`);
    }
  }
  return [...new Set(value as string[])];
}

interface ResolvedKey {
  get: JWTVerifyGetKey | KeyObject | Uint8Array;
  remote: RemoteKeySet | null;
}

function resolveKey(options: VerifierOptions, algorithms: readonly string[]): ResolvedKey {
  const sources = (['secret', 'publicKey', 'jwks', 'jwksUri'] as const).filter((k) => options[k] !== undefined);
  if (sources.length !== 1) {
    throw new ConfigError(`give exactly one key source (secret, publicKey, jwks or jwksUri); got ${sources.length ? sources.join(', ') : 'none'}`);
  }
  const hmac = algorithms.filter((a) => a.startsWith('HS'));
  const source = sources[0]!;
  if (source === 'secret') {
    if (hmac.length !== algorithms.length) throw new ConfigError('a secret works with HS256/HS384/HS512 only; remove the other algorithms');
    const secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
    if (!(secret instanceof Uint8Array)) throw new ConfigError('secret must be a string or a Uint8Array');
    const need = Math.max(...hmac.map((a) => HMAC_BYTES[a]!));
    if (secret.byteLength < need) throw new ConfigError(`secret is too short: ${hmac.join('/')} needs at least ${need} bytes`);
    return { get: secret, remote: null };
  }
  if (hmac.length) throw new ConfigError(`${hmac.join(', ')} needs a secret; with ${source} allow asymmetric algorithms only`);
  if (source === 'publicKey') {
    const keyObject = publicKeyObject(options.publicKey!);
    for (const alg of algorithms) checkKeyFits(keyObject, alg);
    return { get: keyObject, remote: null };
  }
  if (source === 'jwks') {
    const jwks = options.jwks!;
    if (!jwks || typeof jwks !== 'object' || !Array.isArray(jwks.keys)) throw new ConfigError('jwks must be a JSON Web Key Set ({ keys: [...] })');
    for (const jwk of jwks.keys) if (isPrivateJwk(jwk)) throw new ConfigError('jwks holds a private or symmetric key; give public keys only');
    let local;
    try {
      local = createLocalJWKSet(jwks);
    } catch (err) {
      throw new ConfigError(`jwks is not a valid key set: ${(err as Error).message}`);
    }
    return { get: local, remote: null };
  }
  let url: URL;
  try {
    url = new URL(options.jwksUri!);
  } catch {
    throw new ConfigError('jwksUri must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('jwksUri must be an http or https URL');
  const jo = options.jwksOptions ?? {};
  if (jo === null || typeof jo !== 'object') throw new ConfigError('jwksOptions must be an object');
  for (const k of ['timeoutDuration', 'cooldownDuration', 'cacheMaxAge'] as const) {
    if (jo[k] !== undefined && !(Number.isFinite(jo[k]) && jo[k]! >= 0)) throw new ConfigError(`jwksOptions.${k} must be a non-negative number of ms`);
  }
  if (jo.maxBodyBytes !== undefined && !(Number.isInteger(jo.maxBodyBytes) && jo.maxBodyBytes > 0)) {
    throw new ConfigError('jwksOptions.maxBodyBytes must be a positive integer');
  }
  if (jo.allowInsecureHttp !== undefined && typeof jo.allowInsecureHttp !== 'boolean') throw new ConfigError('jwksOptions.allowInsecureHttp must be a boolean');
  // Keys over plain HTTP can be swapped by anyone on the path: only on this machine, or when asked for.
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && jo.allowInsecureHttp !== true) {
    throw new ConfigError('jwksUri must be https (http only on a loopback host, or with jwksOptions.allowInsecureHttp: true)');
  }
  const remote = remoteKeySet(url.href, jo);
  return { get: remote.getKey, remote };
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function isPrivateJwk(jwk: JWK): boolean {
  return jwk.kty === 'oct' || jwk.d !== undefined || jwk.k !== undefined;
}

function publicKeyObject(input: string | JWK): KeyObject {
  if (typeof input === 'string') {
    if (/PRIVATE KEY-----/.test(input)) throw new ConfigError('publicKey is a private key; give the public key (SPKI PEM)');
    try {
      return createPublicKey({ key: input, format: 'pem' });
    } catch {
      throw new ConfigError('publicKey is not a valid PEM public key');
    }
  }
  if (!input || typeof input !== 'object') throw new ConfigError('publicKey must be a PEM string or a JWK');
  if (isPrivateJwk(input)) throw new ConfigError('publicKey is a private or symmetric JWK; give the public key');
  try {
    return createPublicKey({ key: input as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch {
    throw new ConfigError('publicKey is not a valid public JWK');
  }
}

function checkKeyFits(key: KeyObject, alg: string): void {
  const type = key.asymmetricKeyType;
  const ok =
    alg.startsWith('RS') ? type === 'rsa'
    : alg.startsWith('PS') ? type === 'rsa' || type === 'rsa-pss'
    : alg.startsWith('ES') ? type === 'ec' && key.asymmetricKeyDetails?.namedCurve === EC_CURVES[alg]
    : type === 'ed25519';
  if (!ok) throw new ConfigError(`algorithm ${alg} cannot be used with this ${type ?? 'unknown'} key`);
}

function stringList(value: unknown, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((v) => typeof v !== 'string' || v === '')) {
    throw new ConfigError(`${name} must be a non-empty string or an array of them`);
  }
  return [...list];
}

function parseSpan(value: number | string, name: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?) ?(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|week|weeks)$/i.exec(value.trim());
    if (m) {
      const unit = m[2]!.toLowerCase()[0]!;
      const factor = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[unit as 's']!;
      return Number(m[1]) * factor;
    }
  }
  throw new ConfigError(`${name} must be a positive number of seconds or a span like "2h"`);
}

/** Scopes from the configured claims, united. A claim of the wrong type makes the token invalid. */
function readScopes(payload: JWTPayload, claims: readonly string[]): ReadonlySet<string> {
  const { scopes, invalid } = scopesFromClaims(payload, claims);
  if (invalid !== null) throw new UnauthorizedError('ERR_TOKEN_INVALID', `Invalid token: "${invalid}" claim must be a string or an array of strings`);
  return scopes;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** jose's errors as ours, with messages that never echo the token, its claims or key material. */
function mapJoseError(err: unknown): ScopeGateError {
  if (err instanceof ScopeGateError) return err; // e.g. KeysUnavailableError from the key set
  if (err instanceof errors.JWTExpired) {
    return new UnauthorizedError('ERR_TOKEN_EXPIRED', err.claim === 'iat' ? 'Token too old' : 'Token expired', undefined, err);
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new UnauthorizedError('ERR_TOKEN_INVALID', `Invalid token: "${safeName(err.claim)}" claim check failed`, undefined, err);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: algorithm not allowed', undefined, err);
  if (err instanceof errors.JWSSignatureVerificationFailed) return new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: signature verification failed', undefined, err);
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: no unique key matches it', undefined, err);
  }
  if (err instanceof errors.JOSENotSupported) return new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: unsupported token or header', undefined, err);
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JOSEError) {
    return new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: malformed', undefined, err);
  }
  if (err instanceof TypeError) return new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: malformed', undefined, err);
  if (err instanceof KeysUnavailableError) return err;
  return new InternalError(err);
}

function safeName(claim: string): string {
  return /^[A-Za-z0-9_.-]{1,32}$/.test(claim) ? claim : 'claim';
}
