/**
 * An attacker's review of the node:http + undici gateway, over real loopback sockets: requests
 * written byte for byte on raw sockets, upstreams that record what reached them (a node:http one,
 * and a net one that answers with malformed bytes on purpose).
 *
 * Most tests here are attacks the gateway resists today and must keep resisting (smuggling
 * between Node's parser and undici, pipelining, Expect, the gateway's own paths, header
 * injection into Forwarded, malformed upstream answers, upgrades). Some exposed a weakness
 * found in this review, each failing before its fix:
 *
 * - a client that never reads its answer, or never sends the body it announced, holds an
 *   upstream pool connection with no time limit: a few such clients starve everyone else;
 * - `X_HTTP_Method_Override`, `X_Original_URL`, `X_Forwarded_For` (underscore spellings, which
 *   CGI/WSGI/Rack upstreams read as the dashed header) pass the firewall and reach the upstream;
 * - the access log of a firewall-refused target holds its fragment, userinfo or path parameter
 *   (a token in `#access_token=…` is logged whole);
 * - `ALLOW_UPGRADE=h2c` is accepted: an h2c tunnel lets every later request skip the gate;
 * - a worker whose IPC channel closed crashes on `GET /metrics` (unhandled 'error' on process);
 * - a Host with commas or quotes, or a second Host line, was copied into X-Forwarded-Host.
 */
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { compileRoutes, createVerifier } from '@scopegate/core';
import type { GatewayOptions } from '../src/gateway';
import { startTestGateway, type LogLine, type TestGateway } from './support/test-gateway';
import { GatewayConfigError, loadConfig } from '../src/config';
import { headerNames, headerValues, RawConnection, rawRequest, startRawUpstream, type RawUpstream } from './support/raw-upstream';

const SECRET = 'a-review-attacks-test-secret-of-32-bytes!!';
const verifier = createVerifier({ algorithms: ['HS256'], secret: SECRET });
const table = compileRoutes([
  { method: 'GET', path: '/t/:name', scopes: ['things.read'] },
  { method: 'POST', path: '/things', scopes: ['things.write'] },
  { method: 'GET', path: '/ws/:room', scopes: ['ws.connect'] },
  { method: 'GET', path: '/admin', scopes: ['admin'] },
]);

function hs256(claims: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'attacker-1', iat: now, exp: now + 600, ...claims })}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}
/** Reads, writes and websockets; not admin. */
const TOKEN = hs256({ scope: 'things.read things.write ws.connect' });
/** Reads only. */
const READ_ONLY = hs256({ scope: 'things.read' });
const AUTH = `Authorization: Bearer ${TOKEN}\r\n`;

type Line = LogLine;
type Gw = TestGateway;
const started: Gw[] = [];
const servers: { close(): Promise<void> }[] = [];

async function startGw(upstreamUrl: string, options: Partial<GatewayOptions> = {}): Promise<Gw> {
  const gw = await startTestGateway({ upstreamUrl: new URL(upstreamUrl), table, verifier, ...options });
  started.push(gw);
  return gw;
}

/**
 * A net upstream: no HTTP library between the test and the gateway's pool. `answer` gets each
 * request head (requests here carry no body) and returns the bytes to write back, latin1.
 */
interface NetUpstream {
  url: string;
  connections: Socket[];
  answer: (head: string) => string;
  close(): Promise<void>;
}
async function startNetUpstream(): Promise<NetUpstream> {
  const state: NetUpstream = {
    url: '',
    connections: [],
    answer: () => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    close: async () => {
      for (const s of state.connections) s.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
  const srv = net.createServer((s) => {
    state.connections.push(s);
    s.on('error', () => undefined);
    let buffered = '';
    s.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) !== -1) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        s.write(Buffer.from(state.answer(head), 'latin1'));
      }
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return state;
}

async function until(ok: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The status lines on a connection, in order (a JSON body ends without a newline, so not anchored). */
const statusLines = (data: Buffer) => data.toString('latin1').match(/HTTP\/1\.1 \d{3}/g) ?? [];

let upstream: RawUpstream;
let gw: Gw;

beforeAll(async () => {
  upstream = await startRawUpstream();
  servers.push(upstream);
  gw = await startGw(upstream.url);
});

afterAll(async () => {
  for (const g of started) await g.stopServer();
  for (const s of servers) await s.close();
  // A pool's close waits for its requests; every upstream is closed by now, so they have ended.
  await Promise.all(started.map((g) => Promise.race([g.gateway.close(), new Promise((r) => setTimeout(r, 2000).unref())])));
});

beforeEach(() => {
  upstream.reset();
  for (const g of started) g.lines.length = 0;
});

// ---------------------------------------------------------------------------------------------
describe('smuggling between Node\'s parser and undici: refused by Node before the gate, nothing forwarded', () => {
  const H = 'Host: gw.test\r\n';
  const cases: [string, string][] = [
    ['Content-Length with Transfer-Encoding (CL.TE)', `POST /things HTTP/1.1\r\n${H}${AUTH}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n${H}\r\n`],
    ['two Content-Length lines', `POST /things HTTP/1.1\r\n${H}${AUTH}Content-Length: 3\r\nContent-Length: 30\r\n\r\nabc`],
    ['Transfer-Encoding: chunked, identity (chunked not last)', `POST /things HTTP/1.1\r\n${H}${AUTH}Transfer-Encoding: chunked, identity\r\n\r\n3\r\nabc\r\n0\r\n\r\n`],
    ['obs-fold continuing a header', `GET /t/a HTTP/1.1\r\n${H}${AUTH}X-A: a\r\n X-Injected: 1\r\n\r\n`],
    ['Authorization folded over two lines', `GET /t/a HTTP/1.1\r\n${H}Authorization: Bearer\r\n ${TOKEN}\r\n\r\n`],
    ['bare LF line ends', `GET /t/a HTTP/1.1\n${H.replace('\r\n', '\n')}${AUTH.replace('\r\n', '\n')}\n`],
    ['space before the colon (Authorization : …)', `GET /t/a HTTP/1.1\r\n${H}Authorization : Bearer ${TOKEN}\r\n\r\n`],
    ['a chunk extension holding a quoted CRLF', `POST /things HTTP/1.1\r\n${H}${AUTH}Transfer-Encoding: chunked\r\n\r\n3;x="a\r\nb"\r\nabc\r\n0\r\n\r\n`],
    ['NUL in a header value', `GET /t/a HTTP/1.1\r\n${H}${AUTH}X-A: a\x00b\r\n\r\n`],
    ['a latin1 byte in the query', `GET /t/a?q=caf\xe9 HTTP/1.1\r\n${H}${AUTH}\r\n`],
    ['a tab in the query', `GET /t/a?q=a\tb HTTP/1.1\r\n${H}${AUTH}\r\n`],
    ['a space inside the target', `GET /t/a b HTTP/1.1\r\n${H}${AUTH}\r\n`],
    ['a lower-case method', `get /t/a HTTP/1.1\r\n${H}${AUTH}\r\n`],
    ['an HTTP/2 prior-knowledge preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  ];
  test.each(cases)('%s → 400, the upstream receives nothing', async (_name, bytes) => {
    const res = await rawRequest(gw.port, bytes);
    expect(res.final!.status).toBe(400);
    await sleep(50);
    expect(upstream.received).toHaveLength(0);
  });

  test('a chunked body is re-framed by the gateway: its extensions and an Authorization trailer never reach the upstream', async () => {
    const res = await rawRequest(
      gw.port,
      `POST /things HTTP/1.1\r\nHost: gw.test\r\n${AUTH}Transfer-Encoding: identity, chunked\r\nConnection: close\r\n\r\n3;ext=1\r\nabc\r\n0\r\nAuthorization: Bearer evil-trailer\r\nX-Trailer: 1\r\n\r\n`,
    );
    expect(res.final!.status).toBe(200);
    const got = await upstream.next();
    expect((await got.ended).toString()).toBe('abc');
    expect(headerValues(got.rawHeaders, 'authorization')).toEqual([`Bearer ${TOKEN}`]);
    expect(got.rawHeaders.join('\n')).not.toMatch(/evil-trailer|ext=1|x-trailer/i);
  });
});

// ---------------------------------------------------------------------------------------------
describe('pipelining and Expect on one connection', () => {
  test('allowed and refused requests pipelined: only the allowed reach the upstream; a refused body is never read as a request', async () => {
    const smuggled = `GET /admin HTTP/1.1\r\nHost: gw.test\r\n${AUTH}\r\n`;
    const conn = await RawConnection.open(gw.port);
    try {
      conn.write(
        `GET /t/one HTTP/1.1\r\nHost: gw.test\r\n${AUTH}\r\n` +
          `POST /things HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer ${READ_ONLY}\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}` +
          `GET /t/three HTTP/1.1\r\nHost: gw.test\r\n${AUTH}\r\n` +
          `GET /admin HTTP/1.1\r\nHost: gw.test\r\n${AUTH}\r\n` +
          `GET /t/five HTTP/1.1\r\nHost: gw.test\r\n${AUTH}Connection: close\r\n\r\n`,
      );
      await conn.closedByPeer();
      expect(statusLines(conn.data)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 403', 'HTTP/1.1 200', 'HTTP/1.1 403', 'HTTP/1.1 200']);
      expect(upstream.received.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /t/one', 'GET /t/three', 'GET /t/five']);
    } finally {
      conn.destroy();
    }
  });

  test('Expect: 100-continue refused: no 100, the connection closes, and a body sent anyway is never a request', async () => {
    const smuggled = `GET /t/smuggled HTTP/1.1\r\nHost: gw.test\r\n${AUTH}\r\n`;
    const conn = await RawConnection.open(gw.port);
    try {
      conn.write(`POST /things HTTP/1.1\r\nHost: gw.test\r\nExpect: 100-continue\r\nContent-Length: ${smuggled.length}\r\n\r\n`);
      const parsed = await conn.response();
      expect(parsed.informational).toHaveLength(0);
      expect(parsed.final!.status).toBe(401);
      conn.write(smuggled);
      await conn.closedByPeer();
      expect(statusLines(conn.data)).toEqual(['HTTP/1.1 401']);
      expect(upstream.received).toHaveLength(0);
    } finally {
      conn.destroy();
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('the gateway\'s own paths and odd targets never open a way to the upstream', () => {
  test('variants of /healthz, /readyz, /metrics (case, trailing slash, methods, dot segments) go to the gate; only GET /healthz answers itself', async () => {
    const cases: [string, string, number][] = [
      ['GET', '/healthz', 200],
      ['GET', '/healthz?x=1', 200],
      ['HEAD', '/healthz', 200],
      ['POST', '/healthz', 403],
      ['GET', '/healthz/', 403],
      ['GET', '/HEALTHZ', 403],
      ['OPTIONS', '/healthz', 403],
      ['PUT', '/readyz', 403],
      ['GET', '/readyz/', 403],
      ['GET', '/metrics', 403], // no metrics given: the gate's, like any unknown path
      ['DELETE', '/metrics', 403],
      ['GET', '/Metrics', 403],
      ['GET', '/healthz/..', 400],
      ['GET', '/./healthz', 400],
    ];
    const got: string[] = [];
    for (const [method, target] of cases) {
      const res = await rawRequest(gw.port, `${method} ${target} HTTP/1.1\r\nHost: gw.test\r\n${AUTH}Connection: close\r\n\r\n`);
      got.push(`${method} ${target} ${res.final!.status}`);
    }
    expect(got).toEqual(cases.map(([m, t, s]) => `${m} ${t} ${s}`));
    expect(upstream.received).toHaveLength(0);
  });

  test('OPTIONS *, absolute-form and CONNECT never reach the upstream', async () => {
    for (const line of ['OPTIONS * HTTP/1.1', `GET http://127.0.0.1:${upstream.port}/t/a HTTP/1.1`]) {
      const res = await rawRequest(gw.port, `${line}\r\nHost: gw.test\r\n${AUTH}Connection: close\r\n\r\n`);
      expect(res.final!.status).toBe(400);
    }
    const conn = await RawConnection.open(gw.port);
    conn.write(`CONNECT 127.0.0.1:${upstream.port} HTTP/1.1\r\nHost: 127.0.0.1:${upstream.port}\r\n${AUTH}\r\n`);
    await conn.closedByPeer();
    expect(conn.data.toString('latin1')).not.toMatch(/^HTTP\/1\.1 2/);
    expect(upstream.received).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------
/** RFC 7239 elements of a Forwarded value: commas and semicolons inside quoted-strings do not split. */
function parseForwarded(value: string): Record<string, string>[] {
  const elements: Record<string, string>[] = [{}];
  let i = 0;
  while (i < value.length) {
    while (value[i] === ' ') i++;
    const eq = value.indexOf('=', i);
    const name = value.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    let v = '';
    if (value[i] === '"') {
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\') i++;
        v += value[i++];
      }
      i++;
    } else {
      while (i < value.length && value[i] !== ';' && value[i] !== ',') v += value[i++];
    }
    elements[elements.length - 1]![name] = v.trim();
    while (value[i] === ' ') i++;
    if (value[i] === ',') elements.push({});
    i++;
  }
  return elements;
}

describe('headers the gateway copies or sets', () => {
  test.each([
    ['quotes, commas and semicolons (a forged Forwarded element)', 'Host: a.test", for=6.6.6.6;proto=https, for="7.7.7.7'],
    ['a comma (a fake two-entry X-Forwarded-Host)', 'Host: a.test, evil.example'],
    ['two Host lines (RFC 9112 §3.2: 400)', 'Host: gw.test\r\nHost: evil.example'],
    ['an empty Host', 'Host: '],
  ])('a Host holding %s is refused by the firewall (400, rule host), nothing forwarded', async (_name, hostLines) => {
    upstream.received.length = 0;
    const res = await rawRequest(gw.port, `GET /t/a HTTP/1.1\r\n${hostLines}\r\n${AUTH}Connection: close\r\n\r\n`);
    expect(res.final!.status).toBe(400);
    expect(JSON.parse(res.final!.body.toString())).toEqual({ error: 'A repeated or malformed Host header is not accepted' });
    expect(upstream.received).toHaveLength(0);
  });

  test('a bracketed IPv6 Host with a port is one quoted host= in one Forwarded element; for= and X-Forwarded-For stay the peer', async () => {
    const host = '[::1]:8080';
    const res = await rawRequest(gw.port, `GET /t/a HTTP/1.1\r\nHost: ${host}\r\n${AUTH}Connection: close\r\n\r\n`);
    expect(res.final!.status).toBe(200);
    const got = await upstream.next();
    const forwarded = headerValues(got.rawHeaders, 'forwarded');
    expect(forwarded).toEqual([`for=127.0.0.1;host="${host}";proto=http`]);
    expect(parseForwarded(forwarded[0]!)).toEqual([{ for: '127.0.0.1', host, proto: 'http' }]);
    expect(headerValues(got.rawHeaders, 'x-forwarded-for')).toEqual(['127.0.0.1']);
    expect(headerValues(got.rawHeaders, 'x-forwarded-host')).toEqual([host]);
  });

  test('Connection naming the gateway\'s own headers (x-request-id, x-forwarded-*, forwarded, authorization, host) removes none of them', async () => {
    const res = await rawRequest(
      gw.port,
      `GET /t/a HTTP/1.1\r\nHost: gw.test\r\n${AUTH}X-Request-Id: rid-1\r\nConnection: x-request-id, x-forwarded-for, x-forwarded-host, forwarded, authorization, host, close\r\n\r\n`,
    );
    expect(res.final!.status).toBe(200);
    const got = await upstream.next();
    for (const name of ['authorization', 'x-request-id', 'x-forwarded-for', 'x-forwarded-host', 'forwarded', 'host']) expect(headerValues(got.rawHeaders, name)).toHaveLength(1);
    expect(headerValues(got.rawHeaders, 'authorization')).toEqual([`Bearer ${TOKEN}`]);
    expect(headerValues(got.rawHeaders, 'x-request-id')).toEqual(['rid-1']);
  });

  test('underscore spellings of override and client-address headers (X_HTTP_Method_Override, X_Original_URL, X_Forwarded_For, X_Real_IP) are refused or dropped', async () => {
    // CGI-style upstreams (Rack servers such as Puma before 6.4.3 — CVE-2024-45614 —, WSGI servers
    // mapping headers to HTTP_* variables) read `X_HTTP_Method_Override` as
    // `X-HTTP-Method-Override`: the gate checks POST, the upstream runs DELETE on /admin.
    const res = await rawRequest(
      gw.port,
      `POST /things HTTP/1.1\r\nHost: gw.test\r\n${AUTH}X_HTTP_Method_Override: DELETE\r\nX_Original_URL: /admin\r\nX_Forwarded_For: 6.6.6.6\r\nX_Real_IP: 6.6.6.6\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
    await sleep(50);
    const sensitive = new Set(['x-http-method-override', 'x-original-url', 'x-forwarded-for', 'x-real-ip']);
    const smuggledThrough =
      res.final!.status === 400
        ? []
        : upstream.received.flatMap((r) => headerNames(r.rawHeaders).filter((n) => n.includes('_') && sensitive.has(n.replace(/_/g, '-'))));
    expect(smuggledThrough).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('malformed upstream answers: never relayed, never another client\'s answer', () => {
  let up: NetUpstream;
  let g: Gw;
  beforeAll(async () => {
    up = await startNetUpstream();
    servers.push(up);
    g = await startGw(up.url, { upstreamConnections: 1 });
  });

  const cases: [string, string][] = [
    ['obs-fold smuggling a header', 'HTTP/1.1 200 OK\r\nX-A: a\r\n X-Injected: 1\r\nContent-Length: 2\r\n\r\nok'],
    ['Content-Length with Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nX-Injected: 1\r\n\r\n'],
    ['two Content-Length lines', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\nok'],
    ['a control byte in a header value', 'HTTP/1.1 200 OK\r\nX-Injected: a\x01b\r\nContent-Length: 2\r\n\r\nok'],
    ['bare LF line ends', 'HTTP/1.1 200 OK\nX-Injected: 1\nContent-Length: 2\n\nok'],
    ['a space in a header name', 'HTTP/1.1 200 OK\r\nX Injected: 1\r\nContent-Length: 2\r\n\r\nok'],
    ['a 101 to a plain request', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Injected: 1\r\n\r\n'],
    // undici removes only the chunked framing: the gzip coding would reach the client unlabelled.
    ['Transfer-Encoding: gzip, chunked', 'HTTP/1.1 200 OK\r\nX-Injected: 1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'],
  ];
  test.each(cases)('%s → 502 {"error":"Bad Gateway"}, nothing of it relayed', async (_name, answer) => {
    up.answer = () => answer;
    const res = await rawRequest(g.port, `GET /t/a HTTP/1.1\r\nHost: gw.test\r\n${AUTH}Connection: close\r\n\r\n`);
    expect(res.final!.status).toBe(502);
    expect(res.final!.body.toString()).toBe('{"error":"Bad Gateway"}');
    expect(res.raw.toString('latin1')).not.toMatch(/injected/i);
  });

  test('bytes an upstream sends past its answer (at once, or later on the idle connection) never answer the next client', async () => {
    up.answer = (head) => {
      const target = head.split(' ')[1]!;
      if (target === '/t/first') return 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nsomeone-else';
      return `HTTP/1.1 200 OK\r\nContent-Length: ${target.length}\r\n\r\n${target}`;
    };
    const first = await rawRequest(g.port, `GET /t/first HTTP/1.1\r\nHost: gw.test\r\n${AUTH}Connection: close\r\n\r\n`);
    expect(first.final!.body.toString()).toBe('ok');
    const second = await rawRequest(g.port, `GET /t/second HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer ${READ_ONLY}\r\nConnection: close\r\n\r\n`);
    expect(second.final!.body.toString()).toBe('/t/second');
    // Late: written on the pool's idle keep-alive connection, then another client asks.
    up.connections[up.connections.length - 1]!.write('HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nsomeone-else');
    await sleep(50);
    const third = await rawRequest(g.port, `GET /t/third HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer ${READ_ONLY}\r\nConnection: close\r\n\r\n`);
    expect(third.final!.body.toString()).toBe('/t/third');
  });
});

// ---------------------------------------------------------------------------------------------
describe('upgrades', () => {
  test('upgrades off: an Upgrade request with requests pipelined behind it gets 501; none of them reaches the upstream', async () => {
    const conn = await RawConnection.open(gw.port);
    try {
      conn.write(
        `GET /ws/r HTTP/1.1\r\nHost: gw.test\r\n${AUTH}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n` +
          `GET /admin HTTP/1.1\r\nHost: gw.test\r\n${AUTH}\r\nGET /t/after HTTP/1.1\r\nHost: gw.test\r\n${AUTH}\r\n`,
      );
      const parsed = await conn.response();
      expect(parsed.final!.status).toBe(501);
      await sleep(200);
      expect(statusLines(conn.data)).toEqual(['HTTP/1.1 501']);
      expect(upstream.received).toHaveLength(0);
    } finally {
      conn.destroy();
    }
  });

  describe('with upgrade: [websocket] and one upstream connection', () => {
    let g: Gw;
    beforeAll(async () => {
      g = await startGw(upstream.url, { upgrade: ['websocket'], upstreamConnections: 1 });
    });

    test('a token without the scope, h2c, or two protocols at once: refused, the upstream never sees an upgrade', async () => {
      const base = `GET /ws/r HTTP/1.1\r\nHost: gw.test\r\n`;
      const refused = await rawRequest(g.port, `${base}Authorization: Bearer ${READ_ONLY}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
      expect(refused.final!.status).toBe(403);
      const h2c = await rawRequest(g.port, `${base}${AUTH}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`);
      expect(h2c.final!.status).toBe(501);
      const two = await rawRequest(g.port, `${base}${AUTH}Connection: Upgrade\r\nUpgrade: websocket, h2c\r\n\r\n`);
      expect(two.final!.status).toBe(501);
      const dup = await rawRequest(g.port, `${base}${AUTH}${AUTH}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
      expect(dup.final!.status).toBe(400);
      const override = await rawRequest(g.port, `${base}${AUTH}X-HTTP-Method-Override: POST\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
      expect(override.final!.status).toBe(400);
      await sleep(50);
      expect(upstream.received).toHaveLength(0);
    });

    test('an open tunnel does not hold the pool\'s only connection: a plain request is still served', async () => {
      const tunnel = await RawConnection.open(g.port);
      try {
        tunnel.write(`GET /ws/r HTTP/1.1\r\nHost: gw.test\r\n${AUTH}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
        await tunnel.waitFor((d) => d.includes('\r\n\r\n'), 3000, 'the 101');
        expect(statusLines(tunnel.data)).toEqual(['HTTP/1.1 101']);
        const plain = await rawRequest(g.port, `GET /t/a HTTP/1.1\r\nHost: gw.test\r\n${AUTH}Connection: close\r\n\r\n`, 3000);
        expect(plain.final!.status).toBe(200);
      } finally {
        tunnel.destroy();
      }
    });
  });

  test('ALLOW_UPGRADE=h2c is refused at start (an h2c tunnel carries HTTP/2 requests the gate never sees)', () => {
    const env = { UPSTREAM_URL: 'http://127.0.0.1:9', JWT_SECRET: SECRET, JWT_ISSUER: 'https://issuer.test/', JWT_AUDIENCE: 'api', ALLOW_UPGRADE: 'h2c' };
    expect(() => loadConfig(env)).toThrow(GatewayConfigError);
  });
});

// ---------------------------------------------------------------------------------------------
describe('resource exhaustion: one client must not hold every upstream connection', () => {
  // One pool connection stands for UPSTREAM_CONNECTIONS (128 by default): the attacker opens as
  // many connections as the pool has, with one token that may read anything at all.
  const BIG = 32 * 1024 * 1024;
  let big: http.Server;
  let bigUrl: string;
  beforeAll(async () => {
    big = http.createServer((req, res) => {
      req.resume();
      if (req.url !== '/t/big') return void req.on('end', () => res.end('small'));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BIG) });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < BIG / chunk.length && !res.destroyed) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
    bigUrl = `http://127.0.0.1:${(big.address() as AddressInfo).port}`;
    servers.push({
      close: () =>
        new Promise<void>((resolve) => {
          big.closeAllConnections();
          big.close(() => resolve());
        }),
    });
  });

  /** Another client's request: answered (200, or 503 if the gateway sheds load) within 1.5 s, five times UPSTREAM_TIMEOUT. */
  async function otherClientAnswered(g: Gw): Promise<number> {
    const res = await rawRequest(g.port, `GET /t/small HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer ${READ_ONLY}\r\nConnection: close\r\n\r\n`, 1500);
    return res.final!.status;
  }

  test('a client that never reads a large answer does not hold the upstream connection past UPSTREAM_TIMEOUT', async () => {
    // undici's body timeout does not run while the parser is paused for backpressure, and Node's
    // server has no write timeout: the paused exchange holds its pool connection for as long as
    // the attacker keeps its socket open; queued requests wait with no timeout at all.
    const g = await startGw(bigUrl, { upstreamConnections: 1, proxyTimeout: 300 });
    expect(await otherClientAnswered(g)).toBe(200); // control: served before the attack
    const attacker = net.connect(g.port, '127.0.0.1');
    attacker.on('error', () => undefined);
    try {
      attacker.write(`GET /t/big HTTP/1.1\r\nHost: gw.test\r\n${AUTH}\r\n`);
      attacker.pause(); // never reads
      await sleep(400);
      expect([200, 503]).toContain(await otherClientAnswered(g));
    } finally {
      attacker.destroy();
    }
  });

  test('a client that never sends the body it announced does not hold the upstream connection past UPSTREAM_TIMEOUT', async () => {
    // undici starts its headers timeout only once the request body is written: a stalled upload
    // holds the pool connection until Node's requestTimeout (300 s by default) ends the request.
    const g = await startGw(bigUrl, { upstreamConnections: 1, proxyTimeout: 300 });
    expect(await otherClientAnswered(g)).toBe(200); // control: served before the attack
    const attacker = net.connect(g.port, '127.0.0.1');
    attacker.on('error', () => undefined);
    try {
      attacker.write(`POST /things HTTP/1.1\r\nHost: gw.test\r\n${AUTH}Content-Length: 10\r\n\r\n`); // and nothing more
      await sleep(400);
      expect([200, 503]).toContain(await otherClientAnswered(g));
    } finally {
      attacker.destroy();
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('logs', () => {
  test('a firewall-refused target logs no fragment, userinfo or path parameter (a token in #access_token= is logged whole)', async () => {
    const targets = [`/t/a#access_token=${TOKEN}`, 'http://user:S3CRET-PASSWORD@127.0.0.1/t/a', '/t/a;jsessionid=S3CRET-SESSION'];
    for (const target of targets) {
      const res = await rawRequest(gw.port, `GET ${target} HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n`);
      expect(res.final!.status).toBe(400);
      expect(res.raw.toString('latin1')).not.toMatch(/S3CRET|access_token/);
    }
    await until(() => gw.lines.filter((l) => l.msg === 'request').length === targets.length, 3000, 'three access lines');
    const text = JSON.stringify(gw.lines);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('S3CRET');
  });

  test('a request id with anything but [A-Za-z0-9._-] is replaced, and never reaches the log or the upstream', async () => {
    const res = await rawRequest(gw.port, `GET /t/a HTTP/1.1\r\nHost: gw.test\r\n${AUTH}X-Request-Id: a"b,c;d=e \\u2028 f\r\nConnection: close\r\n\r\n`);
    expect(res.final!.status).toBe(200);
    const id = headerValues(res.final!.rawHeaders, 'x-request-id')[0]!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const got = await upstream.next();
    expect(headerValues(got.rawHeaders, 'x-request-id')).toEqual([id]);
    await until(() => gw.lines.some((l) => l.msg === 'request'));
    expect(JSON.stringify(gw.lines)).not.toContain('d=e');
  });
});

// ---------------------------------------------------------------------------------------------
describe('WORKERS: the metrics IPC', () => {
  test('a worker whose IPC channel closed (primary gone, shutting down) answers GET /metrics 500 and keeps running', async () => {
    // workerRole's metricsText calls process.send without a callback: on a closed channel Node
    // emits 'error' on process, unhandled, and the worker dies with every request it was finishing.
    const dist = path.join(__dirname, '..', 'dist');
    const code = `
      const { createGatewayServer } = require(${JSON.stringify(path.join(dist, 'gateway.js'))});
      const { workerRole } = require(${JSON.stringify(path.join(dist, 'cluster.js'))});
      const { createMetrics } = require(${JSON.stringify(path.join(dist, 'metrics.js'))});
      const { compileRoutes, createVerifier } = require('@scopegate/core');
      const pino = require('pino');
      const verifier = createVerifier({ algorithms: ['HS256'], secret: ${JSON.stringify(SECRET)} });
      const role = workerRole(1000);
      const metrics = createMetrics(verifier, null);
      role.registerMetrics(metrics.registry);
      const { server } = createGatewayServer({
        upstreamUrl: new URL('http://127.0.0.1:9'), table: compileRoutes([{ method: 'GET', path: '/t/:n', scopes: ['x'] }]),
        verifier, logger: pino({ level: 'silent' }), metrics, metricsText: role.metricsText,
      });
      process.on('disconnect', () => setTimeout(() => process.exit(0), 1500)); // a worker's grace period
      server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
    `;
    const child = spawn(process.execPath, ['-e', code], { cwd: path.join(__dirname, '..', '..', '..'), stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.once('message', (m: { port: number }) => resolve(m.port));
        child.once('exit', () => reject(new Error(`child exited early: ${stderr}`)));
      });
      const conn = await RawConnection.open(port); // a keep-alive connection from before the primary left
      try {
        child.disconnect();
        await sleep(100);
        conn.write('GET /metrics HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n');
        const parsed = await conn.response(3000);
        expect(parsed.final!.status).toBe(500);
        expect(parsed.final!.body.toString()).toBe('{"error":"Internal Server Error"}');
      } finally {
        conn.destroy();
      }
      expect(await exited).toBe(0);
      expect(stderr).not.toContain('ERR_IPC_CHANNEL_CLOSED');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
