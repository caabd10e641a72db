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
 * The scopes a token's claims grant, read as the verifier reads them: each of `claimNames` a
 * space-delimited string or an array of strings, united. `invalid` names the first claim of any
 * other type (the verifier refuses such a token); `scopes` is then what was read before it.
 *
 * @example
 * scopesFromClaims({ scope: 'a b', scp: ['c'] }); // → { scopes: Set { 'a', 'b', 'c' }, invalid: null }
 */
export function scopesFromClaims(
  claims: Readonly<Record<string, unknown>>,
  claimNames: readonly string[] = DEFAULT_SCOPE_CLAIMS,
): { scopes: ReadonlySet<string>; invalid: string | null } {
  const scopes = new Set<string>();
  for (const name of claimNames) {
    const value = claims[name];
    if (value === undefined) continue;
    if (typeof value === 'string') {
      for (const s of value.split(' ')) if (s) scopes.add(s);
    } else if (Array.isArray(value) && value.every((s) => typeof s === 'string')) {
      for (const s of value as string[]) if (s) scopes.add(s);
    } else {
      return { scopes, invalid: name };
    }
  }
  return { scopes, invalid: null };
}
