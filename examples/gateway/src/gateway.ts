/**
 * The gateway's data path, on node:http without a framework: request id → canonical-path
 * firewall → `/healthz`, `/readyz`, `/metrics`, the RFC 9728 metadata when configured → the gate's decision (`authorizePathname` of
 * @scopegate/core, the function `scopeGate` runs, with the same reasons and events) → forward
 * over an undici pool. Only requests the gate allowed are forwarded, with the target exactly as
 * checked and the credentials exactly as verified (`Authorization: Bearer <token>`, or
 * `DPoP <token>` with the `DPoP` proof as received, or none on a public rule); one access log
 * line per answer.
 *
 * Every answer the gateway makes itself is JSON `{"error": …}` without a stack. Upstream
 * responses, errors included, are relayed as they are: a proxy cannot tell an API's error body
 * from a leaked one, so the upstream must not put stacks in its bodies.
 *
 * Why not Express here: measured on this machine, Express cost the proxy process more CPU per
 * request than the whole upstream request; the gateway routes nothing but five fixed paths, so
 * a router buys it nothing. Express stays where it serves: `@scopegate/express` and the demo API.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  allowedEvent,
  authorizationFromRawHeaders,
  authorizePathname,
  certificateFromHeader,
  refusedEventIn,
  gateError,
  RESOURCE_METADATA_CACHE_CONTROL,
  resourceMetadataEndpoints,
  type Authorization,
  type AuthorizeOptions,
  type DecisionEvent,
  type RequestProof,
  type ResourceMetadataEndpointOptions,
  type RouteTable,
  type Verifier,
} from '@scopegate/core';
import { checkHost, checkTarget } from './firewall';
import { upstreamRequestHeaders, type TrustProxy } from './forward-headers';
import { rawAnswer, Upstream, type ForwardEnd } from './forward';
import type { GatewayMetrics } from './metrics';
import { readinessChecks } from './readiness';

export interface GatewayOptions {
  upstreamUrl: URL;
  table: RouteTable;
  verifier: Verifier;
  logger: Logger;
  /** Timeout of the upstream probe of /readyz, ms. Default 1000. */
  readyTimeout?: number;
  /**
   * How long /readyz reuses a check's result (upstream probe, key-set fetch), ms: calls within it
   * cause no new probe or fetch, and at most one of each is in flight at a time. Default 1000.
   */
  readyCacheMs?: number;
  /** Time allowed for the upstream's response head, and between its body chunks, ms: past it, 504. Default 30000. */
  proxyTimeout?: number;
  /** Most connections to the upstream at once; more requests wait in a queue. Default 128. */
  upstreamConnections?: number;
  /** `'report'`: decide and report, but let refused requests through. Default `'enforce'`. */
  mode?: 'enforce' | 'report';
  /** Metrics to record into; `GET /metrics` is served here when `serveMetrics` (default: when given). */
  metrics?: GatewayMetrics;
  serveMetrics?: boolean;
  /** Answers `GET /metrics` instead of this process's registry (several workers: the primary's aggregate). */
  metricsText?: () => Promise<{ contentType: string; text: string }>;
  /** Peers whose forwarding headers are kept (and appended to); default: nobody. See compileTrustProxy. */
  trustProxy?: TrustProxy;
  /** `Upgrade` protocols forwarded (lower-case, e.g. `['websocket']`), after the gate allowed the request; default none: refused with 501. */
  upgrade?: readonly string[];
  /**
   * OAuth 2.0 Protected Resource Metadata (RFC 9728): served at `/.well-known/oauth-protected-resource`
   * (plus the resource's path, and one per `paths` prefix) before the gate, and named by every
   * 401 challenge (and 403 `insufficient_scope`) as `resource_metadata`. Default: none.
   */
  resourceMetadata?: ResourceMetadataEndpointOptions;
  /**
   * Where the client certificate of a certificate-bound token (the verifier's `mtls`) comes
   * from. Default: the TLS peer certificate, when the server is HTTPS and the client sent one.
   */
  clientCertificate?: ClientCertificateOptions;
}

/** Client certificates for certificate-bound tokens (RFC 8705). */
export interface ClientCertificateOptions {
  /**
   * The TLS peer certificate (an HTTPS server with `requestCert`): `'any'` (default) any
   * certificate the client proved it holds; `'verified'` only one that chains to the server's
   * client CA (`socket.authorized`), anything else counts as none; `'off'` never read.
   */
  tls?: 'any' | 'verified' | 'off';
  /**
   * A header (lower-case) in which a TLS-terminating proxy passes the client certificate on
   * (PEM, URL-encoded PEM or base64 DER). Read only from `trustProxy` peers — from them, instead
   * of the TLS peer certificate, which is then the proxy's own — and never forwarded upstream,
   * whoever sent it.
   */
  header?: string;
}

/** HTTPS for `createGatewayServer`: PEM texts; `clientCa` and `requestCert` for client certificates. */
export interface GatewayTls {
  cert: string | Buffer;
  key: string | Buffer;
  /** Request client certificates (certificate-bound tokens). Default false. */
  requestCert?: boolean;
  /** CA(s) client certificates are checked against (`socket.authorized`). */
  clientCa?: string | Buffer;
}

/** A node:http request listener with the rest of the gateway attached. */
export interface Gateway {
  (req: IncomingMessage, res: ServerResponse): void;
  /** For the server's `checkContinue`: the 100 Continue is sent only once the gate allowed the request. */
  checkContinue(req: IncomingMessage, res: ServerResponse): void;
  /** For the server's `upgrade` event. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Cut the open tunnels of upgraded connections (a server's closeAllConnections does not reach them). */
  destroyTunnels(): void;
  /** Close the upstream connection pool and any tunnel left (after the server stopped). */
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const JSON_TYPE = 'application/json; charset=utf-8';

/** The path part of a target (the gate decides on it), without the `?query`. */
const pathOf = (url: string): string => {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
};

/**
 * The path for a log line: a query, a fragment or a `;parameter` may carry a secret (a token in
 * `#access_token=`, a `;jsessionid=`), and an absolute-form target its userinfo, so none of them
 * is logged. Firewall-refused targets reach the log too, so this cannot rely on the firewall.
 */
const loggedPath = (url: string): string => {
  if (url.charCodeAt(0) !== 0x2f /* / */) return '(not a path)';
  const cut = url.search(/[?#;]/);
  return cut === -1 ? url : url.slice(0, cut);
};

/** A well-formed incoming `X-Request-Id` is kept (a caller's trace goes on); anything else gets a new one. */
function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** Answer `{"error": …}` (or another JSON body) with the request id. */
function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string, headers?: Readonly<Record<string, string>>): void {
  const text = JSON.stringify(body);
  const list = ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(text)), 'x-request-id', requestId];
  if (headers) for (const name in headers) list.push(name, headers[name]!);
  res.writeHead(status, list).end(text);
}

/**
 * The gateway as a request listener (with `checkContinue`, `upgrade` and `close`).
 *
 * @example
 * const gateway = createGateway({ upstreamUrl: new URL('http://127.0.0.1:3000'), table: dynamicTable, verifier, logger });
 * const server = http.createServer(gateway).on('checkContinue', gateway.checkContinue).on('upgrade', gateway.upgrade);
 */
export function createGateway(options: GatewayOptions): Gateway {
  const { upstreamUrl, table, verifier, logger } = options;
  const mode = options.mode ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'report') throw new RangeError(`mode must be 'enforce' or 'report', got ${String(mode)}`);
  const proxyTimeout = positive(options.proxyTimeout ?? 30_000, 'proxyTimeout');
  const upstream = new Upstream(upstreamUrl, { connections: positive(options.upstreamConnections ?? 128, 'upstreamConnections'), timeout: proxyTimeout });
  const metrics = options.metrics;
  const serveMetrics = metrics !== undefined && options.serveMetrics !== false;
  const trustProxy = options.trustProxy ?? (() => false);
  const upgrades = new Set((options.upgrade ?? []).map((p) => p.toLowerCase()));
  // Only WebSocket: an h2c tunnel would carry HTTP/2 requests the gate never sees.
  for (const p of upgrades) if (p !== 'websocket') throw new RangeError(`upgrade: only 'websocket' can be forwarded, got ${JSON.stringify(p)}`);
  const readiness = readinessChecks({ verifier, upstreamUrl, timeout: options.readyTimeout ?? 1000, reuseMs: options.readyCacheMs ?? 1000 });
  const authorizeOptions: AuthorizeOptions = { realm: 'api', unmatched: 'deny' };
  const resourceMetadata = options.resourceMetadata === undefined ? null : resourceMetadataEndpoints(table, options.resourceMetadata);
  // One options object per metadata URL, made once: the request path picks it.
  const optionsByUrl = new Map<string, AuthorizeOptions>(resourceMetadata?.urls.map((url) => [url, { ...authorizeOptions, resourceMetadata: url }]));
  const optionsFor = (path: string): AuthorizeOptions => (resourceMetadata === null ? authorizeOptions : optionsByUrl.get(resourceMetadata.metadataUrlFor(path))!);
  const metricsText = options.metricsText ?? (metrics ? async () => ({ contentType: metrics.registry.contentType, text: await metrics.registry.metrics() }) : null);
  // Sender-constrained tokens: a RequestProof per request only when the verifier checks them, so
  // a gateway without DPoP or mTLS allocates nothing more per request than before.
  const dpopNonce = verifier.dpop ? verifier.dpop.nonce : null;
  const certificates = options.clientCertificate ?? {};
  const certTls = certificates.tls ?? 'any';
  if (certTls !== 'any' && certTls !== 'verified' && certTls !== 'off') throw new RangeError(`clientCertificate.tls must be 'any', 'verified' or 'off', got ${String(certTls)}`);
  const certHeader = certificates.header === undefined ? undefined : certificates.header.toLowerCase();
  const certificateOf = (req: IncomingMessage): Uint8Array | null => {
    // From a trusted proxy, its header only: the TLS peer is then the proxy, not the client.
    if (certHeader !== undefined && trustProxy(req.socket.remoteAddress ?? '')) return certificateFromHeader(req.headers[certHeader]);
    return certTls === 'off' ? null : peerCertificate(req.socket as TLSSocket, certTls === 'verified');
  };
  const proofs = dpopNonce !== null || verifier.mtls === true;
  const proofOf = (req: IncomingMessage): RequestProof | undefined => (proofs ? new GatewayProof(req, certificateOf) : undefined);

  // Why the keys are not loaded, as the key set says it (a redirect, too large, a status, a
  // timeout: never key material), in the answer and once per new reason in the log.
  let keysReasonLogged: string | null = null;
  async function ready(res: ServerResponse, requestId: string): Promise<void> {
    const { keys, upstream: up, keysReason, keysUrl } = await readiness();
    // Several issuers: the first key set that is not loaded speaks for all.
    const reason = keys ? null : keysReason;
    if (reason !== null && reason !== keysReasonLogged) logger.warn({ reason, url: keysUrl === null ? null : redactedUrl(keysUrl) }, 'key set not loaded');
    keysReasonLogged = reason;
    sendJson(res, keys && up ? 200 : 503, { status: keys && up ? 'ready' : 'not ready', checks: { keys, upstream: up }, ...(reason !== null ? { reasons: { keys: reason } } : {}) }, requestId);
  }

  /** One request, from arrival to the hand-off to the upstream (or the gateway's own answer). */
  function handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    const requestId = requestIdOf(req);
    const target = req.url!;
    const method = req.method!;
    const log = new AccessLog(logger, requestId, method, target);
    if (log.enabled) res.once('close', () => log.write(res));

    const refused = checkTarget(target, req.headers) ?? checkHost(req.rawHeaders);
    if (refused !== null) {
      logger.warn({ reqId: requestId, rule: refused.id, method }, 'firewall refused');
      return sendJson(res, 400, { error: refused.message }, requestId);
    }
    if (req.headers.upgrade !== undefined) {
      // Here when upgrades are off, or for an Upgrade header whose Connection does not list
      // `upgrade` (with upgrades on, the server's 'upgrade' event has the real ones).
      return sendJson(res, 501, { error: upgrades.size ? 'An Upgrade header is accepted only on an upgrade request (Connection: upgrade)' : 'Protocol upgrades are not enabled on this gateway' }, requestId);
    }
    const path = pathOf(target);
    if (method === 'GET' || method === 'HEAD') {
      if (path === '/healthz') return sendJson(res, 200, { status: 'ok' }, requestId);
      const document = resourceMetadata?.documents.get(path);
      if (document !== undefined) {
        // RFC 9728 §3: public, before the gate; the same for every client, so cacheable.
        res.writeHead(200, ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(document)), 'cache-control', RESOURCE_METADATA_CACHE_CONTROL, 'access-control-allow-origin', '*', 'x-request-id', requestId]).end(document);
        return;
      }
      if (path === '/readyz') {
        ready(res, requestId).catch(() => sendJson(res, 500, { error: 'Internal Server Error' }, requestId));
        return;
      }
      if (path === '/metrics' && serveMetrics && metricsText) {
        metricsText().then(
          ({ contentType, text }) => void res.writeHead(200, ['content-type', contentType, 'content-length', String(Buffer.byteLength(text)), 'x-request-id', requestId]).end(text),
          (err: unknown) => {
            logger.error({ source: 'gateway', reqId: requestId, method, path, status: 500, err: { name: (err as Error)?.name ?? typeof err } }, 'request failed');
            sendJson(res, 500, { error: 'Internal Server Error' }, requestId);
          },
        );
        return;
      }
    }

    let result: Authorization | Promise<Authorization>;
    try {
      result = authorizePathname(verifier, table, method, path, authorizationFromRawHeaders(req.rawHeaders, req.headers.authorization), optionsFor(path), proofOf(req));
    } catch (err) {
      return refuse(req, res, path, err, requestId, log, expectsContinue);
    }
    // Decided synchronously (the hot path: a cached token): forwarded in this same tick.
    if (!(result instanceof Promise)) return allow(req, res, path, result, requestId, log, expectsContinue);
    result.then(
      (auth) => allow(req, res, path, auth, requestId, log, expectsContinue),
      (err: unknown) => refuse(req, res, path, err, requestId, log, expectsContinue),
    ).catch((err: unknown) => {
      // Last guard: whatever failed, answer, and never forward.
      logger.error({ reqId: requestId, err: (err as Error)?.name ?? 'error' }, 'gateway error');
      if (!res.headersSent) sendJson(res, 500, { error: 'Internal Server Error' }, requestId);
    });
  }

  function decided(event: DecisionEvent, requestId: string, log: AccessLog): void {
    log.decision = event;
    metrics?.decision(event);
    const level = event.allowed ? 'debug' : 'info';
    if (logger.isLevelEnabled(level)) logger[level]({ reqId: requestId, ...event }, 'decision');
  }

  function allow(req: IncomingMessage, res: ServerResponse, path: string, auth: Authorization, requestId: string, log: AccessLog, expectsContinue: boolean): void {
    decided(allowedEvent(req.method!, path, auth, mode), requestId, log);
    // The credential the gate verified, in one spelling and with the scheme it was checked
    // under; none on a public rule (the client's header there is unchecked).
    forward(req, res, credential(auth), requestId, log, expectsContinue, nonceFor(auth));
  }

  /** RFC 9449 §8.2: the nonce the client's next proof must carry, on answers to DPoP requests (null: none). */
  function nonceFor(auth: Authorization): string | null {
    return dpopNonce !== null && auth.scheme === 'DPoP' ? dpopNonce() : null;
  }

  function refuse(req: IncomingMessage, res: ServerResponse, path: string, err: unknown, requestId: string, log: AccessLog, expectsContinue: boolean): void {
    const error = gateError(err);
    decided(refusedEventIn(table, req.method!, path, error, mode), requestId, log);
    // Report mode: decided and reported; the request goes on as the client sent it.
    if (mode === 'report') return forward(req, res, undefined, requestId, log, expectsContinue, null);
    sendJson(res, error.status, { error: error.message }, requestId, error.headers);
  }

  function forward(req: IncomingMessage, res: ServerResponse, authorization: string | null | undefined, requestId: string, log: AccessLog, expectsContinue: boolean, nonce: string | null): void {
    const headers = headersFor(req, requestId, authorization);
    if (expectsContinue) res.writeContinue();
    upstream.forward(req, res, headers, requestId, nonce, (end) => {
      log.forwarded = end;
      if (end.upstreamSeconds !== null) metrics?.upstream(end.upstreamSeconds, end.status);
      if (end.failure !== null && end.failure !== 'client closed') logger.error({ reqId: requestId, failure: end.failure, status: end.status }, 'upstream error');
    });
  }

  /** The request headers for the upstream (see upstreamRequestHeaders), this hop described from the socket. */
  function headersFor(req: IncomingMessage, requestId: string, authorization: string | null | undefined): string[] {
    const { remoteAddress = '', localPort = 0 } = req.socket;
    const hop = { peer: remoteAddress, port: localPort, trusted: trustProxy(remoteAddress), proto: (req.socket as TLSSocket).encrypted === true ? 'https' : 'http' } as const;
    // The client-certificate header never goes upstream, whoever sent it: the gate checked the
    // binding, and an upstream reading it could be told any certificate by a client.
    return upstreamRequestHeaders(req.rawHeaders, req.headers.connection, req.headers.host, hop, requestId, authorization, certHeader);
  }

  /** An upgrade request (upgrades enabled): firewall, gate, then the upstream's 101 or an answer. */
  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const requestId = requestIdOf(req);
    const method = req.method!;
    const target = req.url!;
    const log = new AccessLog(logger, requestId, method, target);
    socket.on('error', () => socket.destroy());
    const answer = (status: number, error: string, headers?: Readonly<Record<string, string>>) => {
      socket.end(rawAnswer(status, requestId, error, headers));
      log.writeStatus(status);
    };
    const refused = checkTarget(target, req.headers) ?? checkHost(req.rawHeaders);
    if (refused !== null) return answer(400, refused.message);
    const protocol = String(req.headers.upgrade ?? '').trim().toLowerCase();
    if (!upgrades.has(protocol)) return answer(501, 'Protocol upgrades are not enabled on this gateway');
    const path = pathOf(target);
    const go = (auth: Authorization) => {
      decided(allowedEvent(method, path, auth, mode), requestId, log);
      const headers = headersFor(req, requestId, credential(auth));
      upstream.upgrade(req, socket, head, headers, protocol, requestId, nonceFor(auth), (end) => {
        log.forwarded = end;
        log.writeStatus(end.status);
        if (end.failure !== null && end.failure !== 'client closed') logger.error({ reqId: requestId, failure: end.failure, status: end.status }, 'upstream error');
      });
    };
    const stop = (err: unknown) => {
      const error = gateError(err);
      decided(refusedEventIn(table, method, path, error, 'enforce'), requestId, log);
      // Report mode does not open tunnels it would not allow: an upgrade is always enforced.
      answer(error.status, error.message, error.headers);
    };
    try {
      const result = authorizePathname(verifier, table, method, path, authorizationFromRawHeaders(req.rawHeaders, req.headers.authorization), optionsFor(path), proofOf(req));
      if (result instanceof Promise) result.then(go, stop).catch(stop);
      else go(result);
    } catch (err) {
      stop(err);
    }
  }

  const gateway = ((req: IncomingMessage, res: ServerResponse) => handle(req, res, false)) as Gateway;
  gateway.checkContinue = (req, res) => handle(req, res, true);
  gateway.upgrade = upgrade;
  gateway.destroyTunnels = () => upstream.destroyTunnels();
  gateway.close = () => upstream.close();
  return gateway;
}

/**
 * A node:http server running the gateway (node:https with `tls`): requests, `Expect:
 * 100-continue` requests (decided before the client sends its body) and, when enabled, upgrades.
 */
export function createGatewayServer(options: GatewayOptions, tls?: GatewayTls): { server: http.Server; gateway: Gateway } {
  const gateway = createGateway(options);
  const server = createServer(tls);
  serveGateway(server, gateway, options.upgrade?.length ? true : false);
  return { server, gateway };
}

/** An HTTP server, or an HTTPS one with `tls`, with no listener yet (see serveGateway). */
export function createServer(tls?: GatewayTls): http.Server {
  if (tls === undefined) return http.createServer();
  return https.createServer({
    cert: tls.cert,
    key: tls.key,
    ...(tls.clientCa !== undefined ? { ca: tls.clientCa } : {}),
    requestCert: tls.requestCert === true,
    // A certificate-bound token's certificate is often self-signed: the handshake proves the
    // client holds its key, the token's thumbprint says it is the one. With a client CA,
    // socket.authorized tells which certificates chain to it (clientCertificate.tls 'verified').
    rejectUnauthorized: false,
  }) as unknown as http.Server;
}

/** Hand a server's requests, 100-continue requests and (when `upgrades`) upgrades to the gateway. */
export function serveGateway(server: http.Server, gateway: Gateway, upgrades: boolean): void {
  server.on('request', gateway);
  server.on('checkContinue', gateway.checkContinue);
  if (upgrades) server.on('upgrade', gateway.upgrade);
}

/** `Authorization` for the upstream: the token the gate verified, with the scheme it checked; null on a public rule. */
function credential(auth: Authorization): string | null {
  if (auth.rawToken === null) return null;
  return auth.scheme === 'DPoP' ? `DPoP ${auth.rawToken}` : `Bearer ${auth.rawToken}`;
}

/**
 * What the core checks a sender-constrained token against: the target as received (DPoP's
 * `htu` is compared with the configured origins plus this, never with the Host header), the
 * `DPoP` header, and the client certificate — read only when a token is certificate-bound.
 */
class GatewayProof implements RequestProof {
  readonly target: string;
  readonly dpop: string | undefined;
  constructor(
    private readonly req: IncomingMessage,
    private readonly read: (req: IncomingMessage) => Uint8Array | null,
  ) {
    this.target = req.url!;
    this.dpop = req.headers.dpop as string | undefined;
  }
  certificate(): Uint8Array | null {
    return this.read(this.req);
  }
}

/** The TLS peer certificate's DER, or null (plain HTTP, no certificate sent, or — `verified` — one that does not chain to the client CA). */
function peerCertificate(socket: TLSSocket, verified: boolean): Uint8Array | null {
  if (typeof socket.getPeerCertificate !== 'function') return null;
  if (verified && socket.authorized !== true) return null;
  const cert = socket.getPeerCertificate(false);
  return cert && cert.raw instanceof Uint8Array && cert.raw.byteLength > 0 ? cert.raw : null;
}

function positive(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive whole number, got ${String(value)}`);
  return value;
}

/**
 * One access log line per answer (`request`): id, method, path (never the query), status,
 * milliseconds, the decision's reason and subject, and whether the client went away first.
 * Nothing is built when the logger would drop the line (checked per request: pino's level can
 * change at run time).
 */
class AccessLog {
  readonly enabled: boolean;
  decision: DecisionEvent | null = null;
  forwarded: ForwardEnd | null = null;
  private readonly started: bigint;
  private written = false;

  constructor(
    private readonly logger: Logger,
    private readonly requestId: string,
    private readonly method: string,
    private readonly target: string,
  ) {
    this.enabled = logger.isLevelEnabled('info');
    this.started = this.enabled ? process.hrtime.bigint() : 0n;
  }

  write(res: ServerResponse): void {
    const aborted = !res.writableFinished;
    this.writeStatus(aborted && !res.headersSent ? 0 : res.statusCode, aborted);
  }

  writeStatus(status: number, aborted = false): void {
    if (!this.enabled || this.written) return;
    this.written = true;
    const d = this.decision;
    this.logger.info(
      {
        reqId: this.requestId,
        method: this.method,
        path: loggedPath(this.target),
        status,
        ms: Number(process.hrtime.bigint() - this.started) / 1e6,
        ...(d ? { reason: d.reason, sub: d.sub } : {}),
        ...(aborted ? { aborted: true } : {}),
        ...(this.forwarded?.failure && this.forwarded.failure !== 'client closed' ? { upstreamFailure: this.forwarded.failure } : {}),
      },
      'request',
    );
  }
}

/** A URL for a log line: no credentials, no query (either may carry a secret). */
function redactedUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}
