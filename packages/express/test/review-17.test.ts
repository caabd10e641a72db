/**
 * Review of issue 17 (af9d623): "a specific rule before a general one that contains it compiles,
 * first rule wins", readAllScope opt-in, auditApp on Express 4 apps and its `order` findings,
 * authorize's `unmatched`, Express 4 in scopeGate.
 *
 * Each attack runs the gate in front of a real Express app (5, or 4 via the `express4` alias) on
 * loopback, the routes registered in the table's order, and compares the rule the gate checked
 * with the handler Express ran. Some exposed a defect and failed before its fix (noted at each).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type expressType from 'express';
import { authorize, checkScope, compileRoutes, type RouteRule, type RouteTable, type Verifier } from '@scopegate/core';
import { auditApp, scopeGate } from '@scopegate/express';
import { routesFromOpenApi } from '@scopegate/openapi';
import { dynamicTable } from '@scopegate/dynamic';
import { GATE_VERIFIER, tokenWith } from './support/differential';
import { express4 } from './support/express4';

const noop: expressType.RequestHandler = (_req, res) => void res.end();

// ---- harness: gate + routes in the table's order, over real sockets --------------------------

interface Served {
  status: number;
  /** Index of the rule whose handler Express ran, or null. */
  ran: number | null;
  /** The rule the gate checked (req.auth.rule.path), or null. */
  checked: string | null;
}

const servers: http.Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(rules: readonly RouteRule[], table: RouteTable, v4 = false, unmatched: 'deny' | 'next' = 'deny'): Promise<number> {
  const app = (v4 ? express4 : express)() as expressType.Express;
  app.set('case sensitive routing', table.options.caseSensitive);
  app.set('strict routing', table.options.strict);
  app.use(scopeGate({ routes: table, verifier: GATE_VERIFIER, unmatched }));
  rules.forEach((rule, index) => {
    const route = app.route(rule.path) as unknown as Record<string, (h: expressType.RequestHandler) => void>;
    for (const m of [rule.method].flat()) {
      route[m.toLowerCase()]!((req, res) => {
        res.set('x-ran', String(index)).set('x-checked', req.auth?.rule?.path ?? '-').end();
      });
    }
  });
  app.use((_req, res) => void res.status(404).end());
  const server = http.createServer(app);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

function send(port: number, method: string, path: string, scopes: string[] | null, claims: Record<string, unknown> = {}): Promise<Served> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { connection: 'close' };
    if (scopes) headers.authorization = `Bearer ${tokenWith(scopes, claims)}`;
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => {
        const ran = res.headers['x-ran'];
        const checked = res.headers['x-checked'];
        resolve({ status: res.statusCode!, ran: typeof ran === 'string' ? Number(ran) : null, checked: typeof checked === 'string' ? checked : null });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The rule the table picks for a request, by index (or its kind). */
const pick = (table: RouteTable, method: string, path: string): number | string => {
  const f = table.lookup(method, path);
  return f.kind === 'match' ? f.rule.index : f.kind;
};

// ---- (1) first rule wins: lookups that must agree with Express --------------------------------

describe('first rule wins: the gate checks the rule whose handler Express runs', () => {
  const rules: RouteRule[] = [
    { method: 'GET', path: '/users/me', scopes: ['me.read'] },
    { method: ['GET', 'DELETE'], path: '/users/:id', scopes: ['users.admin'] },
    { method: 'GET', path: '/files/report-:id.json', scopes: ['reports'] },
    { method: 'GET', path: '/typed/:a.:b', scopes: ['typed'] },
    { method: 'GET', path: '/files/*rest', scopes: ['files'] },
    { method: 'GET', path: '/k/k', scopes: ['kay'] },
    { method: 'GET', path: '/k/:x', scopes: ['any'] },
    { method: 'GET', path: '/opt{/:x}', scopes: ['opt'] },
    { method: 'GET', path: '/opt/*rest', scopes: ['optrest'] },
  ];
  const table = compileRoutes(rules);
  let port = 0;
  beforeAll(async () => {
    port = await serve(rules, table);
  });

  test.each([
    ['GET', '/users/me', 0],
    ['GET', '/users/ME', 0], // folded: both sides
    ['GET', '/users/Me/', 0], // non-strict trailing slash: both sides
    ['HEAD', '/users/me', 0], // HEAD served by the GET route
    ['GET', '/users/%6De', 1], // percent-encoded: Express matches raw text, so :id (id "me")
    ['GET', '/users/m%65', 1],
    ['GET', '/users//me', 'no-route'],
    ['DELETE', '/users/me', 1], // /users/me has no DELETE: the general rule
    ['GET', '/files/report-1.json', 2],
    ['GET', '/files/REPORT-1.JSON', 2],
    ['GET', '/files/report-.json', 4], // report-:id needs a non-empty id
    ['GET', '/files/report-a.b.json', 2],
    ['GET', '/files/report-1.json/x', 4],
    ['GET', '/typed/x.y.z', 3],
    ['GET', '/files/x', 4],
    ['GET', '/k/K', 5],
    ['GET', '/opt', 7],
    ['GET', '/opt/', 7],
    ['GET', '/opt/1', 7],
    ['GET', '/opt/1/2', 8],
  ] as const)('%s %s → rule %s in the table and in Express', async (method, path, expected) => {
    expect(pick(table, method, path)).toBe(expected);
    const needs = typeof expected === 'number' ? [...rules[expected]!.scopes!] : ['me.read'];
    const got = await send(port, method, path, needs);
    if (typeof expected === 'number') expect([got.status, got.ran, got.checked]).toEqual([200, expected, rules[expected]!.path]);
    else expect(got.ran).toBeNull();
  });

  test('non-ASCII folding as the RegExp i flag (no u): KELVIN SIGN and long s never meet k and s', () => {
    const t = compileRoutes([
      { method: 'GET', path: '/k/k', scopes: ['a'] },
      { method: 'GET', path: '/k/:x', scopes: ['b'] },
      { method: 'GET', path: '/s/s', scopes: ['a'] },
      { method: 'GET', path: '/s/:x', scopes: ['b'] },
      { method: 'GET', path: '/u/\u00b5', scopes: ['a'] },
      { method: 'GET', path: '/u/:x', scopes: ['b'] },
    ]);
    const re = (text: string) => new RegExp(`^${text}$`, 'i');
    expect([re('k').test('\u212a'), re('s').test('\u017f'), re('\u00b5').test('\u039c')]).toEqual([false, false, true]);
    expect([pick(t, 'GET', '/k/\u212a'), pick(t, 'GET', '/s/\u017f'), pick(t, 'GET', '/s/S'), pick(t, 'GET', '/u/\u039c'), pick(t, 'GET', '/u/\u03bc')]).toEqual([1, 3, 2, 4, 4]);
  });

  test('general before specific is refused, in every shape tried', () => {
    const refused = (a: string, b: string, options = {}) => {
      try {
        compileRoutes([{ method: 'GET', path: a, scopes: ['a'] }, { method: 'GET', path: b, scopes: ['b'] }], options);
        return false;
      } catch (err) {
        return (err as { code?: string }).code === 'ERR_AMBIGUOUS_ROUTES';
      }
    };
    expect(refused('/users/:id', '/users/me')).toBe(true);
    expect(refused('/users/:id', '/users/ME')).toBe(true);
    expect(refused('/files/*rest', '/files/:a.:b')).toBe(true);
    expect(refused('/opt{/:x}', '/opt')).toBe(true);
    expect(refused('/x/:a-:b', '/x/1-2')).toBe(true);
    expect(refused('/users/:id', '/users/me', { caseSensitive: true })).toBe(true);
    // Not contained: a partial overlap stays refused.
    expect(refused('/a/:x/c', '/a/b/:y')).toBe(true);
    // Without strict routing /users/me/ is read as /users/me, as Express reads it: specific first, allowed.
    expect(refused('/users/me/', '/users/:id')).toBe(false);
    expect(refused('/users/:id', '/users/me/')).toBe(true);
  });

  test('HEAD: a HEAD-only rule before a GET rule, and a GET rule before a HEAD rule', async () => {
    const r: RouteRule[] = [
      { method: 'HEAD', path: '/h/me', scopes: ['head.me'] },
      { method: 'GET', path: '/h/:id', scopes: ['get.id'] },
    ];
    const t = compileRoutes(r);
    const p = await serve(r, t);
    const head = await send(p, 'HEAD', '/h/me', ['head.me']);
    expect([head.status, head.ran]).toEqual([200, 0]);
    expect((await send(p, 'HEAD', '/h/me', ['get.id'])).status).toBe(403);
    const get = await send(p, 'GET', '/h/me', ['get.id']);
    expect([get.status, get.ran]).toEqual([200, 1]);
  });

  test('bindings: a contained earlier rule without the binding answers its own paths only', async () => {
    const r: RouteRule[] = [
      { method: 'GET', path: '/t/:tenant/me', scopes: ['me'] },
      { method: 'GET', path: '/t/:tenant/:id', scopes: ['me'], bind: { tenant: 'tid' } },
    ];
    const t = compileRoutes(r);
    const p = await serve(r, t);
    // Another tenant's token: /t/acme/x is refused, /t/acme/ME is rule #0's own (no binding, by its author's choice).
    expect((await send(p, 'GET', '/t/acme/x', ['me'], { tid: 'other' })).status).toBe(403);
    expect((await send(p, 'GET', '/t/acme/%4De', ['me'], { tid: 'other' })).status).toBe(403);
    const own = await send(p, 'GET', '/t/acme/ME', ['me'], { tid: 'other' });
    expect([own.status, own.ran]).toEqual([200, 0]);
    // Same scopes, binding on another segment: never "same", and not contained the other way: refused.
    expect(() =>
      compileRoutes([
        { method: 'GET', path: '/t/:a/:b', scopes: ['x'], bind: { b: 'tid' } },
        { method: 'GET', path: '/t/:a/me', scopes: ['x'], bind: { a: 'tid' } },
      ]),
    ).toThrow(/ERR_AMBIGUOUS_ROUTES|rule #/);
  });

  test('anyOf: a contained earlier rule with anyOf; the later rule is not reached through it', async () => {
    const r: RouteRule[] = [
      { method: 'GET', path: '/p/me', anyOf: [['a'], ['b', 'c']] },
      { method: 'GET', path: '/p/:id', scopes: ['z'] },
    ];
    const t = compileRoutes(r);
    const p = await serve(r, t);
    expect((await send(p, 'GET', '/p/me', ['b', 'c'])).ran).toBe(0);
    expect((await send(p, 'GET', '/p/me', ['z'])).status).toBe(403);
    expect((await send(p, 'GET', '/p/x', ['a'])).status).toBe(403);
  });

  // Router 2.x "loosens" a non-strict route path: trailing slashes are stripped before
  // path-to-regexp compiles it (router/lib/layer.js, loosen()), so Express's `/admin/` route
  // serves /admin and /admin/, not /admin//. The table matched `/admin/` as written, plus one
  // optional slash: /admin/ and /admin//, never /admin — so with a contained specific rule ending
  // in `/` before a general rule, GET /admin was decided by the general rule while Express ran the
  // specific rule's handler (each of these failed before the fix: the table now reads the rule as
  // Express does).
  test('non-strict trailing slash: `GET /admin/` [admin] before `GET /*rest` [public]: GET /admin is checked against the admin rule', async () => {
    const r: RouteRule[] = [
      { method: 'GET', path: '/admin/', scopes: ['admin'] },
      { method: 'GET', path: '/*rest', public: true },
    ];
    const t = compileRoutes(r); // compiles: /admin/ is "contained" in /*rest
    const p = await serve(r, t);
    const got = await send(p, 'GET', '/admin', null);
    // What happens: 200, Express ran rule #0 (admin), the gate checked rule #1 (public).
    expect({ ran: got.ran, checked: got.checked }).not.toEqual({ ran: 0, checked: '/*rest' });
    expect(got.status === 200 && got.ran === 0).toBe(false);
  });

  test('non-strict trailing slash with a param: `GET /t/:id/` [admin] before `GET /t/*rest` [public]: GET /t/1 is checked against the admin rule', async () => {
    const r: RouteRule[] = [
      { method: 'GET', path: '/t/:id/', scopes: ['admin'] },
      { method: 'GET', path: '/t/*rest', public: true },
    ];
    const t = compileRoutes(r);
    const p = await serve(r, t);
    const got = await send(p, 'GET', '/t/1', null);
    expect(got.status === 200 && got.ran === 0).toBe(false);
  });

  test('the same under Express 4 (path-to-regexp 0.1 makes `/admin/` match /admin)', async () => {
    const r: RouteRule[] = [
      { method: 'GET', path: '/admin/', scopes: ['admin'] },
      { method: 'GET', path: '/*rest', public: true },
    ];
    const t = compileRoutes(r);
    const app = express4();
    app.use(scopeGate({ routes: t, verifier: GATE_VERIFIER }));
    app.get('/admin/', (req, res) => void res.set('x-ran', '0').set('x-checked', req.auth?.rule?.path ?? '-').end());
    app.get('/*', (req, res) => void res.set('x-ran', '1').set('x-checked', req.auth?.rule?.path ?? '-').end());
    const server = http.createServer(app);
    servers.push(server);
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const got = await send((server.address() as AddressInfo).port, 'GET', '/admin', null);
    expect(got.status === 200 && got.ran === 0).toBe(false);
  });

  test('a lone `/admin/` rule matches GET /admin, as Express routes it: checked even with unmatched "next"', async () => {
    const r: RouteRule[] = [{ method: 'GET', path: '/admin/', scopes: ['admin'] }];
    const t = compileRoutes(r);
    expect(pick(t, 'GET', '/admin')).not.toBe('no-route'); // Express serves it with the /admin/ route
    const p = await serve(r, t, false, 'next');
    const got = await send(p, 'GET', '/admin', null);
    expect(got.status).toBe(401);
    expect(got.ran).not.toBe(0);
  });
});

// ---- (2) readAllScope opt-in --------------------------------------------------------------------

describe('readAllScope: opt-in everywhere but dynamicTable, and never a write', () => {
  const rules: RouteRule[] = [
    { method: 'GET', path: '/r/:id', scopes: ['r'] },
    { method: ['PUT', 'POST', 'DELETE', 'PATCH', 'QUERY'], path: '/r/:id', scopes: ['w'] },
  ];

  test('compileRoutes, scopeGate rules, OpenAPI import: all.read grants nothing by default', async () => {
    expect(compileRoutes(rules).options.readAllScope).toBeNull();
    expect(checkScope(compileRoutes(rules), { method: 'GET', path: '/r/1' }, ['all.read']).allowed).toBe(false);
    const app = express();
    app.use(scopeGate({ routes: rules, verifier: GATE_VERIFIER }));
    app.get('/r/:id', noop);
    const server = http.createServer(app);
    servers.push(server);
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    expect((await send((server.address() as AddressInfo).port, 'GET', '/r/1', ['all.read'])).status).toBe(403);
    const { rules: imported } = routesFromOpenApi({
      openapi: '3.0.0',
      info: { title: 't', version: '1' },
      components: { securitySchemes: { o: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://x/t', scopes: { r: '' } } } } } },
      paths: { '/r/{id}': { get: { security: [{ o: ['r'] }], responses: {} } } },
    } as never);
    expect(checkScope(compileRoutes(imported), { method: 'GET', path: '/r/1' }, ['all.read']).allowed).toBe(false);
    // auditApp compiles an array of rules the same way.
    expect(auditApp(app, rules).ok).toBe(false); // the PUT… route is not served: methods differ, nothing about all.read
  });

  test('opted in: GET and HEAD only, whatever the spelling of the method; bindings still apply', () => {
    const t = compileRoutes([...rules, { method: 'GET', path: '/b/:t', scopes: ['r'], bind: { t: 'tid' } }], { readAllScope: 'all.read' });
    for (const m of ['GET', 'get', 'HEAD', 'head']) expect(checkScope(t, { method: m, path: '/r/1' }, ['all.read']).allowed).toBe(true);
    for (const m of ['PUT', 'post', 'DELETE', 'PATCH', 'QUERY', 'OPTIONS', 'GET ', 'G\u0130T']) expect(checkScope(t, { method: m, path: '/r/1' }, ['all.read']).allowed).toBe(false);
    expect(checkScope(t, { method: 'GET', path: '/b/x' }, ['all.read'], { tid: 'y' }).allowed).toBe(false);
    expect(dynamicTable.options.readAllScope).toBe('all.read');
    expect(checkScope(dynamicTable, { method: 'DELETE', path: '/environments/e1/users/u1' }, ['all.read'], { environment_id: 'e1' }).allowed).toBe(false);
  });
});

// ---- (3) auditApp: apps with the bypass must not be ok ---------------------------------------

describe('auditApp: an app that registers the general route first is never ok', () => {
  const table = compileRoutes([
    { method: 'GET', path: '/users/me', scopes: ['me.read'] },
    { method: 'GET', path: '/users/:id', scopes: ['users.read'] },
  ]);

  test.each<[string, () => { router?: unknown }]>([
    ['Express 5, mounted router registered first', () => {
      const app = express();
      const r = express.Router();
      r.get('/:id', noop);
      app.use('/users', r);
      app.get('/users/me', noop);
      return app;
    }],
    ['Express 5, app.all first', () => {
      const app = express();
      app.all('/users/:id', noop);
      app.get('/users/me', noop);
      return app;
    }],
    ['Express 5, router.route first', () => {
      const app = express();
      const r = express.Router();
      r.route('/users/:id').get(noop);
      r.route('/users/me').get(noop);
      app.use(r);
      return app;
    }],
    ['Express 4, mounted router registered first', () => {
      const app = express4();
      const r = express4.Router();
      r.get('/:id', noop);
      app.use('/users', r);
      app.get('/users/me', noop);
      return app as never;
    }],
    ['Express 4, `*` first', () => {
      const app = express4();
      app.get('/users/*', noop);
      app.get('/users/me', noop);
      app.get('/users/:id', noop);
      return app as never;
    }],
    ['Express 4, app.all first', () => {
      const app = express4();
      app.all('/users/:id', noop);
      app.get('/users/me', noop);
      return app as never;
    }],
    ['Express 4, mounted at a param path', () => {
      const app = express4();
      const r = express4.Router();
      r.get('/:id', noop);
      app.use('/:coll', r);
      app.get('/users/me', noop);
      app.get('/users/:id', noop);
      return app as never;
    }],
  ])('%s: an order error', (_name, make) => {
    const report = auditApp(make() as never, table);
    expect(report.ok).toBe(false);
    expect(report.order.length).toBeGreaterThan(0);
  });

  test('the table order: ok', () => {
    const app = express();
    app.get('/users/me', noop);
    app.get('/users/:id', noop);
    expect(auditApp(app, table).ok).toBe(true);
  });

  // HEAD: Express runs the first route with a HEAD handler, or a GET handler when it has no HEAD
  // one. The audit replays each rule's methods (GET) and each route's declared ones on their own
  // samples, never HEAD on the specific rule's sample: an explicit HEAD route of the general
  // path registered first goes unnoticed.
  test('Express 5, `app.head("/users/:id")` before `/users/me`: HEAD /users/me runs the :id HEAD handler under rule #0: an order error', async () => {
    const app = express();
    app.use(scopeGate({ routes: table, verifier: GATE_VERIFIER }));
    app.head('/users/:id', (req, res) => void res.set('x-ran', '1').set('x-checked', req.auth?.rule?.path ?? '-').end());
    app.get('/users/me', (req, res) => void res.set('x-ran', '0').set('x-checked', req.auth?.rule?.path ?? '-').end());
    app.get('/users/:id', (req, res) => void res.set('x-ran', '1').set('x-checked', req.auth?.rule?.path ?? '-').end());
    const server = http.createServer(app);
    servers.push(server);
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    // The bypass is real: a me.read token gets the users.read route's HEAD handler for /users/me.
    const got = await send((server.address() as AddressInfo).port, 'HEAD', '/users/me', ['me.read']);
    expect([got.status, got.ran, got.checked]).toEqual([200, 1, '/users/me']);
    const report = auditApp(app, table);
    expect(report.ok).toBe(false);
  });

  test('Express 5, a trailing-slash route: `/admin/` [admin] before `/*rest` [public]: the table and the app agree, so the audit is ok', () => {
    const t = compileRoutes([
      { method: 'GET', path: '/admin/', scopes: ['admin'] },
      { method: 'GET', path: '/*rest', public: true },
    ]);
    expect(t.lookup('GET', '/admin')).toMatchObject({ kind: 'match', rule: { index: 0 } }); // as Express runs /admin/
    const app = express();
    app.get('/admin/', noop);
    app.get('/*rest', noop);
    expect(auditApp(app, t).ok).toBe(true);
    const reversed = express();
    reversed.get('/*rest', noop);
    reversed.get('/admin/', noop);
    expect(auditApp(reversed, t).ok).toBe(false);
  });

  test('Express 5, a RegExp route registered first is skipped, and the report is not ok', () => {
    const app = express();
    app.get(/^\/users\/[^/]+$/, noop); // runs for /users/me: the gate checks rule #0 (me.read)
    app.get('/users/me', noop);
    app.get('/users/:id', noop);
    const report = auditApp(app, table);
    expect(report.skipped.length).toBe(1);
    expect(report.ok).toBe(false);
  });

  test('Express 4, an inline-regexp route with no sample registered first: skipped, and not ok', () => {
    const t = compileRoutes([
      { method: 'GET', path: '/orgs/:org/me', scopes: ['me.read'] },
      { method: 'GET', path: '/orgs/:org/:id', scopes: ['users.read'] },
    ]);
    const app = express4();
    app.get('/orgs/:org([a-z]+)/:id', noop); // GET /orgs/acme/me runs this, under rule #0
    app.get('/orgs/:org/me', noop);
    app.get('/orgs/:org/:id', noop);
    const report = auditApp(app as never, t);
    expect(report.skipped.length).toBe(1);
    expect(report.ok).toBe(false);
  });
});

describe('OpenAPI import: concrete paths first, the app audited against it', () => {
  const doc = {
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    components: { securitySchemes: { o: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://x/t', scopes: { 'users.read': '', 'me.read': '' } } } } } },
    paths: {
      '/users/{id}': { get: { security: [{ o: ['users.read'] }], responses: {} } },
      '/users/{id}.json': { get: { security: [{ o: ['users.read'] }], responses: {} } },
      '/users/me': { get: { security: [{ o: ['me.read'] }], responses: {} }, post: { security: [{ o: ['me.read'] }], responses: {} } },
      '/Users/ME': { put: { security: [{ o: ['me.read'] }], responses: {} } },
    },
  };

  test('the concrete path moves before the templated one it instantiates; an app in document order is an order error', () => {
    const { rules } = routesFromOpenApi(doc as never);
    expect(rules.map((r) => `${[r.method].flat().join()} ${r.path}`)).toEqual(['GET /users/:id.json', 'GET /users/me', 'POST /users/me', 'GET /users/:id', 'PUT /Users/ME']);
    const table = compileRoutes(rules);
    expect([pick(table, 'GET', '/users/me'), pick(table, 'POST', '/users/me'), pick(table, 'PUT', '/users/me'), pick(table, 'DELETE', '/users/me')]).toEqual([1, 2, 4, 'no-route']);
    // An app generated in document order runs /users/:id for GET /users/me: auditApp says so.
    const app = express();
    app.get('/users/:id', noop);
    app.get('/users/:id.json', noop);
    app.route('/users/me').get(noop).post(noop);
    app.put('/Users/ME', noop);
    const report = auditApp(app, table);
    expect(report.ok).toBe(false);
    expect(report.order.map((o) => `${o.method} ${o.path} ${o.runs.path}`)).toEqual(expect.arrayContaining(['GET /users/me /users/:id']));
  });
});

describe('auditApp: Express 4 `*` with an empty rest, decided by another rule', () => {
  test('GET /files/ runs the `/files/*` route while the gate checks `/:x`: an order error', () => {
    const t = compileRoutes([
      { method: 'GET', path: '/files/*rest', scopes: ['files'] },
      { method: 'GET', path: '/:x', public: true },
    ]);
    const app = express4();
    app.get('/files/*', noop);
    app.get('/:x', noop);
    const report = auditApp(app as never, t);
    expect(report.ok).toBe(false);
    expect(report.order.map((o) => `${o.method} ${o.path} ${o.runs.path}`)).toContain('GET /files/ /files/*');
  });
});

// ---- (4) authorize's unmatched ----------------------------------------------------------------

describe("authorize: unmatched 'next' / 'allow' pass, any other value denies", () => {
  const table = compileRoutes([{ method: 'GET', path: '/known', scopes: ['k'] }]);
  const verifier: Verifier = { verify: () => Promise.reject(Object.assign(new Error('no'), { status: 401 })) } as unknown as Verifier;

  test.each<[string, unknown, boolean]>([
    ['next', 'next', true],
    ['allow (deprecated)', 'allow', true],
    ['deny', 'deny', false],
    ['undefined', undefined, false],
    ['NEXT', 'NEXT', false],
    ['true', true, false],
    ['String object', new String('next'), false],
    ['array', ['next'], false],
    ['object with toString', { toString: () => 'next' }, false],
    ['next with a space', 'next ', false],
  ])('%s', async (_name, unmatched, passes) => {
    let result: unknown;
    try {
      result = await authorize(verifier, table, { method: 'GET', path: '/unknown' }, { unmatched } as never);
    } catch {
      result = 'refused';
    }
    if (passes) expect(result).toMatchObject({ rule: null, decision: null, token: null });
    else expect(result).toBe('refused');
  });

  test("scopeGate refuses any unmatched other than 'deny' and 'next' (also the deprecated 'allow')", () => {
    for (const u of ['allow', 'NEXT', true, 'next ']) expect(() => scopeGate({ routes: table, verifier: GATE_VERIFIER, unmatched: u as never })).toThrow(/unmatched/);
  });
});

// ---- (5) Express 4: req.path under mounts, req.auth ------------------------------------------

describe('scopeGate on Express 4: mounts and req.auth', () => {
  const rules: RouteRule[] = [
    { method: 'GET', path: '/users/me', scopes: ['me.read'] },
    { method: 'GET', path: '/users/:id', scopes: ['users.read'] },
  ];

  test('gate inside a router mounted at /api: relative req.path; absolute-form and dot-mount targets', async () => {
    const app = express4();
    const r = express4.Router();
    r.use(scopeGate({ routes: rules, verifier: GATE_VERIFIER }));
    r.get('/users/me', (req, res) => void res.set('x-ran', '0').set('x-checked', (req as unknown as expressType.Request).auth?.rule?.path ?? '-').end());
    r.get('/users/:id', (req, res) => void res.set('x-ran', '1').set('x-checked', (req as unknown as expressType.Request).auth?.rule?.path ?? '-').end());
    app.use('/api', r);
    const server = http.createServer(app);
    servers.push(server);
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as AddressInfo).port;
    const me = await send(port, 'GET', '/api/users/me', ['me.read']);
    expect([me.status, me.ran, me.checked]).toEqual([200, 0, '/users/me']);
    expect((await send(port, 'GET', '/api/users/me', ['users.read'])).status).toBe(403);
    expect((await send(port, 'GET', '/API/users/ME', ['users.read'])).status).toBe(403);
    const abs = await send(port, 'GET', 'http://x/api/users/me', ['users.read']);
    expect(abs.ran === 0 && abs.status === 200).toBe(false);
    const id = await send(port, 'GET', 'http://x/api/users/1', ['users.read']);
    expect([id.status, id.ran, id.checked]).toEqual([200, 1, '/users/:id']);
  });

  test('req.auth on Express 4 cannot be pre-set by an earlier middleware when the gate refuses in report mode', async () => {
    const app = express4();
    app.use((req, _res, next) => {
      (req as unknown as { auth: unknown }).auth = { rule: { path: '/forged' }, scopes: new Set(['users.read']) };
      next();
    });
    app.use(scopeGate({ routes: rules, verifier: GATE_VERIFIER, mode: 'report' }));
    app.get('/users/:id', (req, res) => void res.set('x-ran', '1').set('x-checked', String((req as unknown as expressType.Request).auth?.rule?.path ?? '-')).end());
    const server = http.createServer(app);
    servers.push(server);
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const got = await send((server.address() as AddressInfo).port, 'GET', '/users/1', ['me.read']);
    expect([got.status, got.ran, got.checked]).toEqual([200, 1, '-']);
  });
});
