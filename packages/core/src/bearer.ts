/** Reading the bearer token from an `Authorization` header (RFC 6750 §2.1), and nothing else. */
import { InvalidRequestError } from './errors';

/** What HTTP libraries hand over for a header: one value, several, or none. */
export type AuthorizationInput = string | readonly string[] | null | undefined;

// `Bearer` + one or more spaces + token68 (RFC 7235): the only accepted form.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
// The whole header, "Bearer " then token68, for the hot path (offset 7).
const TOKEN68 = /^.{7}[A-Za-z0-9\-._~+/]+=*$/;
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
  if (header.length > 7 && header.charCodeAt(6) === 0x20 && /^bearer$/i.test(header.slice(0, 6)) && TOKEN68.test(header)) {
    return header.slice(7);
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
