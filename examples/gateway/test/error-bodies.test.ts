/**
 * Error bodies over real sockets: what a client can provoke (a body that does not parse, one too
 * large, one in an unsupported encoding, a store that fails, a gateway handler that fails) is
 * answered as JSON `{"error": …}` with the right status, without a stack frame, the install
 * path or the request's own text; and logged without the token.
 */
import http from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { Gauge, Registry } from 'prom-client';
import { compileRoutes, createVerifier } from '@scopegate/core';
import { loadConfig } from '../src/config';
import { createGateway } from '../src/gateway';
import { listenLoopback, type RunningServer } from '../src/demo/upstream';
import { DEMO, startGateway, type RunningGateway } from '../src/run';

const root = join(__dirname, '..', '..', '..');
const env = `/environments/${DEMO.environmentId}`;
let gw: RunningGateway;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  gw = await startGateway(loadConfig({ PORT: '0', LOG_LEVEL: 'info' }), pino({ level: 'info' }, sink));
});
afterAll(() => gw.close());
afterEach(() => jest.restoreAllMocks());

interface Raw {
  status: number;
  contentType: string;
  text: string;
}

/** One request on its own connection to 127.0.0.1, the body sent as given, the answer as text. */
function raw(baseUrl: string, method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<Raw> {
  const base = new URL(baseUrl);
  if (base.hostname !== '127.0.0.1') throw new Error('loopback only');
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path, headers, agent: false, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, contentType: String(res.headers['content-type']), text }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** JSON `{"error": <message>}` and nothing that reveals the code or the request. */
function expectSafe(res: Raw, status: number, message: string | RegExp, quoted: string[] = []): void {
  expect({ status: res.status, body: res.text }).toEqual({ status, body: expect.any(String) });
  expect(res.contentType).toMatch(/^application\/json/);
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
  expect(res.text).not.toMatch(/\bat \S+ \(|\bat \//); // a stack frame: "at fn (file:1:2)" or "at /file"
  expect(res.text).not.toMatch(/<html|<pre|<!DOCTYPE/i);
  for (const leak of [root, '/work/', 'node_modules', ...quoted]) expect(res.text).not.toContain(leak);
}

const admin = () => ({ authorization: `Bearer ${gw.demo!.tokens.admin}` });
const json = (extra: Record<string, string> = {}) => ({ ...admin(), 'content-type': 'application/json', ...extra });

describe('a body the demo upstream cannot parse, through the gateway (an allowed POST)', () => {
  test.each<[string, string]>([
    ['an unclosed object', '{bad'],
    ['a lone bracket', '['],
    ['trailing garbage', '{"scopes":[]}}'],
    ['a truncated value', '{"scopes":'],
    ['a bare string (strict mode)', '"environment.users.read"'],
    ['NaN', '{"scopes":NaN}'],
    ['a NUL byte', '\u0000'],
    ['a secret-looking body', '{"password":"hunter2-SECRET-VALUE"'],
  ])('%s → 400 Malformed JSON body', async (_name, body) => {
    const res = await raw(gw.url, 'POST', `${env}/tokens`, json(), body);
    expectSafe(res, 400, 'Malformed JSON body', [body.slice(0, 12), 'SECRET-VALUE', 'Unexpected']);
  });

  test('a body over the 16 kB limit → 413 Body too large', async () => {
    const body = JSON.stringify({ note: 'x'.repeat(64 * 1024), scopes: [] });
    expectSafe(await raw(gw.url, 'POST', `${env}/tokens`, json(), body), 413, 'Body too large');
  });

  test('a chunked body over the limit (no Content-Length: found while reading) → 413 Body too large', async () => {
    const body = JSON.stringify({ note: 'x'.repeat(40 * 1024), scopes: [] });
    expectSafe(await raw(gw.url, 'POST', `${env}/tokens`, json({ 'transfer-encoding': 'chunked' }), body), 413, 'Body too large');
  });

  test('a malformed path param, straight to the demo upstream → 400 without the param', async () => {
    expectSafe(await raw(gw.demo!.upstream.url, 'GET', `${env}/users/%FF%C0`, admin()), 400, 'Bad Request', ['%FF', 'decode']);
  });

  test('an unsupported charset → 415, the charset not echoed', async () => {
    const res = await raw(gw.url, 'POST', `${env}/tokens`, json({ 'content-type': 'application/json; charset=x-evil-charset' }), '{"scopes":[]}');
    expectSafe(res, 415, 'Unsupported charset', ['x-evil-charset', 'X-EVIL-CHARSET']);
  });

  test('an unsupported Content-Encoding → 415', async () => {
    const res = await raw(gw.url, 'POST', `${env}/tokens`, json({ 'content-encoding': 'x-evil-encoding' }), '{"scopes":[]}');
    expectSafe(res, 415, 'Unsupported Content-Encoding', ['x-evil-encoding']);
  });

  test('a gzip body that is not gzip → 400', async () => {
    const res = await raw(gw.url, 'POST', `${env}/tokens`, json({ 'content-encoding': 'gzip' }), 'not gzip at all');
    expectSafe(res, 400, 'Bad Request', ['incorrect header', 'zlib']);
  });

  test('a gzip body holding malformed JSON → 400 Malformed JSON body', async () => {
    const res = await raw(gw.url, 'POST', `${env}/tokens`, json({ 'content-encoding': 'gzip' }), gzipSync('{bad'));
    expectSafe(res, 400, 'Malformed JSON body');
  });

  test('the client errors are logged without the token or the body', async () => {
    await raw(gw.url, 'POST', `${env}/tokens`, json(), '{"hidden":"BODY-TEXT"');
    await new Promise((r) => setTimeout(r, 20));
    const line = lines.filter((l) => l.source === 'demo-upstream' && l.status === 400).pop();
    expect(line).toMatchObject({ level: 30, method: 'POST', path: `${env}/tokens`, err: { type: 'entity.parse.failed' } });
    expect(line?.reqId).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/)); // the gateway's request id
    const text = JSON.stringify(lines);
    expect(text).not.toContain('BODY-TEXT');
    expect(text).not.toContain(gw.demo!.tokens.admin);
  });
});

describe('a store that throws', () => {
  const failure = () => {
    const err = new Error(`connect ECONNREFUSED 127.0.0.1:6379 at ${root}/node_modules/ioredis/built/Redis.js:1:2 for ${gw.demo!.tokens.admin}`);
    (err as Error & { code: string }).code = 'ECONNREFUSED';
    return err;
  };

  test.each<[string, string, string, 'listByEnvironment' | 'create' | 'listByCreator']>([
    ['listing the environment\'s tokens', 'GET', `${env}/tokens`, 'listByEnvironment'],
    ['minting a token', 'POST', `${env}/tokens`, 'create'],
    ['listing one\'s own tokens', 'GET', '/user/tokens', 'listByCreator'],
  ])('%s → 500 {"error":"Internal Server Error"}, logged without the token', async (_name, method, path, op) => {
    const store = gw.demo!.store;
    const spy = jest.spyOn(store, op).mockRejectedValue(failure());
    const res = await raw(gw.url, method, path, method === 'POST' ? json() : admin(), method === 'POST' ? '{"scopes":["environment.users.read"]}' : undefined);
    expect(spy).toHaveBeenCalledTimes(1);
    expectSafe(res, 500, 'Internal Server Error', ['ECONNREFUSED', '6379', gw.demo!.tokens.admin]);
    await new Promise((r) => setTimeout(r, 20));
    const logged = lines.filter((l) => l.source === 'demo-upstream' && l.status === 500 && l.path === path).pop();
    expect(logged).toMatchObject({ level: 50, method, err: { name: 'Error', code: 'ECONNREFUSED', message: expect.stringContaining('[redacted]') } });
    expect(JSON.stringify(lines)).not.toContain(gw.demo!.tokens.admin);
  });
});

describe("the gateway's own errors", () => {
  let upstream: RunningServer;
  let gateway: RunningServer;
  const gatewayLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    upstream = await listenLoopback((_req: http.IncomingMessage, res: http.ServerResponse) => void res.end('{}'));
    // A metrics registry whose collection fails: an error inside a handler of the gateway itself.
    const registry = new Registry();
    new Gauge({
      name: 'failing_gauge',
      help: 'throws on collect',
      registers: [registry],
      collect() {
        throw new Error(`collect failed at ${root}/node_modules/prom-client/lib/gauge.js:1:1`);
      },
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of String(chunk).split('\n')) if (l) gatewayLines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const app = createGateway({
      upstreamUrl: new URL(upstream.url),
      table: compileRoutes([{ method: 'GET', path: '/things', scopes: ['things.read'] }]),
      verifier: createVerifier({ algorithms: ['HS256'], secret: 'an-error-bodies-test-secret-32-bytes!!' }),
      logger: pino({ level: 'info' }, sink),
      metrics: { registry, decision: () => undefined, upstream: () => undefined },
    });
    gateway = await listenLoopback(app);
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  test('a failing /metrics → 500 JSON, not Express\'s HTML page', async () => {
    const res = await raw(gateway.url, 'GET', '/metrics', {});
    expectSafe(res, 500, 'Internal Server Error', ['collect failed', 'prom-client']);
    await new Promise((r) => setTimeout(r, 20));
    expect(gatewayLines.filter((l) => l.source === 'gateway' && l.status === 500)).toHaveLength(1);
  });

  test('the gateway\'s own refusals stay JSON: firewall, gate, malformed Authorization', async () => {
    expectSafe(await raw(gateway.url, 'GET', '/things/..%2f', {}), 400, /Encoded \//);
    expectSafe(await raw(gateway.url, 'GET', '/things', {}), 401, /./);
    expectSafe(await raw(gateway.url, 'GET', '/things', { authorization: 'Bearer a b c' }), 400, /Malformed Authorization header/);
  });
});

test('the demo upstream on its own (no gateway in front) answers the same JSON', async () => {
  const res = await raw(gw.demo!.upstream.url, 'POST', `${env}/tokens`, json(), '{bad');
  expectSafe(res, 400, 'Malformed JSON body');
});
