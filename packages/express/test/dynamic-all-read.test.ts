/** all.read opens every GET route of the Dynamic table, through the middleware, and no other method. */
import http from 'node:http';
import express from 'express';
import { match } from 'path-to-regexp';
import request from 'supertest';
import { dynamicRoutes, dynamicTable } from '@scopegate/dynamic';
import { scopeGate } from '@scopegate/express';
import { makeKey, sign, type TestKey } from '../../core/test/support/keys';

let key: TestKey;
let server: http.Server;
let allRead: string;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

beforeAll(async () => {
  key = await makeKey('ES256');
  allRead = await sign(key, { scope: 'all.read', environment_id: 'environmentId-7f3a' });
  const app = express();
  app.use(scopeGate({ routes: dynamicTable, verifier: { algorithms: ['ES256'], jwks: { keys: [key.publicJwk] } } }));
  dynamicRoutes.forEach((rule, index) => {
    (app as unknown as Record<string, (p: string, h: express.RequestHandler) => void>)[rule.method.toLowerCase()]!(rule.path, (_req, res) => {
      res.set('x-rule', String(index)).json({ ok: true });
    });
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

/** Express's pick for a GET: the first GET rule whose pattern matches (a linear path-to-regexp scan). */
const getMatchers = dynamicRoutes.map((r) => (r.method === 'GET' ? match(r.path, { sensitive: false, trailing: true }) : null));
const firstGet = (url: string) => getMatchers.findIndex((m) => m !== null && m(url) !== false);

const concrete = (path: string) => path.replace(/:(\w+)/g, (_m, n: string) => `${n}-7f3a`);
const agent = () => request(server);

test.each(dynamicRoutes.map((r, i) => [i, r.method, r.path] as const))('#%i %s %s', async (index, method, path) => {
  const url = concrete(path);
  for (const m of METHODS) {
    const res = await (agent() as unknown as Record<string, (u: string) => request.Test>)[m.toLowerCase()]!(url).set('Authorization', `Bearer ${allRead}`);
    const isRead = m === 'GET' || m === 'HEAD';
    // A read is allowed when some GET rule serves the path (its own, or another one Express would pick).
    const served = isRead ? firstGet(url) : -1;
    expect({ m, status: res.status }).toEqual({ m, status: served >= 0 ? 200 : 403 });
    if (served >= 0) expect(res.headers['x-rule']).toBe(String(served));
    if (isRead && method === 'GET') expect(served).toBe(index);
  }
});
