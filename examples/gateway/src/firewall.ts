/**
 * Canonical-path firewall: refuse every request whose target could be read two ways.
 *
 * The gate decides on the raw path exactly as Express routes it, but the upstream behind a
 * gateway is another program: it may merge slashes, resolve dot segments, decode `%2F`, treat
 * `\` as `/`, cut at `;` or NUL, or honour a method-override header. Any such difference lets a
 * request be checked as one route and served as another. So before the gate, only targets with
 * a single reading pass; the rest get 400 `{"error": …}` naming the rule.
 */
import type { RequestHandler } from 'express';

export interface FirewallRule {
  /** Stable id, used in logs. */
  readonly id: string;
  /** What is refused (the 400 body's `error`). */
  readonly message: string;
  /** The weakness class it blocks, with known instances. */
  readonly blocks: string;
}

/** Why a target is refused, or null when it has one reading only. */
export type FirewallVerdict = FirewallRule | null;

const rule = (id: string, message: string, blocks: string): FirewallRule => Object.freeze({ id, message, blocks });

export const FIREWALL_RULES = Object.freeze({
  absoluteForm: rule('absolute-form', 'Absolute-form request targets are not accepted', 'CWE-444/CWE-441 routing confusion between the target host and the Host header (request-target vs Host disagreement between proxy and upstream)'),
  methodOverride: rule('method-override', 'Method-override headers are not accepted', 'CWE-650 HTTP verb tampering: the gate checks one method, the upstream runs another (e.g. CVE-2010-0738, JBoss JMX console)'),
  host: rule('host', 'A repeated or malformed Host header is not accepted', 'CWE-444/CWE-20 Host confusion: two Host lines (RFC 9112 §3.2 requires a 400) or a Host with commas or other characters the gateway would copy into X-Forwarded-Host and Forwarded'),
  pathOverride: rule('path-override', 'Path-override headers (X-Original-URL, X-Rewrite-URL) are not accepted', 'CWE-436 interpretation conflict: the gate checks the target, the upstream serves the path a header names (e.g. CVE-2018-14773, Symfony; IIS URL Rewrite)'),
  fragment: rule('fragment', 'A fragment (#) in the request target is not accepted', 'CWE-436 interpretation conflict: some parsers cut the path at #, others keep it'),
  control: rule('control-character', 'Control, space or non-ASCII characters in the path are not accepted', 'CWE-158/CWE-176 NUL and Unicode handling: truncation or normalisation after the check'),
  backslash: rule('backslash', 'Backslashes in the path are not accepted', 'CWE-22/CWE-41 path equivalence: \\ read as / by WHATWG URL parsers, Windows and IIS'),
  badEncoding: rule('malformed-encoding', 'Malformed percent-encoding in the path', 'CWE-172 encoding error: lenient decoders guess, strict ones refuse'),
  encodedSeparator: rule('encoded-separator', 'Encoded / or \\ (%2F, %5C) in the path is not accepted', 'CWE-22/CWE-177 encoded separators: a decoding upstream sees more segments (e.g. Envoy CVE-2019-9901, Apache AllowEncodedSlashes)'),
  encodedControl: rule('encoded-control', 'Encoded control characters (%00–%1F, %7F) in the path are not accepted', 'CWE-158 NUL byte injection: the upstream truncates at %00'),
  doubleEncoding: rule('double-encoding', 'Double percent-encoding (%25) in the path is not accepted', 'CWE-174 double decoding (e.g. CVE-2001-0333, IIS)'),
  encodedDot: rule('encoded-dot', 'Encoded dots (%2E) in the path are not accepted', 'CWE-22 path traversal via encoded dot segments (e.g. CVE-2021-41773 and CVE-2021-42013, Apache httpd)'),
  emptySegment: rule('empty-segment', 'Empty path segments (//) are not accepted', 'CWE-41 path equivalence: upstreams that merge slashes (e.g. nginx merge_slashes) route //admin as /admin'),
  dotSegment: rule('dot-segment', 'Dot segments (/./, /../) are not accepted', 'CWE-22/CWE-23 path traversal: an upstream that resolves /a/../admin serves /admin'),
  pathParameter: rule('path-parameter', 'Path parameters (;) are not accepted', 'CWE-436 matrix/path parameters stripped by the upstream (e.g. CVE-2020-1957, Apache Shiro /;/ bypass; Tomcat ;jsessionid)'),
});

/** Override headers, also in the `_` spellings CGI-style servers read as the same variable (HTTP_X_HTTP_METHOD_OVERRIDE). */
const spellings = (names: string[]): string[] => names.flatMap((n) => [n, n.replace(/-/g, '_')]);
const METHOD_OVERRIDE_HEADERS = spellings(['x-http-method-override', 'x-http-method', 'x-method-override']);
const PATH_OVERRIDE_HEADERS = spellings(['x-original-url', 'x-rewrite-url']);
/** `host[:port]`: a DNS name or IPv4 address, or a bracketed IPv6 literal; nothing a forwarding header could split on. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?$/;
/** A whole segment `.` or `..`. */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/**
 * The first rule a request breaks, or null. `target` is the raw request target (`req.url` as the
 * HTTP parser gave it).
 */
export function checkTarget(target: string, headers: Record<string, unknown>): FirewallVerdict {
  const R = FIREWALL_RULES;
  if (target.charCodeAt(0) !== 0x2f /* / */) return R.absoluteForm;
  for (const h of METHOD_OVERRIDE_HEADERS) if (headers[h] !== undefined) return R.methodOverride;
  for (const h of PATH_OVERRIDE_HEADERS) if (headers[h] !== undefined) return R.pathOverride;
  if (target.includes('#')) return R.fragment;
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return R.control;
    if (c === 0x5c /* \ */) return R.backslash;
    if (c === 0x25 /* % */) {
      const hex = path.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return R.badEncoding;
      const byte = parseInt(hex, 16);
      if (byte === 0x2f || byte === 0x5c) return R.encodedSeparator;
      if (byte < 0x20 || byte === 0x7f) return R.encodedControl;
      if (byte === 0x25) return R.doubleEncoding;
      if (byte === 0x2e) return R.encodedDot;
    }
    if (c === 0x3b /* ; */) return R.pathParameter;
  }
  if (path.includes('//')) return R.emptySegment;
  // One native scan, no array of segments (this runs on every request).
  if (DOT_SEGMENT.test(path)) return R.dotSegment;
  return null;
}

/**
 * The Host header's verdict, from Node's raw header list: at most one, and `host[:port]` only
 * (an HTTP/1.0 request may have none). Node keeps the first of several in `req.headers`.
 */
export function checkHost(rawHeaders: readonly string[]): FirewallVerdict {
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue;
    if (++seen > 1 || !HOST.test(rawHeaders[i + 1]!)) return FIREWALL_RULES.host;
  }
  return null;
}

/**
 * Express middleware answering 400 `{"error": "<rule message>"}` for targets with two readings.
 * `onRefuse` sees the rule (for logging).
 *
 * @example
 * app.use(canonicalPathFirewall({ onRefuse: (rule, req) => log.warn({ rule: rule.id }, 'refused') }));
 */
export function canonicalPathFirewall(options: { onRefuse?: (rule: FirewallRule, req: Parameters<RequestHandler>[0]) => void } = {}): RequestHandler {
  return (req, res, next) => {
    const verdict = checkTarget(req.url, req.headers) ?? checkHost(req.rawHeaders);
    if (verdict === null) return next();
    options.onRefuse?.(verdict, req);
    res.status(400).json({ error: verdict.message });
  };
}
