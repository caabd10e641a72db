/**
 * The upstream receives exactly what the gate verified: `Authorization: Bearer <token>`, one
 * header, whatever case and spacing the client used; none on a public rule (the gate read no
 * token there). Requests written byte for byte on a raw socket, so no client normalises them;
 * the upstream records the Authorization headers it got (raw, so duplicates would show).
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { SignJWT } from 'jose';
import { compileRoutes, createVerifier } from '@scopegate/core';
import { loadConfig } from '../src/config';
import { createGateway } from '../src/gateway';
import { listenLoopback, type RunningServer } from '../src/demo/upstream';
import { startGateway } from '../src/run';

const SECRET = 'a-forwarded-authorization-test-secret!!';
const table = compileRoutes([
  { method: 'GET', path: '/things/:id', scopes: ['things.read'] },
  { method: 'POST', path: '/things', scopes: ['things.write'] },
  { method: 'GET', path: '/public', public: true },
]);
const sign = (scope: string) =>
  new SignJWT({ scope }).setProtectedHeader({ alg: 'HS256' }).setSubject('caller-1').setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

let token: string;
let readOnly: string;
/** The Authorization header values of each request the upstream got, in order. */
const received: string[][] = [];
let upstream: RunningServer;
let gateway: RunningServer;
let reportGateway: RunningServer;

beforeAll(async () => {
  token = await sign('things.read things.write');
  readOnly = await sign('things.read');
  upstream = await listenLoopback((req: http.IncomingMessage, res: http.ServerResponse) => {
    const values: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === 'authorization') values.push(req.rawHeaders[i + 1]!);
    received.push(values);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  const app = (mode: 'enforce' | 'report') =>
    createGateway({ upstreamUrl: new URL(upstream.url), table, verifier: createVerifier({ algorithms: ['HS256'], secret: SECRET }), logger: pino({ level: 'silent' }), mode });
  gateway = await listenLoopback(app('enforce'));
  reportGateway = await listenLoopback(app('report'));
});
afterAll(async () => {
  await gateway.close();
  await reportGateway.close();
  await upstream.close();
});
beforeEach(() => (received.length = 0));

/** Write `head` (CRLF-separated lines, no blank line) and `body` to 127.0.0.1; the final status (1xx skipped). */
function rawStatus(server: RunningServer, head: string, body = ''): Promise<number> {
  const { port } = server.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.on('data', (c) => (data += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const statuses = [...data.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
      resolve(statuses.filter((s) => s >= 200)[0] ?? 0);
    });
    const length = body ? `\r\nContent-Length: ${Buffer.byteLength(body)}` : '';
    socket.write(`${head}${length}\r\nConnection: close\r\n\r\n${body}`);
  });
}

const get = (path: string, headerLines: string) => `GET ${path} HTTP/1.1\r\nHost: gw.test${headerLines ? `\r\n${headerLines}` : ''}`;

describe('allowed: the upstream gets exactly "Bearer <token>", once', () => {
  test.each<[string, (t: string) => string]>([
    ['the canonical form', (t) => `Authorization: Bearer ${t}`],
    ['two spaces after Bearer', (t) => `Authorization: Bearer  ${t}`],
    ['many spaces after Bearer', (t) => `Authorization: Bearer       ${t}`],
    ['bearer in lower case', (t) => `Authorization: bearer ${t}`],
    ['BEARER in upper case', (t) => `Authorization: BEARER ${t}`],
    ['mixed case and two spaces', (t) => `Authorization: bEaReR  ${t}`],
    ['trailing spaces', (t) => `Authorization: Bearer ${t}   `],
    ['a trailing tab', (t) => `Authorization: Bearer ${t}\t`],
    ['a tab before the value', (t) => `Authorization:\tBearer ${t}`],
    ['the header name in lower case', (t) => `authorization: Bearer  ${t}`],
    ['the header name in upper case', (t) => `AUTHORIZATION: bearer ${t}`],
  ])('%s', async (_name, header) => {
    expect(await rawStatus(gateway, get('/things/1', header(token)))).toBe(200);
    expect(received).toEqual([[`Bearer ${token}`]]);
  });

  test('a POST with Expect: 100-continue (http-proxy skips its proxyReq hook for those)', async () => {
    const head = `POST /things HTTP/1.1\r\nHost: gw.test\r\nAuthorization: bearer  ${token}\r\nContent-Type: application/json\r\nExpect: 100-continue`;
    expect(await rawStatus(gateway, head, '{"a":1}')).toBe(200);
    expect(received).toEqual([[`Bearer ${token}`]]);
  });
});

describe('refused by the gate: nothing reaches the upstream', () => {
  test.each<[string, (t: string) => string, number]>([
    ['a tab between Bearer and the token', (t) => `Authorization: Bearer\t${t}`, 400],
    ['two Authorization headers', (t) => `Authorization: Bearer ${t}\r\nAuthorization: Bearer ${t}`, 400],
    ['two headers, differently spelled', (t) => `Authorization: Bearer ${t}\r\nauthorization: bearer ${t}`, 400],
    ['a second credential in the header', (t) => `Authorization: Bearer ${t}, Basic dXNlcjpwYXNz`, 400],
    ['a folded header line (obs-fold)', (t) => `Authorization: Bearer\r\n ${t}`, 400],
    ['no token', () => '', 401],
  ])('%s', async (_name, header, status) => {
    expect(await rawStatus(gateway, get('/things/1', header(token)))).toBe(status);
    expect(received).toEqual([]);
  });

  test('a token without the scope, however spelled', async () => {
    expect(await rawStatus(gateway, `POST /things HTTP/1.1\r\nHost: gw.test\r\nAuthorization: bearer  ${readOnly}`, '{}')).toBe(403);
    expect(received).toEqual([]);
  });
});

describe('a public rule: the gate reads no token, so none is forwarded', () => {
  test.each<[string, () => string]>([
    ['a valid token', () => `Authorization: Bearer ${token}`],
    ['an unverified, unparsable header', () => 'Authorization: Bearer not a token at all'],
    ['another scheme', () => 'Authorization: Basic dXNlcjpwYXNz'],
  ])('%s', async (_name, header) => {
    expect(await rawStatus(gateway, get('/public', header()))).toBe(200);
    expect(received).toEqual([[]]);
  });
});

test('report mode: allowed requests get the verified form; a refused one, let through, goes on as sent (nothing is enforced)', async () => {
  expect(await rawStatus(reportGateway, get('/things/1', `Authorization: bearer  ${readOnly}`))).toBe(200);
  expect(await rawStatus(reportGateway, `POST /things HTTP/1.1\r\nHost: gw.test\r\nAuthorization: bearer  ${readOnly}`, '{}')).toBe(200);
  expect(received).toEqual([[`Bearer ${readOnly}`], [`bearer  ${readOnly}`]]);
});

test('the demo: an upstream that expects "Bearer <token>" now serves the spellings the gate accepts', async () => {
  const gw = await startGateway(loadConfig({ PORT: '0', LOG_LEVEL: 'silent' }));
  try {
    for (const header of [`Bearer  ${gw.demo!.tokens.usersRead}`, `bearer ${gw.demo!.tokens.usersRead}`]) {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const { port } = gw.server.address() as AddressInfo;
        const req = http.request({ host: '127.0.0.1', port, path: '/user/tokens', headers: { authorization: header }, agent: false }, (r) => {
          let body = '';
          r.on('data', (c: Buffer) => (body += c));
          r.on('end', () => resolve({ status: r.statusCode!, body }));
        });
        req.on('error', reject);
        req.end();
      });
      expect([res.status, JSON.parse(res.body)]).toEqual([200, { tokens: [] }]);
    }
  } finally {
    await gw.close();
  }
});
