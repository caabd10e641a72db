/**
 * /readyz is anonymous, so it must not amplify: with real servers counting what reaches them, N
 * concurrent calls cause at most one upstream probe and at most one key-set fetch, results are
 * reused for `readyCacheMs` and not longer (a failure included), then probed again.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { compileRoutes, createVerifier } from '@scopegate/core';
import { createGateway } from '../src/gateway';
import { listenLoopback, type RunningServer } from '../src/demo/upstream';
import { sharedCheck } from '../src/readiness';

const table = compileRoutes([{ method: 'GET', path: '/things', scopes: ['things.read'] }]);
const JWKS = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1', alg: 'ES256', use: 'sig' }] });

/** A key server counting fetches: answers 503 while `failing`, the set otherwise. */
async function countingJwks() {
  const state = { fetches: 0, failing: true };
  const server = await listenLoopback((_req: http.IncomingMessage, res: http.ServerResponse) => {
    state.fetches++;
    if (state.failing) res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down"}');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JWKS);
  });
  return { state, server, url: `${server.url}/jwks.json` };
}

/** An upstream counting probes (HEAD requests) and connections; resets the connection while `failing`. */
async function countingUpstream() {
  const state = { probes: 0, connections: 0, failing: false };
  const server = await listenLoopback((req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method === 'HEAD') state.probes++;
    if (state.failing) req.socket.destroy();
    else res.writeHead(200).end();
  });
  server.server.on('connection', () => state.connections++);
  return { state, server };
}

/** A gateway in front of both, on loopback. */
async function gatewayFor(upstream: RunningServer, jwksUrl: string, readyCacheMs?: number): Promise<RunningServer> {
  const app = createGateway({
    upstreamUrl: new URL(upstream.url),
    table,
    verifier: createVerifier({ algorithms: ['ES256'], jwksUri: jwksUrl }),
    logger: pino({ level: 'silent' }),
    ...(readyCacheMs === undefined ? {} : { readyCacheMs }),
  });
  return listenLoopback(app);
}

/** GET /readyz on a connection of its own. */
function readyz(gateway: RunningServer): Promise<{ status: number; body: { status: string; checks: { keys: boolean; upstream: boolean } } }> {
  const { port } = gateway.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/readyz', agent: false, timeout: 10_000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const open: RunningServer[] = [];
afterAll(async () => {
  for (const s of open.reverse()) await s.close();
});

test('300 concurrent /readyz while the keys are not loaded: one upstream probe, one key fetch', async () => {
  const jwks = await countingJwks();
  const upstream = await countingUpstream();
  const gateway = await gatewayFor(upstream.server, jwks.url);
  open.push(jwks.server, upstream.server, gateway);

  const answers = await Promise.all(Array.from({ length: 300 }, () => readyz(gateway)));
  expect(answers.map((a) => `${a.status} ${JSON.stringify(a.body.checks)}`)).toEqual(Array(300).fill('503 {"keys":false,"upstream":true}'));
  expect({ probes: upstream.state.probes, connections: upstream.state.connections, fetches: jwks.state.fetches }).toEqual({ probes: 1, connections: 1, fetches: 1 });
}, 30_000);

test('a result is reused within the window, probed again after it, and a failure is not kept longer', async () => {
  const jwks = await countingJwks();
  const upstream = await countingUpstream();
  upstream.state.failing = true;
  const gateway = await gatewayFor(upstream.server, jwks.url, 1000);
  open.push(jwks.server, upstream.server, gateway);

  expect((await readyz(gateway)).body.checks).toEqual({ keys: false, upstream: false });
  expect([upstream.state.probes, jwks.state.fetches]).toEqual([1, 1]);

  // Both recover; within the window the failure is still the answer, and nothing is probed.
  upstream.state.failing = false;
  jwks.state.failing = false;
  for (let i = 0; i < 10; i++) expect((await readyz(gateway)).status).toBe(503);
  expect([upstream.state.probes, jwks.state.fetches]).toEqual([1, 1]);

  // After the window: one new probe and one new fetch, and the gateway is ready.
  await sleep(1100);
  const again = await Promise.all(Array.from({ length: 50 }, () => readyz(gateway)));
  expect(again.map((a) => a.status)).toEqual(Array(50).fill(200));
  expect([upstream.state.probes, jwks.state.fetches]).toEqual([2, 2]);

  // Keys, once loaded, need no fetch; the upstream is probed at most once per window.
  await sleep(1100);
  await Promise.all(Array.from({ length: 50 }, () => readyz(gateway)));
  expect([upstream.state.probes, jwks.state.fetches]).toEqual([3, 2]);
}, 30_000);

test('keys not loaded: /readyz says why (a redirect here), and the log says it once', async () => {
  const target = await countingJwks();
  const redirecting = await listenLoopback((_req: http.IncomingMessage, res: http.ServerResponse) => res.writeHead(301, { location: target.url }).end());
  const upstream = await countingUpstream();
  const lines: { msg: string; reason?: string; url?: string }[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const app = createGateway({
    upstreamUrl: new URL(upstream.server.url),
    table,
    verifier: createVerifier({ algorithms: ['ES256'], jwksUri: `${redirecting.url}/jwks.json?token=secret-in-query` }),
    logger,
    readyCacheMs: 0,
  });
  const gateway = await listenLoopback(app);
  open.push(target.server, redirecting, upstream.server, gateway);
  const reason = 'the key server answered a redirect (301); redirects are not followed: set the key set URL to where it points';
  for (let i = 0; i < 3; i++) {
    const answer = await readyz(gateway);
    expect([answer.status, answer.body]).toEqual([503, { status: 'not ready', checks: { keys: false, upstream: true }, reasons: { keys: reason } }]);
  }
  expect(target.state.fetches).toBe(0); // the redirect was not followed
  const warned = lines.filter((l) => l.msg === 'key set not loaded');
  expect(warned).toEqual([expect.objectContaining({ reason, url: `${redirecting.url}/jwks.json` })]);
  expect(JSON.stringify(lines)).not.toContain('secret-in-query');
}, 30_000);

test('readyCacheMs defaults to 1000 ms and must be a finite number >= 0', async () => {
  const jwks = await countingJwks();
  const upstream = await countingUpstream();
  const gateway = await gatewayFor(upstream.server, jwks.url);
  open.push(jwks.server, upstream.server, gateway);
  await readyz(gateway);
  await sleep(500);
  await readyz(gateway);
  expect([upstream.state.probes, jwks.state.fetches]).toEqual([1, 1]);
  await sleep(600);
  await readyz(gateway);
  expect([upstream.state.probes, jwks.state.fetches]).toEqual([2, 2]);

  for (const bad of [-1, Number.NaN, Infinity]) {
    expect(() => createGateway({ upstreamUrl: new URL(upstream.server.url), table, verifier: createVerifier({ algorithms: ['HS256'], secret: 's'.repeat(32) }), logger: pino({ level: 'silent' }), readyCacheMs: bad })).toThrow(
      /readyCacheMs must be a finite number of milliseconds >= 0/,
    );
  }
}, 30_000);

describe('sharedCheck', () => {
  test('one run in flight; a rejection counts as false and is reused no longer than the window', async () => {
    let runs = 0;
    let release!: (ok: boolean) => void;
    const check = sharedCheck(() => {
      runs++;
      return new Promise<boolean>((resolve, reject) => (release = (ok) => (ok ? resolve(true) : reject(new Error('down')))));
    }, 50);
    const pending = [check(), check(), check()];
    expect(runs).toBe(1);
    release(false);
    expect(await Promise.all(pending)).toEqual([false, false, false]);
    expect(await check()).toBe(false);
    expect(runs).toBe(1);
    await sleep(60);
    const next = check();
    expect(runs).toBe(2);
    release(true);
    expect(await next).toBe(true);
  });
});
