/** Reading a token's granted scopes. */

/** What callers may hand in as a token's scopes. `null`/`undefined` mean "no token". */
export type ScopesInput = string | Iterable<string> | null | undefined;

const EMPTY: ReadonlySet<string> = new Set();

/**
 * Turn a space-delimited scope string (RFC 6749 §3.3) or a list of scopes into a set.
 * Empty and duplicate entries are ignored; scopes compare exactly (case-sensitive, no wildcards).
 * A `Set` is returned as it is, so verified tokens pay nothing here.
 *
 * @example
 * parseScopes('users.read  users.write') // → Set { 'users.read', 'users.write' }
 */
export function parseScopes(input: string | Iterable<string>): ReadonlySet<string> {
  if (input instanceof Set) return input.has('') ? withoutEmpty(input) : input;
  if (typeof input === 'string') {
    if (input === '') return EMPTY;
    const set = new Set<string>();
    for (const s of input.split(/[ \t\r\n]+/)) if (s) set.add(s);
    return set;
  }
  if (input === null || typeof input !== 'object' || typeof (input as Iterable<string>)[Symbol.iterator] !== 'function') {
    throw new TypeError('scopes must be a string or an iterable of strings');
  }
  const set = new Set<string>();
  for (const s of input) if (typeof s === 'string' && s) set.add(s);
  return set;
}

function withoutEmpty(input: ReadonlySet<string>): ReadonlySet<string> {
  const set = new Set(input);
  set.delete('');
  return set;
}

/** The claims a verifier reads scopes from unless told otherwise. */
export const DEFAULT_SCOPE_CLAIMS: readonly string[] = Object.freeze(['scope', 'scopes', 'scp']);

/**
 * Where a scope claim is: a claim name (`permissions`), a dotted path into nested objects
 * (`realm_access.roles`, `resource_access.my-api.roles`), or the path's segments as an array
 * (`['resource_access', 'my.api', 'roles']`), the only way to name a segment that holds a dot.
 * A string holding `:` is one claim name, never split: public claim names are URIs
 * (`https://example.com/roles`, RFC 7519 §4.2).
 */
export type ScopeClaim = string | readonly string[];

/** Renames of the scopes read from claims: a record (unlisted scopes kept), or a function (`null` drops the scope). */
export type ScopeMap =
  | Readonly<Record<string, string | readonly string[]>>
  | ((scope: string) => string | readonly string[] | null | undefined);

/** A scope claim made ready to read: its segments and the name used in messages. */
export interface ScopeClaimPath {
  readonly segments: readonly string[];
  readonly name: string;
}

/**
 * Check and split scope claims (see `ScopeClaim`). Throws a `TypeError` naming the bad entry;
 * the verifier turns it into a `ConfigError` naming its option.
 */
export function compileScopeClaims(claims: readonly ScopeClaim[]): readonly ScopeClaimPath[] {
  if (!Array.isArray(claims) || claims.length === 0) throw new TypeError('must name at least one claim (an array of claim names or paths)');
  return claims.map((claim, i) => {
    let segments: readonly string[];
    if (typeof claim === 'string') {
      segments = claim.includes(':') ? [claim] : claim.split('.');
    } else if (Array.isArray(claim) && claim.length > 0 && claim.every((s) => typeof s === 'string')) {
      segments = [...(claim as string[])];
    } else {
      throw new TypeError(`[${i}] must be a claim name, a dotted path or an array of path segments`);
    }
    if (segments.some((s) => s === '')) throw new TypeError(`[${i}] has an empty path segment (${JSON.stringify(claim)})`);
    return Object.freeze({ segments: Object.freeze(segments), name: typeof claim === 'string' ? claim : segments.join('.') });
  });
}

const own = Object.prototype.hasOwnProperty;

/** The value at `path`: `undefined` when absent, `INVALID` when a step is not an object. */
const INVALID: unique symbol = Symbol('invalid');
function valueAt(claims: Readonly<Record<string, unknown>>, segments: readonly string[]): unknown {
  let node: unknown = claims;
  for (let i = 0; i < segments.length; i++) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return INVALID;
    // Own claims only: `constructor` or `__proto__` must never be read off Object.prototype.
    const key = segments[i]!;
    if (!own.call(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Read scopes at compiled paths, mapped. `invalid` names the first claim that is not a
 * space-delimited string or an array of strings (or whose path crosses a non-object).
 * Strings are split on spaces; array elements are kept whole (an element `"a b"` is one
 * scope, which matches no rule): scopes compare as whole tokens, never as substrings.
 */
export function readScopeClaims(
  claims: Readonly<Record<string, unknown>>,
  paths: readonly ScopeClaimPath[],
  map?: ScopeMap,
): { scopes: Set<string>; invalid: string | null } {
  const scopes = new Set<string>();
  for (const path of paths) {
    const value = path.segments.length === 1 ? (own.call(claims, path.segments[0]!) ? claims[path.segments[0]!] : undefined) : valueAt(claims, path.segments);
    if (value === undefined) continue;
    if (typeof value === 'string') {
      for (const s of value.split(' ')) if (s) scopes.add(s);
    } else if (Array.isArray(value) && value.every((s) => typeof s === 'string')) {
      for (const s of value as string[]) if (s) scopes.add(s);
    } else {
      return { scopes, invalid: path.name };
    }
  }
  return { scopes: map === undefined ? scopes : mapScopes(scopes, map), invalid: null };
}

function mapScopes(scopes: Set<string>, map: ScopeMap): Set<string> {
  const out = new Set<string>();
  for (const s of scopes) {
    const mapped = typeof map === 'function' ? map(s) : own.call(map, s) ? map[s] : s;
    if (mapped === null || mapped === undefined) continue;
    if (typeof mapped === 'string') {
      if (mapped) out.add(mapped);
    } else if (Array.isArray(mapped) && mapped.every((m) => typeof m === 'string')) {
      for (const m of mapped as string[]) if (m) out.add(m);
    } else {
      throw new TypeError('scopeMap must map a scope to a string, an array of strings, or null');
    }
  }
  return out;
}

/**
 * Check a `scopeMap` option: a function, or a record of non-empty scope strings (no spaces) or
 * arrays of them. Throws a `TypeError` saying what is wrong (no values quoted but the key).
 */
export function checkScopeMap(map: unknown): ScopeMap | undefined {
  if (map === undefined) return undefined;
  if (typeof map === 'function') return map as ScopeMap;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) throw new TypeError('must be a record { claimValue: scope } or a function');
  const copy: Record<string, string | readonly string[]> = Object.create(null);
  const scope = (v: unknown) => typeof v === 'string' && v !== '' && !/\s/.test(v);
  for (const [k, v] of Object.entries(map)) {
    if (scope(v)) copy[k] = v as string;
    else if (Array.isArray(v) && v.every(scope)) copy[k] = Object.freeze([...(v as string[])]);
    else throw new TypeError(`[${JSON.stringify(k)}] must be a scope (non-empty, no spaces) or an array of them`);
  }
  return Object.freeze(copy);
}

/**
 * The scopes a token's claims grant, read as the verifier reads them: each of `claimNames` (a
 * claim name, a dotted path or an array of path segments, see `ScopeClaim`) a space-delimited
 * string or an array of strings, united, then renamed by `scopeMap` when given. `invalid` names
 * the first claim of any other type (the verifier refuses such a token); `scopes` is then what
 * was read before it.
 *
 * @example
 * scopesFromClaims({ scope: 'a b', scp: ['c'] }); // → { scopes: Set { 'a', 'b', 'c' }, invalid: null }
 * scopesFromClaims({ realm_access: { roles: ['users-read'] } }, ['realm_access.roles'], { 'users-read': 'users.read' });
 * // → { scopes: Set { 'users.read' }, invalid: null }
 */
export function scopesFromClaims(
  claims: Readonly<Record<string, unknown>>,
  claimNames: readonly ScopeClaim[] = DEFAULT_SCOPE_CLAIMS,
  scopeMap?: ScopeMap,
): { scopes: ReadonlySet<string>; invalid: string | null } {
  const paths = claimNames === DEFAULT_SCOPE_CLAIMS ? DEFAULT_PATHS : compileScopeClaims(claimNames);
  return readScopeClaims(claims, paths, scopeMap);
}

const DEFAULT_PATHS = compileScopeClaims(DEFAULT_SCOPE_CLAIMS);
