/**
 * HTTP URIs compared as RFC 3986 §6.2.2 says (syntax-based normalisation), for DPoP's `htu`:
 * scheme and host lower-cased, the default port dropped, percent-encodings upper-cased and those
 * of unreserved characters decoded, an empty path made `/`. Dot segments are kept (§6.2.2.3
 * would remove them, but the router does not: `/items/..` is routed to `/items/:id`, so a proof
 * for `/` must not pass there). Query and fragment are cut (RFC 9449 §4.3 compares without
 * them). Anything that is not an absolute `http`/`https` URI of printable ASCII is refused
 * (`null`), never guessed at. Parsed in one pass, without backtracking: the `htu` is the
 * client's, and a crafted one must not cost more than its length.
 */

/** An absolute http(s) URI's origin (`https://host[:port]`) and normalised path. */
export interface NormalizedHttpUri {
  readonly origin: string;
  readonly path: string;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
// Printable ASCII only, anywhere in the URI (no controls, spaces, line breaks or non-ASCII).
const PRINTABLE = /^[\x21-\x7e]*$/;
// reg-name or IPv6 literal, then an optional port; no userinfo, no percent-encoded host.
const AUTHORITY = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=-]+)(?::([0-9]*))?$/;
// Path characters (RFC 3986 pchar and "/"), with complete percent-encodings only.
const PATH = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' };

/**
 * The origin and normalised path of an absolute `http:`/`https:` URI, or `null`.
 *
 * @example
 * normalizeHttpUri('HTTPS://API.example.com:443/a/b/%7euser?q#f')
 * // → { origin: 'https://api.example.com', path: '/a/b/~user' }
 */
export function normalizeHttpUri(uri: string): NormalizedHttpUri | null {
  if (typeof uri !== 'string' || uri.length > 8192 || !PRINTABLE.test(uri)) return null;
  // scheme "://" authority path [ "?" query ] [ "#" fragment ], split at the first of each.
  const colon = uri.indexOf('://');
  if (colon <= 0 || !SCHEME.test(uri.slice(0, colon))) return null;
  const scheme = uri.slice(0, colon).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return null;
  const start = colon + 3;
  let end = uri.length;
  for (const c of '?#') {
    const at = uri.indexOf(c, start);
    if (at !== -1 && at < end) end = at;
  }
  const slash = uri.indexOf('/', start);
  const pathAt = slash !== -1 && slash < end ? slash : end;
  const authority = AUTHORITY.exec(uri.slice(start, pathAt));
  if (authority === null) return null;
  const host = authority[1]!.toLowerCase();
  let port = authority[2];
  if (port !== undefined && port !== '') {
    const n = Number(port);
    if (port.length > 5 || !(n >= 0 && n <= 65535)) return null;
    port = String(n);
  }
  const origin = port === undefined || port === '' || port === DEFAULT_PORT[scheme] ? `${scheme}://${host}` : `${scheme}://${host}:${port}`;
  const path = normalizePath(uri.slice(pathAt, end));
  return path === null ? null : { origin, path };
}

/**
 * A request's path (origin-form, as received: `req.url` without its query) normalised as
 * `normalizeHttpUri` normalises a URI's path, or `null` when it is not made of URI characters.
 */
export function normalizePath(path: string): string | null {
  if (!PATH.test(path)) return null;
  const encoded = path.includes('%') ? path.replace(/%([0-9A-Fa-f]{2})/g, decodeUnreserved) : path;
  return encoded === '' ? '/' : encoded;
}

/** `%7e` → `~`, `%2f` → `%2F`: unreserved characters decoded, every other encoding upper-cased. */
function decodeUnreserved(_: string, hex: string): string {
  const c = parseInt(hex, 16);
  const unreserved = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
  return unreserved ? String.fromCharCode(c) : `%${hex.toUpperCase()}`;
}
