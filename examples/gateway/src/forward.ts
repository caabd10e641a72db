/**
 * Forwarding one request the gate allowed to the upstream over an undici pool (keep-alive,
 * bounded connections), bodies streamed both ways with backpressure, and the answer relayed.
 *
 * The request target is sent as checked, byte for byte: the upstream's base path, as text, then
 * `req.url` as the client sent it (no URL joining, no normalising). The upstream's answer comes
 * back with hop-by-hop headers removed; an upstream that cannot be reached is 502, one that does
 * not answer in time 504; a client that goes away aborts the upstream request.
 *
 * Why undici's `dispatch` with a handler of its callbacks: it is the client's own lowest layer (its
 * `request` and `stream` are built on it), so a request costs no promise, no Readable and no
 * parsing of the response headers into an object; the raw header list is filtered once.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Pool } from 'undici';
import { clientResponseHeaders } from './forward-headers';

export interface UpstreamOptions {
  /** Most connections to the upstream at once (requests beyond wait in the pool's queue). */
  connections: number;
  /** Time allowed for the upstream's response head, and between body chunks, ms. */
  timeout: number;
}

/** How a forwarded exchange ended, for the access log and metrics. */
export interface ForwardEnd {
  /** The upstream's status, or the gateway's own 502/504. */
  status: number;
  /** Seconds from dispatch to the upstream's response head; null when none came. */
  upstreamSeconds: number | null;
  /** Why the exchange failed (a fixed text, never a message from the network), or null. */
  failure: string | null;
}

export class Upstream {
  readonly pool: Pool;
  /** `UPSTREAM_URL`'s path without a trailing `/`, prefixed to every target as text. */
  readonly basePath: string;
  readonly origin: string;
  /** Both sockets of every open tunnel, for shutdown. */
  private readonly tunnels = new Set<Duplex>();

  constructor(url: URL, readonly options: UpstreamOptions) {
    this.origin = url.origin;
    this.basePath = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      headersTimeout: options.timeout,
      bodyTimeout: options.timeout,
      connectTimeout: Math.min(10_000, options.timeout),
      // The upstream's path is joined by us, as text; nothing else may rewrite it.
      strictContentLength: true,
    });
  }

  /**
   * Send the request on and relay the answer into `res`. `headers` are the request headers to
   * send (see upstreamRequestHeaders); `dpopNonce` a DPoP nonce for the answer (or null);
   * `onEnd` is called once, when the answer is complete, failed, or the client went away.
   */
  forward(req: IncomingMessage, res: ServerResponse, headers: string[], requestId: string, dpopNonce: string | null, onEnd: (end: ForwardEnd) => void): void {
    const exchange = new Exchange(res, requestId, dpopNonce, onEnd, this.options.timeout);
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    res.once('close', exchange.clientClosed);
    if (hasBody) {
      // A client that announces a body and stalls would hold an upstream connection: undici's
      // timeouts start only once the body is sent. So the client's socket may idle at most
      // `timeout` while the body is read (Node's server then destroys it, which aborts the
      // exchange); Node itself resets the socket's timeout for the next request.
      const socket = req.socket;
      socket.setTimeout(this.options.timeout);
      req.once('end', () => socket.setTimeout(0));
    }
    this.pool.dispatch({ origin: this.origin, method: req.method!, path: this.basePath + req.url!, headers, body: hasBody ? req : null }, exchange);
  }

  /**
   * Forward an upgrade request (the gate allowed it): on the upstream's `101`, the client gets
   * the upstream's answer head and the two sockets are joined; anything else is answered 502.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, headers: string[], protocol: string, requestId: string, dpopNonce: string | null, onEnd: (end: ForwardEnd) => void): void {
    const started = process.hrtime.bigint();
    let done = false;
    const finish = (end: ForwardEnd) => {
      if (done) return;
      done = true;
      onEnd(end);
    };
    socket.once('close', () => finish({ status: 0, upstreamSeconds: null, failure: 'client closed' }));
    this.pool
      .upgrade({ path: this.basePath + req.url!, method: req.method, headers, protocol })
      .then(({ headers: answer, socket: upstreamSocket }) => {
        if (socket.destroyed) {
          upstreamSocket.destroy();
          return;
        }
        // The 101's headers go through the same hop-by-hop filter as any answer's (RFC 9110
        // §7.6.1): skipping only Connection/Upgrade/Keep-Alive let the headers the upstream's
        // Connection lists, and Proxy-*, reach the client. clientResponseHeaders also sets the
        // gateway's x-request-id.
        const list: string[] = [];
        for (const [name, value] of Object.entries(answer)) for (const v of [value ?? []].flat()) list.push(name, String(v));
        const kept = clientResponseHeaders(list, requestId, dpopNonce);
        const lines = ['HTTP/1.1 101 Switching Protocols'];
        for (let i = 0; i < kept.length; i += 2) lines.push(`${kept[i]}: ${kept[i + 1]}`);
        lines.push('connection: Upgrade', `upgrade: ${protocol}`);
        socket.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (head.length) upstreamSocket.write(head);
        finish({ status: 101, upstreamSeconds: Number(process.hrtime.bigint() - started) / 1e9, failure: null });
        upstreamSocket.pipe(socket).pipe(upstreamSocket);
        this.tunnels.add(socket);
        this.tunnels.add(upstreamSocket);
        const close = () => {
          this.tunnels.delete(socket);
          this.tunnels.delete(upstreamSocket);
          socket.destroy();
          upstreamSocket.destroy();
        };
        socket.once('error', close).once('close', close);
        upstreamSocket.once('error', close).once('close', close);
        // Half-closed (one side sent its FIN, which the pipe passed on): the other side gets
        // HALF_CLOSE_MS to finish, so a peer that never closes cannot hold a tunnel forever.
        const halfClosed = () => void setTimeout(close, HALF_CLOSE_MS).unref();
        socket.once('end', halfClosed);
        upstreamSocket.once('end', halfClosed);
      })
      .catch((err: unknown) => {
        const status = timedOut(err) ? 504 : 502;
        if (!socket.destroyed) socket.end(rawAnswer(status, requestId));
        finish({ status, upstreamSeconds: null, failure: failureOf(err) });
      });
  }

  /** Cut every open tunnel (upgraded connections): a server's closeAllConnections does not reach them. */
  destroyTunnels(): void {
    for (const socket of this.tunnels) socket.destroy();
    this.tunnels.clear();
  }

  close(): Promise<void> {
    this.destroyTunnels();
    return this.pool.close();
  }
}

/** How long a tunnel stays open after one side ended its half, ms. */
const HALF_CLOSE_MS = 10_000;

/** A complete HTTP/1.1 JSON error answer, for a socket no ServerResponse owns (upgrades); the connection is closed after it. */
export function rawAnswer(status: number, requestId: string, error: string = status === 504 ? 'Gateway Timeout' : 'Bad Gateway', headers?: Readonly<Record<string, string>>): string {
  const body = JSON.stringify({ error });
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\n`;
  if (headers) for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
  return `${head}connection: close\r\n\r\n${body}`;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
const timedOut = (err: unknown): boolean => TIMEOUT_CODES.has((err as { code?: string } | null)?.code ?? '');

/** A fixed description of a failure: undici's error code, the socket's (ECONNREFUSED…), or the error's class name; never a message. */
function failureOf(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : typeof e?.name === 'string' ? e.name : 'error';
  return code.replace(/[^A-Z0-9_]/gi, '').slice(0, 40) || 'error';
}

/** Raised into undici when the client went away: the upstream request is aborted. */
class ClientGone extends Error {
  readonly code = 'CLIENT_GONE';
}

/**
 * One forwarded request: undici's dispatch handler, relaying the answer into the client's
 * response. Written to the legacy callback interface, the one undici 7's clients run natively
 * (a handler of the newer interface is wrapped into it, and its headers parsed into an object).
 */
class Exchange {
  private abort: ((err?: Error) => void) | null = null;
  private started = process.hrtime.bigint();
  private upstreamSeconds: number | null = null;
  private ended = false;

  /** Set while the client does not read (backpressure): past `timeout` the exchange is cut. */
  private stalled: NodeJS.Timeout | null = null;

  constructor(
    private readonly res: ServerResponse,
    private readonly requestId: string,
    private readonly dpopNonce: string | null,
    private readonly onEnd: (end: ForwardEnd) => void,
    private readonly timeout: number,
  ) {}

  private end(status: number, failure: string | null): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd({ status, upstreamSeconds: this.upstreamSeconds, failure });
  }

  /** The client's response closed: complete, or the client went away (then abort upstream). */
  readonly clientClosed = (): void => {
    if (this.stalled !== null) clearTimeout(this.stalled);
    if (this.ended) return;
    this.abort?.(new ClientGone('client closed the connection'));
    this.end(this.res.headersSent ? this.res.statusCode : 0, 'client closed');
  };

  onConnect(abort: (err?: Error) => void): void {
    if (this.ended) abort(new ClientGone('client closed the connection'));
    else this.abort = abort;
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    if (status < 200) return true; // informational: not relayed
    this.upstreamSeconds = Number(process.hrtime.bigint() - this.started) / 1e9;
    const res = this.res;
    res.writeHead(status, clientResponseHeaders(raw, this.requestId, this.dpopNonce));
    // Backpressure: when the client reads slower than the upstream sends, undici pauses the
    // upstream socket (onData returned false) until the response drains.
    this.resume = resume;
    return true;
  }

  private resume: (() => void) | null = null;
  private readonly drained = (): void => {
    if (this.stalled !== null) clearTimeout(this.stalled);
    this.stalled = null;
    this.resume?.();
  };

  /**
   * A client that stops reading must not hold its upstream connection: undici's body timeout
   * does not run while it is paused for backpressure, so a response that cannot drain within
   * `timeout` is cut (the client sees a truncated answer, the connection returns to the pool).
   */
  private readonly stall = (): void => {
    this.stalled = null;
    this.abort?.(new ClientGone('client stopped reading'));
    this.res.destroy();
    this.end(this.res.statusCode, 'client stopped reading');
  };

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.drained);
    this.stalled ??= setTimeout(this.stall, this.timeout);
    return false;
  }

  onComplete(): void {
    if (this.stalled !== null) clearTimeout(this.stalled);
    this.res.end();
    this.end(this.res.statusCode, null);
  }

  onError(err: Error): void {
    if (err instanceof ClientGone) return;
    const res = this.res;
    if (res.destroyed) return this.clientClosed();
    const status = timedOut(err) ? 504 : 502;
    const failure = failureOf(err);
    if (!res.headersSent) {
      const body = status === 504 ? '{"error":"Gateway Timeout"}' : '{"error":"Bad Gateway"}';
      res.writeHead(status, ['content-type', 'application/json; charset=utf-8', 'content-length', String(body.length), 'x-request-id', this.requestId]).end(body);
      this.end(status, failure);
    } else {
      // The answer has begun: nothing truthful can be added, so the client sees it cut.
      res.destroy();
      this.end(res.statusCode, failure);
    }
  }
}
