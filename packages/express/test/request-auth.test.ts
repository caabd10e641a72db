/**
 * `req.auth` as handlers see it, however the request object was made: through an Express app
 * (kept per request in res.locals behind an accessor on the app's request prototype), through a
 * plain node:http server (an own property; Node's prototype is never touched), and next to a
 * prototype whose `auth` belongs to someone else.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { createVerifier, type RouteRule } from '@scopegate/core';
import { scopeGate } from '@scopegate/express';
import { HS_SECRET, sign } from '../../core/test/support/keys';

const rules: RouteRule[] = [
  { method: 'GET', path: '/items/:id', scopes: ['items.read'] },
  { method: 'GET', path: '/open', public: true },
];
const verifier = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET });
let token: string;
beforeAll(async () => {
  token = await sign(HS_SECRET, { scope: 'items.read', sub: 'alice' });
});

const seen = (req: express.Request) => ({ sub: req.auth?.claims?.sub ?? null, rule: req.auth?.rule?.path ?? null, token: req.auth?.token ?? null });

test('an Express app: each request sees its own auth, and a later assignment sticks', async () => {
  const app = express();
  app.use(scopeGate({ routes: rules, verifier }));
  app.get('/items/:id', (req, res, next) => {
    if (req.params.id === 'reassign') req.auth = { ...req.auth!, token: 'replaced' };
    next();
  });
  app.get('/items/:id', (req, res) => void res.json(seen(req)));
  app.get('/open', (req, res) => void res.json(seen(req)));
  const [a, b, open] = await Promise.all([
    request(app).get('/items/1').set('Authorization', `Bearer ${token}`),
    request(app).get('/items/reassign').set('Authorization', `Bearer ${token}`),
    request(app).get('/open'),
  ]);
  expect(a.body).toEqual({ sub: 'alice', rule: '/items/:id', token });
  expect(b.body).toEqual({ sub: 'alice', rule: '/items/:id', token: 'replaced' });
  expect(open.body).toEqual({ sub: null, rule: '/open', token: null });
  expect(Object.getOwnPropertyDescriptor(http.IncomingMessage.prototype, 'auth')).toBeUndefined();
});

test('a value left by an earlier middleware is cleared before the decision', async () => {
  const app = express();
  app.use((req, _res, next) => {
    req.auth = { token: 'forged' } as never;
    next();
  });
  app.use(scopeGate({ routes: rules, verifier, mode: 'report' }));
  app.get('/items/:id', (req, res) => void res.json({ auth: req.auth ?? null }));
  // No token: refused, and report mode lets it on. The first request meets the app before the
  // gate has put its accessor on the request prototype (a plain property is left); later ones
  // assign through the accessor (kept in res.locals). Both must be cleared.
  for (const n of [1, 2, 3]) {
    const res = await request(app).get(`/items/${n}`);
    expect({ n, body: res.body }).toEqual({ n, body: { auth: null } });
  }
});

test('a plain node:http server: auth is an own property and Node’s prototype stays untouched', async () => {
  const gate = scopeGate({ routes: rules, verifier });
  const server = http.createServer((req, res) => {
    gate(req as express.Request, res as express.Response, () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ own: Object.prototype.hasOwnProperty.call(req, 'auth'), ...seen(req as express.Request) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/items/7', headers: { authorization: `Bearer ${token}` } }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(JSON.parse(body)).toEqual({ own: true, sub: 'alice', rule: '/items/:id', token });
    expect(Object.getOwnPropertyDescriptor(http.IncomingMessage.prototype, 'auth')).toBeUndefined();
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('an app whose request prototype already defines auth keeps its own, and the gate still sets the value', async () => {
  const app = express();
  Object.defineProperty(app.request, 'auth', { value: undefined, writable: true, configurable: true });
  app.use(scopeGate({ routes: rules, verifier }));
  app.get('/items/:id', (req, res) => void res.json({ own: Object.prototype.hasOwnProperty.call(req, 'auth'), ...seen(req) }));
  const res = await request(app).get('/items/1').set('Authorization', `Bearer ${token}`);
  expect(res.body).toEqual({ own: true, sub: 'alice', rule: '/items/:id', token });
  expect(Object.getOwnPropertyDescriptor(app.request, 'auth')).toMatchObject({ value: undefined, writable: true });
});
