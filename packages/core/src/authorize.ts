/** The whole gate decision without a web framework: route, authenticate, then authorize. */
import { bearerCandidate, bearerToken, dpopToken, schemeOf, type AuthorizationInput } from './bearer';
import { withDpopChallenge } from './dpop-challenge';
import type { RequestProof, TokenScheme } from './sender-constraint';
import { decide, pathnameOf, type Decision } from './check-scope';
import type { LookupResult, RouteTable } from './compile-routes';
import {
  BadPathError,
  ForbiddenError,
  InternalError,
  InvalidRequestError,
  ScopeGateError,
  UnauthorizedError,
} from './errors';
import type { CompiledRule, RouteParams } from './types';
import type { VerifiedToken, Verifier } from './verifier';

/** The request, as far as the gate needs it. */
export interface AuthorizeRequest {
  /** HTTP method, any case. */
  method: string;
  /** Raw pathname as the router will match it (`req.path` in Express); a `?query` is cut off. */
  path: string;
  /** The `Authorization` header value(s), as the HTTP library hands them over. */
  authorization?: AuthorizationInput;
  /**
   * For sender-constrained tokens (the verifier's `dpop` / `mtls`): the request target as
   * received, the `DPoP` header, the client certificate. Without it, such tokens are refused.
   */
  proof?: RequestProof;
}

/** Options of `authorize`. */
export interface AuthorizeOptions {
  /** `realm` of the `WWW-Authenticate` challenges. Default: none. */
  realm?: string;
  /**
   * A request no rule covers, as `scopeGate`'s option of the same name:
   * - `'deny'` (default): refused with 403 `ERR_NO_ROUTE`, after authentication (so anonymous
   *   callers cannot map the routes);
   * - `'next'`: passed unchecked, no token read: the result is an `UnmatchedAuthorization`
   *   (`rule`, `decision` and `token` `null`).
   *
   * `'allow'` is a deprecated alias of `'next'` (its former name here), still accepted. Any other
   * value denies.
   */
  unmatched?: 'deny' | 'next' | 'allow';
  /**
   * URL of the protected resource metadata (RFC 9728, e.g. `resourceMetadataUrl(resource)`):
   * every 401 challenge, and 403 `insufficient_scope` ones, carry it as
   * `resource_metadata="…"` (§5.1). Default: none (challenges as without it).
   */
  resourceMetadata?: string;
}

/**
 * A request the gate lets through. Narrow on `rule`: a `MatchedAuthorization` (a rule covered the
 * request, `decision` set) or, only with `unmatched: 'next'`, an `UnmatchedAuthorization`.
 *
 * @example
 * const auth = await authorize(verifier, table, request, { unmatched: 'next' });
 * if (auth.rule === null) return passThrough(); // unmatched: nothing was checked
 * auth.decision.reason; // 'public' | 'authenticated' | 'scope' | 'read-all', never null here
 */
export type Authorization = MatchedAuthorization | UnmatchedAuthorization;

/** A request a rule covers and the gate allowed. */
export interface MatchedAuthorization {
  /** The scope decision (`reason` `public`, `authenticated`, `scope` or `read-all`). */
  readonly decision: Decision;
  /** The verified token; `null` on public rules (no token is read there). */
  readonly token: VerifiedToken | null;
  /** The raw token string, for forwarding; `null` on public rules. */
  readonly rawToken: string | null;
  /** The scheme the token came with (`'DPoP'`: a proof was checked); `null` on public rules. */
  readonly scheme: TokenScheme | null;
  /** The rule the request matched (the first in the table's order). */
  readonly rule: CompiledRule;
  readonly params: RouteParams;
}

/** A request no rule covers, let through unchecked by `unmatched: 'next'`: nothing was read or decided. */
export interface UnmatchedAuthorization {
  readonly decision: null;
  readonly token: null;
  readonly rawToken: null;
  readonly scheme: null;
  readonly rule: null;
  /** Always empty. */
  readonly params: RouteParams;
}

const NO_PARAMS: RouteParams = Object.freeze(Object.create(null));

/**
 * Decide a request as the Express gate does, for any framework: resolves with the
 * `Authorization` when the request may pass, rejects with a `ScopeGateError` carrying `status`,
 * `headers` and a safe `message` otherwise (400 bad request/path, 401 missing or invalid token,
 * 403 insufficient scope, a bound param that is not the token's (`ERR_BINDING_MISMATCH`) or
 * unknown route, 503 keys unavailable, 500 internal). Authentication
 * is complete (signature, claims, revocation) before any scope is looked at, and an unknown
 * route is refused only after authentication, so anonymous callers cannot map the routes.
 *
 * @example
 * try {
 *   const auth = await authorize(verifier, table, { method: event.httpMethod, path: event.path, authorization: event.headers.authorization });
 *   // … handle the request; auth.token.claims.sub is the caller
 * } catch (e) {
 *   if (e instanceof ScopeGateError) return { statusCode: e.status, headers: e.headers, body: JSON.stringify({ error: e.message }) };
 *   throw e;
 * }
 */
export async function authorize(
  verifier: Verifier,
  table: RouteTable,
  request: AuthorizeRequest,
  options: AuthorizeOptions = {},
): Promise<Authorization> {
  return authorizeRequest(verifier, table, request, options);
}

/**
 * `authorize`, synchronous when it can be: returns the `Authorization` or throws the
 * `ScopeGateError` when nothing needs waiting for (a public rule, a missing or malformed token,
 * a cached token with a synchronous revocation check); returns a promise otherwise.
 */
export function authorizeRequest(
  verifier: Verifier,
  table: RouteTable,
  request: AuthorizeRequest,
  options: AuthorizeOptions = {},
): Authorization | Promise<Authorization> {
  return authorizePathname(verifier, table, request.method, pathnameOf(request.path), request.authorization, options, request.proof);
}

/**
 * `authorizeRequest` for adapters that hold the parts already: `pathname` is the raw pathname
 * with any `?query` already cut off (Express's `req.path`), and it is not scanned again. No
 * request object is built: this runs once per request. `proof` (the target, `DPoP` header and
 * client certificate) only matters when the verifier checks DPoP or certificates.
 *
 * @example
 * const auth = authorizePathname(verifier, table, req.method, req.path, req.headers.authorization, { realm: 'api' });
 */
export function authorizePathname(
  verifier: Verifier,
  table: RouteTable,
  method: string,
  pathname: string,
  authorization: AuthorizationInput,
  options: AuthorizeOptions = {},
  proof?: RequestProof,
): Authorization | Promise<Authorization> {
  const dpop = verifier.dpop;
  if (dpop === undefined || dpop === null) return decideRequest(verifier, table, method, pathname, authorization, options, proof, false);
  // DPoP on: every challenge names both schemes (or DPoP alone), whatever refused the request.
  const answer = (err: unknown): never => {
    throw err instanceof ScopeGateError ? withDpopChallenge(err, options.realm, dpop, schemeOf(authorization), options.resourceMetadata) : err;
  };
  let result: Authorization | Promise<Authorization>;
  try {
    result = decideRequest(verifier, table, method, pathname, authorization, options, proof, true);
  } catch (err) {
    return answer(err);
  }
  return result instanceof Promise ? result.catch(answer) : result;
}

function decideRequest(
  verifier: Verifier,
  table: RouteTable,
  method: string,
  pathname: string,
  authorization: AuthorizationInput,
  options: AuthorizeOptions,
  proof: RequestProof | undefined,
  dpop: boolean,
): Authorization | Promise<Authorization> {
  const realm = options.realm;
  const metadata = options.resourceMetadata;
  const found = table.lookup(method, pathname);
  if (found.kind === 'no-route' && (options.unmatched === 'next' || options.unmatched === 'allow')) {
    return { decision: null, token: null, rawToken: null, scheme: null, rule: null, params: NO_PARAMS };
  }
  if (found.kind !== 'no-route' && found.rule.public) {
    // Public: no token is read, so a bad or missing one cannot matter.
    if (found.kind === 'bad-path') throw new BadPathError();
    return { decision: decide(table, found, method, null), token: null, rawToken: null, scheme: null, rule: found.rule, params: found.params };
  }

  // Hot path: a token verified before. The cache holds only well-formed tokens, so a hit needs
  // no scan of the header; anything else is read strictly by bearerToken below.
  let raw = verifier.checkCached !== undefined ? bearerCandidate(authorization) : null;
  let scheme: TokenScheme = 'Bearer';
  let token: VerifiedToken | Promise<VerifiedToken> | undefined;
  if (raw !== null) {
    try {
      token = verifier.checkCached!(raw, scheme, method, proof);
    } catch (err) {
      throw withRealm(err, realm, metadata);
    }
  }
  if (token === undefined) {
    raw = bearerToken(authorization, realm);
    if (raw === null && dpop) {
      raw = dpopToken(authorization, realm);
      if (raw !== null) scheme = 'DPoP';
    }
    if (raw === null) throw new UnauthorizedError('ERR_TOKEN_MISSING', 'No jwt provided!', realm, undefined, metadata);
    try {
      token = verifier.check ? verifier.check(raw, scheme, method, proof) : verifier.verify(raw, { scheme, method, proof });
    } catch (err) {
      throw withRealm(err, realm, metadata);
    }
  }
  const rawToken = raw!;
  if (token instanceof Promise) {
    const used = scheme;
    return token.then(
      (t) => conclude(table, found, method, rawToken, used, t, realm, metadata),
      (err: unknown) => {
        throw withRealm(err, realm, metadata);
      },
    );
  }
  return conclude(table, found, method, rawToken, scheme, token, realm, metadata);
}

/** After authentication: the route and the scopes. */
function conclude(table: RouteTable, found: LookupResult, method: string, raw: string, scheme: TokenScheme, token: VerifiedToken, realm: string | undefined, metadata: string | undefined): MatchedAuthorization {
  if (found.kind === 'no-route') throw identify(new ForbiddenError('ERR_NO_ROUTE', [], realm), token);
  if (found.kind === 'bad-path') throw identify(new BadPathError(), token);
  const decision = decide(table, found, method, token.scopes, token.claims);
  if (!decision.allowed) {
    if (decision.binding !== null) throw identify(new ForbiddenError('ERR_BINDING_MISMATCH', [], realm, decision.binding), token);
    // The scopes of the requirement that refused, so the client can step up (and where to ask, RFC 9728).
    throw identify(new ForbiddenError('ERR_INSUFFICIENT_SCOPE', decision.required, realm, undefined, metadata), token);
  }
  return { decision, token, rawToken: raw, scheme, rule: found.rule, params: found.params };
}

/** Name the authenticated caller on a refusal, for logs (identifiers only, never the token). */
function identify(error: ScopeGateError, token: VerifiedToken): ScopeGateError {
  const { sub, jti } = token.claims;
  error.subject = { sub: typeof sub === 'string' ? sub : null, jti: typeof jti === 'string' ? jti : null };
  return error;
}

/** Verifier errors carry no realm (nor metadata URL); give them the gate's. Anything unexpected becomes a 500. */
function withRealm(err: unknown, realm: string | undefined, metadata: string | undefined): ScopeGateError {
  if (err instanceof UnauthorizedError) {
    return realm === undefined && metadata === undefined ? err : new UnauthorizedError(err.code, err.message, realm, err.cause, metadata);
  }
  if (err instanceof InvalidRequestError) return realm === undefined ? err : new InvalidRequestError(err.message, realm);
  if (err instanceof ScopeGateError) return err;
  return new InternalError(err);
}
