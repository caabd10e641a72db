/**
 * The gateway forwards exactly what it checked, over real sockets: requests are written byte for
 * byte on raw sockets (no client normalises them) and the upstream is a raw node:http server that
 * records what it got (target, raw header list, body bytes).
 *
 * - the request target arrives as sent (no URL joining: `/environments/http:/users` stays that,
 *   where http-proxy made `http://users` of it), the upstream's base path prefixed as text;
 * - hop-by-hop headers stop at the gateway, both ways; end-to-end ones pass, duplicates kept;
 * - forwarding headers are the gateway's own unless the peer is a trusted proxy;
 * - upgrades: refused by default, gated like any request when enabled;
 * - upstream failures are 502/504, a client that leaves aborts the upstream request, one access
 *   log line each, never the token or the query;
 * - `Expect: 100-continue`: no 100 before the gate allowed the request;
 * - 5 MB bodies cross intact both ways; report mode forwards the client's own credentials.
 */
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { compileRoutes, createVerifier, type RouteTable } from '@scopegate/core';
import type { GatewayOptions } from '../src/gateway';
import { startTestGateway, type LogLine, type TestGateway } from './support/test-gateway';
import { compileTrustProxy } from '../src/forward-headers';
import { FIREWALL_RULES } from '../src/firewall';
import { headerNames, headerValues, parseResponse, RawConnection, rawRequest, startRawUpstream, type RawUpstream, type Received } from './support/raw-upstream';

const SECRET = 'a-forward-exactly-test-secret-of-32-bytes!!';
const verifier = createVerifier({ algorithms: ['HS256'], secret: SECRET });

const routes = (bound: boolean): RouteTable =>
  compileRoutes([
    { method: 'GET', path: '/environments/:environmentId/users', scopes: ['users.read'], ...(bound ? { bind: { environmentId: 'environment_id' } } : {}) },
    { method: 'GET', path: '/t/:name', scopes: ['things.read'] },
    { method: 'POST', path: '/things', scopes: ['things.write'] },
    { method: 'GET', path: '/ws/:room', scopes: ['ws.connect'] },
  ]);
const boundTable = routes(true);
const unboundTable = routes(false);

const sign = (scope: string, environmentId: string | string[]) =>
  new SignJWT({ scope, environment_id: environmentId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('caller-1')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET));

/** Every scope, environments `http:` and `env-1`. */
let full: string;
/** Every scope, another environment. */
let otherEnv: string;
/** Reads only: no things.write, no ws.connect. */
let readOnly: string;
/** No scope at all. */
let noScopes: string;

type Line = LogLine;
type Gw = TestGateway;

let upstream: RawUpstream;
const started: Gw[] = [];

/** A gateway on 127.0.0.1 in front of the raw upstream (unless told otherwise), logging at info into `lines`. */
async function startGw(options: Partial<GatewayOptions> = {}): Promise<Gw> {
  const gw = await startTestGateway({ upstreamUrl: new URL(upstream.url), table: boundTable, verifier, ...options });
  started.push(gw);
  return gw;
}

let plain: Gw;

beforeAll(async () => {
  [full, otherEnv, readOnly, noScopes] = await Promise.all([
    sign('users.read things.read things.write ws.connect', ['http:', 'env-1']),
    sign('users.read things.read things.write ws.connect', 'env-2'),
    sign('users.read things.read', ['http:', 'env-1']),
    sign('', 'env-1'),
  ]);
  upstream = await startRawUpstream();
  plain = await startGw();
});

afterAll(async () => {
  for (const gw of started) await gw.stopServer();
  // The upstream before the pools: a pool's close waits for its requests, which end when the upstream's connections do.
  await upstream.close();
  for (const gw of started) await gw.gateway.close();
});

beforeEach(() => {
  upstream.reset();
  for (const gw of started) gw.lines.length = 0;
});

/** A raw request head: request line, Host, the given lines, blank line. */
const head = (gw: Gw, method: string, target: string, lines: string[] = [], host = `127.0.0.1:${gw.port}`): string =>
  `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;

const bearer = (token: string) => `Authorization: Bearer ${token}`;

/** The UTF-8 bytes of "café" as a latin1 string: header bytes >= 0x80, as a raw socket writes them. */
const UTF8_CAFE = Buffer.from('café', 'utf8').toString('latin1');

const json = (body: Buffer): unknown => JSON.parse(body.toString('utf8'));

/** Poll until `ok()` holds (rejects after `ms`): for log lines written when the server's response closes. */
async function until(ok: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const accessLines = (gw: Gw) => gw.lines.filter((l) => l.msg === 'request');

/** Exactly one access line, matching `expected`; no line holds the token or the query. */
async function expectOneAccessLine(gw: Gw, expected: Line, secrets: string[]): Promise<void> {
  await until(() => accessLines(gw).length > 0, 3000, 'the access log line');
  await new Promise((r) => setTimeout(r, 50)); // a second line, if any, would be written by now
  expect(accessLines(gw)).toHaveLength(1);
  expect(accessLines(gw)[0]).toMatchObject(expected);
  const text = JSON.stringify(gw.lines);
  for (const s of secrets) expect(text).not.toContain(s);
}

// ---------------------------------------------------------------------------------------------
describe('1. the request target arrives byte for byte', () => {
  const targets: [string, string][] = [
    ['a param that looks like a scheme (http-proxy made http://users of it)', '/environments/http:/users'],
    ['the same param percent-encoded, kept encoded', '/environments/http%3A/users'],
    ['a query kept verbatim', '/environments/env-1/users?a=%2F&b=1;c'],
    ['upper-case percent-encoding', '/t/caf%C3%A9'],
    ['lower-case percent-encoding', '/t/caf%c3%a9'],
    ['mixed-case hex in path and query', '/t/caf%C3%a9?q=%c3%A9&r=%2f%2F'],
    ['sub-delimiters, : and @ in a segment', "/t/a:b@c!$&'()*+,=~"],
    ['an encoded space and a plus', '/t/a%20b+c'],
    ['an empty query', '/t/x?'],
    ['a query holding URLs', '/t/x?next=http://evil.example/&u=//host/../x'],
    ['malformed encodings in the query', '/t/x?bad=%zz&pct=%&%%'],
  ];

  describe.each<[string, RouteTable]>([
    ['bound rule', boundTable],
    ['unbound rule', unboundTable],
  ])('%s', (_name, table) => {
    describe.each<[string, string]>([
      ['', ''],
      ['/api', '/api'],
      ['/api/', '/api'],
    ])('upstream base path "%s"', (base, prefix) => {
      let gw: Gw;
      beforeAll(async () => {
        gw = await startGw({ table, upstreamUrl: new URL(`${upstream.url}${base}`) });
      });

      test.each(targets)('%s: %s', async (_what, target) => {
        const res = await rawRequest(gw.port, head(gw, 'GET', target, [bearer(full), 'Connection: close']));
        expect(res.final?.status).toBe(200);
        expect(upstream.received.map((r) => [r.method, r.url])).toEqual([['GET', `${prefix}${target}`]]);
      });
    });
  });

  test('the bound rule checked that very param: a token of another environment is refused, nothing forwarded', async () => {
    const res = await rawRequest(plain.port, head(plain, 'GET', '/environments/http:/users', [bearer(otherEnv), 'Connection: close']));
    expect(res.final?.status).toBe(403);
    expect(upstream.received).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('2. hop-by-hop request headers stop at the gateway', () => {
  test('all together: none reaches the upstream; the verified Authorization and end-to-end headers do', async () => {
    const res = await rawRequest(
      plain.port,
      head(plain, 'GET', '/t/hop', [
        'Connection: keep-alive, x-secret-hop, authorization',
        'Keep-Alive: timeout=30',
        'TE: trailers',
        'Trailer: x-late',
        'Proxy-Authorization: Basic cHJveHk6c2VjcmV0',
        'Proxy-Connection: keep-alive',
        'X-Secret-Hop: do-not-forward',
        bearer(full),
        'X-Custom: kept as is',
        'X-Dup: one',
        'X-Dup: two',
        `X-Bytes: caf\xe9 ${UTF8_CAFE}`,
      ]),
    );
    expect(res.final?.status).toBe(200);
    expect(upstream.received).toHaveLength(1);
    const got = upstream.received[0]!.rawHeaders;
    const names = headerNames(got);
    for (const hop of ['keep-alive', 'te', 'trailer', 'proxy-authorization', 'proxy-connection', 'x-secret-hop', 'upgrade', 'transfer-encoding', 'expect']) expect(names).not.toContain(hop);
    // Only the gateway's own connection header to the upstream (undici's), nothing the client listed.
    expect(headerValues(got, 'connection')).toEqual(['keep-alive']);
    expect(headerValues(got, 'authorization')).toEqual([`Bearer ${full}`]);
    expect(headerValues(got, 'x-custom')).toEqual(['kept as is']);
    expect(headerValues(got, 'x-dup')).toEqual(['one', 'two']);
    expect(got).toContain('X-Custom'); // the name as the client spelled it
    expect(headerValues(got, 'x-bytes')).toEqual([`caf\xe9 ${UTF8_CAFE}`]); // obs-text bytes, byte for byte
  });

  test.each<[string, string[], string[]]>([
    ['Keep-Alive', ['Keep-Alive: timeout=30'], ['keep-alive']],
    ['TE', ['TE: trailers'], ['te']],
    ['Trailer', ['Trailer: x-late'], ['trailer']],
    ['Proxy-Authorization', ['Proxy-Authorization: Basic cHJveHk6c2VjcmV0'], ['proxy-authorization']],
    ['Proxy-Connection', ['Proxy-Connection: keep-alive'], ['proxy-connection']],
    ['a header named in Connection', ['Connection: x-secret-hop', 'X-Secret-Hop: 1'], ['x-secret-hop']],
    ['a header named in Connection, in another case', ['Connection: close, X-Other-Hop', 'x-other-hop: 1'], ['x-other-hop']],
    ['headers named in two Connection headers', ['Connection: x-a', 'Connection: x-b', 'X-A: 1', 'X-B: 2'], ['x-a', 'x-b']],
    ['an end-to-end header named in Connection (it is hop-by-hop then)', ['Connection: x-custom', 'X-Custom: hop'], ['x-custom']],
  ])('%s', async (_name, lines, absent) => {
    const res = await rawRequest(plain.port, head(plain, 'GET', '/t/one-hop', [...lines, bearer(full), 'X-End: kept']));
    expect(res.final?.status).toBe(200);
    expect(upstream.received).toHaveLength(1);
    const got = upstream.received[0]!.rawHeaders;
    for (const name of absent) expect(headerNames(got)).not.toContain(name);
    expect(headerValues(got, 'x-end')).toEqual(['kept']);
    expect(headerValues(got, 'authorization')).toEqual([`Bearer ${full}`]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('3. the response: hop-by-hop headers removed, the rest relayed', () => {
  test('Connection-listed, Keep-Alive, Proxy-Authenticate, Trailer gone; both Set-Cookie, the full chunked body and the gateway x-request-id', async () => {
    upstream.respond = (_req, res, got) => {
      void got.ended.then(() => {
        res.writeHead(200, [
          'Content-Type', 'text/plain',
          'Connection', 'close, x-upstream-hop',
          'X-Upstream-Hop', 'secret',
          'Keep-Alive', 'timeout=1',
          'Proxy-Authenticate', 'Basic realm="upstream"',
          'Trailer', 'x-checksum',
          'Set-Cookie', 'a=1; Path=/',
          'Set-Cookie', 'b=2; Path=/; HttpOnly',
          'X-Request-Id', 'upstream-chose-this',
          'X-End', 'kept',
          'X-Bytes', `caf\xe9 ${UTF8_CAFE}`,
        ]);
        res.write('part one|');
        setTimeout(() => {
          res.write('part two|');
          res.addTrailers({ 'x-checksum': 'abc' });
          res.end('part three');
        }, 20);
      });
    };
    const res = await rawRequest(plain.port, head(plain, 'GET', '/t/response', [bearer(full), 'X-Request-Id: fwd-resp-1', 'Connection: close']));
    const final = res.final!;
    expect(final.status).toBe(200);
    const names = headerNames(final.rawHeaders);
    for (const hop of ['x-upstream-hop', 'keep-alive', 'proxy-authenticate', 'trailer']) expect(names).not.toContain(hop);
    // The client asked to close: the gateway's own Connection header, nothing of the upstream's.
    expect(headerValues(final.rawHeaders, 'connection')).toEqual(['close']);
    expect(headerValues(final.rawHeaders, 'set-cookie')).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    expect(headerValues(final.rawHeaders, 'x-request-id')).toEqual(['fwd-resp-1']);
    expect(headerValues(final.rawHeaders, 'x-end')).toEqual(['kept']);
    expect(headerValues(final.rawHeaders, 'x-bytes')).toEqual([`caf\xe9 ${UTF8_CAFE}`]);
    expect(headerValues(final.rawHeaders, 'content-type')).toEqual(['text/plain']);
    expect(final.body.toString()).toBe('part one|part two|part three');
    expect(res.trailers).toBe(''); // the upstream's trailer did not cross either
  });

  test('without a client request id the gateway makes one, not the upstream\'s', async () => {
    upstream.respond = (_req, res) => void res.writeHead(204, ['X-Request-Id', 'upstream-chose-this']).end();
    const res = await rawRequest(plain.port, head(plain, 'GET', '/t/rid', [bearer(full), 'Connection: close']));
    expect(res.final?.status).toBe(204);
    const ids = headerValues(res.final!.rawHeaders, 'x-request-id');
    expect(ids).toHaveLength(1);
    expect(ids[0]).not.toBe('upstream-chose-this');
    expect(headerValues(upstream.received[0]!.rawHeaders, 'x-request-id')).toEqual(ids);
  });
});

// ---------------------------------------------------------------------------------------------
describe('4. forwarding headers', () => {
  const clientForwarding = [
    'X-Forwarded-For: 6.6.6.6',
    'x-forwarded-for: 7.7.7.7',
    'X-Forwarded-Host: evil.example',
    'X-Forwarded-Proto: https',
    'X-Forwarded-Port: 1',
    'Forwarded: for=6.6.6.6',
    'X-Real-IP: 6.6.6.6',
    'True-Client-IP: 6.6.6.6',
    'CF-Connecting-IP: 6.6.6.6',
    'X-Client-IP: 6.6.6.6',
    'X-Forwarded-Prefix: /evil',
  ];
  type Expected = (port: number) => Record<string, string[]>;
  const untrusted: Expected = (port) => ({
    'x-forwarded-for': ['127.0.0.1'],
    'x-forwarded-proto': ['http'],
    'x-forwarded-host': [`127.0.0.1:${port}`],
    'x-forwarded-port': [String(port)],
    forwarded: [`for=127.0.0.1;host="127.0.0.1:${port}";proto=http`],
    'x-real-ip': [],
    'true-client-ip': [],
    'cf-connecting-ip': [],
    'x-client-ip': [],
    'x-forwarded-prefix': [],
  });
  const trusted: Expected = (port) => ({
    'x-forwarded-for': ['6.6.6.6, 7.7.7.7, 127.0.0.1'],
    'x-forwarded-proto': ['https, http'],
    'x-forwarded-host': [`evil.example, 127.0.0.1:${port}`],
    'x-forwarded-port': [`1, ${port}`],
    forwarded: [`for=6.6.6.6, for=127.0.0.1;host="127.0.0.1:${port}";proto=http`],
    // Other client-address headers: a trusted proxy's are passed on as they are.
    'x-real-ip': ['6.6.6.6'],
    'true-client-ip': ['6.6.6.6'],
    'cf-connecting-ip': ['6.6.6.6'],
    'x-client-ip': ['6.6.6.6'],
    'x-forwarded-prefix': ['/evil'],
  });

  describe.each<[string, string[] | null, Expected]>([
    ['an untrusted client (the default)', null, untrusted],
    ['a trust list without loopback', ['10.0.0.0/8'], untrusted],
    ['trustProxy loopback', ['loopback'], trusted],
  ])('%s', (_name, list, expected) => {
    let gw: Gw;
    beforeAll(async () => {
      gw = list === null ? plain : await startGw({ trustProxy: compileTrustProxy(list) });
    });

    test('the upstream sees exactly the expected forwarding headers, the Host of the upstream', async () => {
      const res = await rawRequest(gw.port, head(gw, 'GET', '/t/fwd', [...clientForwarding, bearer(full), 'Connection: close']));
      expect(res.final?.status).toBe(200);
      const got = upstream.received[0]!.rawHeaders;
      const seen: Record<string, string[]> = {};
      for (const name of Object.keys(expected(gw.port))) seen[name] = headerValues(got, name);
      expect(seen).toEqual(expected(gw.port));
      expect(headerValues(got, 'host')).toEqual([`127.0.0.1:${upstream.port}`]);
    });
  });

  test('an HTTP/1.0 request without Host: no forwarded host at all', async () => {
    const res = await rawRequest(plain.port, `GET /t/old HTTP/1.0\r\n${bearer(full)}\r\nX-Forwarded-Host: evil.example\r\n\r\n`);
    expect(res.final?.status).toBe(200);
    const got = upstream.received[0]!.rawHeaders;
    expect(headerValues(got, 'x-forwarded-host')).toEqual([]);
    expect(headerValues(got, 'forwarded')).toEqual(['for=127.0.0.1;proto=http']);
  });

  test('compileTrustProxy: a bad entry throws, an empty list trusts nobody, loopback trusts 127.0.0.1 only', () => {
    expect(() => compileTrustProxy(['bogus'])).toThrow();
    expect(compileTrustProxy([])('127.0.0.1')).toBe(false);
    const loopback = compileTrustProxy(['loopback']);
    expect([loopback('127.0.0.1'), loopback('::1'), loopback('6.6.6.6')]).toEqual([true, true, false]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('5. upgrades', () => {
  const upgradeLines = (token: string | null, protocol = 'websocket') => [
    'Connection: Upgrade, x-secret-hop',
    `Upgrade: ${protocol}`,
    'X-Secret-Hop: 1',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...(token === null ? [] : [bearer(token)]),
  ];

  describe('off by default', () => {
    test.each<[string, string[]]>([
      ['Connection: Upgrade + Upgrade: websocket', ['Connection: Upgrade', 'Upgrade: websocket']],
      ['an Upgrade header alone', ['Upgrade: websocket']],
    ])('%s: 501 JSON, nothing forwarded', async (_name, lines) => {
      const res = await rawRequest(plain.port, head(plain, 'GET', '/ws/room-1', [...lines, bearer(full)]));
      expect(res.final?.status).toBe(501);
      expect(json(res.final!.body)).toEqual({ error: expect.any(String) });
      expect(headerValues(res.final!.rawHeaders, 'content-type')[0]).toMatch(/^application\/json/);
      expect(upstream.received).toEqual([]);
    });
  });

  describe('with upgrade: [websocket]', () => {
    let gw: Gw;
    beforeAll(async () => {
      gw = await startGw({ upgrade: ['websocket'] });
    });

    test('allowed: the upstream 101 relayed, bytes echoed both ways, verified credentials and no hop-by-hop header upstream', async () => {
      let upstreamGot = Buffer.alloc(0);
      let upstreamClosed!: Promise<void>;
      upstream.upgrade = (_req, socket, first) => {
        upstreamClosed = new Promise((resolve) => socket.once('close', () => resolve()));
        socket.once('end', () => socket.end()); // a well-behaved peer: closes when the other side does
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade, x-upstream-hop\r\nUpgrade: websocket\r\nX-Upstream-Hop: 1\r\nProxy-Authenticate: Basic\r\nKeep-Alive: timeout=1\r\nSec-WebSocket-Accept: from-upstream\r\n\r\ngreeting|',
        );
        const echo = (c: Buffer) => {
          upstreamGot = Buffer.concat([upstreamGot, c]);
          socket.write(c);
        };
        if (first.length) echo(first);
        socket.on('data', echo);
      };
      const conn = await RawConnection.open(gw.port);
      try {
        conn.write(`${head(gw, 'GET', '/ws/room-1?since=%2F1', upgradeLines(full))}early|`);
        await conn.waitFor((d) => d.includes('greeting|early|'), 5000, '101, greeting and the echo of early bytes');
        const answer = parseResponse(conn.data).final!;
        expect(answer.status).toBe(101);
        expect(answer.body.toString()).toBe('greeting|early|');
        expect(headerValues(answer.rawHeaders, 'sec-websocket-accept')).toEqual(['from-upstream']);
        expect(headerValues(answer.rawHeaders, 'upgrade')).toEqual(['websocket']);
        expect(headerValues(answer.rawHeaders, 'x-request-id')).toHaveLength(1);
        for (const hop of ['x-upstream-hop', 'proxy-authenticate', 'keep-alive']) expect(headerNames(answer.rawHeaders)).not.toContain(hop);
        expect(headerValues(answer.rawHeaders, 'connection')).toEqual(['Upgrade']);

        conn.write('ping|');
        await conn.waitFor((d) => d.toString().endsWith('greeting|early|ping|'), 5000, 'the echo of ping');
        expect(upstreamGot.toString()).toBe('early|ping|');

        const [got] = upstream.received;
        expect(upstream.received).toHaveLength(1);
        expect(got!.upgrade).toBe(true);
        expect(got!.url).toBe('/ws/room-1?since=%2F1');
        expect(headerValues(got!.rawHeaders, 'authorization')).toEqual([`Bearer ${full}`]);
        expect(headerValues(got!.rawHeaders, 'upgrade')).toEqual(['websocket']);
        expect(headerValues(got!.rawHeaders, 'connection').map((v) => v.toLowerCase())).toEqual(['upgrade']);
        expect(headerNames(got!.rawHeaders)).not.toContain('x-secret-hop');
        expect(headerValues(got!.rawHeaders, 'sec-websocket-key')).toEqual(['dGhlIHNhbXBsZSBub25jZQ==']);
        expect(headerValues(got!.rawHeaders, 'x-forwarded-for')).toEqual(['127.0.0.1']);
        await expectOneAccessLine(gw, { status: 101, path: '/ws/room-1', reason: 'scope', sub: 'caller-1' }, [full, '%2F1']);

        // The client closes its side: the close crosses the tunnel, and the upstream's comes back.
        conn.socket.end();
        await withTimeout(upstreamClosed, 3000, 'the upstream side of the tunnel to close');
        await conn.closedByPeer(3000);
      } finally {
        conn.destroy();
      }
    });

    test('an Upgrade header without Connection: upgrade is no upgrade: 501, nothing forwarded', async () => {
      const res = await rawRequest(gw.port, head(gw, 'GET', '/ws/room-1', ['Upgrade: websocket', bearer(full), 'Connection: close']));
      expect(res.final?.status).toBe(501);
      expect(upstream.received).toEqual([]);
    });

    test('the upstream closes the tunnel: the client sees its last bytes, then the close', async () => {
      upstream.upgrade = (_req, socket) => void socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nbye');
      const conn = await RawConnection.open(gw.port);
      try {
        conn.write(head(gw, 'GET', '/ws/room-3', upgradeLines(full)));
        await conn.closedByPeer(3000);
        const answer = parseResponse(conn.data).final!;
        expect([answer.status, answer.body.toString()]).toEqual([101, 'bye']);
      } finally {
        conn.destroy();
      }
    });

    test.each<[string, number, string, () => string[], string | null]>([
      ['without a token', 401, '/ws/room-1', () => upgradeLines(null), null],
      ['with a token lacking the scope', 403, '/ws/room-1', () => upgradeLines(readOnly), null],
      ['of a protocol not listed (h2c)', 501, '/ws/room-1', () => upgradeLines(full, 'h2c'), null],
      ['of a target the firewall refuses', 400, '/x/..%2F', () => upgradeLines(full), FIREWALL_RULES.encodedSeparator.message],
    ])('an upgrade %s: %i JSON, the connection closed, nothing forwarded', async (_name, status, target, lines, error) => {
      const conn = await RawConnection.open(gw.port);
      try {
        conn.write(head(gw, 'GET', target, lines()));
        const { final } = await conn.response();
        expect(final!.status).toBe(status);
        expect(json(final!.body)).toEqual({ error: error ?? expect.any(String) });
        await conn.closedByPeer();
        expect(upstream.received).toEqual([]);
        await expectOneAccessLine(gw, { status }, [full, readOnly]);
      } finally {
        conn.destroy();
      }
    });

    test.each<[string, string, boolean]>([
      ['a 403 and closes', 'HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope', true],
      ['a 200 and keeps the connection open', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', false],
    ])('the upstream answers the upgrade with %s: 502, and no hang', async (_name, answer, closeIt) => {
      upstream.upgrade = (_req, socket) => {
        if (closeIt) socket.end(answer);
        else socket.write(answer);
      };
      const conn = await RawConnection.open(gw.port);
      try {
        conn.write(head(gw, 'GET', '/ws/room-2', upgradeLines(full)));
        const { final } = await conn.response();
        expect(final!.status).toBe(502);
        expect(json(final!.body)).toEqual({ error: 'Bad Gateway' });
        await conn.closedByPeer();
        expect(upstream.received).toHaveLength(1);
        await expectOneAccessLine(gw, { status: 502 }, [full]);
      } finally {
        conn.destroy();
      }
    });
  });

  test('report mode still enforces upgrades: a token lacking the scope gets 403, nothing forwarded', async () => {
    const gw = await startGw({ mode: 'report', upgrade: ['websocket'] });
    const res = await rawRequest(gw.port, head(gw, 'GET', '/ws/room-1', upgradeLines(readOnly)));
    expect(res.final?.status).toBe(403);
    expect(upstream.received).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('6. upstream failures and clients that leave: the right answer, one access line', () => {
  test('connection refused: 502 {"error":"Bad Gateway"}', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const gw = await startGw({ upstreamUrl: new URL(`http://127.0.0.1:${port}`) });
    const res = await rawRequest(gw.port, head(gw, 'GET', '/t/x?secret=query-value', [bearer(full), 'Connection: close']));
    expect(res.final?.status).toBe(502);
    expect(json(res.final!.body)).toEqual({ error: 'Bad Gateway' });
    expect(headerValues(res.final!.rawHeaders, 'x-request-id')).toHaveLength(1);
    await expectOneAccessLine(gw, { status: 502, path: '/t/x', upstreamFailure: 'ECONNREFUSED' }, [full, 'query-value']);
  });

  test('an upstream that never answers, proxyTimeout 300: 504 {"error":"Gateway Timeout"}, the upstream request abandoned', async () => {
    const gw = await startGw({ proxyTimeout: 300 });
    upstream.respond = () => undefined; // holds the request open
    const res = await rawRequest(gw.port, head(gw, 'GET', '/t/x?secret=query-value', [bearer(full), 'Connection: close']));
    expect(res.final?.status).toBe(504);
    expect(json(res.final!.body)).toEqual({ error: 'Gateway Timeout' });
    await expectOneAccessLine(gw, { status: 504, path: '/t/x', upstreamFailure: 'UND_ERR_HEADERS_TIMEOUT' }, [full, 'query-value']);
    await expect(withTimeout(upstream.received[0]!.aborted, 3000, 'the upstream request to be aborted')).resolves.toBeUndefined();
  });

  test('the client goes away: the upstream request is aborted; logged as status 0, aborted', async () => {
    upstream.respond = () => undefined; // holds the request open
    const conn = await RawConnection.open(plain.port);
    conn.write(head(plain, 'GET', '/t/x?secret=query-value', [bearer(full)]));
    const got: Received = await upstream.next();
    expect(got.url).toBe('/t/x?secret=query-value');
    conn.destroy();
    await withTimeout(got.aborted, 3000, 'the upstream request to be aborted');
    await expectOneAccessLine(plain, { status: 0, aborted: true, path: '/t/x', reason: 'scope' }, [full, 'query-value']);
  });

  test('the client goes away mid-body: the upstream request is aborted too', async () => {
    upstream.respond = () => undefined;
    const conn = await RawConnection.open(plain.port);
    conn.write(head(plain, 'POST', '/things', [bearer(full), 'Content-Length: 100000']));
    conn.write(Buffer.alloc(1000, 0x61));
    const got = await upstream.next();
    await until(() => got.chunks.reduce((n, c) => n + c.length, 0) === 1000, 3000, 'the first body bytes upstream');
    conn.destroy();
    await withTimeout(got.aborted, 3000, 'the upstream request to be aborted');
    await expectOneAccessLine(plain, { status: 0, aborted: true, path: '/things' }, [full]);
  });
});

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))),
  ]);
}

// ---------------------------------------------------------------------------------------------
describe('7. Expect: 100-continue', () => {
  const post = (token: string) => head(plain, 'POST', '/things', [bearer(token), 'Content-Type: text/plain', 'Content-Length: 11', 'Expect: 100-continue', 'Connection: close']);

  test('refused: the final 403 comes without a 100 Continue first, and the upstream never sees it', async () => {
    const conn = await RawConnection.open(plain.port);
    try {
      conn.write(post(readOnly)); // the head only: the body is never sent
      const { informational, final } = await conn.response();
      expect(informational).toEqual([]);
      expect(conn.data.toString('latin1')).not.toContain('100 Continue');
      expect(final!.status).toBe(403);
      expect(json(final!.body)).toEqual({ error: expect.any(String) });
      expect(upstream.received).toEqual([]);
    } finally {
      conn.destroy();
    }
  });

  test('allowed: 100 Continue, then the body is forwarded and the upstream answer relayed', async () => {
    upstream.respond = (_req, res, got) => void got.ended.then((body) => res.writeHead(201, { 'content-type': 'text/plain' }).end(`got:${body.toString()}`));
    const conn = await RawConnection.open(plain.port);
    try {
      conn.write(post(full));
      await conn.waitFor((d) => d.includes('\r\n\r\n'), 5000, 'the 100 Continue');
      expect(conn.data.toString('latin1')).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
      conn.write('hello world');
      const { informational, final } = await conn.response();
      expect(informational.map((r) => r.status)).toEqual([100]);
      expect(final!.status).toBe(201);
      expect(final!.body.toString()).toBe('got:hello world');
      const got = upstream.received[0]!;
      expect(await got.ended).toEqual(Buffer.from('hello world'));
      expect(headerNames(got.rawHeaders)).not.toContain('expect');
      expect(headerValues(got.rawHeaders, 'content-length')).toEqual(['11']);
    } finally {
      conn.destroy();
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('8. bodies cross intact', () => {
  test('HEAD: the upstream Content-Length relayed, no body', async () => {
    upstream.respond = (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' }).end();
    const res = await rawRequest(plain.port, head(plain, 'HEAD', '/t/head', [bearer(full), 'Connection: close']));
    expect(res.final?.status).toBe(200);
    expect(headerValues(res.final!.rawHeaders, 'content-length')).toEqual(['100']);
    expect(res.raw.toString('latin1').endsWith('\r\n\r\n')).toBe(true);
    expect(upstream.received.map((r) => r.method)).toEqual(['HEAD']);
  });

  test.each<[string, string[], string, string]>([
    ['Content-Length: 0', ['Content-Length: 0'], '', ''],
    ['a small body with Content-Length', ['Content-Length: 5'], 'a\r\nb\0', 'a\r\nb\0'],
    ['an empty chunked body', ['Transfer-Encoding: chunked'], '0\r\n\r\n', ''],
    ['a chunked body in pieces', ['Transfer-Encoding: chunked'], '3\r\nabc\r\n1\r\nd\r\n0\r\n\r\n', 'abcd'],
  ])('POST with %s: the upstream gets the same bytes', async (_name, lines, sent, body) => {
    const res = await rawRequest(plain.port, `${head(plain, 'POST', '/things', [bearer(full), ...lines, 'Connection: close'])}${sent}`);
    expect(res.final?.status).toBe(200);
    const got = upstream.received[0]!;
    expect((await got.ended).toString('latin1')).toBe(body);
  });

  const FIVE_MB = 5 * 1024 * 1024;
  let payload: Buffer;
  let digest: string;
  beforeAll(() => {
    payload = randomBytes(FIVE_MB);
    digest = createHash('sha256').update(payload).digest('hex');
  });

  test.each<[string, boolean]>([
    ['with Content-Length', true],
    ['chunked', false],
  ])('a 5 MB request body %s', async (_name, withLength) => {
    upstream.respond = (_req, res, got) =>
      void got.ended.then((body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ length: body.length })));
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: plain.port, method: 'POST', path: '/things', agent: false, headers: { authorization: `Bearer ${full}`, ...(withLength ? { 'content-length': String(FIVE_MB) } : {}) } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < FIVE_MB; i += 256 * 1024) req.write(payload.subarray(i, i + 256 * 1024));
      req.end();
    });
    expect(answer).toEqual({ status: 200, body: JSON.stringify({ length: FIVE_MB }) });
    const got = upstream.received[0]!;
    expect(createHash('sha256').update(await got.ended).digest('hex')).toBe(digest);
    expect(headerValues(got.rawHeaders, 'content-length')).toEqual(withLength ? [String(FIVE_MB)] : []);
  });

  test.each<[string, boolean]>([
    ['with Content-Length', true],
    ['chunked, written with backpressure', false],
  ])('a 5 MB response body %s, read by a slow client', async (_name, withLength) => {
    upstream.respond = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', ...(withLength ? { 'content-length': String(FIVE_MB) } : {}) });
      let at = 0;
      const more = () => {
        while (at < FIVE_MB) {
          const chunk = payload.subarray(at, at + 64 * 1024);
          at += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    };
    const { status, hash, length } = await new Promise<{ status: number; hash: string; length: number }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: plain.port, path: '/t/download', agent: false, headers: { authorization: `Bearer ${full}` } }, (res) => {
        const h = createHash('sha256');
        let n = 0;
        res.pause(); // let the gateway's buffers fill: backpressure must hold, not drop
        setTimeout(() => res.resume(), 150);
        res.on('data', (c: Buffer) => {
          h.update(c);
          n += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode!, hash: h.digest('hex'), length: n }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    expect({ status, length, hash }).toEqual({ status: 200, length: FIVE_MB, hash: digest });
  });
});

// ---------------------------------------------------------------------------------------------
describe('9. report mode', () => {
  let gw: Gw;
  beforeAll(async () => {
    gw = await startGw({ mode: 'report' });
  });

  test.each<[string, () => string[], () => string[]]>([
    ['a token without the scope, oddly spelled', () => [`authorization: bearer  ${noScopes}`], () => [`bearer  ${noScopes}`]],
    ['a tab between Bearer and the token (malformed: 400 when enforced)', () => [`Authorization: Bearer\t${noScopes}`], () => [`Bearer\t${noScopes}`]],
    ['no token', () => [], () => []],
  ])('refused (%s): forwarded with the client\'s own Authorization; no hop-by-hop or client forwarding headers', async (_name, authLines, expected) => {
    const res = await rawRequest(
      gw.port,
      head(gw, 'GET', '/t/report?q=1', [
        ...authLines(),
        'Connection: keep-alive, x-secret-hop',
        'X-Secret-Hop: 1',
        'Keep-Alive: timeout=9',
        'Proxy-Authorization: Basic eA==',
        'X-Forwarded-For: 6.6.6.6',
        'Forwarded: for=6.6.6.6',
        'X-Real-IP: 6.6.6.6',
        'X-Custom: kept',
      ]),
    );
    expect(res.final?.status).toBe(200);
    const got = upstream.received[0]!;
    expect(got.url).toBe('/t/report?q=1');
    // Exactly as sent, nothing re-spelled.
    expect(headerValues(got.rawHeaders, 'authorization')).toEqual(expected());
    const names = headerNames(got.rawHeaders);
    for (const hop of ['x-secret-hop', 'keep-alive', 'proxy-authorization', 'x-real-ip']) expect(names).not.toContain(hop);
    expect(headerValues(got.rawHeaders, 'x-forwarded-for')).toEqual(['127.0.0.1']);
    expect(headerValues(got.rawHeaders, 'forwarded')).toEqual([`for=127.0.0.1;host="127.0.0.1:${gw.port}";proto=http`]);
    expect(headerValues(got.rawHeaders, 'x-custom')).toEqual(['kept']);
    // Decided and reported as refused.
    expect(gw.lines.find((l) => l.msg === 'decision')).toMatchObject({ allowed: false });
  });

  test('allowed in report mode: the verified credential, in one spelling', async () => {
    const res = await rawRequest(gw.port, head(gw, 'GET', '/t/report', [`Authorization: bEaReR  ${full}`, 'Connection: close']));
    expect(res.final?.status).toBe(200);
    expect(headerValues(upstream.received[0]!.rawHeaders, 'authorization')).toEqual([`Bearer ${full}`]);
  });
});
