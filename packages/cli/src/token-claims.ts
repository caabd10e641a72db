/**
 * The token `scopegate check` decides for: claims from `--claim name=value` options and from a
 * `--token-file` (a JWT whose payload is decoded WITHOUT verifying it, or a JSON object of
 * claims), and the scopes those claims hold. No message here ever contains a claim's value or
 * the token: only claim names, counts and the file's path.
 */
import { DEFAULT_SCOPE_CLAIMS, scopesFromClaims as readScopeClaims, unmetBinding, type Binding, type RouteParams } from '@scopegate/core';

/** Bad claims input; the message is safe to print (names and paths only). */
export class ClaimsError extends Error {}

/** Claims as the decision reads them: own properties only (null prototype). */
export type Claims = Record<string, unknown>;

/** Where the claims came from. */
export interface ClaimsSource {
  /** How many `--claim` options were given. */
  readonly options: number;
  /** The `--token-file`, when given. */
  readonly file: { readonly path: string; readonly format: 'jwt' | 'json' } | null;
}

/** The claims the verifier reads scopes from, by default (`createVerifier`'s `scopeClaims`). */
export const SCOPE_CLAIMS = DEFAULT_SCOPE_CLAIMS;

/**
 * `--claim name=value` options as claims: split at the first `=`; a name given more than once
 * becomes an array of its values, in order.
 *
 * @example
 * claimsFromOptions(['environment_id=e1', 'environment_id=e2', 'sub=u1']);
 * // → { environment_id: ['e1', 'e2'], sub: 'u1' }
 */
export function claimsFromOptions(pairs: readonly string[]): Claims {
  const claims: Claims = Object.create(null);
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ClaimsError(`--claim expects name=value (a claim name, "=", then its value)${eq === 0 ? ': the name is empty' : ''}`);
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const before = claims[name];
    claims[name] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
  }
  return claims;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The claims in a token file: a JSON object of claims, or a compact JWT (optionally after
 * `Bearer `) whose payload is decoded — its signature is NOT verified, so the result only says
 * what the gate would decide IF the token were valid.
 *
 * @example
 * const { claims, format } = claimsFromTokenText('t.jwt', readFileSync('t.jwt', 'utf8'));
 */
export function claimsFromTokenText(path: string, text: string): { claims: Claims; format: 'jwt' | 'json' } {
  const body = text.trim().replace(/^Bearer\s+/i, '');
  if (body.startsWith('{') || body.startsWith('[')) return { claims: claimsObject(path, parseJson(body), 'the file'), format: 'json' };
  const parts = body.split('.');
  if (parts.length === 5 && parts.every((p) => BASE64URL.test(p))) {
    throw new ClaimsError(`${path}: an encrypted JWT (JWE): its claims cannot be read without the key; give a JSON object of claims instead`);
  }
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p)) || !parts[0] || !parts[1]) {
    throw new ClaimsError(`${path}: neither a JWT (three base64url parts separated by ".") nor a JSON object of claims`);
  }
  const header = parseJson(Buffer.from(parts[0], 'base64url').toString('utf8'));
  if (header === undefined || header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new ClaimsError(`${path}: not a JWT: its header does not decode to a JSON object`);
  }
  return { claims: claimsObject(path, parseJson(Buffer.from(parts[1], 'base64url').toString('utf8')), "the JWT's payload"), format: 'jwt' };
}

/** JSON text, or `undefined`: the parser's message would quote the text, so it is dropped. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function claimsObject(path: string, value: unknown, what: string): Claims {
  if (value === undefined) throw new ClaimsError(`${path}: ${what} is not valid JSON (a JSON object of claims was expected)`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ClaimsError(`${path}: ${what} is not a JSON object of claims`);
  return Object.assign(Object.create(null) as Claims, value);
}

/**
 * The scopes claims hold, read as the verifier reads them: `scope`, `scopes` and `scp`, each a
 * space-delimited string or an array of strings, united. Another type is refused (the verifier
 * would refuse the token). No scope claim: no scopes.
 *
 * @example
 * scopesFromClaims({ scope: 'a b', scp: ['c'] }); // → ['a', 'b', 'c']
 */
export function scopesFromClaims(claims: Claims): string[] {
  const { scopes, invalid } = readScopeClaims(claims, SCOPE_CLAIMS);
  if (invalid !== null) throw new ClaimsError(`the token's "${invalid}" claim must be a string or an array of strings (a verifier refuses such a token)`);
  return [...scopes];
}

/**
 * How a binding stands for these claims and params, in words without any value. Whether it holds
 * is core's `unmetBinding` (what the gate decides); the words only say why not.
 */
export function bindingStatus(b: Binding, params: RouteParams, claims: Claims | null): { holds: boolean; why: string } {
  if (claims === null) return { holds: false, why: 'not checked: no token' };
  if (unmetBinding([b], params, claims) === null) return { holds: true, why: 'holds' };
  const claim = Object.prototype.hasOwnProperty.call(claims, b.claim) ? claims[b.claim] : undefined;
  if (claim === undefined) return { holds: false, why: `FAILS: the token has no ${b.claim} claim` };
  const strings = typeof claim === 'string' || (Array.isArray(claim) && claim.every((c) => typeof c === 'string'));
  if (!strings) return { holds: false, why: `FAILS: the token's ${b.claim} claim is not a string or an array of strings` };
  return { holds: false, why: `FAILS: the token's ${b.claim} claim ${Array.isArray(claim) ? 'holds other values' : 'is another value'}` };
}
