/** Reading the bearer token from an `Authorization` header (RFC 6750 §2.1), and nothing else. */
import { InvalidRequestError } from './errors';

/** What HTTP libraries hand over for a header: one value, several, or none. */
export type AuthorizationInput = string | readonly string[] | null | undefined;

// `Bearer` + one or more spaces + token68 (RFC 7235): the only accepted form.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const SCHEME = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?: |$)/;

/**
 * The bearer token of an `Authorization` header, or `null` when the request carries none
 * (no header, or another scheme such as `Basic` or `DPoP`: RFC 6750 §3.1 treats both as "no
 * bearer credentials"). Throws `InvalidRequestError` (400) for a malformed bearer header or
 * several `Authorization` headers. Tokens in the query string or body are never read.
 *
 * @example
 * bearerToken('Bearer eyJhbGciOi…') // → 'eyJhbGciOi…'
 * bearerToken(undefined)            // → null
 */
export function bearerToken(header: AuthorizationInput, realm?: string): string | null {
  if (header === undefined || header === null) return null;
  if (typeof header !== 'string') {
    if (header.length > 1) throw new InvalidRequestError('Several Authorization headers', realm);
    if (header.length === 0) return null;
    return bearerToken(header[0], realm);
  }
  if (header === '') return null;
  // Hot path: "Bearer <token68>" with a single space, checked without building a match array.
  if (hasBearerPrefix(header)) {
    const token = header.slice(7);
    if (TOKEN68.test(token)) return token;
  }
  const m = BEARER.exec(header);
  if (m) return m[1]!;
  const scheme = SCHEME.exec(header);
  if (scheme && scheme[1]!.toLowerCase() !== 'bearer') {
    if (header.includes(',')) throw new InvalidRequestError('Several credentials in the Authorization header', realm);
    return null; // another scheme: no bearer token here
  }
  throw new InvalidRequestError('Malformed Authorization header: expected "Bearer <token>"', realm);
}

// `DPoP` + one or more spaces + token68 (RFC 9449 §7.1), the scheme in any case (RFC 9110 §11.1).
const DPOP = /^DPoP +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The DPoP-bound token of an `Authorization: DPoP <token>` header, or `null` for any other
 * scheme (or none). Several headers, or a malformed DPoP one, throw `InvalidRequestError` (400).
 *
 * @example
 * dpopToken('DPoP eyJhbGciOi…') // → 'eyJhbGciOi…'
 * dpopToken('Bearer eyJ…')      // → null
 */
export function dpopToken(header: AuthorizationInput, realm?: string): string | null {
  if (header === undefined || header === null) return null;
  if (typeof header !== 'string') {
    if (header.length > 1) throw new InvalidRequestError('Several Authorization headers', realm);
    return header.length === 0 ? null : dpopToken(header[0], realm);
  }
  const m = DPOP.exec(header);
  if (m) return m[1]!;
  const scheme = SCHEME.exec(header);
  if (scheme && scheme[1]!.toLowerCase() === 'dpop') throw new InvalidRequestError('Malformed Authorization header: expected "DPoP <token>"', realm);
  return null;
}

/** The scheme of a single `Authorization` header when it is `DPoP` (any case), else `'Bearer'`: for choosing a challenge, never for reading a token. */
export function schemeOf(header: AuthorizationInput): 'Bearer' | 'DPoP' {
  const value = typeof header === 'string' ? header : header?.length === 1 ? header[0] : undefined;
  return value !== undefined && /^dpop(?: |$)/i.test(value) ? 'DPoP' : 'Bearer';
}

/** Is `token` a token68 (RFC 7235), the only form `bearerToken` returns? */
export function isToken68(token: string): boolean {
  return TOKEN68.test(token);
}

/**
 * What follows `Bearer ` (any case, one space) in a single header, unchecked; `null` for
 * anything else. Only for probing a cache of tokens that `bearerToken` once accepted: a hit
 * proves the text well-formed without scanning it again; a miss goes through `bearerToken`.
 */
export function bearerCandidate(header: AuthorizationInput): string | null {
  return typeof header === 'string' && hasBearerPrefix(header) ? header.slice(7) : null;
}

/** `Bearer ` in any case, then something: compared in place (`c | 0x20` lower-cases ASCII letters only). */
function hasBearerPrefix(header: string): boolean {
  return (
    header.length > 7 &&
    header.charCodeAt(6) === 0x20 &&
    (header.charCodeAt(0) | 0x20) === 0x62 && // b
    (header.charCodeAt(1) | 0x20) === 0x65 && // e
    (header.charCodeAt(2) | 0x20) === 0x61 && // a
    (header.charCodeAt(3) | 0x20) === 0x72 && // r
    (header.charCodeAt(4) | 0x20) === 0x65 && // e
    (header.charCodeAt(5) | 0x20) === 0x72 // r
  );
}
