/**
 * A raw `node:http` upstream on 127.0.0.1 that records exactly what reached it (method, target,
 * raw header list, body bytes) and answers as the test tells it; plus a raw-socket client that
 * writes requests byte for byte and parses what comes back (1xx answers, chunked bodies, 101).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** One request as the upstream got it. */
export interface Received {
  method: string;
  url: string;
  rawHeaders: string[];
  /** Reached through the server's `upgrade` event. */
  upgrade: boolean;
  /** The body bytes received so far (all of them once `ended` resolved). */
  chunks: Buffer[];
  /** The whole body, when the request ended. */
  ended: Promise<Buffer>;
  /** Resolves when the connection closed before this request's response was complete (the gateway aborted it). */
  aborted: Promise<void>;
}

export type Responder = (req: IncomingMessage, res: ServerResponse, got: Received) => void;
export type UpgradeResponder = (req: IncomingMessage, socket: Duplex, head: Buffer, got: Received) => void;

export interface RawUpstream {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly received: Received[];
  /** How requests are answered; `reset()` restores the default (read the body, 200 `{"ok":true}`). */
  respond: Responder;
  /** How upgrades are answered; default: `101 Switching Protocols`, then every byte echoed back. */
  upgrade: UpgradeResponder;
  /** Resolves with the next request the upstream receives (or the first one already received, unseen). */
  next(timeoutMs?: number): Promise<Received>;
  /** Forget what was received, restore the default answers. */
  reset(): void;
  close(): Promise<void>;
}

export const defaultRespond: Responder = (_req, res, got) => {
  void got.ended.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
};

export const echoUpgrade: UpgradeResponder = (_req, socket, head) => {
  socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: from-upstream\r\n\r\n');
  if (head.length) socket.write(head);
  socket.pipe(socket);
};

export async function startRawUpstream(): Promise<RawUpstream> {
  const sockets = new Set<Socket | Duplex>();
  const received: Received[] = [];
  let seen = 0;
  const waiters: ((got: Received) => void)[] = [];
  const record = (req: IncomingMessage, upgrade: boolean): { got: Received; abort: () => void } => {
    const chunks: Buffer[] = [];
    let abort!: () => void;
    const aborted = new Promise<void>((resolve) => (abort = resolve));
    const ended = new Promise<Buffer>((resolve) => {
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
    });
    const got: Received = { method: req.method!, url: req.url!, rawHeaders: [...req.rawHeaders], upgrade, chunks, ended, aborted };
    received.push(got);
    const waiter = waiters.shift();
    if (waiter) {
      seen = received.length;
      waiter(got);
    }
    return { got, abort };
  };
  const server = http.createServer((req, res) => {
    const { got, abort } = record(req, false);
    res.on('close', () => {
      if (!res.writableFinished) abort();
    });
    state.respond(req, res, got);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    const { got } = record(req, true);
    state.upgrade(req, socket, head, got);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const state: RawUpstream = {
    port,
    url: `http://127.0.0.1:${port}`,
    received,
    respond: defaultRespond,
    upgrade: echoUpgrade,
    next(timeoutMs = 5000) {
      if (seen < received.length) return Promise.resolve(received[seen++]!);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the upstream received nothing')), timeoutMs);
        waiters.push((got) => {
          clearTimeout(timer);
          resolve(got);
        });
      });
    },
    reset() {
      received.length = 0;
      seen = 0;
      waiters.length = 0;
      state.respond = defaultRespond;
      state.upgrade = echoUpgrade;
    },
    async close() {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}

/** Every value of a header (name case-insensitive) in a raw `[name, value, …]` list, in order. */
export function headerValues(rawHeaders: readonly string[], name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === lower) out.push(rawHeaders[i + 1]!);
  return out;
}

/** The header names of a raw list, lower-cased. */
export const headerNames = (rawHeaders: readonly string[]): string[] => rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());

// ---------------------------------------------------------------------------------------------
// Raw client

export interface RawResponse {
  status: number;
  /** `[name, value, …]` as sent. */
  rawHeaders: string[];
  /** The decoded body (chunked framing removed); for a 101, the bytes after the head so far. */
  body: Buffer;
}

export interface Parsed {
  /** 1xx answers before the final one (not 101). */
  informational: RawResponse[];
  /** The final answer, or null when it is not complete yet. */
  final: RawResponse | null;
  /** For a chunked body: the raw trailer section (empty when none). */
  trailers: string;
}

/** Parse what a server sent on one connection, for one request. `untilClose`: a body without framing runs to the end of `data`. */
export function parseResponse(data: Buffer, untilClose = false, headRequest = false): Parsed {
  const informational: RawResponse[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end === -1) return { informational, final: null, trailers: '' };
    const [statusLine = '', ...lines] = data.subarray(at, end).toString('latin1').split('\r\n');
    const status = Number(statusLine.split(' ')[1]);
    const rawHeaders: string[] = [];
    for (const line of lines) {
      const i = line.indexOf(':');
      rawHeaders.push(line.slice(0, i), line.slice(i + 1).trim());
    }
    at = end + 4;
    if (status >= 100 && status < 200 && status !== 101) {
      informational.push({ status, rawHeaders, body: Buffer.alloc(0) });
      continue;
    }
    const rest = data.subarray(at);
    if (status === 101) return { informational, final: { status, rawHeaders, body: rest }, trailers: '' };
    if (headRequest || status === 204 || status === 304) return { informational, final: { status, rawHeaders, body: Buffer.alloc(0) }, trailers: '' };
    const te = headerValues(rawHeaders, 'transfer-encoding').join(',').toLowerCase();
    if (te.includes('chunked')) {
      const parts: Buffer[] = [];
      let p = 0;
      for (;;) {
        const lineEnd = rest.indexOf('\r\n', p);
        if (lineEnd === -1) return { informational, final: null, trailers: '' };
        const size = parseInt(rest.subarray(p, lineEnd).toString('latin1'), 16);
        if (size === 0) {
          const trailerEnd = rest.indexOf('\r\n\r\n', lineEnd);
          const bare = rest.subarray(lineEnd, lineEnd + 4).toString('latin1') === '\r\n\r\n';
          if (!bare && trailerEnd === -1) return { informational, final: null, trailers: '' };
          const trailers = bare ? '' : rest.subarray(lineEnd + 2, trailerEnd).toString('latin1');
          return { informational, final: { status, rawHeaders, body: Buffer.concat(parts) }, trailers };
        }
        if (rest.length < lineEnd + 2 + size + 2) return { informational, final: null, trailers: '' };
        parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
        p = lineEnd + 2 + size + 2;
      }
    }
    const length = headerValues(rawHeaders, 'content-length')[0];
    if (length !== undefined) {
      const n = Number(length);
      if (rest.length < n) return { informational, final: null, trailers: '' };
      return { informational, final: { status, rawHeaders, body: rest.subarray(0, n) }, trailers: '' };
    }
    return { informational, final: untilClose ? { status, rawHeaders, body: rest } : null, trailers: '' };
  }
}

/** A raw client connection: write bytes, wait for what comes back. */
export class RawConnection {
  data = Buffer.alloc(0);
  closed = false;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      for (const l of this.listeners) l();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      for (const l of this.listeners) l();
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Resolves once `done(data, closed)` holds; rejects after `timeoutMs` (a hang is a failure, never a wait forever). */
  waitFor(done: (data: Buffer, closed: boolean) => boolean, timeoutMs = 5000, what = 'the expected bytes'): Promise<Buffer> {
    if (done(this.data, this.closed)) return Promise.resolve(this.data);
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done(this.data, this.closed)) {
          if (this.closed) finish(new Error(`connection closed before ${what}; got ${JSON.stringify(this.data.toString('latin1').slice(0, 300))}`));
          return;
        }
        finish(null);
      };
      const finish = (err: Error | null) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (err) reject(err);
        else resolve(this.data);
      };
      const timer = setTimeout(() => finish(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.data.toString('latin1').slice(0, 300))}`)), timeoutMs);
      this.listeners.add(check);
    });
  }

  /** Wait for a complete final answer (framed, or ended by the connection closing). */
  async response(timeoutMs = 5000, headRequest = false): Promise<Parsed> {
    await this.waitFor((data, closed) => parseResponse(data, closed, headRequest).final !== null, timeoutMs, 'a complete response');
    return parseResponse(this.data, this.closed, headRequest);
  }

  /** Resolves when the server closed the connection; rejects after `timeoutMs`. */
  async closedByPeer(timeoutMs = 5000): Promise<void> {
    await this.waitFor((_d, closed) => closed, timeoutMs, 'the connection to close');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Send one raw request, return the parsed final answer (and any 1xx before it); the connection is then closed. */
export async function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<Parsed & { raw: Buffer }> {
  const conn = await RawConnection.open(port);
  try {
    conn.write(bytes);
    const parsed = await conn.response(timeoutMs, /^HEAD /.test(typeof bytes === 'string' ? bytes : bytes.toString('latin1', 0, 5)));
    return { ...parsed, raw: conn.data };
  } finally {
    conn.destroy();
  }
}
