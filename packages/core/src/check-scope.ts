/** The scope decision, without any web framework. */
import type { LookupResult, RouteTable } from './compile-routes';
import { parseScopes, type ScopesInput } from './scopes';
import type { Binding, CompiledRule, RouteParams } from './types';

/** Why a request was allowed or denied. */
export type DecisionReason =
  /** The rule is public: no token needed. */
  | 'public'
  /** The rule requires no scope; the caller has a token. */
  | 'authenticated'
  /** The token holds every scope the rule requires. */
  | 'scope'
  /** GET/HEAD allowed by the table's read-all scope (`readAllScope`, opt-in: e.g. `all.read` on `dynamicTable`). */
  | 'read-all'
  /** The rule needs a token and there is none. */
  | 'unauthenticated'
  /** The token lacks scopes the rule requires. */
  | 'insufficient-scope'
  /** A path param bound to a claim does not equal the token's claim (or the claim is missing, or not a string or array of strings). */
  | 'binding-mismatch'
  /** No rule covers this method and path. */
  | 'no-route'
  /** A matched param has malformed percent-encoding (Express answers 400). */
  | 'bad-path';

/** The outcome of `checkScope`. */
export interface Decision {
  readonly allowed: boolean;
  readonly reason: DecisionReason;
  /** The rule Express would dispatch to; `null` for `no-route`. */
  readonly rule: CompiledRule | null;
  /** Decoded route params; `{}` unless matched. */
  readonly params: RouteParams;
  /** The scopes of the rule's requirement that the decision is about: the satisfied alternative, else the closest one (`[]` when public, authenticated-only, or unmatched). */
  readonly required: readonly string[];
  /** Required scopes the token lacks (all of them when there is no token). */
  readonly missing: readonly string[];
  /** The first binding the token does not satisfy (`binding-mismatch`), else `null`. */
  readonly binding: Binding | null;
}

/** A token's claims, as far as the decision needs them (a verified JWT payload). */
export type ClaimsInput = Readonly<Record<string, unknown>> | null | undefined;

/** The request, as far as the decision needs it. */
export interface ScopeRequest {
  /** HTTP method, any case. */
  method: string;
  /** Raw (still percent-encoded) path, as `req.path`; a `?query` or `#fragment` is cut off. */
  path: string;
}

const NONE: readonly string[] = Object.freeze([]);
const NO_PARAMS: RouteParams = Object.freeze(Object.create(null));

/**
 * Decide whether a caller holding `scopes` (and `claims`) may make `request`, exactly as the
 * table's rules say and on the rule Express would run: the token must hold the rule's scopes and
 * satisfy its bindings (each bound param equal to its claim). Pure and synchronous.
 *
 * @param scopes the token's scopes: a space-delimited string, an iterable, or `null` for no token.
 * @param claims the token's claims, read for bindings: a rule that binds a param is refused
 *   (`binding-mismatch`) without them.
 * @example
 * const d = checkScope(table, { method: 'GET', path: '/environments/e1/users' }, 'environment.users.read', { environment_id: 'e1' });
 * if (!d.allowed) console.log(d.reason, d.missing, d.binding);
 */
export function checkScope(table: RouteTable, request: ScopeRequest, scopes: ScopesInput, claims?: ClaimsInput): Decision {
  return decide(table, table.lookup(request.method, pathnameOf(request.path)), request.method, scopes, claims);
}

/** The decision for a lookup already made (so callers that looked up first do not look up twice). */
export function decide(table: RouteTable, found: LookupResult, method: string, scopes: ScopesInput, claims?: ClaimsInput): Decision {
  if (found.kind === 'no-route') return decision(false, 'no-route', null, NO_PARAMS, NONE, NONE);
  if (found.kind === 'bad-path') return decision(false, 'bad-path', found.rule, NO_PARAMS, found.rule.scopes, NONE);
  const { rule, params } = found;
  if (rule.public) return decision(true, 'public', rule, params, NONE, NONE);
  if (scopes === null || scopes === undefined) {
    const first = rule.anyOf[0] ?? NONE;
    return decision(false, 'unauthenticated', rule, params, first, first);
  }
  const scoped = decideScopes(table, rule, params, method, scopes);
  // Whose data, after what: a binding refuses whatever the scopes allow (read-all included).
  if (rule.bindings.length !== 0) {
    const failed = unmetBinding(rule.bindings, params, claims);
    if (failed !== null) return { ...scoped, allowed: false, reason: 'binding-mismatch', binding: failed };
  }
  return scoped;
}

/**
 * The first binding `claims` do not satisfy, or `null`. A bound param must equal the claim's
 * value: a string, or one of an array of strings. A missing claim, or one of any other type (a
 * number, an object, an array holding anything but strings), fails: closed.
 */
export function unmetBinding(bindings: readonly Binding[], params: RouteParams, claims: ClaimsInput): Binding | null {
  for (let i = 0; i < bindings.length; i++) {
    const b = bindings[i]!;
    const value = params[b.param];
    // Own claims only: `constructor` or `__proto__` must not be read off Object.prototype.
    const claim = claims !== null && claims !== undefined && Object.prototype.hasOwnProperty.call(claims, b.claim) ? claims[b.claim] : undefined;
    if (typeof value !== 'string' || !claimHolds(claim, value)) return b;
  }
  return null;
}

function claimHolds(claim: unknown, value: string): boolean {
  if (typeof claim === 'string') return claim === value;
  if (!Array.isArray(claim)) return false;
  let found = false;
  for (const c of claim) {
    if (typeof c !== 'string') return false;
    if (c === value) found = true;
  }
  return found;
}

/** The scope part of a decision for a matched, non-public rule and a token's scopes. */
function decideScopes(table: RouteTable, rule: CompiledRule, params: RouteParams, method: string, scopes: NonNullable<ScopesInput>): Decision {
  const held = parseScopes(scopes);
  // The alternative closest to being satisfied: fewest missing scopes, then most already held,
  // then the first.
  let best: readonly string[] = NONE;
  let missing: string[] | null = null;
  for (const alt of rule.anyOf) {
    let lacking: string[] | null = null;
    for (const s of alt) if (!held.has(s)) (lacking ??= []).push(s);
    if (lacking === null) {
      if (alt.length === 0) return decision(true, 'authenticated', rule, params, NONE, NONE);
      return decision(true, 'scope', rule, params, alt, NONE);
    }
    if (missing === null || lacking.length < missing.length || (lacking.length === missing.length && alt.length > best.length)) {
      best = alt;
      missing = lacking;
    }
  }
  const readAll = table.options.readAllScope;
  if (readAll !== null && held.has(readAll)) {
    const m = method.toUpperCase();
    if (m === 'GET' || m === 'HEAD') return decision(true, 'read-all', rule, params, best, NONE);
  }
  return decision(false, 'insufficient-scope', rule, params, best, Object.freeze(missing ?? []));
}

/**
 * The pathname part of a request target: up to the first `?` (query) or `#` (fragment), as
 * Express's `req.path` is. Pass `req.path` itself where you have it.
 */
export function pathnameOf(target: string): string {
  if (typeof target !== 'string') return target;
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x3f /* ? */ || c === 0x23 /* # */) return target.slice(0, i);
  }
  return target;
}

function decision(
  allowed: boolean,
  reason: DecisionReason,
  rule: CompiledRule | null,
  params: RouteParams,
  required: readonly string[],
  missing: readonly string[],
): Decision {
  return { allowed, reason, rule, params, required, missing, binding: null };
}
