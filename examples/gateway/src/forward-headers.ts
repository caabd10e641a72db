/**
 * The headers that cross the gateway, both ways: hop-by-hop headers removed (RFC 9110 §7.6.1),
 * forwarding headers set by the gateway itself (RFC 7239 `Forwarded`, and the de-facto
 * `X-Forwarded-For/-Proto/-Host/-Port`), client-sent ones dropped unless the peer is a trusted
 * proxy (then the gateway's hop is appended to them, never taken as the truth).
 *
 * Why here and not in a library: undici forwards what it is given, and the proxies that do this
 * (http-proxy) join URLs and pass client forwarding headers through; the rules are short and are
 * the gateway's contract, so they are written out and tested as such.
 */
import proxyAddr from 'proxy-addr';

/** Hop-by-hop: meaningful for one connection only, never forwarded (RFC 9110 §7.6.1), plus `Proxy-*`. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * Request headers the gateway sets itself or must not pass on: forwarding headers (set below),
 * `host` (the upstream's, set by the HTTP client), `authorization` (the verified credential),
 * `x-request-id` (the gateway's), and `expect` (answered here: the gateway sends 100 Continue
 * once the gate allowed the request).
 */
const SET_BY_GATEWAY = new Set(['host', 'authorization', 'x-request-id', 'expect']);

/**
 * Client-address headers other proxies and CDNs set, which an upstream may read as the client's
 * address: forged by any client that sends them itself, so dropped like `X-Forwarded-*` unless
 * the peer is trusted (then passed on as they are).
 */
const ADDRESS_HEADERS = new Set(['x-real-ip', 'x-client-ip', 'true-client-ip', 'cf-connecting-ip', 'x-cluster-client-ip', 'client-ip', 'fastly-client-ip', 'x-original-forwarded-for']);

/** Is a lower-cased name one of the forwarding headers a trusted proxy may have sent? */
const isForwarding = (name: string): boolean => name === 'forwarded' || name.startsWith('x-forwarded-') || ADDRESS_HEADERS.has(name);

/** The names a `Connection` header lists (lower-cased), or null for none. */
function connectionNames(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null;
  // The usual values name no header beyond the hop-by-hop ones: nothing to split (hot path).
  if (typeof value === 'string' && value.length <= 10) {
    const v = value.toLowerCase();
    if (v === 'keep-alive' || v === 'close') return null;
  }
  const out = new Set<string>();
  for (const part of [value].flat().join(',').split(',')) {
    const name = part.trim().toLowerCase();
    if (name) out.add(name);
  }
  return out;
}

/** Should a header (lower-cased name) stop at this hop? `listed`: the names the message's `Connection` header lists. */
function hopByHop(name: string, listed: Set<string> | null): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-') || (listed !== null && listed.has(name));
}

/** Who may send forwarding headers: a compiled `TRUST_PROXY` list, or nobody. */
export type TrustProxy = (address: string) => boolean;

/**
 * Compile a `TRUST_PROXY` list: addresses, CIDR ranges and proxy-addr's names (`loopback`,
 * `linklocal`, `uniquelocal`). An empty list trusts nobody. Throws `TypeError` naming a bad entry.
 *
 * @example
 * const trusted = compileTrustProxy(['10.0.0.0/8', 'loopback']);
 */
export function compileTrustProxy(list: readonly string[]): TrustProxy {
  if (list.length === 0) return () => false;
  const trust = proxyAddr.compile([...list]);
  return (address) => trust(address, 0);
}

/** What the gateway knows of the hop it is adding. */
export interface Hop {
  /** The peer's address (`socket.remoteAddress`). */
  peer: string;
  /** The gateway's own port the request came in on. */
  port: number;
  /** The peer is a trusted proxy: its forwarding headers are kept and extended. */
  trusted: boolean;
  /** How the request reached this hop: `https` when the gateway terminates TLS. Default `http`. */
  proto?: 'http' | 'https';
}

/** `::ffff:127.0.0.1` → `127.0.0.1`: the address as the client used it. */
const plainAddress = (address: string): string => (address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address);

/** An RFC 7239 `node` or `host` value: a token as is, anything else quoted (IPv6 also bracketed). */
function forwardedValue(value: string, ipv6 = false): string {
  if (ipv6) return `"[${value}]"`;
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The request headers to send upstream, as a flat `[name, value, …]` list (duplicates and
 * spelling kept), from Node's `rawHeaders`: hop-by-hop headers and those the gateway sets
 * removed, then `authorization` (when given), `x-request-id` and the forwarding headers added.
 * `authorization`: the exact header to send; `undefined` keeps the client's own (report mode).
 * `dropped`: one more header (lower-case) never forwarded (the client-certificate header).
 */
export function upstreamRequestHeaders(raw: readonly string[], connection: string | string[] | undefined, host: string | undefined, hop: Hop, requestId: string, authorization: string | null | undefined, dropped?: string): string[] {
  const listed = connectionNames(connection);
  const out: string[] = [];
  let xff: string | undefined;
  let xfProto: string | undefined;
  let xfHost: string | undefined;
  let xfPort: string | undefined;
  let forwarded: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    // Names with `_` are dropped (nginx's default): CGI-style upstreams read `X_Forwarded_For`
    // as `X-Forwarded-For` (HTTP_X_FORWARDED_FOR), which would slip past every rule here.
    if (hopByHop(lower, listed) || lower.includes('_') || lower === dropped) continue;
    if (lower === 'authorization' && authorization === undefined) {
      out.push(name, raw[i + 1]!);
      continue;
    }
    if (isForwarding(lower)) {
      if (!hop.trusted) continue;
      const value = raw[i + 1]!;
      const join = (prior: string | undefined) => (prior === undefined ? value : `${prior}, ${value}`);
      if (lower === 'x-forwarded-for') xff = join(xff);
      else if (lower === 'x-forwarded-proto') xfProto = join(xfProto);
      else if (lower === 'x-forwarded-host') xfHost = join(xfHost);
      else if (lower === 'x-forwarded-port') xfPort = join(xfPort);
      else if (lower === 'forwarded') forwarded = join(forwarded);
      else out.push(name, value);
      continue;
    }
    if (SET_BY_GATEWAY.has(lower)) continue;
    out.push(name, raw[i + 1]!);
  }
  if (authorization) out.push('authorization', authorization);
  out.push('x-request-id', requestId);
  const peer = plainAddress(hop.peer);
  const port = String(hop.port);
  const proto = hop.proto ?? 'http';
  const append = (prior: string | undefined, value: string) => (prior === undefined ? value : `${prior}, ${value}`);
  out.push('x-forwarded-for', append(xff, peer));
  out.push('x-forwarded-proto', append(xfProto, proto));
  if (host !== undefined) out.push('x-forwarded-host', append(xfHost, host));
  else if (xfHost !== undefined) out.push('x-forwarded-host', xfHost);
  out.push('x-forwarded-port', append(xfPort, port));
  let element = `for=${forwardedValue(peer, peer.includes(':'))}`;
  if (host !== undefined) element += `;host=${forwardedValue(host)}`;
  element += `;proto=${proto}`;
  out.push('forwarded', append(forwarded, element));
  return out;
}

/**
 * The response headers to send the client, as a flat `[name, value, …]` list, from undici's raw
 * response headers: hop-by-hop ones removed (Node adds its own `Connection`, `Keep-Alive` and
 * framing), and the upstream's `x-request-id` replaced by the gateway's. `dpopNonce`: the
 * gateway's DPoP nonce (RFC 9449 §8.2), replacing any the upstream sent: the gate is what the
 * client's next proof must satisfy.
 */
export function clientResponseHeaders(raw: readonly Buffer[] | readonly string[], requestId: string, dpopNonce: string | null = null): string[] {
  const text: string[] = new Array(raw.length);
  let listed: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (text[i] = latin1(raw[i]!));
    const value = (text[i + 1] = latin1(raw[i + 1]!));
    if (name.length === 10 && name.toLowerCase() === 'connection') for (const n of connectionNames(value) ?? []) (listed ??= new Set()).add(n);
  }
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 2) {
    const lower = text[i]!.toLowerCase();
    // undici removes the chunked framing only: another coding (gzip, chunked) would reach the
    // client unlabelled once Transfer-Encoding is dropped. Refused (the gateway answers 502).
    if (lower === 'transfer-encoding' && text[i + 1]!.trim().toLowerCase() !== 'chunked') throw Object.assign(new Error('unsupported transfer coding'), { code: 'UNSUPPORTED_TRANSFER_CODING' });
    if (hopByHop(lower, listed) || lower === 'x-request-id' || (dpopNonce !== null && lower === 'dpop-nonce')) continue;
    out.push(text[i]!, text[i + 1]!);
  }
  out.push('x-request-id', requestId);
  if (dpopNonce !== null) out.push('dpop-nonce', dpopNonce);
  return out;
}

/** A raw header as text, byte for byte (Node writes header strings back out as latin1). */
const latin1 = (value: Buffer | string): string => (typeof value === 'string' ? value : value.toString('latin1'));
