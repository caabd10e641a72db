import http from 'node:http';
import express from 'express';
import request from 'supertest';
import {
  ConfigError,
  RouteConfigError,
  ScopeGateError,
  createVerifier,
  type RouteRule,
  type Verifier,
} from '@scopegate/core';
import { scopeGate, type DecisionEvent, type ScopeGateOptions } from '@scopegate/express';
import { HS_SECRET, makeKey, sign, startJwksServer } from '../../core/test/support/keys';

const rules: RouteRule[] = [
  { method: 'GET', path: '/items/:id', scopes: ['items.read'] },
  { method: 'GET', path: '/healthz', public: true },
];
const verifier = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET });

function appWith(options: Partial<ScopeGateOptions>, mount?: string): express.Express {
  const app = express();
  const gate = scopeGate({ routes: rules, verifier, ...options });
  if (mount) app.use(mount, gate);
  else app.use(gate);
  const handler: express.RequestHandler = (req, res) => {
    res.json({ auth: req.auth && { ...req.auth, scopes: [...req.auth.scopes], verified: undefined }, params: req.params });
  };
  app.get(`${mount ?? ''}/items/:id`, handler);
  app.get(`${mount ?? ''}/healthz`, handler);
  app.get(`${mount ?? ''}/other`, handler);
  return app;
}

describe.each<[string, () => unknown, new (...args: never[]) => Error, RegExp]>([
  ['no options', () => scopeGate(undefined as never), ConfigError, /options must be an object/],
  ['routes missing', () => scopeGate({ verifier } as never), ConfigError, /routes must be/],
  ['verifier missing', () => scopeGate({ routes: rules } as never), ConfigError, /verifier must be/],
  ['verifier options invalid', () => scopeGate({ routes: rules, verifier: { algorithms: ['none'] } as never }), ConfigError, /"none" is not allowed/],
  ['unmatched invalid', () => scopeGate({ routes: rules, verifier, unmatched: 'allow' as never }), ConfigError, /unmatched must be/],
  ['errors invalid', () => scopeGate({ routes: rules, verifier, errors: 'throw' as never }), ConfigError, /errors must be/],
  ['mode invalid', () => scopeGate({ routes: rules, verifier, mode: 'audit' as never }), ConfigError, /mode must be/],
  ['onDecision not a function', () => scopeGate({ routes: rules, verifier, onDecision: 'log' as never }), ConfigError, /onDecision/],
  ['ambiguous rules', () => scopeGate({ routes: [{ method: 'GET', path: '/a/:x', scopes: ['a'] }, { method: 'GET', path: '/a/b', scopes: ['b'] }], verifier }), RouteConfigError, /ERR|rule #0/],
])('construction: %s', (_name, build, cls, message) => {
  test('throws at construction', () => {
    expect(build).toThrow(cls);
    expect(build).toThrow(message);
  });
});

test('success: req.auth holds token, claims, scopes, rule and params', async () => {
  const token = await sign(HS_SECRET, { scope: 'items.read extra', jti: 'j-1' });
  const res = await request(appWith({})).get('/items/a%20b').set('Authorization', `Bearer ${token}`);
  expect(res.status).toBe(200);
  expect(res.body.auth).toMatchObject({ token, claims: { sub: 'user-1', jti: 'j-1' }, scopes: ['items.read', 'extra'], rule: { path: '/items/:id', index: 0 }, params: { id: 'a b' } });
  expect(res.body.params).toEqual({ id: 'a b' });
});

test('public rule: passes without a token; req.auth has no token', async () => {
  const res = await request(appWith({})).get('/healthz');
  expect(res.status).toBe(200);
  expect(res.body.auth).toMatchObject({ token: null, claims: null, scopes: [], rule: { path: '/healthz' } });
});

test('realm option shows in challenges', async () => {
  const res = await request(appWith({ realm: 'my "api"' })).get('/items/1');
  expect(res.headers['www-authenticate']).toBe('Bearer realm="my \\"api\\""');
});

test("unmatched: 'deny' refuses unknown routes after authentication; 'next' lets them reach the app", async () => {
  const token = await sign(HS_SECRET, { scope: 'items.read' });
  expect((await request(appWith({})).get('/other')).status).toBe(401);
  const denied = await request(appWith({})).get('/other').set('Authorization', `Bearer ${token}`);
  expect([denied.status, denied.body]).toEqual([403, { error: 'Access Forbidden' }]);
  const passed = await request(appWith({ unmatched: 'next' })).get('/other');
  expect([passed.status, passed.body.auth.rule]).toEqual([200, null]);
});

test("errors: 'next' hands the ScopeGateError (status, headers) to the app's error handler", async () => {
  const app = appWith({ errors: 'next' });
  const seen: unknown[] = [];
  app.use((err: ScopeGateError, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    seen.push(err);
    res.status(err.status).set(err.headers).json({ custom: err.code });
  });
  const res = await request(app).get('/items/1');
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ custom: 'ERR_TOKEN_MISSING' });
  expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
  expect(seen[0]).toBeInstanceOf(ScopeGateError);
});

test('onDecision gets one event per request, with sub and jti, never the token', async () => {
  const events: DecisionEvent[] = [];
  const app = appWith({ onDecision: (e) => events.push(e) });
  const token = await sign(HS_SECRET, { scope: 'items.read', jti: 'j-9' });
  await request(app).get('/items/1').set('Authorization', `Bearer ${token}`);
  await request(app).get('/items/1').set('Authorization', `Bearer ${await sign(HS_SECRET, { scope: 'x' })}`);
  await request(app).get('/items/1').set('Authorization', 'Bearer not.a.token');
  expect(events).toEqual([
    { method: 'GET', path: '/items/1', pattern: '/items/:id', allowed: true, reason: 'scope', status: null, code: null, sub: 'user-1', jti: 'j-9', binding: null, mode: 'enforce' },
    { method: 'GET', path: '/items/1', pattern: '/items/:id', allowed: false, reason: 'insufficient-scope', status: 403, code: 'ERR_INSUFFICIENT_SCOPE', sub: 'user-1', jti: null, binding: null, mode: 'enforce' },
    { method: 'GET', path: '/items/1', pattern: '/items/:id', allowed: false, reason: 'invalid-token', status: 401, code: 'ERR_TOKEN_INVALID', sub: null, jti: null, binding: null, mode: 'enforce' },
  ]);
  expect(JSON.stringify(events)).not.toContain(token.split('.')[1]!);
});

test('an onDecision that throws turns an allowed request into a 500; the handler never runs', async () => {
  const app = appWith({
    onDecision: () => {
      throw new Error('logger down');
    },
  });
  const token = await sign(HS_SECRET, { scope: 'items.read' });
  const res = await request(app).get('/items/1').set('Authorization', `Bearer ${token}`);
  expect([res.status, res.body]).toEqual([500, { error: 'Internal Server Error' }]);
});

test.each<[string, Verifier['verify']]>([
  ['rejects with a plain Error', () => Promise.reject(new Error('boom with secret-material'))],
  ['throws synchronously', () => {
    throw new Error('sync boom');
  }],
  ['resolves to garbage', () => Promise.resolve(null as never)],
])('a verifier that %s gives 500, never a pass', async (_name, verify) => {
  const broken: Verifier = { verify, cacheStats: { hits: 0, misses: 0, size: 0 }, keySet: null };
  const res = await request(appWith({ verifier: broken })).get('/items/1').set('Authorization', 'Bearer a.b.c');
  expect(res.status).toBe(500);
  expect(JSON.stringify(res.body)).not.toContain('secret-material');
});

test('key server down: 503, not 401', async () => {
  const key = await makeKey('ES256', 'k-down');
  const jwks = await startJwksServer([]);
  jwks.mode = 'error';
  try {
    const app = appWith({ verifier: { algorithms: ['ES256'], jwksUri: jwks.url, jwksOptions: { timeoutDuration: 500 } } });
    const res = await request(app).get('/items/1').set('Authorization', `Bearer ${await sign(key, { scope: 'items.read' })}`);
    expect([res.status, res.body]).toEqual([503, { error: 'Authentication keys unavailable' }]);
  } finally {
    await jwks.close();
  }
});

test('mounted under a prefix, the gate matches req.path relative to the mount', async () => {
  const token = await sign(HS_SECRET, { scope: 'items.read' });
  const app = appWith({}, '/api');
  expect((await request(app).get('/api/items/1').set('Authorization', `Bearer ${token}`)).status).toBe(200);
  expect((await request(app).get('/api/healthz')).status).toBe(200);
});

test('CORS recipe: a CORS middleware before the gate answers preflights; the gate checks OPTIONS otherwise', async () => {
  const app = express();
  app.use((req, res, next) => {
    res.set('Access-Control-Allow-Origin', 'https://app.test');
    if (req.method === 'OPTIONS' && req.get('Access-Control-Request-Method')) {
      res.set('Access-Control-Allow-Methods', 'GET').set('Access-Control-Allow-Headers', 'Authorization').status(204).end();
      return;
    }
    next();
  });
  app.use(scopeGate({ routes: rules, verifier }));
  app.get('/items/:id', (_req, res) => res.json({ ok: true }));
  const preflight = await request(app).options('/items/1').set('Origin', 'https://app.test').set('Access-Control-Request-Method', 'GET');
  expect(preflight.status).toBe(204);
  expect((await request(app).options('/items/1')).status).toBe(401);
});

test('HEAD is checked with the GET rule', async () => {
  const app = appWith({});
  expect((await request(app).head('/items/1')).status).toBe(401);
  const ok = await request(app).head('/items/1').set('Authorization', `Bearer ${await sign(HS_SECRET, { scope: 'items.read' })}`);
  expect(ok.status).toBe(200);
});

test('a server using the gate answers every request it refuses itself (no next())', async () => {
  let reached = 0;
  const app = express();
  app.use(scopeGate({ routes: rules, verifier }));
  app.use((_req, res) => {
    reached++;
    res.status(418).end();
  });
  const server = http.createServer(app);
  for (const path of ['/items/1', '/nope', '/items/%E0']) await request(server).get(path);
  expect(reached).toBe(0);
});

test("mode: 'report' decides and reports every request but lets refused ones through, without req.auth", async () => {
  const events: DecisionEvent[] = [];
  const app = appWith({ mode: 'report', onDecision: (e) => events.push(e) });
  const noToken = await request(app).get('/items/1');
  expect([noToken.status, noToken.body.auth]).toEqual([200, undefined]);
  const wrong = await request(app).get('/items/1').set('Authorization', `Bearer ${await sign(HS_SECRET, { scope: 'other' })}`);
  expect([wrong.status, wrong.body.auth]).toEqual([200, undefined]);
  const right = await request(app).get('/items/1').set('Authorization', `Bearer ${await sign(HS_SECRET, { scope: 'items.read' })}`);
  expect(right.body.auth.scopes).toEqual(['items.read']);
  expect(events.map((e) => [e.allowed, e.reason, e.status, e.mode])).toEqual([
    [false, 'unauthenticated', 401, 'report'],
    [false, 'insufficient-scope', 403, 'report'],
    [true, 'scope', null, 'report'],
  ]);
});
