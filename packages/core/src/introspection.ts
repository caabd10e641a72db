/**
 * OAuth 2.0 Token Introspection (RFC 7662): ask the authorization server whether an opaque token
 * is active, and with which claims. No web framework and no dependency: Node's global `fetch`
 * (undici) does the HTTP.
 *
 * - One POST per token, `application/x-www-form-urlencoded`, `token=` (and `token_type_hint`),
 *   the client authenticated by `client_secret_basic` (id and secret form-urlencoded before
 *   base64, RFC 6749 §2.3.1), `client_secret_post` or a bearer credential. No redirect is
 *   followed, at most `maxBodyBytes` are read, the whole exchange is bounded by `timeout`.
 * - Single-flight: concurrent introspections of one token share one request.
 * - A cache bounded in size (least recently used entries go first) and in time: an active result
 *   at most `maxAge` and never past its `exp`; a refusal (`active: false`, expired, not yet valid)
 *   `inactiveMaxAge`, so a flood of random tokens costs one request per distinct token, once.
 *   Keys are SHA-256 digests of the tokens: the cache holds no token, and no key can be chosen
 *   to collide.
 * - Fail closed, and say whose fault it is: the endpoint down, slow, answering anything but 200
 *   with a JSON introspection response (`active` the boolean `true` or `false`, registered claims
 *   of their registered types) → `IntrospectionUnavailableError` (503), never a pass and never a
 *   401; `active: false`, `exp` passed, `nbf` to come → `UnauthorizedError` (401). Outages are
 *   never cached: the next request asks again. `exp` and `nbf` are read against this machine's
 *   clock, without leeway (the endpoint has just said "active"; a caller may add its own).
 * - The claims an active token resolves with are deep-frozen and shared: one object per answer,
 *   returned to every request the cache serves it to.
 *
 * The token never appears in an error, a message or a log line (nothing is logged), and neither
 * do the client credentials.
 */
import { createHash } from 'node:crypto';
import { isToken68 } from './bearer';
import { ConfigError, IntrospectionUnavailableError, UnauthorizedError } from './errors';

export interface IntrospectionOptions {
  /** The introspection endpoint (https; http only on loopback unless allowInsecureHttp). */
  url: string;
  /** Client authentication: client_secret_basic (default when clientSecret given), client_secret_post, or a bearer credential. */
  clientAuth: { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; clientSecret: string } | { method: 'bearer'; token: string };
  /** Which tokens go there: 'opaque' (not JWT-shaped; default) or 'all'. (Read by the verifier.) */
  tokens?: 'opaque' | 'all';
  /** Active results cached at most this long (never past the token's exp); default 60_000 ms. */
  maxAge?: number;
  /** Inactive results cached this long, so a flood of random tokens cannot hammer the endpoint; default 10_000 ms; 0 disables. */
  inactiveMaxAge?: number;
  /** Most cached results (active + inactive); default 10_000. */
  maxEntries?: number;
  /** Request timeout, ms; default 2_000. */
  timeout?: number;
  /** Max response body bytes; default 64 KiB. */
  maxBodyBytes?: number;
  allowInsecureHttp?: boolean;
  /** Extra form fields (e.g. token_type_hint: 'access_token'). */
  tokenTypeHint?: string;
}

export interface Introspector {
  /** Active: resolves with the response's claims (scope, exp, sub, aud, iss, client_id, …; `active` removed). Inactive: rejects UnauthorizedError('ERR_TOKEN_INVALID'). Endpoint down/slow/junk: rejects IntrospectionUnavailableError (503). */
  introspect(token: string): Promise<Record<string, unknown>>;
  readonly stats: { hits: number; misses: number; size: number; requests: number; failures: number };
}

const DEFAULT_MAX_AGE = 60_000;
const DEFAULT_INACTIVE_MAX_AGE = 10_000;
const DEFAULT_MAX_ENTRIES = 10_000;
const DEFAULT_TIMEOUT = 2_000;
const DEFAULT_MAX_BODY = 64 * 1024;
/** setTimeout's largest delay; a longer one fires at once. */
const MAX_TIMER = 2_147_483_647;

const OPTION_NAMES = ['url', 'clientAuth', 'tokens', 'maxAge', 'inactiveMaxAge', 'maxEntries', 'timeout', 'maxBodyBytes', 'allowInsecureHttp', 'tokenTypeHint'];
const METHODS = ['client_secret_basic', 'client_secret_post', 'bearer'];

/**
 * The registered response members of RFC 7662 §2.2 and the type each must have. An active
 * response with one of another type is junk (503): the decision reads `scope`, `exp`, `sub`,
 * `aud`…, and a server that sends `exp: "tomorrow"` cannot be trusted with the rest.
 */
const CLAIM_TYPES: Record<string, 'string' | 'number' | 'audience'> = {
  scope: 'string',
  client_id: 'string',
  username: 'string',
  token_type: 'string',
  sub: 'string',
  iss: 'string',
  jti: 'string',
  exp: 'number',
  iat: 'number',
  nbf: 'number',
  aud: 'audience',
};

/** Why an exchange gave no usable answer: the `cause` of `IntrospectionUnavailableError`. Safe to log (no token, no credential). */
class IntrospectionFailure extends Error {
  override readonly name = 'IntrospectionFailure';
}

/** A refusal kept in the cache; a fresh `UnauthorizedError` is thrown for every request. */
interface Refusal {
  readonly code: 'ERR_TOKEN_INVALID' | 'ERR_TOKEN_EXPIRED';
  readonly description: string;
}

type Outcome = { readonly active: true; readonly claims: Readonly<Record<string, unknown>> } | { readonly active: false; readonly refusal: Refusal };

interface Entry {
  readonly outcome: Outcome;
  readonly until: number;
}

const INACTIVE: Outcome = { active: false, refusal: { code: 'ERR_TOKEN_INVALID', description: 'Invalid token: not active' } };
const EXPIRED: Outcome = { active: false, refusal: { code: 'ERR_TOKEN_EXPIRED', description: 'Token expired' } };
const NOT_YET_VALID: Outcome = { active: false, refusal: { code: 'ERR_TOKEN_INVALID', description: 'Invalid token: "nbf" claim check failed' } };

/**
 * Build an introspector. Bad options throw `ConfigError` here, naming the option (never echoing a
 * credential).
 *
 * @example
 * const introspector = createIntrospector({
 *   url: 'https://issuer.example/oauth2/introspect',
 *   clientAuth: { method: 'client_secret_basic', clientId: 'my-api', clientSecret: process.env.INTROSPECTION_SECRET! },
 * });
 * const claims = await introspector.introspect(token); // { scope: 'users.read', sub: '…', exp: …, … }
 */
export function createIntrospector(options: IntrospectionOptions): Introspector {
  if (options === null || typeof options !== 'object') throw new ConfigError('introspection options must be an object');
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.includes(name)) throw new ConfigError(`introspection.${safeName(name)} is not an option (one of ${OPTION_NAMES.join(', ')})`);
  }
  const url = endpointUrl(options);
  const auth = clientAuthentication(options.clientAuth);
  if (options.tokens !== undefined && options.tokens !== 'opaque' && options.tokens !== 'all') {
    throw new ConfigError(`introspection.tokens must be 'opaque' or 'all'`);
  }
  const maxAge = duration(options.maxAge, DEFAULT_MAX_AGE, 'maxAge');
  const inactiveMaxAge = duration(options.inactiveMaxAge, DEFAULT_INACTIVE_MAX_AGE, 'inactiveMaxAge');
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (!(Number.isSafeInteger(maxEntries) && maxEntries >= 0)) throw new ConfigError('introspection.maxEntries must be a non-negative integer');
  const timeout = options.timeout ?? DEFAULT_TIMEOUT;
  if (!(typeof timeout === 'number' && timeout > 0 && timeout <= MAX_TIMER)) throw new ConfigError(`introspection.timeout must be a positive number of ms (at most ${MAX_TIMER})`);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  if (!(Number.isSafeInteger(maxBodyBytes) && maxBodyBytes > 0)) throw new ConfigError('introspection.maxBodyBytes must be a positive integer');
  const hint = options.tokenTypeHint;
  if (hint !== undefined && !(typeof hint === 'string' && hint.length > 0)) throw new ConfigError('introspection.tokenTypeHint must be a non-empty string');

  const cache = new ResultCache(maxEntries);
  const inflight = new Map<string, Promise<Outcome>>();
  const stats = { hits: 0, misses: 0, requests: 0, failures: 0 };

  /** One exchange with the endpoint, read into an outcome and cached; a failure is not cached. */
  const ask = async (key: string, token: string): Promise<Outcome> => {
    stats.requests++;
    let outcome: Outcome;
    try {
      outcome = await exchange(url, auth, hint, token, timeout, maxBodyBytes);
    } catch (err) {
      stats.failures++;
      // Only our own, token-free reasons leave this module.
      throw err instanceof IntrospectionFailure ? err : new IntrospectionFailure('the introspection request failed unexpectedly');
    }
    const now = Date.now();
    let until: number;
    if (!outcome.active) {
      until = now + inactiveMaxAge;
    } else {
      const { exp, nbf } = outcome.claims as { exp?: number; nbf?: number };
      // Active, says the server; a passed `exp` or a future `nbf` still refuses it here.
      if (exp !== undefined && exp * 1000 <= now) {
        outcome = EXPIRED;
        until = now + inactiveMaxAge;
      } else if (nbf !== undefined && nbf * 1000 > now) {
        outcome = NOT_YET_VALID;
        until = Math.min(now + inactiveMaxAge, nbf * 1000);
      } else {
        // At most maxAge, and never past exp.
        until = Math.min(now + maxAge, exp === undefined ? Infinity : exp * 1000);
      }
    }
    cache.set(key, outcome, until, now);
    return outcome;
  };

  const answer = (outcome: Outcome): Record<string, unknown> => {
    if (outcome.active) return outcome.claims as Record<string, unknown>;
    throw new UnauthorizedError(outcome.refusal.code, outcome.refusal.description);
  };

  return {
    async introspect(token: string): Promise<Record<string, unknown>> {
      if (typeof token !== 'string' || token.length === 0) throw new UnauthorizedError('ERR_TOKEN_MISSING', 'No token provided');
      // A bearer token is a token68 (RFC 6750 §2.1); anything else is not sent anywhere.
      if (!isToken68(token)) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: malformed');
      const key = createHash('sha256').update(token).digest('base64url');
      const cached = cache.get(key, Date.now());
      if (cached !== undefined) {
        stats.hits++;
        return answer(cached);
      }
      stats.misses++;
      let pending = inflight.get(key);
      if (pending === undefined) {
        pending = ask(key, token).finally(() => inflight.delete(key));
        inflight.set(key, pending);
      }
      let outcome: Outcome;
      try {
        outcome = await pending;
      } catch (err) {
        // A fresh error for each caller (errors are mutable); the shared failure is its cause.
        throw new IntrospectionUnavailableError(err);
      }
      return answer(outcome);
    },
    get stats() {
      return { ...stats, size: cache.size };
    },
  };
}

/** How the client authenticates: the request headers and extra form fields it adds. */
interface ClientAuthentication {
  readonly headers: Readonly<Record<string, string>>;
  readonly form: readonly (readonly [string, string])[];
}

function endpointUrl(options: IntrospectionOptions): string {
  if (typeof options.url !== 'string') throw new ConfigError('introspection.url must be a string (the introspection endpoint)');
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new ConfigError('introspection.url must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('introspection.url must be an http or https URL');
  if (url.username !== '' || url.password !== '') throw new ConfigError('introspection.url must not hold credentials; give them in introspection.clientAuth');
  const insecure = options.allowInsecureHttp;
  if (insecure !== undefined && typeof insecure !== 'boolean') throw new ConfigError('introspection.allowInsecureHttp must be a boolean');
  // Tokens and client credentials over plain HTTP can be read by anyone on the path.
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && insecure !== true) {
    throw new ConfigError('introspection.url must be https (http only on a loopback host, or with introspection.allowInsecureHttp: true)');
  }
  return url.href;
}

function clientAuthentication(value: IntrospectionOptions['clientAuth']): ClientAuthentication {
  if (value === null || typeof value !== 'object') throw new ConfigError('introspection.clientAuth must be an object ({ method, clientId, clientSecret } or { method: "bearer", token })');
  const given = value as { method?: unknown; clientId?: unknown; clientSecret?: unknown; token?: unknown };
  // `method` may be left out when a client secret is given: client_secret_basic, RFC 6749's default.
  const method = given.method === undefined && given.clientSecret !== undefined ? 'client_secret_basic' : given.method;
  if (typeof method !== 'string' || !METHODS.includes(method)) {
    throw new ConfigError(`introspection.clientAuth.method must be one of ${METHODS.join(', ')}`);
  }
  const allowed = method === 'bearer' ? ['method', 'token'] : ['method', 'clientId', 'clientSecret'];
  for (const name of Object.keys(value)) {
    if (!allowed.includes(name)) throw new ConfigError(`introspection.clientAuth.${safeName(name)} does not go with method ${method} (give ${allowed.join(', ')})`);
  }
  if (method === 'bearer') {
    // Sent as `Authorization: Bearer <token>`: a token68, so it cannot break the header.
    if (typeof given.token !== 'string' || !isToken68(given.token)) throw new ConfigError('introspection.clientAuth.token must be a non-empty token68 string');
    return { headers: { authorization: `Bearer ${given.token}` }, form: [] };
  }
  if (typeof given.clientId !== 'string' || given.clientId.length === 0) throw new ConfigError('introspection.clientAuth.clientId must be a non-empty string');
  if (typeof given.clientSecret !== 'string' || given.clientSecret.length === 0) throw new ConfigError('introspection.clientAuth.clientSecret must be a non-empty string');
  if (method === 'client_secret_post') return { headers: {}, form: [['client_id', given.clientId], ['client_secret', given.clientSecret]] };
  // RFC 6749 §2.3.1: id and secret are form-urlencoded (Appendix B), then joined by ':' and base64-encoded.
  const basic = Buffer.from(`${formEncode(given.clientId)}:${formEncode(given.clientSecret)}`, 'utf8').toString('base64');
  return { headers: { authorization: `Basic ${basic}` }, form: [] };
}

/** application/x-www-form-urlencoded encoding of one value (space as `+`, UTF-8 percent-encoded). */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

function duration(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) throw new ConfigError(`introspection.${name} must be a non-negative number of ms`);
  return value;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** An unknown option's name, quoted into a message only when it looks like a name. */
function safeName(name: string): string {
  return /^[A-Za-z0-9_$-]{1,40}$/.test(name) ? name : '<option>';
}

/**
 * POST the token; read the answer. Resolves with the outcome (active with its claims, or
 * inactive); rejects with an `IntrospectionFailure` saying why no usable answer came.
 */
async function exchange(url: string, auth: ClientAuthentication, hint: string | undefined, token: string, timeout: number, maxBody: number): Promise<Outcome> {
  const form = new URLSearchParams();
  form.set('token', token);
  if (hint !== undefined) form.set('token_type_hint', hint);
  for (const [name, value] of auth.form) form.set(name, value);
  const controller = new AbortController();
  // A flag, not the error's class: whoever rejects (fetch, the body stream) decides the error.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('timeout', 'TimeoutError'));
  }, timeout);
  const fail = (reason: string): never => {
    controller.abort();
    throw new IntrospectionFailure(reason);
  };
  try {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { ...auth.headers, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        redirect: 'manual',
        signal: controller.signal,
      });
    } catch (err) {
      throw new IntrospectionFailure(timedOut ? `the introspection endpoint did not answer within ${timeout} ms` : unreachable(err));
    }
    if (res.status >= 300 && res.status < 400) fail(`the introspection endpoint answered a redirect (${res.status}); redirects are not followed: set introspection.url to where it points`);
    if (res.status === 401 || res.status === 403) fail(`the introspection endpoint answered ${res.status}: check introspection.clientAuth`);
    if (res.status !== 200) fail(`the introspection endpoint answered ${res.status}`);
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json' && !type.endsWith('+json')) fail('the introspection endpoint answered something that is not application/json');
    if (Number(res.headers.get('content-length')) > maxBody) fail(`the introspection response is larger than ${maxBody} bytes (maxBodyBytes)`);
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      if (res.body) {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          size += chunk.byteLength;
          if (size > maxBody) fail(`the introspection response is larger than ${maxBody} bytes (maxBodyBytes)`);
          chunks.push(chunk);
        }
      }
    } catch (err) {
      if (err instanceof IntrospectionFailure) throw err;
      throw new IntrospectionFailure(timedOut ? `the introspection endpoint did not answer within ${timeout} ms` : unreachable(err));
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      fail('the introspection endpoint answered something that is not JSON');
    }
    return readResponse(body);
  } finally {
    clearTimeout(timer);
  }
}

/** An RFC 7662 §2.2 response, or an `IntrospectionFailure` naming what is wrong with it. */
function readResponse(body: unknown): Outcome {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new IntrospectionFailure('the introspection response is not a JSON object');
  const { active, ...claims } = body as Record<string, unknown>;
  if (active === false) return INACTIVE;
  // Strictly the boolean: "true", 1 or a missing member is a server (or something in front of it) gone wrong.
  if (active !== true) throw new IntrospectionFailure(`the introspection response's "active" is ${active === undefined ? 'missing' : 'not a boolean'}`);
  for (const [name, type] of Object.entries(CLAIM_TYPES)) {
    const value = claims[name];
    if (value === undefined) continue;
    const ok =
      type === 'string' ? typeof value === 'string'
      : type === 'number' ? typeof value === 'number' && Number.isFinite(value)
      : typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
    if (!ok) throw new IntrospectionFailure(`the introspection response's "${name}" is not a ${type === 'audience' ? 'string or an array of strings' : type}`);
  }
  return { active: true, claims: deepFreeze(claims) };
}

/** Why the endpoint could not be reached, with the system error code when there is one (ECONNREFUSED…). */
function unreachable(err: unknown): string {
  // Duck-typed: errors from Node internals may come from another realm (jest's), failing `instanceof`.
  const cause = err !== null && typeof err === 'object' ? (err as { cause?: unknown }).cause : undefined;
  const code = cause !== null && typeof cause === 'object' ? (cause as { code?: unknown }).code : undefined;
  return `the introspection endpoint could not be reached${typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? ` (${code})` : ''}`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Results by token digest, bounded: at most `max` entries, the least recently used going first
 * (a Map iterates in insertion order; a hit re-inserts), each dropped when its time is up.
 */
class ResultCache {
  readonly #map = new Map<string, Entry>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: string, now: number): Outcome | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    this.#map.delete(key);
    if (now >= entry.until) return undefined;
    this.#map.set(key, entry);
    return entry.outcome;
  }

  /** Keep `outcome` until `until` (ms since the epoch); nothing already out of time is kept. */
  set(key: string, outcome: Outcome, until: number, now: number): void {
    if (!(until > now) || this.#max === 0) return;
    this.#map.delete(key);
    while (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      this.#map.delete(oldest.value);
    }
    this.#map.set(key, { outcome, until });
  }
}
