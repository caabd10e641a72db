/**
 * One error base for everything scopegate throws, in the manner of jose's `util/errors`:
 * branch on `code` (stable, typed), not on messages. Errors that answer an HTTP request carry
 * the `status` and `headers` an HTTP framework should send; configuration errors are thrown
 * at build time and carry status 500.
 */

/** Codes of errors thrown while compiling a route table. */
export type RouteConfigErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_INVALID_RULE'
  | 'ERR_INVALID_METHOD'
  | 'ERR_INVALID_PATTERN'
  | 'ERR_INVALID_SCOPE'
  | 'ERR_UNKNOWN_SCOPE'
  | 'ERR_PUBLIC_WITH_SCOPES'
  | 'ERR_NO_REQUIREMENT'
  | 'ERR_DUPLICATE_ROUTE'
  | 'ERR_AMBIGUOUS_ROUTES'
  /** A `bind` that cannot hold: a param the pattern lacks, optional or a wildcard, a public rule, a bad claim name. */
  | 'ERR_INVALID_BINDING';

/** Codes of errors that answer a request. */
export type RequestErrorCode =
  /** 400: a matched param has malformed percent-encoding. */
  | 'ERR_BAD_PATH'
  /** 400: malformed `Authorization` header, several credentials (RFC 6750 `invalid_request`). */
  | 'ERR_BAD_REQUEST'
  /** 401: no bearer token. */
  | 'ERR_TOKEN_MISSING'
  /** 401: the token failed verification (signature, algorithm, claims, format). */
  | 'ERR_TOKEN_INVALID'
  /** 401: the token's `exp` (or `maxTokenAge`) has passed. */
  | 'ERR_TOKEN_EXPIRED'
  /** 401: `isRevoked` said so. */
  | 'ERR_TOKEN_REVOKED'
  /** 403: the token lacks a required scope. */
  | 'ERR_INSUFFICIENT_SCOPE'
  /** 403: a path param bound to a claim is not the token's (another tenant's data). */
  | 'ERR_BINDING_MISMATCH'
  /** 403: no rule covers the request (tables deny unknown routes). */
  | 'ERR_NO_ROUTE'
  /** 503: the key set could not be fetched, so the token could not be checked. */
  | 'ERR_KEYS_UNAVAILABLE'
  /** 503: the revocation list could not be kept current for longer than allowed. */
  | 'ERR_REVOCATION_UNAVAILABLE'
  /** 503: the token introspection endpoint (RFC 7662) could not give a usable answer (down, slow, junk). */
  | 'ERR_INTROSPECTION_UNAVAILABLE'
  /** 401: the DPoP proof (RFC 9449) is missing, malformed, or does not fit the request or the token (`invalid_dpop_proof`). */
  | 'ERR_DPOP_PROOF_INVALID'
  /** 401: the DPoP proof lacks the server's current nonce (`use_dpop_nonce`; the answer carries `DPoP-Nonce`). */
  | 'ERR_DPOP_NONCE_REQUIRED'
  /** 503: the DPoP replay store could not answer, so a proof could not be checked for reuse. */
  | 'ERR_REPLAY_UNAVAILABLE'
  /** 500: something failed inside the check (a callback threw); the request is refused. */
  | 'ERR_INTERNAL';

/** Codes of errors thrown when building a verifier or a gate from bad options. */
export type ConfigErrorCode = 'ERR_INVALID_OPTION';

export type ScopeGateErrorCode = RouteConfigErrorCode | RequestErrorCode | ConfigErrorCode;

export interface ScopeGateErrorOptions {
  status?: number;
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * Base class of every error scopegate throws.
 *
 * @example
 * try { compileRoutes(rules) } catch (e) {
 *   if (e instanceof ScopeGateError && e.code === 'ERR_AMBIGUOUS_ROUTES') console.error(e.message)
 * }
 */
export class ScopeGateError extends Error {
  /** Stable machine-readable code. */
  readonly code: ScopeGateErrorCode;
  /** HTTP status to answer with (500 for configuration errors). */
  readonly status: number;
  /** HTTP headers to answer with (e.g. `WWW-Authenticate`). */
  readonly headers: Readonly<Record<string, string>>;
  /** Who was refused, when the token was verified before the refusal (403, bad path): identifiers only. */
  subject: { readonly sub: string | null; readonly jti: string | null } | undefined;

  constructor(code: ScopeGateErrorCode, message: string, options: ScopeGateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.headers = Object.freeze({ ...options.headers });
    this.subject = undefined;
  }
}

/** Where in the rule list a configuration error was found. */
export interface RuleLocation {
  index: number;
  method: string;
  path: string;
}

/**
 * A route table that cannot be compiled. Thrown by `compileRoutes`, naming the offending rule
 * (its index, method and pattern) and, for conflicts, the other rule.
 */
export class RouteConfigError extends ScopeGateError {
  declare readonly code: RouteConfigErrorCode;
  /** The rule at fault, when the error is about a rule. */
  readonly rule: RuleLocation | undefined;
  /** The rule it conflicts with (duplicates and ambiguities). */
  readonly otherRule: RuleLocation | undefined;

  constructor(
    code: RouteConfigErrorCode,
    message: string,
    rule?: RuleLocation,
    otherRule?: RuleLocation,
  ) {
    super(code, (rule ? `${describeRule(rule)}: ` : '') + message + (otherRule ? ` (${describeRule(otherRule)})` : ''));
    this.rule = rule;
    this.otherRule = otherRule;
  }
}

/** Bad options given to `createVerifier`, `scopeGate` or another builder; thrown at build time. */
export class ConfigError extends ScopeGateError {
  declare readonly code: ConfigErrorCode;
  constructor(message: string) {
    super('ERR_INVALID_OPTION', message);
  }
}

/**
 * The request path cannot be decoded (malformed percent-encoding in a parameter). Express's
 * router answers such a request with 400; so does the gate. Never a match.
 */
export class BadPathError extends ScopeGateError {
  declare readonly code: 'ERR_BAD_PATH';
  constructor(message = 'Malformed request path') {
    super('ERR_BAD_PATH', message, { status: 400 });
  }
}

/** RFC 6750 challenge parameters of a request error. */
export interface BearerChallenge {
  /** RFC 6750 §3.1 codes, and RFC 9449 §7.1's `invalid_dpop_proof` / `use_dpop_nonce` (DPoP challenges only). */
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'use_dpop_nonce';
  error_description?: string;
  scope?: string;
  /** RFC 9728 §5.1: the URL of the protected resource metadata. */
  resource_metadata?: string;
}

/**
 * Base of the errors that answer a request with an RFC 6750 challenge: `headers` holds the
 * `WWW-Authenticate: Bearer …` value, `message` is safe to show (never a token, key or claim).
 */
abstract class ChallengeError extends ScopeGateError {
  /** The challenge's parameters, to rebuild the header for another realm. */
  readonly challenge: Readonly<BearerChallenge>;
  constructor(code: RequestErrorCode, message: string, status: number, challenge: BearerChallenge, realm: string | undefined, cause?: unknown, scheme: 'Bearer' | 'DPoP' = 'Bearer', extra?: Record<string, string>) {
    super(code, message, { status, headers: { 'WWW-Authenticate': authChallenge(scheme, realm, challenge), ...extra }, cause });
    this.challenge = Object.freeze({ ...challenge });
  }
}

/**
 * A copy of a request error answering with other headers (the same class, code, message, cause
 * and subject): how `authorize` puts a `DPoP` challenge beside or in place of the `Bearer` one.
 */
export function withHeaders<E extends ScopeGateError>(error: E, headers: Record<string, string>): E {
  const copy = Object.create(Object.getPrototypeOf(error) as object) as E;
  for (const key of Reflect.ownKeys(error)) Object.defineProperty(copy, key, Object.getOwnPropertyDescriptor(error, key)!);
  Object.defineProperty(copy, 'headers', { value: Object.freeze({ ...headers }), enumerable: true, writable: false, configurable: true });
  return copy;
}

/** 400 `invalid_request`: a malformed `Authorization` header or several credentials. */
export class InvalidRequestError extends ChallengeError {
  declare readonly code: 'ERR_BAD_REQUEST';
  constructor(description: string, realm?: string) {
    super('ERR_BAD_REQUEST', description, 400, { error: 'invalid_request', error_description: description }, realm);
  }
}

/**
 * 401: no token (`ERR_TOKEN_MISSING`, challenge without error code, as RFC 6750 §3.1 asks),
 * or a token that failed (`ERR_TOKEN_INVALID`, `ERR_TOKEN_EXPIRED`, `ERR_TOKEN_REVOKED`:
 * `error="invalid_token"` with a safe description).
 */
export class UnauthorizedError extends ChallengeError {
  declare readonly code: 'ERR_TOKEN_MISSING' | 'ERR_TOKEN_INVALID' | 'ERR_TOKEN_EXPIRED' | 'ERR_TOKEN_REVOKED';
  /** `resourceMetadata`: the RFC 9728 metadata URL, added to the challenge as `resource_metadata`. */
  constructor(code: UnauthorizedError['code'], description: string, realm?: string, cause?: unknown, resourceMetadata?: string) {
    super(code, description, 401, withMetadata(code === 'ERR_TOKEN_MISSING' ? {} : { error: 'invalid_token', error_description: description }, resourceMetadata), realm, cause);
  }
}

/**
 * 403: the token is valid but lacks scopes (`ERR_INSUFFICIENT_SCOPE`, with `scope="…"`), a path
 * param bound to a claim is not the token's (`ERR_BINDING_MISMATCH`, with an `error_description`
 * naming the param and the claim, never a value), or no rule covers the request
 * (`ERR_NO_ROUTE`). Not a subclass of `UnauthorizedError`.
 */
export class ForbiddenError extends ChallengeError {
  declare readonly code: 'ERR_INSUFFICIENT_SCOPE' | 'ERR_BINDING_MISMATCH' | 'ERR_NO_ROUTE';
  /** Scopes the rule requires (empty for `ERR_NO_ROUTE` and `ERR_BINDING_MISMATCH`). */
  readonly requiredScopes: readonly string[];
  /** The binding that failed (`ERR_BINDING_MISMATCH`): param and claim names, never values. */
  readonly binding: { readonly param: string; readonly claim: string } | null;
  /** `resourceMetadata`: the RFC 9728 metadata URL, added to the challenge as `resource_metadata`. */
  constructor(code: ForbiddenError['code'], requiredScopes: readonly string[], realm?: string, binding?: { readonly param: string; readonly claim: string }, resourceMetadata?: string) {
    super(
      code,
      'Access Forbidden',
      403,
      withMetadata(
        binding
          ? { error: 'insufficient_scope', error_description: `The token is not bound to this ${binding.param} (claim ${binding.claim})` }
          : requiredScopes.length
            ? { error: 'insufficient_scope', scope: requiredScopes.join(' ') }
            : { error: 'insufficient_scope' },
        resourceMetadata,
      ),
      realm,
    );
    this.requiredScopes = Object.freeze([...requiredScopes]);
    this.binding = binding ? Object.freeze({ param: binding.param, claim: binding.claim }) : null;
  }
}

/**
 * 401 for a DPoP proof (RFC 9449 §7.1): `ERR_DPOP_PROOF_INVALID` (`invalid_dpop_proof`: missing,
 * several, malformed, wrong method or URL, stale, reused, not for this token) or
 * `ERR_DPOP_NONCE_REQUIRED` (`use_dpop_nonce`: the proof must carry `nonce`, the one in the
 * answer's `DPoP-Nonce` header). The challenge is a `DPoP` one; `authorize` adds the `algs` and,
 * when bearer tokens are accepted too, a `Bearer` challenge beside it.
 */
export class DpopProofError extends ChallengeError {
  declare readonly code: 'ERR_DPOP_PROOF_INVALID' | 'ERR_DPOP_NONCE_REQUIRED';
  /** The nonce to use (`ERR_DPOP_NONCE_REQUIRED`), also in `headers['DPoP-Nonce']`. */
  readonly nonce: string | null;
  constructor(code: DpopProofError['code'], description: string, nonce: string | null = null) {
    const error = code === 'ERR_DPOP_NONCE_REQUIRED' ? 'use_dpop_nonce' : 'invalid_dpop_proof';
    super(code, description, 401, { error, error_description: description }, undefined, undefined, 'DPoP', nonce === null ? undefined : { 'DPoP-Nonce': nonce });
    this.nonce = nonce;
  }
}

/** 503: the verification keys could not be had (key server down or slow); not the token's fault. */
export class KeysUnavailableError extends ScopeGateError {
  declare readonly code: 'ERR_KEYS_UNAVAILABLE';
  constructor(message = 'Authentication keys unavailable', cause?: unknown) {
    super('ERR_KEYS_UNAVAILABLE', message, { status: 503, headers: { 'Retry-After': '5' }, cause });
  }
}

/** 503: revocations cannot be checked (a shared store unreachable for longer than allowed). */
export class RevocationUnavailableError extends ScopeGateError {
  declare readonly code: 'ERR_REVOCATION_UNAVAILABLE';
  constructor(message = 'Revocation list unavailable', cause?: unknown) {
    super('ERR_REVOCATION_UNAVAILABLE', message, { status: 503, headers: { 'Retry-After': '5' }, cause });
  }
}

/**
 * 503: the token introspection endpoint (RFC 7662) gave no usable answer: unreachable, too slow,
 * a status other than 200, a redirect, or a body that is not an introspection response (not
 * JSON, `active` not the boolean `true`/`false`, a registered claim of the wrong type). Not the
 * token's fault, so not a 401: the request is refused (fail closed) and may be retried. The
 * message is fixed; `cause` says why (never the token), for logs.
 */
export class IntrospectionUnavailableError extends ScopeGateError {
  declare readonly code: 'ERR_INTROSPECTION_UNAVAILABLE';
  constructor(cause?: unknown) {
    super('ERR_INTROSPECTION_UNAVAILABLE', 'Token introspection unavailable', { status: 503, headers: { 'Retry-After': '5' }, cause });
  }
}

/** 503: the DPoP replay store (RFC 9449 §11.1) could not answer; a proof that cannot be checked for reuse is refused. */
export class ReplayUnavailableError extends ScopeGateError {
  declare readonly code: 'ERR_REPLAY_UNAVAILABLE';
  constructor(cause?: unknown) {
    super('ERR_REPLAY_UNAVAILABLE', 'DPoP replay check unavailable', { status: 503, headers: { 'Retry-After': '5' }, cause });
  }
}

/** 500: a failure inside the check (e.g. a callback threw). The request is refused, never passed. */
export class InternalError extends ScopeGateError {
  declare readonly code: 'ERR_INTERNAL';
  constructor(cause?: unknown) {
    super('ERR_INTERNAL', 'Internal Server Error', { status: 500, cause });
  }
}

/**
 * A `WWW-Authenticate: Bearer …` value (RFC 6750 §3). Values are quoted-strings: `"` and `\` are
 * escaped, and anything outside printable ASCII is replaced, so no value can break the header.
 *
 * @example
 * bearerChallenge('api', { error: 'insufficient_scope', scope: 'users.read' })
 * // → 'Bearer realm="api", error="insufficient_scope", scope="users.read"'
 * bearerChallenge(undefined, { resource_metadata: 'https://r.example/.well-known/oauth-protected-resource' })
 * // → 'Bearer resource_metadata="https://r.example/.well-known/oauth-protected-resource"' (RFC 9728 §5.1)
 */
export function bearerChallenge(realm: string | undefined, params: BearerChallenge = {}): string {
  return authChallenge('Bearer', realm, params);
}

/**
 * A challenge of `scheme` (`Bearer`, `DPoP`) with its parameters, quoted as `bearerChallenge`
 * quotes them; `algs` (DPoP, RFC 9449 §7.1) last.
 */
export function authChallenge(scheme: 'Bearer' | 'DPoP', realm: string | undefined, params: BearerChallenge = {}, algs?: readonly string[]): string {
  const parts: string[] = [];
  if (realm !== undefined) parts.push(`realm=${quote(realm)}`);
  if (params.error) parts.push(`error=${quote(params.error)}`);
  if (params.error_description) parts.push(`error_description=${quote(params.error_description)}`);
  if (params.scope !== undefined) parts.push(`scope=${quote(params.scope)}`);
  if (params.resource_metadata !== undefined) parts.push(`resource_metadata=${quote(params.resource_metadata)}`);
  if (algs !== undefined) parts.push(`algs=${quote(algs.join(' '))}`);
  return parts.length ? `${scheme} ${parts.join(', ')}` : scheme;
}

/** A challenge with `resource_metadata` added when there is one. */
function withMetadata(challenge: BearerChallenge, resourceMetadata: string | undefined): BearerChallenge {
  return resourceMetadata === undefined ? challenge : { ...challenge, resource_metadata: resourceMetadata };
}

function quote(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, '\\$&')}"`;
}

export function describeRule(rule: RuleLocation): string {
  return `rule #${rule.index} (${rule.method} ${JSON.stringify(rule.path)})`;
}
