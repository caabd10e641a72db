/**
 * What the gateway logs, per level: one `request` line per request at info (path without its
 * query, status, the decision's reason and subject), refused decisions at info, allowed ones at
 * debug, nothing below the configured level, and never the token or the query.
 */
import http from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { SignJWT } from 'jose';
import { compileRoutes, createVerifier } from '@scopegate/core';
import { createGateway } from '../src/gateway';
import { listenLoopback, type RunningServer } from '../src/demo/upstream';

const SECRET = 'an-access-log-test-secret-of-32-bytes!!';
const table = compileRoutes([{ method: 'GET', path: '/things/:id', scopes: ['things.read'] }]);
let upstream: RunningServer;
let token: string;

beforeAll(async () => {
  upstream = await listenLoopback((_req: http.IncomingMessage, res: http.ServerResponse) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  token = await new SignJWT({ scope: 'things.read' }).setProtectedHeader({ alg: 'HS256' }).setSubject('caller-1').setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
});
afterAll(() => upstream.close());

type Line = Record<string, unknown>;

/** A gateway logging at `level` into memory. */
function gatewayAt(level: pino.LevelWithSilent): { app: http.RequestListener; lines: Line[] } {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  const app = createGateway({
    upstreamUrl: new URL(upstream.url),
    table,
    verifier: createVerifier({ algorithms: ['HS256'], secret: SECRET }),
    logger: pino({ level }, sink),
  });
  return { app, lines };
}

/** The logged lines of one message, once the response is complete and the log flushed. */
const settle = () => new Promise((r) => setTimeout(r, 20));

describe.each<[string, pino.LevelWithSilent, boolean, string[]]>([
  ['info, allowed', 'info', true, ['request']],
  ['info, refused', 'info', false, ['decision', 'request']],
  ['debug, allowed', 'debug', true, ['decision', 'request']],
  ['debug, refused', 'debug', false, ['decision', 'request']],
  ['warn, allowed', 'warn', true, []],
  ['warn, refused', 'warn', false, []],
  ['silent, refused', 'silent', false, []],
])('level %s', (_name, level, withToken, expected) => {
  test(`logs ${expected.length ? expected.join(' + ') : 'nothing'}`, async () => {
    const { app, lines } = gatewayAt(level);
    const req = request(app).get('/things/42?secret=query-value').set('X-Request-Id', 'req-abc');
    const res = await (withToken ? req.set('Authorization', `Bearer ${token}`) : req);
    expect(res.status).toBe(withToken ? 200 : 401);
    await settle();
    expect(lines.map((l) => l.msg).sort()).toEqual(expected);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(token);
    expect(text).not.toContain('query-value');
    const access = lines.find((l) => l.msg === 'request');
    if (access) {
      expect(access).toMatchObject({ reqId: 'req-abc', method: 'GET', path: '/things/42', status: withToken ? 200 : 401, reason: withToken ? 'scope' : 'unauthenticated' });
      if (withToken) expect(access.sub).toBe('caller-1');
      expect(typeof access.ms).toBe('number');
    }
    const decision = lines.find((l) => l.msg === 'decision');
    if (decision) expect(decision).toMatchObject({ reqId: 'req-abc', allowed: withToken, pattern: '/things/:id' });
  });
});
