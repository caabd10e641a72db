/**
 * Bearer token verification with jose: full authentication (signature, algorithm allow-list,
 * exp/nbf/iat, iss/aud, max age, revocation) before any scope is read, with a bounded cache of
 * verified tokens. One issuer, several (each token verified against the one its `iss` names),
 * and opaque tokens handed to an introspector (RFC 7662). No web framework here.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, errors, jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { JSONWebKeySet, JWK, JWTHeaderParameters, JWTPayload } from './jose-types';
import { ConfigError, InternalError, KeysUnavailableError, ScopeGateError, UnauthorizedError } from './errors';
import { remoteKeySet, type RemoteKeySet, type RemoteKeySetOptions } from './remote-key-set';
import { TokenCache } from './token-cache';
import { isToken68 } from './bearer';
import { keyFingerprint } from './key-fingerprint';
import { isCanonicalCompactJws } from './compact-jws';
import { createIntrospector, type IntrospectionOptions } from './introspection';
import { resolveDpop, type DpopOptions } from './dpop-proof';
import { resolveMtls, type MtlsOptions } from './certificate-binding';
import { confirmSender, type RequestProof, type SenderSettings, type TokenScheme } from './sender-constraint';
import {
  DEFAULT_SCOPE_CLAIMS,
  checkScopeMap,
  compileScopeClaims,
  readScopeClaims,
  type ScopeClaim,
  type ScopeClaimPath,
  type ScopeMap,
} from './scopes';

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

/**
 * A JWT profile the verifier enforces. `'rfc9068'`: the JWT access-token profile (RFC 9068):
 * header `typ` `at+jwt` (or `application/at+jwt`, any case, as media types compare), the claims
 * `iss`, `exp`, `aud`, `sub`, `client_id`, `iat` and `jti` present (`sub`, `client_id`, `jti`
 * non-empty strings), and `issuer` and `audience` configured (§4: the resource server MUST check
 * both). An ID token (`typ: JWT`) is refused.
 */
export type VerifierProfile = 'rfc9068';

/** How tokens of one issuer are verified: its keys, algorithms, audience and claim settings. */
export interface JwtVerificationOptions {
  /** Allow-list of JWS algorithms, required with a key source; a token signed with any other is refused. */
  algorithms?: readonly VerifierAlgorithm[];
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
  /** Expected `aud` (one of). Default: not checked. */
  audience?: string | readonly string[];
  /** Leeway for `exp`, `nbf` and `iat`, seconds. Default 5. */
  clockTolerance?: number;
  /** Maximum age since `iat`: seconds or a jose time span ("2h"). Default: none. */
  maxTokenAge?: number | string;
  /** Claims that must be present; `exp` always is. Default `[]`. */
  requiredClaims?: readonly string[];
  /**
   * Claims read for scopes, united: claim names (`permissions`), dotted paths into nested claims
   * (`realm_access.roles`, `resource_access.my-api.roles`), or arrays of path segments
   * (`['resource_access', 'my.api', 'roles']`, for a segment holding a dot). A name holding `:`
   * is one claim (`https://example.com/roles`). Each value a space-delimited string or an array
   * of strings, compared as whole scopes; any other type refuses the token.
   * Default `['scope', 'scopes', 'scp']`.
   */
  scopeClaims?: ScopeClaim | readonly ScopeClaim[];
  /**
   * Renames of the scopes read: `{ 'users-read': 'users.read' }` (unlisted ones kept), or a
   * function returning the scope(s) for one, or `null` to drop it. Default: none.
   */
  scopeMap?: ScopeMap;
  /** Enforce a JWT profile: `'rfc9068'` (access tokens, `typ: at+jwt`). Default: none. */
  profile?: VerifierProfile;
}

/** One entry of `issuers`: an issuer and how its tokens are verified. */
export interface IssuerOptions extends JwtVerificationOptions {
  /** The issuer: a token whose `iss` is exactly this is verified by this entry, and by no other. */
  issuer: string;
  /** Required allow-list of JWS algorithms for this issuer. */
  algorithms: readonly VerifierAlgorithm[];
}

/** What the verifier needs of an introspector (RFC 7662): the active token's claims, or a rejection. */
export interface TokenIntrospector {
  /** Resolves with the claims of an active token; rejects with `UnauthorizedError` (inactive) or a 503 error (endpoint down). */
  introspect(token: string): Promise<Record<string, unknown>>;
}

/** Which tokens go to introspection: `'opaque'` (not JWT-shaped; JWTs verified locally) or `'all'`. */
export type IntrospectedTokens = 'opaque' | 'all';

/**
 * The verifier's `introspection` option: an introspector's options (`createIntrospector`: endpoint,
 * client authentication, caches, timeout), or an introspector already built (shared, or your
 * own), with `tokens` saying which tokens go there.
 */
export type VerifierIntrospectionOptions = (
  | IntrospectionOptions
  | {
      /** The introspector asked (it caches, bounds and single-flights its calls). */
      introspector: TokenIntrospector;
      /**
       * Which tokens it is asked about. Default `'opaque'` when JWTs can be verified locally (a
       * key source or `issuers`), else `'all'`.
       */
      tokens?: IntrospectedTokens;
    }
) & {
  /** The `aud` an introspected token must hold (one of them). Default: the verifier's `audience`; else not checked. */
  audience?: string | string[];
  /** The `iss` an introspected token must have. Default: the verifier's `issuer`; else not checked. */
  issuer?: string | string[];
};

/**
 * Options of `createVerifier`. For one issuer: exactly one key source (`secret`, `publicKey`,
 * `jwks` or `jwksUri`) with `algorithms`. For several: `issuers`, and none of the per-issuer
 * options at the top. Opaque tokens: `introspection` (with or without local keys).
 */
export interface VerifierOptions extends JwtVerificationOptions {
  /** Expected `iss` (one of). Default: not checked. Not with `issuers`. */
  issuer?: string | readonly string[];
  /**
   * Several issuers, each with its own key source, algorithms, audience and claim settings. A
   * token's `iss` (read before verifying) only picks the entry; the token is then verified against
   * that entry alone. A token of any other `iss` is refused (401) without any fetch.
   * `clockTolerance`, `scopeClaims` and `scopeMap` at the top are defaults for the entries.
   */
  issuers?: readonly IssuerOptions[];
  /**
   * Send opaque tokens (or all: `tokens`) to an introspection endpoint (RFC 7662); an active
   * token's claims are then read as a JWT's (scopes by `scopeClaims`, `exp`, `isRevoked`, bindings).
   */
  introspection?: VerifierIntrospectionOptions;
  /**
   * Cache of verified tokens, bounded to `max` entries, each kept at most `maxAge` ms whatever
   * its `exp` (and dropped as soon as its key leaves a remote key set); `false` disables. Default
   * `{ max: 10000, maxAge: <the key set's refresh age, jwksOptions.cacheMaxAge, 10 min by default> }`.
   * Introspected tokens are not cached here: the introspector's own cache bounds them.
   */
  cache?: { max: number; maxAge?: number } | false;
  /** Called on every request (cache hit or miss) after verification; `true` refuses the token. */
  isRevoked?: (claims: Readonly<JWTPayload>) => boolean | Promise<boolean>;
  /** Longest accepted token, characters. Default 8192. */
  maxTokenLength?: number;
  /**
   * DPoP (RFC 9449): tokens bound to a key (`cnf.jkt`) are accepted with the `DPoP` scheme and a
   * proof, checked on every request. Default: off — a DPoP-bound token is then refused (never
   * taken as a bearer token). See `DpopOptions`.
   */
  dpop?: DpopOptions;
  /**
   * Certificate-bound tokens (RFC 8705): a token with `cnf["x5t#S256"]` is accepted only from the
   * client holding that certificate (the adapter hands over the TLS peer certificate). Default:
   * off — such tokens are then refused.
   */
  mtls?: MtlsOptions;
}

/**
 * How a token was presented, for sender-constrained tokens: its scheme, the request method, and
 * the request's target, `DPoP` header and client certificate. Without it a token is taken as
 * sent with the `Bearer` scheme, with no proof and no certificate.
 */
export interface Presentation {
  /** Default `'Bearer'`. */
  scheme?: TokenScheme;
  /** The request method (DPoP's `htm`). */
  method?: string;
  proof?: RequestProof;
}

/** A verified token. Frozen: cached results are shared between requests. */
export interface VerifiedToken {
  /** The JWT's payload, or the introspection result's claims. */
  readonly claims: Readonly<JWTPayload>;
  readonly scopes: ReadonlySet<string>;
  /** The JWS header; empty for an introspected token. */
  readonly header: Readonly<JWTHeaderParameters>;
}

/** A configured verifier. */
export interface Verifier {
  /**
   * Verify a compact JWS token (or introspect an opaque one), then how it was presented (a
   * sender-constrained token's proof or certificate), then revocation. Rejects with
   * `UnauthorizedError` (401), `DpopProofError` (401), `KeysUnavailableError`,
   * `ReplayUnavailableError` or the introspector's 503, or `InternalError` (500).
   */
  verify(token: string, presented?: Presentation): Promise<VerifiedToken>;
  /**
   * As `verify`, but synchronous when it can be (a cached bearer token, and an `isRevoked` that
   * answers synchronously): returns the result or throws; otherwise returns a promise. The
   * presentation comes as arguments (nothing is allocated per request for it).
   */
  check?(token: string, scheme?: TokenScheme, method?: string, proof?: RequestProof): VerifiedToken | Promise<VerifiedToken>;
  /**
   * `check` for a token found in the cache (its presentation and revocation are still checked),
   * or `undefined` when it is not cached. Every cached token is a well-formed token68.
   */
  checkCached?(token: string, scheme?: TokenScheme, method?: string, proof?: RequestProof): VerifiedToken | Promise<VerifiedToken> | undefined;
  /**
   * DPoP, when on: the proof algorithms (the challenge's `algs`), whether only DPoP is accepted,
   * and the current server nonce (`null` without nonces). `null` or absent: off.
   */
  readonly dpop?: { readonly algorithms: readonly string[]; readonly required: boolean; nonce(): string | null } | null;
  /** Certificate-bound tokens are checked (`mtls` on): adapters then pass the peer certificate. */
  readonly mtls?: boolean;
  /** Cache counters (hits, misses, size) — never the tokens. */
  readonly cacheStats: { readonly hits: number; readonly misses: number; readonly size: number };
  /** The remote key set, when `jwksUri` is used (its fetch counters, readiness); with `issuers`, the one set they all share, else `null`. */
  readonly keySet: RemoteKeySet | null;
  /** Every remote key set used (one per distinct `jwksUri` and options), for readiness probes and metrics. */
  readonly keySets?: readonly RemoteKeySet[];
}

/** Per-issuer options: at the top they are the single issuer's; with `issuers`, each entry's. */
const ENTRY_ONLY = ['algorithms', 'secret', 'publicKey', 'jwks', 'jwksUri', 'jwksOptions', 'issuer', 'audience', 'maxTokenAge', 'requiredClaims', 'profile'] as const;
/** What an `issuers` entry may hold. */
const ENTRY_KEYS = new Set<string>([...ENTRY_ONLY, 'clockTolerance', 'scopeClaims', 'scopeMap']);
/** Options that only mean something when JWTs are verified here. */
const JWT_ONLY = ['algorithms', 'jwksOptions', 'issuer', 'audience', 'maxTokenAge', 'requiredClaims', 'profile'] as const;
const KEY_SOURCES = ['secret', 'publicKey', 'jwks', 'jwksUri'] as const;

const EMPTY_HEADER = Object.freeze({}) as Readonly<JWTHeaderParameters>;

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
  const cacheOption = options.cache ?? { max: 10_000 };
  if (cacheOption !== false && (typeof cacheOption !== 'object' || cacheOption === null || !Number.isInteger(cacheOption.max) || cacheOption.max < 0)) {
    throw new ConfigError('cache must be false or { max: <non-negative integer>, maxAge?: <ms> }');
  }
  if (cacheOption !== false && cacheOption.maxAge !== undefined && !(Number.isFinite(cacheOption.maxAge) && cacheOption.maxAge >= 0)) {
    throw new ConfigError('cache.maxAge must be a non-negative number of ms');
  }
  const isRevoked = options.isRevoked;
  if (isRevoked !== undefined && typeof isRevoked !== 'function') throw new ConfigError('isRevoked must be a function');
  const maxTokenLength = options.maxTokenLength ?? 8192;
  if (!Number.isInteger(maxTokenLength) || maxTokenLength < 16) throw new ConfigError('maxTokenLength must be an integer ≥ 16');
  const shared = sharedSettings(options);
  const senders: SenderSettings = { dpop: resolveDpop(options.dpop), mtls: resolveMtls(options.mtls) };
  const senderChecks = senders.dpop !== null || senders.mtls !== null;

  // How tokens are verified: one JWT entry, a map of them by issuer, and/or an introspector.
  const introspection = checkIntrospection(options.introspection, { audience: options.audience, issuer: options.issuer });
  const multi = options.issuers !== undefined;
  if (multi) {
    const clash = ENTRY_ONLY.filter((k) => options[k] !== undefined);
    if (clash.length) {
      throw new ConfigError(`issuers cannot be combined with ${clash.join(', ')}: give each entry of issuers its own key source, algorithms, issuer, audience…`);
    }
  }
  const hasKeySource = KEY_SOURCES.some((k) => options[k] !== undefined);
  const localJwts = multi || hasKeySource || introspection === null;
  const tokens: IntrospectedTokens | null = introspection === null ? null : (introspection.tokens ?? (localJwts ? 'opaque' : 'all'));
  if (introspection !== null && tokens === 'opaque' && !localJwts) {
    throw new ConfigError('introspection.tokens "opaque" verifies JWTs locally, but there is no key source (secret, publicKey, jwks, jwksUri or issuers): give one, or use tokens: "all"');
  }
  if (tokens === 'all' && localJwts) {
    throw new ConfigError(`introspection.tokens "all" sends every token to the introspector: remove ${multi ? 'issuers' : KEY_SOURCES.filter((k) => options[k] !== undefined).join(', ')}, or use tokens: "opaque"`);
  }
  if (!localJwts) {
    const ignored = JWT_ONLY.filter((k) => options[k] !== undefined);
    if (ignored.length) throw new ConfigError(`${ignored.join(', ')} only applies to JWTs verified locally; with introspection of all tokens it would be ignored: remove it`);
  }

  let single: JwtEntry | null = null;
  let byIssuer: Map<string, JwtEntry> | null = null;
  if (multi) {
    byIssuer = buildIssuers(options.issuers, shared, cacheOption);
  } else if (localJwts) {
    single = buildEntry(options, '', shared, cacheOption);
  }
  const entries = single !== null ? [single] : byIssuer !== null ? [...byIssuer.values()] : [];
  const remotes = [...new Set(entries.map((e) => e.remote).filter((r): r is RemoteKeySet => r !== null))];

  const cache = cacheOption === false || !localJwts ? null : new TokenCache<Cached>(cacheOption.max);
  const introspector = introspection?.introspector ?? null;
  const introspectAll = tokens === 'all';
  const memo = new WeakMap<object, VerifiedToken>();

  async function authenticate(token: string): Promise<VerifiedToken> {
    if (introspector !== null && (introspectAll || !isJwtShaped(token))) return introspect(token);
    // Only the one spelling of each part: base64url has 4 (or 16) spellings of the same last
    // bytes, and `=` padding is not base64url. Each would verify, and take a cache entry of its own.
    if (!isCanonicalCompactJws(token)) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: malformed');
    const entry = single ?? selectIssuer(byIssuer!, token);
    const { verified, used, generation } = await verifyJwt(entry, token);
    // Only token68 text is cached, so a cache hit also proves a header well-formed (see checkCached).
    if (cache && isToken68(token)) {
      // Valid until exp, or until iat + maxTokenAge if sooner: never cached past either.
      // …and never longer than the entry's cache maxAge, whatever exp says.
      const payload = verified.claims;
      const now = Date.now();
      let until = Math.min(payload.exp! * 1000, now + entry.cacheMaxAge);
      if (entry.maxAgeSeconds !== undefined && payload.iat !== undefined) until = Math.min(until, (payload.iat + entry.maxAgeSeconds) * 1000);
      const remote = entry.remote;
      const fingerprint = remote !== null ? keyFingerprint(used) : null;
      // A remote-set token whose key cannot be identified is not cached: it could not be dropped with its key.
      // The entry is the one its own `iss` picks, so the same token can never be a hit under another issuer's settings.
      if (remote === null || fingerprint !== null) cache.set(token, { verified, fingerprint, generation, remote }, until, now);
    }
    return verified;
  }

  /**
   * An opaque token: the introspector's claims, read as a JWT payload is. Not cached here (the
   * introspector bounds its own cache); the result for one answer object is built once
   * (WeakMap: it lives no longer than the introspector keeps that object), its times checked
   * on every request.
   */
  async function introspect(token: string): Promise<VerifiedToken> {
    // Nothing that is not a token68 leaves the process.
    if (!isToken68(token)) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: malformed');
    let result: unknown;
    try {
      result = await introspector!.introspect(token);
    } catch (err) {
      throw err instanceof ScopeGateError ? err : new InternalError(err);
    }
    if (result === null || typeof result !== 'object' || Array.isArray(result)) {
      throw new InternalError(new TypeError('the introspector resolved with something other than an object of claims'));
    }
    let verified = memo.get(result);
    if (verified === undefined) {
      const claims = structuredCloneSafe({ ...(result as Record<string, unknown>) });
      // Defence in depth: an introspector resolves for active tokens only (`true`, the boolean).
      if (claims.active !== undefined && claims.active !== true) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: not active');
      for (const t of ['exp', 'nbf', 'iat'] as const) {
        if (claims[t] !== undefined && !(typeof claims[t] === 'number' && Number.isFinite(claims[t]))) {
          throw new UnauthorizedError('ERR_TOKEN_INVALID', `Invalid token: "${t}" claim must be a number`);
        }
      }
      const { audience, issuer } = introspection!;
      if (audience !== undefined) {
        const aud = claims.aud;
        const held = typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.every((a) => typeof a === 'string') ? (aud as string[]) : [];
        if (!held.some((a) => audience.includes(a))) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: unexpected "aud" claim value');
      }
      if (issuer !== undefined && !(typeof claims.iss === 'string' && issuer.includes(claims.iss))) {
        throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: unexpected "iss" claim value');
      }
      const scopes = readScopes(claims, shared.scopePaths, shared.scopeMap);
      verified = Object.freeze({ claims: deepFreeze(claims) as JWTPayload, scopes, header: EMPTY_HEADER });
      memo.set(result, verified);
    }
    const now = Date.now() / 1000;
    const { exp, nbf } = verified.claims;
    if (exp !== undefined && exp <= now - shared.clockTolerance) throw new UnauthorizedError('ERR_TOKEN_EXPIRED', 'Token expired');
    if (nbf !== undefined && nbf > now + shared.clockTolerance) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: "nbf" claim check failed');
    return verified;
  }

  /**
   * A cache entry still good to use: with a remote key set, its key must still be in the set
   * (checked once per change of the set: one integer compare per request otherwise).
   */
  const current = (token: string, entry: Cached): VerifiedToken | undefined => {
    const remote = entry.remote;
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

  /**
   * After the token itself: how it was presented (proof of possession), then revocation — all
   * before any scope. The hot path (a bearer token without `cnf`, no sender checks on) reads one
   * property here.
   */
  const presented = (verified: VerifiedToken, token: string, scheme: TokenScheme, method: string, proof: RequestProof | undefined): VerifiedToken | Promise<VerifiedToken> => {
    if (senderChecks || verified.claims.cnf !== undefined || scheme !== 'Bearer') {
      const pending = confirmSender(senders, verified.claims, token, scheme, method, proof);
      if (pending !== undefined) return pending.then(() => (isRevoked ? revocation(verified) : verified));
    }
    return isRevoked ? revocation(verified) : verified;
  };

  // Synchronous when the token is cached, needs no DPoP proof, and isRevoked answers
  // synchronously: no promise, no microtask on the hot path.
  const check = (token: string, scheme: TokenScheme = 'Bearer', method = '', proof?: RequestProof): VerifiedToken | Promise<VerifiedToken> => {
    if (typeof token !== 'string' || token.length === 0) throw new UnauthorizedError('ERR_TOKEN_MISSING', 'No jwt provided!');
    if (token.length > maxTokenLength) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: too large');
    const entry = cache ? cache.get(token, Date.now()) : undefined;
    const cached = entry !== undefined ? current(token, entry) : undefined;
    if (cached !== undefined) return presented(cached, token, scheme, method, proof);
    return authenticate(token).then((verified) => presented(verified, token, scheme, method, proof));
  };

  const checkCached = (token: string, scheme: TokenScheme = 'Bearer', method = '', proof?: RequestProof): VerifiedToken | Promise<VerifiedToken> | undefined => {
    const entry = cache !== null && typeof token === 'string' ? cache.get(token, Date.now(), false) : undefined;
    const cached = entry !== undefined ? current(token, entry) : undefined;
    if (cached === undefined) return undefined;
    return presented(cached, token, scheme, method, proof);
  };

  const nonces = senders.dpop?.nonces ?? null;
  return {
    check,
    checkCached,
    async verify(token: string, how?: Presentation): Promise<VerifiedToken> {
      return check(token, how?.scheme ?? 'Bearer', how?.method ?? '', how?.proof);
    },
    dpop: senders.dpop === null ? null : Object.freeze({ algorithms: senders.dpop.algorithms, required: senders.dpop.required, nonce: () => (nonces === null ? null : nonces.current()) }),
    mtls: senders.mtls !== null,
    get cacheStats() {
      return { hits: cache?.hits ?? 0, misses: cache?.misses ?? 0, size: cache?.size ?? 0 };
    },
    keySet: single !== null ? single.remote : remotes.length === 1 && entries.every((e) => e.remote !== null) ? remotes[0]! : null,
    keySets: Object.freeze(remotes),
  };
}

/** A cached verification: the result, and the key it used (remote key sets only). */
interface Cached {
  readonly verified: VerifiedToken;
  readonly fingerprint: string | null;
  /** The remote key set of the entry that verified it (`null`: local keys). */
  readonly remote: RemoteKeySet | null;
  /** The key set generation it was last checked against. */
  generation: number;
}

/** Options shared by every entry (unless it sets its own) and by introspected tokens. */
interface SharedSettings {
  readonly clockTolerance: number;
  readonly scopePaths: readonly ScopeClaimPath[];
  readonly scopeMap: ScopeMap | undefined;
}

function sharedSettings(o: JwtVerificationOptions, p = '', defaults?: SharedSettings): SharedSettings {
  return {
    clockTolerance: o.clockTolerance === undefined && defaults ? defaults.clockTolerance : checkClockTolerance(o.clockTolerance, p),
    scopePaths: o.scopeClaims === undefined && defaults ? defaults.scopePaths : scopePaths(o.scopeClaims, p),
    scopeMap: o.scopeMap === undefined && defaults ? defaults.scopeMap : scopeMapOption(o.scopeMap, p),
  };
}

function checkClockTolerance(value: unknown, p: string): number {
  const tolerance = value ?? 5;
  if (typeof tolerance !== 'number' || !(tolerance >= 0) || !Number.isFinite(tolerance)) {
    throw new ConfigError(`${p}clockTolerance must be a non-negative number of seconds`);
  }
  return tolerance;
}

function scopePaths(value: unknown, p: string): readonly ScopeClaimPath[] {
  if (value === undefined) return compileScopeClaims(DEFAULT_SCOPE_CLAIMS);
  try {
    return compileScopeClaims(typeof value === 'string' ? [value] : (value as ScopeClaim[]));
  } catch (err) {
    throw new ConfigError(`${p}scopeClaims${(err as Error).message.startsWith('[') ? '' : ' '}${(err as Error).message}`);
  }
}

function scopeMapOption(value: unknown, p: string): ScopeMap | undefined {
  try {
    return checkScopeMap(value);
  } catch (err) {
    throw new ConfigError(`${p}scopeMap${(err as Error).message.startsWith('[') ? '' : ' '}${(err as Error).message}`);
  }
}

interface IntrospectionChecks {
  introspector: TokenIntrospector;
  tokens: IntrospectedTokens | undefined;
  /** Expected `aud` / `iss` of introspected tokens (`introspection.audience` / `.issuer`, else the verifier's). */
  audience: string[] | undefined;
  issuer: string[] | undefined;
}

function checkIntrospection(value: unknown, fallback: { audience?: unknown; issuer?: unknown }): IntrospectionChecks | null {
  if (value === undefined) return null;
  if (value === null || typeof value !== 'object') throw new ConfigError('introspection must be an object: introspection options ({ url, clientAuth, … }) or { introspector, tokens? }');
  const { audience: aud, issuer: iss, ...rest } = value as { introspector?: unknown; tokens?: unknown; audience?: unknown; issuer?: unknown };
  const o = rest as { introspector?: unknown; tokens?: unknown };
  if (o.tokens !== undefined && o.tokens !== 'opaque' && o.tokens !== 'all') throw new ConfigError('introspection.tokens must be "opaque" or "all"');
  const tokens = o.tokens as IntrospectedTokens | undefined;
  // The audience and issuer an introspected token must have: the introspection's own, or the
  // verifier's (a configured audience applies to every token, however it is verified).
  const audience = stringList(aud, 'introspection.audience') ?? stringList(fallback.audience, 'audience');
  const issuer = stringList(iss, 'introspection.issuer') ?? stringList(fallback.issuer, 'issuer');
  if (!('introspector' in o)) return { introspector: createIntrospector(o as IntrospectionOptions), tokens, audience, issuer };
  const introspector = o.introspector as TokenIntrospector | null;
  if (introspector === null || typeof introspector !== 'object' || typeof introspector.introspect !== 'function') {
    throw new ConfigError('introspection.introspector must be an introspector (an object with introspect(token))');
  }
  const extra = Object.keys(o).filter((k) => k !== 'introspector' && k !== 'tokens');
  if (extra.length) throw new ConfigError(`introspection.introspector is already built: ${extra.map((k) => `introspection.${/^[A-Za-z0-9_]{1,32}$/.test(k) ? k : '?'}`).join(', ')} cannot be set beside it`);
  return { introspector, tokens, audience, issuer };
}

/** How one issuer's JWTs are verified, checked and resolved at construction. */
interface JwtEntry {
  readonly key: JWTVerifyGetKey | KeyObject | Uint8Array;
  readonly remote: RemoteKeySet | null;
  readonly verifyOptions: JWTVerifyOptions;
  readonly clockTolerance: number;
  readonly maxAgeSeconds: number | undefined;
  readonly scopePaths: readonly ScopeClaimPath[];
  readonly scopeMap: ScopeMap | undefined;
  /** Longest a verification is cached, ms. */
  readonly cacheMaxAge: number;
  readonly rfc9068: boolean;
}

const RFC9068_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];

function buildEntry(o: JwtVerificationOptions & { issuer?: string | readonly string[] }, p: string, defaults: SharedSettings, cacheOption: VerifierOptions['cache']): JwtEntry {
  const algorithms = checkAlgorithms(o.algorithms, p);
  const key = resolveKey(o, algorithms, p);
  const { clockTolerance, scopePaths, scopeMap } = p === '' ? defaults : sharedSettings(o, p, defaults);
  const maxTokenAge = o.maxTokenAge;
  let maxAgeSeconds: number | undefined;
  if (maxTokenAge !== undefined) maxAgeSeconds = parseSpan(maxTokenAge, `${p}maxTokenAge`);
  const issuer = stringList(o.issuer, `${p}issuer`);
  const audience = stringList(o.audience, `${p}audience`);
  const requiredClaims = stringList(o.requiredClaims, `${p}requiredClaims`) ?? [];
  if (o.profile !== undefined && o.profile !== 'rfc9068') throw new ConfigError(`${p}profile must be "rfc9068"`);
  const rfc9068 = o.profile === 'rfc9068';
  if (rfc9068 && issuer === undefined) throw new ConfigError(`${p}profile "rfc9068" needs ${p}issuer: the resource server must check "iss" (RFC 9068 §4)`);
  if (rfc9068 && audience === undefined) throw new ConfigError(`${p}profile "rfc9068" needs ${p}audience: the resource server must check "aud" (RFC 9068 §4)`);
  const refreshAge = o.jwksOptions?.cacheMaxAge ?? 600_000;
  const cacheMaxAge = cacheOption === false || cacheOption === undefined ? 0 : (cacheOption.maxAge ?? refreshAge);
  const verifyOptions: JWTVerifyOptions = {
    algorithms: [...algorithms],
    issuer,
    audience,
    clockTolerance,
    maxTokenAge,
    requiredClaims: [...new Set(['exp', ...(rfc9068 ? RFC9068_CLAIMS : []), ...requiredClaims])],
    // jose compares typ as a media type: case-insensitively, `application/` implied (RFC 7515 §4.1.9).
    ...(rfc9068 ? { typ: 'at+jwt' } : {}),
  };
  return { key: key.get, remote: key.remote, verifyOptions, clockTolerance, maxAgeSeconds, scopePaths, scopeMap, cacheMaxAge, rfc9068 };
}

function buildIssuers(value: unknown, shared: SharedSettings, cacheOption: VerifierOptions['cache']): Map<string, JwtEntry> {
  if (!Array.isArray(value) || value.length === 0) throw new ConfigError('issuers must be a non-empty array of { issuer, algorithms, <key source>, … }');
  const map = new Map<string, JwtEntry>();
  const index = new Map<string, number>();
  value.forEach((raw: unknown, i) => {
    const p = `issuers[${i}].`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`issuers[${i}] must be an object ({ issuer, algorithms, <key source>, … })`);
    const o = raw as IssuerOptions;
    for (const k of Object.keys(o)) {
      if (!ENTRY_KEYS.has(k)) throw new ConfigError(`${p}${k} is not an option of an issuer (one of ${[...ENTRY_KEYS].join(', ')}); verifier-wide options go beside issuers`);
    }
    if (typeof o.issuer !== 'string' || o.issuer === '') throw new ConfigError(`${p}issuer must be a non-empty string (the exact "iss" of its tokens)`);
    const before = index.get(o.issuer);
    if (before !== undefined) throw new ConfigError(`${p}issuer repeats issuers[${before}].issuer: each issuer is listed once`);
    index.set(o.issuer, i);
    map.set(o.issuer, buildEntry(o, p, shared, cacheOption));
  });
  return map;
}

/**
 * The entry for a token: its `iss`, read WITHOUT verifying anything, only picks which issuer's
 * settings verify it; those then check everything, `iss` included. No entry: refused here,
 * before any key is looked up or fetched.
 */
function selectIssuer(byIssuer: Map<string, JwtEntry>, token: string): JwtEntry {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  let iss: unknown;
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
    if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) iss = (payload as { iss?: unknown }).iss;
  } catch {
    throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: malformed');
  }
  if (typeof iss !== 'string') throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: no "iss" claim');
  const entry = byIssuer.get(iss);
  if (entry === undefined) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: unknown issuer');
  return entry;
}

/**
 * JWT-shaped: three dot-separated base64url parts (the signature may be empty) whose first
 * decodes to a JSON object (a JOSE header). Anything else is opaque — RFC 6750's own example
 * token, `mF_9.B5f-4.1JqM`, has three parts but no header.
 */
// Classified loosely, verified strictly: padding (`=`) and the five parts of a JWE count as
// JWT-shaped, so such a token goes down the local path, which refuses it (a canonical compact JWS
// only). Were it "opaque", a JWT the local checks refuse (audience, issuer, profile) could be sent
// to introspection with an `=` appended — and an endpoint whose decoder ignores padding accepts it.
const JWT_PART = /^[A-Za-z0-9_-]*={0,2}$/;
function isJwtShaped(token: string): boolean {
  const parts = token.split('.');
  if ((parts.length !== 3 && parts.length !== 5) || parts[0] === '' || !parts.every((p) => JWT_PART.test(p))) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0]!.replace(/=+$/, ''), 'base64url').toString('utf8'));
    return header !== null && typeof header === 'object' && !Array.isArray(header);
  } catch {
    return false;
  }
}

/** Verify a canonical compact JWS with one entry's settings. */
async function verifyJwt(entry: JwtEntry, token: string): Promise<{ verified: VerifiedToken; used: unknown; generation: number }> {
  const remote = entry.remote;
  // The key the signature verified with, to tell later whether it is still in a remote set,
  // and the set's generation before the key was chosen: a refresh that lands while this
  // verification is in flight must not pass for one the entry was checked against.
  const generation = remote?.generation ?? 0;
  let used: unknown = null;
  const getKey = remote !== null ? async (...args: Parameters<JWTVerifyGetKey>) => (used = await remote.getKey(...args)) : entry.key;
  let result;
  try {
    result = await jwtVerify(token, getKey as JWTVerifyGetKey, entry.verifyOptions);
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw mapJoseError(err);
    // No kid (or a shared one), several keys of the type, as during a rotation: try each.
    const tried = await tryEachKey(token, err, entry.verifyOptions);
    result = tried.result;
    used = tried.key;
  }
  const { payload, protectedHeader } = result;
  const now = Date.now() / 1000;
  // iat sanity (jose checks it only with maxTokenAge): a token cannot be issued in the future.
  if (payload.iat !== undefined && payload.iat > now + entry.clockTolerance) {
    throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: "iat" is in the future');
  }
  if (entry.rfc9068) {
    for (const claim of ['sub', 'client_id', 'jti'] as const) {
      if (typeof payload[claim] !== 'string' || payload[claim] === '') {
        throw new UnauthorizedError('ERR_TOKEN_INVALID', `Invalid token: "${claim}" claim must be a non-empty string (RFC 9068)`);
      }
    }
  }
  const scopes = readScopes(payload, entry.scopePaths, entry.scopeMap);
  const verified: VerifiedToken = Object.freeze({ claims: deepFreeze(payload), scopes, header: Object.freeze(protectedHeader) });
  return { verified, used, generation };
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

function checkAlgorithms(value: unknown, p = ''): readonly string[] {
  if (!Array.isArray(value) || value.length === 0) throw new ConfigError(`${p}algorithms must be a non-empty array (e.g. ["ES256"])`);
  for (const alg of value) {
    if (typeof alg !== 'string' || !ALGORITHMS.has(alg)) {
      throw new ConfigError(`${p}algorithms: algorithm ${JSON.stringify(alg)} is not allowed (one of ${[...ALGORITHMS].join(', ')})`);
    }
  }
  return [...new Set(value as string[])];
}

interface ResolvedKey {
  get: JWTVerifyGetKey | KeyObject | Uint8Array;
  remote: RemoteKeySet | null;
}

function resolveKey(options: JwtVerificationOptions, algorithms: readonly string[], p = ''): ResolvedKey {
  const sources = (['secret', 'publicKey', 'jwks', 'jwksUri'] as const).filter((k) => options[k] !== undefined);
  if (sources.length !== 1) {
    throw new ConfigError(`${p === '' ? '' : p.slice(0, -1) + ': '}give exactly one key source (secret, publicKey, jwks or jwksUri); got ${sources.length ? sources.join(', ') : 'none'}`);
  }
  const hmac = algorithms.filter((a) => a.startsWith('HS'));
  const source = sources[0]!;
  if (source === 'secret') {
    if (hmac.length !== algorithms.length) throw new ConfigError(`${p}a secret works with HS256/HS384/HS512 only; remove the other algorithms`);
    const secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
    if (!(secret instanceof Uint8Array)) throw new ConfigError(`${p}secret must be a string or a Uint8Array`);
    const need = Math.max(...hmac.map((a) => HMAC_BYTES[a]!));
    if (secret.byteLength < need) throw new ConfigError(`${p}secret is too short: ${hmac.join('/')} needs at least ${need} bytes`);
    return { get: secret, remote: null };
  }
  if (hmac.length) throw new ConfigError(`${p}algorithms: ${hmac.join(', ')} needs a secret; with ${p}${source} allow asymmetric algorithms only`);
  if (source === 'publicKey') {
    const keyObject = publicKeyObject(options.publicKey!, p);
    for (const alg of algorithms) checkKeyFits(keyObject, alg, p);
    return { get: keyObject, remote: null };
  }
  if (source === 'jwks') {
    const jwks = options.jwks!;
    if (!jwks || typeof jwks !== 'object' || !Array.isArray(jwks.keys)) throw new ConfigError(`${p}jwks must be a JSON Web Key Set ({ keys: [...] })`);
    for (const jwk of jwks.keys) if (isPrivateJwk(jwk)) throw new ConfigError(`${p}jwks holds a private or symmetric key; give public keys only`);
    let local;
    try {
      local = createLocalJWKSet(jwks);
    } catch (err) {
      throw new ConfigError(`${p}jwks is not a valid key set: ${(err as Error).message}`);
    }
    return { get: local, remote: null };
  }
  let url: URL;
  try {
    url = new URL(options.jwksUri!);
  } catch {
    throw new ConfigError(`${p}jwksUri must be an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${p}jwksUri must be an http or https URL`);
  const jo = options.jwksOptions ?? {};
  if (jo === null || typeof jo !== 'object') throw new ConfigError(`${p}jwksOptions must be an object`);
  for (const k of ['timeoutDuration', 'cooldownDuration', 'cacheMaxAge'] as const) {
    if (jo[k] !== undefined && !(Number.isFinite(jo[k]) && jo[k]! >= 0)) throw new ConfigError(`${p}jwksOptions.${k} must be a non-negative number of ms`);
  }
  if (jo.maxBodyBytes !== undefined && !(Number.isInteger(jo.maxBodyBytes) && jo.maxBodyBytes > 0)) {
    throw new ConfigError(`${p}jwksOptions.maxBodyBytes must be a positive integer`);
  }
  if (jo.allowInsecureHttp !== undefined && typeof jo.allowInsecureHttp !== 'boolean') throw new ConfigError(`${p}jwksOptions.allowInsecureHttp must be a boolean`);
  // Keys over plain HTTP can be swapped by anyone on the path: only on this machine, or when asked for.
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && jo.allowInsecureHttp !== true) {
    throw new ConfigError(`${p}jwksUri must be https (http only on a loopback host, or with jwksOptions.allowInsecureHttp: true)`);
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

function publicKeyObject(input: string | JWK, p = ''): KeyObject {
  if (typeof input === 'string') {
    if (/PRIVATE KEY-----/.test(input)) throw new ConfigError(`${p}publicKey is a private key; give the public key (SPKI PEM)`);
    try {
      return createPublicKey({ key: input, format: 'pem' });
    } catch {
      throw new ConfigError(`${p}publicKey is not a valid PEM public key`);
    }
  }
  if (!input || typeof input !== 'object') throw new ConfigError(`${p}publicKey must be a PEM string or a JWK`);
  if (isPrivateJwk(input)) throw new ConfigError(`${p}publicKey is a private or symmetric JWK; give the public key`);
  try {
    return createPublicKey({ key: input as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch {
    throw new ConfigError(`${p}publicKey is not a valid public JWK`);
  }
}

function checkKeyFits(key: KeyObject, alg: string, p = ''): void {
  const type = key.asymmetricKeyType;
  const ok =
    alg.startsWith('RS') ? type === 'rsa'
    : alg.startsWith('PS') ? type === 'rsa' || type === 'rsa-pss'
    : alg.startsWith('ES') ? type === 'ec' && key.asymmetricKeyDetails?.namedCurve === EC_CURVES[alg]
    : type === 'ed25519';
  if (!ok) throw new ConfigError(`${p}algorithm ${alg} cannot be used with this ${type ?? 'unknown'} key`);
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

/** Scopes from the configured claims, mapped. A claim of the wrong type makes the token invalid. */
function readScopes(payload: Readonly<Record<string, unknown>>, paths: readonly ScopeClaimPath[], map: ScopeMap | undefined): ReadonlySet<string> {
  let read;
  try {
    read = readScopeClaims(payload, paths, map);
  } catch (err) {
    throw new InternalError(err); // a scopeMap function that threw or answered nonsense: our bug, not the token's
  }
  if (read.invalid !== null) throw new UnauthorizedError('ERR_TOKEN_INVALID', `Invalid token: "${safeName(read.invalid)}" claim must be a string or an array of strings`);
  return read.scopes;
}

/** A deep copy of an introspector's claims (never freeze what it keeps). */
function structuredCloneSafe<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch (err) {
    throw new InternalError(err);
  }
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
    if (err.claim === 'typ') return new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: "typ" header must be at+jwt (RFC 9068)', undefined, err);
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
  return /^[A-Za-z0-9_.:/-]{1,64}$/.test(claim) ? claim : 'claim';
}
