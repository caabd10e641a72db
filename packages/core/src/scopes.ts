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
