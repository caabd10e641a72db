/**
 * HTTP URIs compared as RFC 3986 §6.2.2 says (syntax-based normalisation), for DPoP's `htu`:
 * scheme and host lower-cased, the default port dropped, percent-encodings upper-cased and those
 * of unreserved characters decoded, dot segments removed, an empty path made `/`. Query and
 * fragment are cut, whatever they hold (RFC 9449 §4.3 compares without them). Anything that is not an absolute
 * `http`/`https` URI of plain URI characters is refused (`null`), never guessed at.
 */

/** An absolute http(s) URI's origin (`https://host[:port]`) and normalised path. */
export interface NormalizedHttpUri {
  readonly origin: string;
  readonly path: string;
}

// scheme "://" authority path [ "?" query ] [ "#" fragment ]
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?[^#]*)?(?:#.*)?$/;
// reg-name or IPv6 literal, then an optional port; no userinfo, no percent-encoded host.
const AUTHORITY = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=-]+)(?::([0-9]*))?$/;
// Path characters (RFC 3986 pchar and "/"), with complete percent-encodings only.
const PATH = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' };

/**
 * The origin and normalised path of an absolute `http:`/`https:` URI, or `null`.
 *
 * @example
 * normalizeHttpUri('HTTPS://API.example.com:443/a/./b/%7euser?q#f')
 * // → { origin: 'https://api.example.com', path: '/a/b/~user' }
 */
export function normalizeHttpUri(uri: string): NormalizedHttpUri | null {
  if (typeof uri !== 'string' || uri.length > 8192) return null;
  const m = ABSOLUTE.exec(uri);
  if (m === null) return null;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return null;
  const authority = AUTHORITY.exec(m[2]!);
  if (authority === null) return null;
  const host = authority[1]!.toLowerCase();
  let port = authority[2];
  if (port !== undefined && port !== '') {
    const n = Number(port);
    if (port.length > 5 || !(n >= 0 && n <= 65535)) return null;
    port = String(n);
  }
  const origin = port === undefined || port === '' || port === DEFAULT_PORT[scheme] ? `${scheme}://${host}` : `${scheme}://${host}:${port}`;
  const path = normalizePath(m[3]!);
  return path === null ? null : { origin, path };
}

/**
 * A request's path (origin-form, as received: `req.url` without its query) normalised as
 * `normalizeHttpUri` normalises a URI's path, or `null` when it is not made of URI characters.
 */
export function normalizePath(path: string): string | null {
  if (!PATH.test(path)) return null;
  const encoded = path.includes('%') ? path.replace(/%([0-9A-Fa-f]{2})/g, decodeUnreserved) : path;
  const segments = removeDotSegments(encoded === '' ? '/' : encoded);
  return segments === '' ? '/' : segments;
}

/** `%7e` → `~`, `%2f` → `%2F`: unreserved characters decoded, every other encoding upper-cased. */
function decodeUnreserved(_: string, hex: string): string {
  const c = parseInt(hex, 16);
  const unreserved = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
  return unreserved ? String.fromCharCode(c) : `%${hex.toUpperCase()}`;
}

/** RFC 3986 §5.2.4. */
function removeDotSegments(path: string): string {
  if (!path.includes('.')) return path;
  const out: string[] = [];
  const parts = path.split('/');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    if (part === '.' || part === '..') {
      if (part === '..' && out.length > 1) out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  return joined.startsWith('/') ? joined : `/${joined}`;
}
