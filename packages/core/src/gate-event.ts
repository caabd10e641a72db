/**
 * What a gate reports of each decision, whichever adapter made it (the Express middleware, the
 * example gateway's node:http data path): the same reasons, the same event, the same reading of
 * the `Authorization` header from the raw header list. One module, so two adapters cannot drift.
 */
import type { AuthorizationInput } from './bearer';
import type { Authorization } from './authorize';
import type { RouteTable } from './compile-routes';
import { ForbiddenError, InternalError, ScopeGateError } from './errors';

/** Why a gate let a request through or stopped it. */
export type GateReason =
  | 'public'
  | 'authenticated'
  | 'scope'
  | 'read-all'
  | 'unmatched-passed'
  | 'unauthenticated'
  | 'invalid-token'
  | 'invalid-proof'
  | 'bad-request'
  | 'bad-path'
  | 'no-route'
  | 'insufficient-scope'
  | 'binding-mismatch'
  | 'keys-unavailable'
  | 'revocation-unavailable'
  | 'introspection-unavailable'
  | 'replay-unavailable'
  | 'error';

/** One decision, for logs and metrics. Never holds the token. */
export interface DecisionEvent {
  readonly method: string;
  readonly path: string;
  /** The matched rule's pattern, or `null`. */
  readonly pattern: string | null;
  readonly allowed: boolean;
  readonly reason: GateReason;
  /** HTTP status of the answer; `null` when the request was passed on. */
  readonly status: number | null;
  /** The error code of a refusal (e.g. `ERR_TOKEN_EXPIRED`). */
  readonly code: string | null;
  /** The token's `sub`, when a token was verified. */
  readonly sub: string | null;
  /** The token's `jti`, when it has one. */
  readonly jti: string | null;
  /** The binding that failed (`binding-mismatch`): the param and claim names, never their values. */
  readonly binding: { readonly param: string; readonly claim: string } | null;
  /** `'report'` when the gate only reports (a refused request still went through). */
  readonly mode: 'enforce' | 'report';
}

/** The reason of a refusal, from its error code. */
export function gateReason(error: ScopeGateError): GateReason {
  switch (error.code) {
    case 'ERR_TOKEN_MISSING':
      return 'unauthenticated';
    case 'ERR_TOKEN_INVALID':
    case 'ERR_TOKEN_EXPIRED':
    case 'ERR_TOKEN_REVOKED':
      return 'invalid-token';
    case 'ERR_DPOP_PROOF_INVALID':
    case 'ERR_DPOP_NONCE_REQUIRED':
      return 'invalid-proof';
    case 'ERR_BAD_REQUEST':
      return 'bad-request';
    case 'ERR_BAD_PATH':
      return 'bad-path';
    case 'ERR_NO_ROUTE':
      return 'no-route';
    case 'ERR_INSUFFICIENT_SCOPE':
      return 'insufficient-scope';
    case 'ERR_BINDING_MISMATCH':
      return 'binding-mismatch';
    case 'ERR_KEYS_UNAVAILABLE':
      return 'keys-unavailable';
    case 'ERR_REVOCATION_UNAVAILABLE':
      return 'revocation-unavailable';
    case 'ERR_INTROSPECTION_UNAVAILABLE':
      return 'introspection-unavailable';
    case 'ERR_REPLAY_UNAVAILABLE':
      return 'replay-unavailable';
    default:
      return 'error';
  }
}

/** The event of a request a gate let through. */
export function allowedEvent(method: string, path: string, auth: Authorization, mode: 'enforce' | 'report'): DecisionEvent {
  const claims = auth.token?.claims;
  return {
    method,
    path,
    pattern: auth.rule?.path ?? null,
    allowed: true,
    reason: auth.decision?.reason ?? 'unmatched-passed',
    status: null,
    code: null,
    sub: typeof claims?.sub === 'string' ? claims.sub : null,
    jti: typeof claims?.jti === 'string' ? claims.jti : null,
    binding: null,
    mode,
  };
}

/** The event of a refusal; `pattern` is the rule the path matched, if any. */
export function refusedEvent(method: string, path: string, pattern: string | null, error: ScopeGateError, mode: 'enforce' | 'report'): DecisionEvent {
  const subject = error.subject;
  return {
    method,
    path,
    pattern,
    allowed: false,
    reason: gateReason(error),
    status: error.status,
    code: error.code,
    sub: subject?.sub ?? null,
    jti: subject?.jti ?? null,
    binding: error instanceof ForbiddenError ? error.binding : null,
    mode,
  };
}

/** What an adapter answers for a failure: the `ScopeGateError` itself, anything else as a 500 `InternalError`. */
export function gateError(err: unknown): ScopeGateError {
  return err instanceof ScopeGateError ? err : new InternalError(err);
}

/** The event of a refusal, naming the rule the path matched in `table` (if any). Refusals only: the lookup is not on the hot path. */
export function refusedEventIn(table: RouteTable, method: string, path: string, error: ScopeGateError, mode: 'enforce' | 'report'): DecisionEvent {
  const found = table.lookup(method, path);
  return refusedEvent(method, path, found.kind === 'no-route' ? null : found.rule.path, error, mode);
}

/**
 * The `Authorization` value(s) of a request, from Node's raw header list (`[name, value, …]`).
 * Node keeps only the first of duplicate `Authorization` headers in `req.headers`, so they are
 * counted here: several are returned as an array, which the gate refuses rather than guess.
 * `parsed` (the `req.headers.authorization` value) is returned when the list has none.
 */
export function authorizationFromRawHeaders(raw: readonly string[], parsed?: string): AuthorizationInput {
  let first: string | undefined;
  let several: string[] | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 13 && isAuthorization(name)) {
      if (first === undefined) first = raw[i + 1]!;
      else (several ??= [first]).push(raw[i + 1]!);
    }
  }
  if (first === undefined) return parsed;
  return several ?? first;
}

/** `authorization` in any ASCII case, compared in place (`c | 0x20` lower-cases letters only). */
function isAuthorization(name: string): boolean {
  for (let i = 0; i < 13; i++) if ((name.charCodeAt(i) | 0x20) !== AUTHORIZATION.charCodeAt(i)) return false;
  return true;
}
const AUTHORIZATION = 'authorization';
