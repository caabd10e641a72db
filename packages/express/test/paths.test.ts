/**
 * Paths and methods through a real Express 5 app behind the gate, sent as raw bytes: in every
 * case the request is either refused by the gate (no handler runs) or the handler that runs is
 * the one of the rule the gate checked.
 */
import http from 'node:http';
import express from 'express';
import { compileRoutes, type RouteRule } from '@scopegate/core';
import { scopeGate } from '@scopegate/express';
import { HS_SECRET, sign } from '../../core/test/support/keys';
import { rawRequest, type RawResponse } from './support/raw-http';

const rules: RouteRule[] = [
  { method: 'GET', path: '/users/:id', scopes: ['users.read'] },
  { method: 'GET', path: '/users/me', scopes: ['users.read'] },
  { method: ['PUT', 'PATCH'], path: '/users/:id', scopes: ['users.write'] },
  { method: 'DELETE', path: '/admin/users/:id', scopes: ['admin'] },
  { method: 'GET', path: '/files/*path', scopes: ['files.read'] },
  { method: 'POST', path: '/files/:name.:ext', scopes: ['files.write'] },
  { method: 'GET', path: '/healthz', public: true },
];

type Options = { caseSensitive: boolean; strict: boolean; override: boolean };

async function startApp(options: Options): Promise<http.Server> {
  const app = express();
  app.set('case sensitive routing', options.caseSensitive);
  app.set('strict routing', options.strict);
  if (options.override) {
    // An app that honours method override must apply it *before* the gate (README recipe).
    app.use((req, _res, next) => {
      const m = req.get('X-HTTP-Method-Override');
      if (m && req.method === 'POST') req.method = m.toUpperCase();
      next();
    });
  }
  // Opted in to all.read, so the read-all token below reaches GET and HEAD handlers (and only those).
  app.use(scopeGate({ routes: compileRoutes(rules, { ...options, readAllScope: 'all.read' }), verifier: { algorithms: ['HS256'], secret: HS_SECRET } }));
  rules.forEach((rule, index) => {
    const route = app.route(rule.path);
    for (const m of [rule.method].flat()) {
      (route as unknown as Record<string, (h: express.RequestHandler) => void>)[m.toLowerCase()]!((req, res) => {
        res.set('x-rule', String(index)).set('x-gate-rule', String(req.auth?.rule?.index ?? 'none')).json({ params: req.params });
      });
    }
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return server;
}

let all: string;
let readOnly: string;
beforeAll(async () => {
  all = await sign(HS_SECRET, { scope: 'users.read users.write admin files.read files.write' });
  readOnly = await sign(HS_SECRET, { scope: 'all.read' });
});

const send = (server: http.Server, method: string, target: string, token: string | null, extra = ''): Promise<RawResponse> =>
  rawRequest(server, `${method} ${target} HTTP/1.1\r\nHost: app.test${token ? `\r\nAuthorization: Bearer ${token}` : ''}${extra}`);

type Case = [name: string, method: string, target: string, extra?: string];
const cases: Case[] = [
  ['plain GET', 'GET', '/users/42'],
  ['static beside a param (first rule wins)', 'GET', '/users/me'],
  ['HEAD needs the GET scope', 'HEAD', '/users/42'],
  ['upper-case path', 'GET', '/USERS/42'],
  ['mixed-case static', 'GET', '/Users/Me'],
  ['trailing slash', 'GET', '/users/42/'],
  ['two trailing slashes', 'GET', '/users/42//'],
  ['double slash in front', 'GET', '//users/42'],
  ['double slash inside', 'GET', '/admin//users/1'],
  ['encoded slash in a param', 'GET', '/users/a%2Fb'],
  ['encoded dot-dot in a param', 'GET', '/users/%2e%2e'],
  ['raw dot-dot segment', 'GET', '/users/x/../42'],
  ['dot-dot into admin', 'DELETE', '/users/../admin/users/1'],
  ['semicolon path parameter', 'GET', '/users/42;role=admin'],
  ['encoded NUL in a param', 'GET', '/users/a%00'],
  ['malformed encoding in a param', 'GET', '/users/%E0%A4'],
  ['encoded letter in a static segment', 'GET', '/%75sers/42'],
  ['encoded slash in a wildcard', 'GET', '/files/a%2F..%2Fadmin'],
  ['wildcard with trailing slash', 'GET', '/files/a/b/'],
  ['mixed segment', 'POST', '/files/report.v2.pdf'],
  ['query string', 'GET', '/users/42?admin=true'],
  ['absolute-form target', 'GET', 'http://app.test/users/42'],
  ['absolute-form to admin', 'DELETE', 'http://evil.test/admin/users/1'],
  ['method override header ignored by the gate', 'POST', '/users/42', '\r\nX-HTTP-Method-Override: DELETE'],
  ['X-HTTP-Method ignored', 'POST', '/admin/users/1', '\r\nX-HTTP-Method: DELETE'],
  ['unknown method', 'PURGE', '/users/42'],
  ['OPTIONS not in the table', 'OPTIONS', '/users/42'],
  ['PUT on the GET-only static', 'PUT', '/users/me'],
  ['public route', 'GET', '/healthz'],
  ['public route with trailing slash', 'GET', '/healthz/'],
  ['unknown path', 'GET', '/nope'],
];

describe.each<Options>([
  { caseSensitive: false, strict: false, override: false },
  { caseSensitive: true, strict: true, override: false },
  { caseSensitive: false, strict: false, override: true },
])('app %j', (options) => {
  let server: http.Server;
  beforeAll(async () => {
    server = await startApp(options);
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  test.each(cases)('%s: %s %s', async (_name, method, target, extra = '') => {
    for (const [who, token] of [['all scopes', all], ['all.read', readOnly], ['no token', null]] as const) {
      const res = await send(server, method, target, token, extra);
      const ran = res.headers['x-rule'];
      const context = { who, status: res.status };
      if (ran !== undefined) {
        // A handler ran: the gate must have checked this very rule.
        expect({ ...context, gate: res.headers['x-gate-rule'] }).toEqual({ ...context, gate: ran });
        if (token === null) expect(rules[Number(ran)]!.public).toBe(true);
        if (who === 'all.read') expect(['GET', 'HEAD']).toContain(method);
      } else {
        // Refused: by the gate (400/401/403) or by Node/Express before any handler (400/404).
        expect([400, 401, 403, 404]).toContain(res.status);
      }
    }
  });
});

test('method override applied before the gate is what the gate checks', async () => {
  const server = await startApp({ caseSensitive: false, strict: false, override: true });
  try {
    const res = await send(server, 'POST', '/admin/users/1', readOnly, '\r\nX-HTTP-Method-Override: DELETE');
    expect(res.status).toBe(403);
    const ok = await send(server, 'POST', '/admin/users/1', all, '\r\nX-HTTP-Method-Override: DELETE');
    expect([ok.status, ok.headers['x-rule']]).toEqual([200, '3']);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
