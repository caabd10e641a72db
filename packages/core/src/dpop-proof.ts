/**
 * DPoP proofs (RFC 9449 §4.3): the checks a resource server makes of the `DPoP` header before a
 * DPoP-bound token is accepted — one proof, its form, `typ`, an asymmetric allowed `alg`, a
 * public embedded key that is the token's (`cnf.jkt`), the signature, `htm`, `htu` against the
 * configured origins, `iat` in the window, `ath`, the server nonce, and a `jti` never used
 * before (the replay store). Checked on every request: a cached token never skips its proof.
 */
import { createHash } from 'node:crypto';
import { importJWK, jwtVerify } from 'jose';
import type { JWK } from './jose-types';
import { ConfigError, DpopProofError, ReplayUnavailableError, ScopeGateError, UnauthorizedError } from './errors';
import { isCanonicalCompactJws } from './compact-jws';
import { normalizeHttpUri, normalizePath } from './http-uri';
import { createMemoryReplayStore, type ReplayStore } from './replay-store';
import { createDpopNonces, type DpopNonceOptions, type DpopNonces } from './dpop-nonce';
import type { AuthorizationInput } from './bearer';

/** Algorithms a DPoP proof may be signed with: asymmetric only (RFC 9449 §4.2: never `none` nor a MAC). */
export type DpopAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'Ed25519' | 'PS256' | 'PS384' | 'PS512' | 'RS256' | 'RS384' | 'RS512';
const DPOP_ALGORITHMS = new Set<string>(['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512']);
const DEFAULT_ALGORITHMS: readonly DpopAlgorithm[] = ['ES256', 'EdDSA', 'PS256', 'RS256'];

/** The verifier's `dpop` option: DPoP (RFC 9449) on. */
export interface DpopOptions {
  /**
   * The public origin(s) of this API (`https://api.example.com`, scheme, host and port only): a
   * proof's `htu` must be one of them followed by the request's path. Required: the `Host` and
   * `X-Forwarded-*` headers are never read for it (a client chooses them).
   */
  origins: string | readonly string[];
  /** `true`: only DPoP-bound tokens (with a proof) are accepted. Default `false`: bearer tokens without `cnf` pass too. */
  required?: boolean;
  /** Algorithms a proof may use. Default `['ES256', 'EdDSA', 'PS256', 'RS256']`. */
  algorithms?: readonly DpopAlgorithm[];
  /** How old a proof's `iat` may be, seconds. Default 300. */
  maxAge?: number;
  /** How far ahead of this clock a proof's `iat` may be, seconds. Default 5. */
  clockTolerance?: number;
  /**
   * Where used proofs are recorded: a `ReplayStore` (`RedisReplayStore` from @scopegate/redis for
   * several instances). Default: `createMemoryReplayStore()`, for one process only.
   */
  replay?: ReplayStore;
  /** Server nonces (RFC 9449 §8): proofs must carry the current one (`use_dpop_nonce` otherwise). Default: none. */
  nonce?: DpopNonceOptions;
}

/** DPoP settings, checked at construction. */
export interface DpopSettings {
  readonly origins: ReadonlySet<string>;
  readonly required: boolean;
  readonly algorithms: readonly string[];
  readonly maxAge: number;
  readonly clockTolerance: number;
  readonly replay: ReplayStore;
  readonly nonces: DpopNonces | null;
}

/** What a proof is checked against. */
export interface DpopRequest {
  /** HTTP method as received. */
  readonly method: string;
  /** The request target as received (origin-form: path and query). */
  readonly target: string;
  /** The `DPoP` header value(s). */
  readonly proof: AuthorizationInput;
}

export function resolveDpop(value: unknown): DpopSettings | null {
  if (value === undefined) return null;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError('dpop must be an object ({ origins, required?, algorithms?, maxAge?, clockTolerance?, replay?, nonce? })');
  const o = value as DpopOptions;
  const known = new Set(['origins', 'required', 'algorithms', 'maxAge', 'clockTolerance', 'replay', 'nonce']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw new ConfigError(`dpop.${/^[A-Za-z0-9_]{1,32}$/.test(k) ? k : '?'} is not an option of dpop (one of ${[...known].join(', ')})`);
  const list = typeof o.origins === 'string' ? [o.origins] : o.origins;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError('dpop.origins must be the public origin of this API (https://api.example.com), or an array of them');
  const origins = new Set<string>();
  for (const origin of list) {
    const n = typeof origin === 'string' ? normalizeHttpUri(origin) : null;
    if (n === null || n.path !== '/' || /[?#]/.test(origin as string) || !/^[^:]+:\/\/[^/]+\/?$/.test(origin as string)) {
      throw new ConfigError(`dpop.origins: ${JSON.stringify(origin)} is not an origin (scheme, host and port, as https://api.example.com)`);
    }
    origins.add(n.origin);
  }
  if (o.required !== undefined && typeof o.required !== 'boolean') throw new ConfigError('dpop.required must be a boolean');
  const algorithms = o.algorithms ?? DEFAULT_ALGORITHMS;
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw new ConfigError('dpop.algorithms must be a non-empty array');
  for (const alg of algorithms) {
    if (typeof alg !== 'string' || !DPOP_ALGORITHMS.has(alg)) throw new ConfigError(`dpop.algorithms: ${JSON.stringify(alg)} is not allowed for proofs (asymmetric only: ${[...DPOP_ALGORITHMS].join(', ')})`);
  }
  const maxAge = o.maxAge ?? 300;
  if (!(Number.isFinite(maxAge) && maxAge > 0)) throw new ConfigError('dpop.maxAge must be a positive number of seconds');
  const clockTolerance = o.clockTolerance ?? 5;
  if (!(Number.isFinite(clockTolerance) && clockTolerance >= 0)) throw new ConfigError('dpop.clockTolerance must be a non-negative number of seconds');
  const replay = o.replay ?? createMemoryReplayStore();
  if (replay === null || typeof replay !== 'object' || typeof replay.use !== 'function') throw new ConfigError('dpop.replay must be a replay store (an object with use(id, iat, expiresAt))');
  const nonces = o.nonce === undefined ? null : createDpopNonces(o.nonce);
  return { origins, required: o.required === true, algorithms: [...new Set(algorithms)], maxAge, clockTolerance, replay, nonces };
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;

/** A proof header's key, once its header passed the checks that depend on it alone. */
interface ProofKeyEntry {
  readonly alg: string;
  readonly thumbprint: string;
  readonly key: Exclude<Awaited<ReturnType<typeof importJWK>>, Uint8Array>;
}

/**
 * Proof keys by the proof's header segment as sent. Why: a client signs every proof with one key
 * and one header (`typ`, `alg`, `jwk`), so the header's decoding, checks, RFC 7638 thumbprint and
 * key import (~10 µs, and an async import) are done once per client, not per request. Keyed by
 * the exact text, so only that header hits; bounded (cleared when full).
 */
const headers = new Map<string, ProofKeyEntry>();
const MAX_HEADERS = 4096;

/** The checked key of a proof header segment (cached), or a refusal; a key that is not `jkt`'s is never imported. */
async function proofKey(segment: string, jkt: string): Promise<ProofKeyEntry> {
  const known = headers.get(segment);
  if (known !== undefined) return known;
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw invalid('malformed');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw invalid('malformed');
  // typ compared as jose compares media types (RFC 7515 §4.1.9), and checked again by jwtVerify.
  if (typeof header.typ !== 'string' || !/^(application\/)?dpop\+jwt$/i.test(header.typ)) throw invalid('"typ" must be dpop+jwt');
  const alg = header.alg;
  if (typeof alg !== 'string' || !DPOP_ALGORITHMS.has(alg)) throw invalid('algorithm not allowed');
  const jwk = header.jwk as JWK | undefined;
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw invalid('"jwk" header must be a public key');
  if (jwk.kty === 'oct' || PRIVATE_MEMBERS.some((m) => (jwk as Record<string, unknown>)[m] !== undefined)) throw invalid('"jwk" header must be a public key');
  const ops = (jwk as { key_ops?: unknown }).key_ops;
  if ((jwk.use !== undefined && jwk.use !== 'sig') || (jwk.alg !== undefined && jwk.alg !== alg) || (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify')))) {
    throw invalid('"jwk" header is not a signing key for this algorithm');
  }
  const thumbprint = jwkThumbprint(jwk);
  if (thumbprint === null) throw invalid('"jwk" header must be a public key');
  // Before the import: a token holder cannot make the gate import (and cache) keys of their choice.
  if (thumbprint !== jkt) throw keyBinding();
  let key;
  try {
    key = await importJWK({ ...jwk, ext: true }, alg);
  } catch {
    throw invalid('"jwk" header must be a public key for its algorithm');
  }
  if (key instanceof Uint8Array || key.type !== 'public') throw invalid('"jwk" header must be a public key');
  const entry: ProofKeyEntry = { alg, thumbprint, key };
  if (headers.size >= MAX_HEADERS) headers.clear();
  headers.set(segment, entry);
  return entry;
}

/**
 * Check the proof of a request carrying the DPoP-bound `token` whose `cnf.jkt` is `jkt`.
 * Resolves when it holds; rejects with `DpopProofError` (401), `UnauthorizedError` (401, the
 * proof's key is not the token's) or `ReplayUnavailableError` (503).
 */
export async function checkDpopProof(settings: DpopSettings, request: DpopRequest, token: string, jkt: string): Promise<void> {
  const proof = oneProof(request.proof);
  const segment = proof.slice(0, proof.indexOf('.'));
  // A known header needs no promise of its own: one microtask fewer per request.
  const { alg, thumbprint, key } = headers.get(segment) ?? (await proofKey(segment, jkt));
  if (thumbprint !== jkt) throw keyBinding();
  if (!settings.algorithms.includes(alg)) throw invalid('algorithm not allowed');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, key, { typ: 'dpop+jwt', algorithms: [alg], clockTolerance: settings.clockTolerance, requiredClaims: ['jti', 'htm', 'htu', 'iat'] }));
  } catch {
    throw invalid('signature or claims check failed');
  }
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) throw invalid('"jti" must be a string of 1 to 256 characters');
  if (htm !== request.method) throw invalid('"htm" does not match the request method');
  if (typeof htu !== 'string' || !sameResource(settings, htu, request.target)) throw invalid('"htu" does not match the request URL');
  const now = Date.now() / 1000;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid('"iat" must be a number');
  if (iat < now - settings.maxAge) throw invalid('proof too old');
  if (iat > now + settings.clockTolerance) throw invalid('"iat" is in the future');
  if (ath !== createHash('sha256').update(token).digest('base64url')) throw invalid('"ath" does not match the access token');
  const nonces = settings.nonces;
  if (nonces !== null && !nonces.accepts(payload.nonce)) {
    const current = nonces.current();
    throw new DpopProofError('ERR_DPOP_NONCE_REQUIRED', payload.nonce === undefined ? 'Authorization server requires nonce in DPoP proof' : 'DPoP proof nonce is stale or invalid', current);
  }
  // Last, so that a proof refused for any other reason does not take an entry.
  const id = createHash('sha256').update(`${thumbprint}\n${jti}`).digest('base64url');
  let fresh: boolean;
  try {
    fresh = await settings.replay.use(id, iat, Math.ceil((iat + settings.maxAge + 1) * 1000), thumbprint);
  } catch (err) {
    throw err instanceof ScopeGateError ? err : new ReplayUnavailableError(err);
  }
  if (fresh !== true) throw invalid('proof already used');
}

/**
 * RFC 7638 thumbprint (SHA-256, base64url) of a public JWK: the hash of its required members,
 * in lexical order, as JSON without whitespace. Why not jose's `calculateJwkThumbprint`: it
 * hashes with WebCrypto's asynchronous digest, 50–70 µs a call here against 2–6 µs for this, on
 * every DPoP request. `null` for a key type or member that is not one of a public key.
 */
export function jwkThumbprint(jwk: JWK): string | null {
  const m = jwk as Record<string, unknown>;
  let members: Record<string, unknown>;
  if (m.kty === 'EC') members = { crv: m.crv, kty: 'EC', x: m.x, y: m.y };
  else if (m.kty === 'RSA') members = { e: m.e, kty: 'RSA', n: m.n };
  else if (m.kty === 'OKP') members = { crv: m.crv, kty: 'OKP', x: m.x };
  else return null;
  for (const v of Object.values(members)) if (typeof v !== 'string' || v === '') return null;
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** The one `DPoP` header value, a canonical compact JWS. */
function oneProof(value: AuthorizationInput): string {
  if (value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)) throw invalid('no DPoP proof (the DPoP header)');
  if (typeof value !== 'string') {
    if (value.length > 1) throw invalid('several DPoP headers');
    return oneProof(value[0]);
  }
  // Node joins repeated DPoP headers with ", ": a comma is never part of a compact JWS.
  if (value.includes(',')) throw invalid('several DPoP headers');
  if (value.length > MAX_PROOF_LENGTH || !isCanonicalCompactJws(value)) throw invalid('malformed');
  return value;
}

/** `htu` names this request: one of the configured origins and the request's path, both normalised. */
function sameResource(settings: DpopSettings, htu: string, target: string): boolean {
  const uri = normalizeHttpUri(htu);
  if (uri === null || !settings.origins.has(uri.origin)) return false;
  if (target.charCodeAt(0) !== 0x2f /* / */) return false; // origin-form only
  const end = target.search(/[?#]/);
  const path = normalizePath(end === -1 ? target : target.slice(0, end));
  return path !== null && path === uri.path;
}

/** RFC 9449 §7.1's answer for a proof whose key is not the one the token is bound to. */
function keyBinding(): UnauthorizedError {
  return new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: DPoP key binding does not match');
}

function invalid(why: string): DpopProofError {
  return new DpopProofError('ERR_DPOP_PROOF_INVALID', `Invalid DPoP proof: ${why}`);
}
