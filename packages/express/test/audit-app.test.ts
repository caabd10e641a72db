import express from 'express';
import { compileRoutes } from '@scopegate/core';
import { dynamicRoutes, dynamicTable } from '@scopegate/dynamic';
import { auditApp, samplePath } from '@scopegate/express';

const noop: express.RequestHandler = (_req, res) => void res.end();

test('an app serving exactly the Dynamic table: no gaps', () => {
  const app = express();
  for (const r of dynamicRoutes) (app as unknown as Record<string, (p: string, h: express.RequestHandler) => void>)[r.method.toLowerCase()]!(r.path, noop);
  const report = auditApp(app, dynamicTable);
  expect(report.routes).toHaveLength(132);
  expect(report.ok).toBe(true);
  // Every route covered; the 96 under /environments/:environmentId bound to environment_id, the rest not.
  expect(report.covered).toHaveLength(132);
  const bound = report.covered.filter((c) => c.bindings.length);
  expect(bound.map((c) => c.path)).toEqual(dynamicRoutes.map((r) => r.path).filter((p) => p.includes(':environmentId')));
  expect(bound.every((c) => c.bindings.length === 1 && c.bindings[0]!.param === 'environmentId' && c.bindings[0]!.claim === 'environment_id' && c.bindings[0]!.appParam === 'environmentId')).toBe(true);
  expect(report.covered.find((c) => c.path === '/user/tokens')!.bindings).toEqual([]);
  const lines = report.toString().split('\n');
  expect(lines[0]).toBe('App audit: 132 route(s) found, no gaps');
  expect(lines.slice(1).every((l) => l.startsWith('  bound      '))).toBe(true);
  expect(lines).toHaveLength(1 + 96);
  expect(lines).toContain('  bound      GET /environments/:environmentId/users (rule #33): :environmentId = claim environment_id');
  expect(report.toString()).not.toContain('/user/tokens');
});

test("bindings of covered routes: the app's own param names, fixed text, several bindings, methods", () => {
  const table = compileRoutes(
    [
      { method: 'GET', path: '/tenants/:tenantId/users/:userId', scopes: ['users.read'], bind: { userId: 'sub' } },
      { method: ['GET', 'PUT'], path: '/tenants/:tenantId/settings', scopes: ['settings'] },
      { method: 'GET', path: '/health', public: true },
    ],
    { bind: { tenantId: 'tid' } },
  );
  const app = express();
  app.get('/tenants/:t/users/:u', noop); // other names: the rule's params still bind these places
  app.route('/tenants/:tenantId/settings').get(noop).put(noop);
  app.get('/tenants/acme/settings', noop); // fixed text where the rule has :tenantId
  app.get('/health', noop);

  const report = auditApp(app, table);
  expect(report.ok).toBe(true);
  expect(report.covered.map((c) => [c.method, c.path, c.rule.index, c.bindings])).toEqual([
    ['GET', '/tenants/:t/users/:u', 0, [{ param: 'tenantId', claim: 'tid', appParam: 't' }, { param: 'userId', claim: 'sub', appParam: 'u' }]],
    ['GET', '/tenants/:tenantId/settings', 1, [{ param: 'tenantId', claim: 'tid', appParam: 'tenantId' }]],
    ['PUT', '/tenants/:tenantId/settings', 1, [{ param: 'tenantId', claim: 'tid', appParam: 'tenantId' }]],
    ['GET', '/tenants/acme/settings', 1, [{ param: 'tenantId', claim: 'tid', appParam: null }]],
    ['GET', '/health', 2, []],
  ]);
  expect(report.toString()).toBe(
    [
      'App audit: 4 route(s) found, no gaps',
      "  bound      GET /tenants/:t/users/:u (rule #0): :tenantId = claim tid (the app's :t), :userId = claim sub (the app's :u)",
      '  bound      GET /tenants/:tenantId/settings (rule #1): :tenantId = claim tid',
      '  bound      PUT /tenants/:tenantId/settings (rule #1): :tenantId = claim tid',
      "  bound      GET /tenants/acme/settings (rule #1): :tenantId = claim tid (fixed text in the app's path)",
    ].join('\n'),
  );
});

test('planted gaps are found: uncovered route, stale rule, method mismatch, settings', () => {
  const table = compileRoutes([
    { method: 'GET', path: '/users/:id', scopes: ['users.read'] },
    { method: 'PUT', path: '/users/:id', scopes: ['users.write'] },
    { method: 'GET', path: '/old/report', scopes: ['reports.read'] },
    { method: 'GET', path: '/api/items/:itemId', scopes: ['items.read'] },
  ]);
  const app = express();
  app.set('strict routing', true);
  app.get('/users/:userId', noop); // covered (other param name)
  app.patch('/users/:userId', noop); // PATCH: table has only PUT
  app.delete('/admin/users/:id', noop); // no rule
  const api = express.Router();
  api.get('/items/:id', noop); // covered through the /api prefix
  api.post('/items', noop); // no rule
  app.use('/api', api);
  app.use('/legacy', express()); // a sub-app: skipped
  app.get(/^\/regex\/(\d+)$/, noop); // a RegExp path: skipped

  const report = auditApp(app, table);
  expect(report.ok).toBe(false);
  expect(report.routes.map((r) => `${r.methods.join(',')} ${r.path}`)).toEqual([
    'GET /users/:userId',
    'PATCH /users/:userId',
    'DELETE /admin/users/:id',
    'GET /api/items/:id',
    'POST /api/items',
  ]);
  expect(report.uncovered).toEqual([
    { path: '/users/:userId', method: 'PATCH', exposed: false },
    { path: '/admin/users/:id', method: 'DELETE', exposed: false },
    { path: '/api/items', method: 'POST', exposed: false },
  ]);
  expect(report.methodMismatch).toEqual([{ path: '/users/:userId', appMethods: ['GET', 'PATCH'], tableMethods: ['GET', 'PUT'] }]);
  // PUT /users/:id: the app has no PUT there (it has PATCH).
  expect(report.stale.map((r) => `${r.methods.join(',')} ${r.path}`)).toEqual(['PUT /users/:id', 'GET /old/report']);
  expect(report.settings).toEqual(['app "strict routing" is true, table strict is false']);
  expect(report.skipped.map((s) => s.reason)).toEqual(['mounted Express sub-app (not walked: audit it on its own)', 'RegExp route path']);
  const text = report.toString();
  expect(text).toContain('uncovered  DELETE /admin/users/:id (denied by the gate)');
  expect(text).toContain('stale      rule #2 GET /old/report matches no route of the app');
  expect(auditApp(app, table, { unmatched: 'next' }).uncovered[0]!.exposed).toBe(true);
});

test('app.all counts as every method', () => {
  const app = express();
  app.all('/x', noop);
  const report = auditApp(app, [{ method: 'GET', path: '/x', scopes: [] }]);
  expect(report.routes).toEqual([{ path: '/x', methods: ['*'] }]);
  expect(report.uncovered.map((u) => u.method)).toEqual(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
});

test.each([
  ['/users/:id', '/users/sample-1'],
  ['/docs{/:page}', '/docs/sample-1'],
  ['/files/*path', '/files/sample-1'],
  ['/(', null],
])('samplePath(%j) = %j', (pattern, sample) => {
  expect(samplePath(pattern)).toBe(sample);
});

test('order: a specific rule first in the table, the general route first in the app, is an error naming both routes', () => {
  // Compiles once core lets a specific rule precede a general one containing it (first rule wins).
  const table = compileRoutes([
    { method: 'GET', path: '/users/me', scopes: ['me.read'] },
    { method: ['GET', 'PUT'], path: '/users/:id', scopes: ['users.write'] },
  ]);
  const inOrder = express();
  inOrder.get('/users/me', noop);
  inOrder.route('/users/:id').get(noop).put(noop);
  expect(auditApp(inOrder, table).order).toEqual([]);
  expect(auditApp(inOrder, table).ok).toBe(true);

  const reversed = express();
  reversed.route('/users/:id').get(noop).put(noop);
  reversed.get('/users/me', noop);
  const report = auditApp(reversed, table);
  expect(report.ok).toBe(false);
  expect(report.order.map((o) => [o.method, o.path, o.rule.index, o.runs.path, o.runsRule?.index, o.shadowed.map((r) => r.path)])).toEqual([['GET', '/users/me', 0, '/users/:id', 1, ['/users/me']]]);
  expect(report.toString()).toContain(
    '  order      GET /users/me: the gate checks rule #0 /users/me (me.read), but Express runs /users/:id (rule #1: users.write), registered before /users/me: register that route first',
  );
  // PUT /users/me is rule #1's in the table and the :id route's in the app: in order.
  expect(report.order.some((o) => o.method === 'PUT')).toBe(false);
});
