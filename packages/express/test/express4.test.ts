/**
 * Express 4 (the `express4` dev dependency alias): the gate in front of Express 4 apps, the
 * differential property over real sockets (gated Express 4 app vs its ungated Express 4 twin),
 * the measurement of which patterns Express 4 routes as the gate does, `auditApp` reading
 * Express 4 routers (and the `order` finding, in both Express versions), and the Express 5
 * spelling named by `ERR_INVALID_PATTERN` for Express 4 syntax.
 *
 * Bounded for CI; EXPRESS4_RUNS=<requests> runs a longer differential campaign, and
 * EXPRESS4_MEASURE=<patterns per feature and options> a larger measurement, printing the table.
 */
import type expressType from 'express';
import fc from 'fast-check';
import { parse } from 'path-to-regexp';
import request from 'supertest';
import { compileRoutes, RouteConfigError, ScopeGateError, type RouteRule } from '@scopegate/core';
import { auditApp, scopeGate, type ScopeGateOptions } from '@scopegate/express';
import { checkOne, CLAIMS, closeAgent, expectSound, GATE_VERIFIER, makeCompilable, newTally, requestArb, SCOPES, send, subsets, tokenWith, type Tally } from './support/differential';
import { express4, EXPRESS4_VERSION, FEATURES, measure, requestSources, startPair4, table4Arb, toExpress4, type Measurement, type WildcardSpelling } from './support/express4';

const TOTAL = Number(process.env.EXPRESS4_RUNS ?? 2000);
const PER_TABLE = 50;
const SEED = process.env.FUZZ_SEED === undefined ? 20261123 : Number(process.env.FUZZ_SEED);
const RANDOM_SETS = subsets([...SCOPES, 'all.read']);
const noop: expressType.RequestHandler = (_req, res) => void res.end();
afterAll(() => closeAgent());

test('the alias is Express 4', () => {
  expect(EXPRESS4_VERSION).toMatch(/^4\.(2[1-9]|[3-9]\d)\./);
  expect(toExpress4('/a/:p0{/:o1}/*w2')).toBe('/a/:p0/:o1?/:w2(.+)');
  expect(toExpress4('/a/*w0', 'star')).toBe('/a/*');
});

// ---- the gate on an Express 4 app ------------------------------------------------------------

describe(`scopeGate on an Express ${EXPRESS4_VERSION} app`, () => {
  const rules: RouteRule[] = [
    { method: 'GET', path: '/users/me', scopes: ['me.read'] },
    { method: 'GET', path: '/users/:id', scopes: ['users.read'] },
    { method: 'GET', path: '/t/:tenant/files/*path', scopes: ['files.read'], bind: { tenant: 'tid' } },
    { method: 'GET', path: '/health', public: true },
  ];
  const bearer = (scopes: string[], claims: Record<string, unknown> = {}) => `Bearer ${tokenWith(scopes, claims)}`;

  function app4(options: Partial<ScopeGateOptions> = {}, mount = ''): expressType.Express {
    const app = express4();
    const gate = scopeGate({ routes: rules, verifier: GATE_VERIFIER, ...options });
    if (mount) app.use(mount, gate);
    else app.use(gate);
    const handler =
      (route: string): expressType.RequestHandler =>
      (req, res) => {
        const auth = req.auth && { token: req.auth.token, claims: req.auth.claims, scopes: [...req.auth.scopes], rule: req.auth.rule && req.auth.rule.path, params: req.auth.params };
        res.json({ route, path: req.path, params: req.params, auth });
      };
    // The specific route first, as in the table.
    app.get(`${mount}/users/me`, handler('me'));
    app.get(`${mount}/users/:id`, handler('id'));
    app.get(`${mount}${toExpress4('/t/:tenant/files/*path')}`, handler('files'));
    app.get(`${mount}/health`, handler('health'));
    app.get(`${mount}/other`, handler('other'));
    return app;
  }

  test('allowed: the handler runs with req.auth (token, claims, scopes, rule, params) and req.path', async () => {
    const res = await request(app4()).get('/users/me').set('Authorization', bearer(['me.read']));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ route: 'me', path: '/users/me', auth: { claims: { sub: 'user-1' }, scopes: ['me.read'], rule: '/users/me', params: {} } });
    expect(res.body.auth.token).toBe(bearer(['me.read']).slice(7));
    const id = await request(app4()).get('/users/u%2042').set('Authorization', bearer(['users.read']));
    expect([id.status, id.body.route, id.body.params, id.body.auth.params]).toEqual([200, 'id', { id: 'u 42' }, { id: 'u 42' }]);
  });

  test('/users/me before /users/:id: first rule wins in the gate, first route in Express 4', async () => {
    // users.read does not reach /users/me (rule #0 wants me.read), me.read does not reach /users/1.
    const me = await request(app4()).get('/users/me').set('Authorization', bearer(['users.read']));
    expect([me.status, me.body]).toEqual([403, { error: 'Access Forbidden' }]);
    expect(me.headers['www-authenticate']).toBe('Bearer realm="api", error="insufficient_scope", scope="me.read"');
    expect((await request(app4()).get('/users/1').set('Authorization', bearer(['me.read']))).status).toBe(403);
  });

  test('a wildcard with a bound param: Express 4 gives the rest as one string, the gate as segments', async () => {
    const ok = await request(app4()).get('/t/acme/files/a/b%20c').set('Authorization', bearer(['files.read'], { tid: 'acme' }));
    expect([ok.status, ok.body.params, ok.body.auth.params]).toEqual([200, { tenant: 'acme', path: 'a/b c' }, { tenant: 'acme', path: ['a', 'b c'] }]);
    const other = await request(app4()).get('/t/other/files/a').set('Authorization', bearer(['files.read'], { tid: 'acme' }));
    expect([other.status, other.body]).toEqual([403, { error: 'Access Forbidden' }]);
  });

  test('error answers: 401 without a token, 400 for a malformed param, 403 for no rule; public rules pass', async () => {
    const missing = await request(app4()).get('/users/1');
    expect([missing.status, missing.headers['www-authenticate']]).toEqual([401, 'Bearer realm="api"']);
    const bad = await request(app4()).get('/users/%E0%A4').set('Authorization', bearer(['users.read']));
    expect(bad.status).toBe(400);
    const none = await request(app4()).get('/other').set('Authorization', bearer(['users.read']));
    expect([none.status, none.body]).toEqual([403, { error: 'Access Forbidden' }]);
    const passed = await request(app4({ unmatched: 'next' })).get('/other');
    expect([passed.status, passed.body.route, passed.body.auth.rule]).toEqual([200, 'other', null]);
    const health = await request(app4()).get('/health');
    expect([health.status, health.body.auth]).toEqual([200, { token: null, claims: null, scopes: [], rule: '/health', params: {} }]);
  });

  test("errors: 'next' hands the ScopeGateError to Express 4's error handler", async () => {
    const app = app4({ errors: 'next' });
    const seen: unknown[] = [];
    app.use((err: ScopeGateError, _req: expressType.Request, res: expressType.Response, _next: expressType.NextFunction) => {
      seen.push(err);
      res.status(err.status).set(err.headers).json({ custom: err.code });
    });
    const res = await request(app).get('/users/1').set('Authorization', bearer(['me.read']));
    expect([res.status, res.body]).toEqual([403, { custom: 'ERR_INSUFFICIENT_SCOPE' }]);
    expect(res.headers['www-authenticate']).toContain('scope="users.read"');
    expect(seen[0]).toBeInstanceOf(ScopeGateError);
  });

  test('mounted under a prefix: the gate matches req.path relative to the mount', async () => {
    const app = app4({}, '/api');
    const res = await request(app).get('/api/users/me').set('Authorization', bearer(['me.read']));
    expect([res.status, res.body.route, res.body.path]).toEqual([200, 'me', '/api/users/me']);
    expect((await request(app).get('/api/users/me').set('Authorization', bearer(['users.read']))).status).toBe(403);
    expect((await request(app).get('/api/health')).status).toBe(200);
  });

  test("mode: 'report' lets refused requests through without req.auth", async () => {
    const res = await request(app4({ mode: 'report' })).get('/users/1').set('Authorization', bearer(['me.read']));
    expect([res.status, res.body.route, res.body.auth]).toEqual([200, 'id', undefined]);
  });
});

// ---- the differential property ---------------------------------------------------------------

async function runDifferential(wildcard: WildcardSpelling, total: number, onProblem: (problems: string[], explained: boolean) => void): Promise<Tally> {
  const tally = newTally();
  const tables = Math.max(1, Math.ceil(total / PER_TABLE));
  await fc.assert(
    fc.asyncProperty(
      table4Arb.chain(({ rules, options }) => {
        const table = makeCompilable(rules, options);
        return fc.tuple(fc.constant(table), fc.constant(options), fc.array(requestArb(requestSources(table), RANDOM_SETS, CLAIMS), { minLength: PER_TABLE, maxLength: PER_TABLE }));
      }),
      async ([rules, options, requests]) => {
        const pair = await startPair4(rules, options, wildcard);
        try {
          for (const spec of requests) {
            const problems = await checkOne(pair, rules, spec, tally);
            if (!problems.length) continue;
            // Explained: the route that ran (in either app) is a bare `*` that matched an empty rest.
            const [gated, twin] = await Promise.all([send(pair.gated, spec.method, spec.target, spec.headers), send(pair.twin, spec.method, spec.target, spec.headers)]);
            const explained = wildcard === 'star' && (gated.params?.['0'] === '' || twin.params?.['0'] === '');
            onProblem(problems, explained);
            if (!explained) throw new Error(`${problems.join('; ')}\n${JSON.stringify({ rules, options, spec })}`);
          }
        } finally {
          await pair.close();
        }
      },
    ),
    { numRuns: tables, seed: SEED, endOnFailure: true },
  );
  return tally;
}

test(`Express ${EXPRESS4_VERSION}, random tables of static, :param, {/:param} and *name (written /:name(.+)): ${TOTAL} requests, no bypass, no false denial, checkScope agrees`, async () => {
  const tally = await runDifferential('regexp', TOTAL, () => undefined);
  if (process.env.EXPRESS4_RUNS) console.log(`express4 /:name(.+): ${JSON.stringify(tally)}`);
  expect(tally.requests).toBe(Math.ceil(TOTAL / PER_TABLE) * PER_TABLE);
  expectSound(tally);
}, Math.max(60_000, TOTAL * 20));

test(`Express 4's bare * for *name: every difference is an empty rest (/files/ against /files/*), ${Math.ceil(TOTAL / 2)} requests`, async () => {
  let differences = 0;
  const tally = await runDifferential('star', Math.ceil(TOTAL / 2), () => void differences++);
  if (process.env.EXPRESS4_RUNS) console.log(`express4 bare *: ${differences} request(s) with differences, ${JSON.stringify(tally)}`);
  // Measured, not assumed: the empty rest shows up (false denials, and bypasses where a later rule matches it).
  expect(differences).toBeGreaterThan(0);
  expect(tally.falseDenials).toBeGreaterThan(0);
}, Math.max(60_000, TOTAL * 20));

test("Express 4's bare * is a bypass when a later rule matches the empty rest: /files/ runs /files/*'s handler on /files's scopes", async () => {
  const rules: RouteRule[] = [
    { method: 'GET', path: '/files/*path', scopes: ['files.read'] },
    { method: 'GET', path: '/files', scopes: ['list'] },
  ];
  const token = { authorization: `Bearer ${tokenWith(['list'], {})}` };
  const star = await startPair4(rules, {}, 'star');
  const regexp = await startPair4(rules, {}, 'regexp');
  try {
    // Express 4's /files/* takes /files/ (empty rest); the gate's /files/*path does not, its /files does (trailing slash).
    const bypass = await send(star.gated, 'GET', '/files/', token);
    expect([bypass.status, bypass.rule, bypass.params]).toEqual([200, 0, { 0: '' }]);
    // Written /:path(.+), Express 4 routes /files/ to /files, as the gate does.
    const same = await send(regexp.gated, 'GET', '/files/', token);
    expect([same.status, same.rule]).toEqual([200, 1]);
    expect((await send(regexp.gated, 'GET', '/files/a/b', token)).status).toBe(403);
  } finally {
    await star.close();
    await regexp.close();
  }
});

// ---- measured: which patterns route the same ------------------------------------------------

const MEASURE = Number(process.env.EXPRESS4_MEASURE ?? 40);
const OPTIONS = [
  { caseSensitive: false, strict: false },
  { caseSensitive: false, strict: true },
  { caseSensitive: true, strict: false },
  { caseSensitive: true, strict: true },
];
const measured: Measurement[] = [];
afterAll(() => {
  if (!process.env.EXPRESS4_MEASURE) return;
  const lines = ['| pattern (rule → Express 4) | options | patterns | requests | differ |', '|---|---|---|---|---|'];
  for (const m of measured) lines.push(`| ${m.feature.replace(/\|/g, '\\|')} | ${m.caseSensitive ? 'case-sensitive' : 'case-insensitive'}, ${m.strict ? 'strict' : 'non-strict'} | ${m.patterns} | ${m.requests} | ${m.differ}${m.emptyRest ? ` (${m.emptyRest} empty rest)` : ''} |`);
  for (const m of measured) for (const [kind, examples] of m.examples) lines.push(`  ${m.feature} [${kind}]: ${examples.join(' | ')}`);
  console.log(lines.join('\n'));
});

describe.each<[keyof typeof FEATURES, 'same' | 'empty rest' | 'differs']>([
  ['base', 'same'],
  ['optional', 'same'],
  ['wildRegexp', 'same'],
  ['punctuation', 'same'],
  ['nonAscii', 'same'],
  ['wildStar', 'empty rest'],
  ['wildCapture', 'empty rest'],
  ['wildStarParam', 'differs'],
  ['mixed', 'differs'],
  ['regexpChars', 'differs'],
])('measured in-process, Express 4 route layers vs table.lookup: %s', (key, expected) => {
  test.each(OPTIONS)(`${FEATURES[key]!.name}, %j: ${expected}`, (options) => {
    const m = measure(key, options, MEASURE, 40, SEED + 16 * Object.keys(FEATURES).indexOf(key) + OPTIONS.indexOf(options));
    measured.push(m);
    expect(m.patterns).toBeGreaterThan(MEASURE / 2);
    if (expected === 'same') expect([m.differ, [...m.examples]]).toEqual([0, []]);
    else if (expected === 'empty rest') {
      expect(m.differ).toBeGreaterThan(0);
      expect(m.emptyRest).toBe(m.differ);
    } else expect(m.differ).toBeGreaterThan(0);
  });
});

// ---- auditApp reads Express 4 -----------------------------------------------------------------

describe(`auditApp on Express ${EXPRESS4_VERSION} apps`, () => {
  test('reads app._router (never the throwing app.router): routes, mounted routers, app.all, arrays; refuses what it cannot read', () => {
    const app = express4();
    app.set('strict routing', true);
    app.get('/users/:userId', noop);
    app.route('/users/:userId').put(noop);
    const tenant = express4.Router({ strict: true });
    tenant.get('/items/:id', noop);
    tenant.get('/files/*', noop);
    tenant.get('/n/:id(\\d+)', noop);
    app.use('/t/:tenant', tenant);
    app.use(express4.Router({ strict: true }).get('/health', noop));
    app.all('/any', noop);
    app.get(['/a1', '/a2/:q'], noop);
    app.use('/v.:fmt', express4.Router().get('/z', noop)); // a mount path that cannot be read back
    app.use('/sub', express4()); // a sub-app
    app.get(/^\/re$/, noop);

    const table = compileRoutes(
      [
        { method: 'GET', path: '/users/:id', scopes: ['users.read'], bind: { id: 'sub' } },
        { method: 'PUT', path: '/users/:id', scopes: ['users.write'] },
        { method: 'GET', path: '/t/:tenant/items/:id', scopes: ['items.read'], bind: { tenant: 'tid' } },
        { method: 'GET', path: '/t/:tenant/files/*path', scopes: ['files.read'] },
        { method: 'GET', path: '/t/:tenant/n/:id', scopes: ['n.read'] },
        { method: 'GET', path: '/health', public: true },
      ],
      { strict: true },
    );
    const report = auditApp(app, table);
    expect(report.routes.map((r) => `${r.methods.join(',')} ${r.path}`)).toEqual([
      'GET /users/:userId',
      'PUT /users/:userId',
      'GET /t/:tenant/items/:id',
      'GET /t/:tenant/files/*',
      'GET /t/:tenant/n/:id(\\d+)',
      'GET /health',
      '* /any',
      'GET /a1',
      'GET /a2/:q',
    ]);
    expect(report.covered.map((c) => [c.method, c.path, c.rule.index, c.bindings])).toEqual([
      ['GET', '/users/:userId', 0, [{ param: 'id', claim: 'sub', appParam: 'userId' }]],
      ['PUT', '/users/:userId', 1, []],
      ['GET', '/t/:tenant/items/:id', 2, [{ param: 'tenant', claim: 'tid', appParam: 'tenant' }]],
      ['GET', '/t/:tenant/files/*', 3, []],
      ['GET', '/t/:tenant/n/:id(\\d+)', 4, []],
      ['GET', '/health', 5, []],
    ]);
    // Express 4's * also serves an empty rest, which no rule covers.
    expect(report.uncovered.filter((u) => u.sample)).toEqual([{ path: '/t/:tenant/files/*', method: 'GET', exposed: false, sample: '/t/sample-1/files/' }]);
    expect(report.uncovered.filter((u) => !u.sample).map((u) => `${u.method} ${u.path}`)).toEqual([
      ...['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map((m) => `${m} /any`),
      'GET /a1',
      'GET /a2/:q',
    ]);
    expect(report.settings).toEqual([]);
    expect(report.stale).toEqual([]);
    expect(report.order).toEqual([]);
    expect(report.skipped).toEqual([
      { path: String(/^\/v(?:\.([^/\.]+?))\/?(?=\/|$)/i), reason: 'router mounted on an Express 4 path auditApp cannot read back from its regexp (only static text and :params can be)' },
      { path: '/sub', reason: 'mounted Express sub-app (not walked: audit it on its own)' },
      { path: '/^\\/re$/', reason: 'RegExp route path' },
    ]);
    expect(report.toString()).toContain('  uncovered  GET /t/:tenant/files/* at /t/sample-1/files/ (denied by the gate)');
  });

  test('settings come from the router Express 4 built its routes with; a mounted router with other flags is reported', () => {
    const app = express4();
    app.set('case sensitive routing', true);
    app.get('/a', noop); // the router is created here, case-sensitive
    app.set('case sensitive routing', false); // too late for Express 4's router
    app.use('/r', express4.Router().get('/b', noop));
    const report = auditApp(app, compileRoutes([{ method: 'GET', path: '/a', scopes: [] }, { method: 'GET', path: '/r/b', scopes: [] }], { caseSensitive: true }));
    expect(report.settings).toEqual(['router mounted at /r: caseSensitive is false, table caseSensitive is true']);
    expect(auditApp(app, [{ method: 'GET', path: '/a', scopes: [] }, { method: 'GET', path: '/r/b', scopes: [] }]).settings).toEqual([
      'app "case sensitive routing" is true, table caseSensitive is false',
    ]);
  });

  test('an Express 4 app with no routes yet, a bare Express 4 Router, and a target it cannot read', () => {
    expect(auditApp(express4(), []).toString()).toBe('App audit: 0 route(s) found, no gaps');
    const router = express4.Router();
    router.get('/x/:id', noop);
    expect(auditApp(router, [{ method: 'GET', path: '/x/:id', scopes: [] }]).ok).toBe(true);
    expect(() => auditApp({ get router(): never { throw new Error("'app.router' is deprecated!\nPlease see the 3.x to 4.x migration guide") } }, [])).toThrow(
      new TypeError("auditApp expects an Express 5 or Express 4 application, or a Router: reading app.router threw ('app.router' is deprecated!)"),
    );
    expect(() => auditApp({} as never, [])).toThrow(new TypeError('auditApp expects an Express 5 or Express 4 application, or a Router'));
  });
});

// ---- auditApp: routes registered in another order than the table's (item 5) -------------------
// These tables hold a specific rule before a general one containing it: they compile once core
// lets a contained pair through (first rule wins), and throw ERR_AMBIGUOUS_ROUTES before that.

describe.each([
  ['Express 5', () => require('express') as typeof expressType],
  [`Express ${EXPRESS4_VERSION}`, () => express4],
])('auditApp order findings, %s', (_name, make) => {
  const table = () =>
    compileRoutes([
      { method: 'GET', path: '/users/me', scopes: ['me.read'] },
      { method: 'GET', path: '/users/:id', scopes: ['users.read'] },
      { method: 'GET', path: '/health', public: true },
    ]);

  test('the table\'s order (/users/me first): no finding', () => {
    const app = make()();
    app.get('/users/me', noop);
    app.get('/users/:id', noop);
    app.get('/health', noop);
    const report = auditApp(app, table());
    expect([report.ok, report.order]).toEqual([true, []]);
  });

  test('the other order (/users/:id first): an order error naming both routes', () => {
    const app = make()();
    app.get('/users/:id', noop);
    app.get('/users/me', noop);
    app.get('/health', noop);
    const t = table();
    const report = auditApp(app, t);
    expect(report.ok).toBe(false);
    expect(report.order).toEqual([
      { method: 'GET', path: '/users/me', rule: t.rules[0], runs: { path: '/users/:id', methods: ['GET'] }, runsRule: t.rules[1], shadowed: [{ path: '/users/me', methods: ['GET'] }] },
    ]);
    // Everything else is in order: both routes are covered, nothing stale.
    expect([report.uncovered, report.stale, report.methodMismatch]).toEqual([[], [], []]);
    expect(report.toString()).toBe(
      [
        'App audit: 3 route(s) found, gaps found',
        '  order      GET /users/me: the gate checks rule #0 /users/me (me.read), but Express runs /users/:id (rule #1: users.read), registered before /users/me: register that route first',
      ].join('\n'),
    );
  });

  test('the general route under a mounted router, the specific one registered after it', () => {
    const app = make()();
    const users = make().Router();
    users.get('/:id', noop);
    app.use('/users', users);
    app.get('/users/me', noop);
    app.get('/health', noop);
    const report = auditApp(app, table());
    expect(report.order.map((o) => [o.path, o.runs.path, o.shadowed.map((r) => r.path)])).toEqual([['/users/me', '/users/:id', ['/users/me']]]);
  });

  test('no route of its own for the specific rule: the general handler serves it on the specific rule\'s scopes', () => {
    const app = make()();
    app.get('/users/:id', noop);
    app.get('/health', noop);
    const report = auditApp(app, table());
    expect(report.order.map((o) => [o.path, o.rule.index, o.runs.path, o.runsRule?.index, o.shadowed])).toEqual([['/users/me', 0, '/users/:id', 1, []]]);
    expect(report.toString()).toContain('but Express runs /users/:id (rule #1: users.read); the app has no route of its own for rule #0');
  });

  test('the same requirement on both rules: the order does not matter, no finding', () => {
    const same = compileRoutes([
      { method: 'GET', path: '/users/me', scopes: ['users.read'] },
      { method: 'GET', path: '/users/:id', scopes: ['users.read'] },
    ]);
    const app = make()();
    app.get('/users/:id', noop);
    app.get('/users/me', noop);
    expect(auditApp(app, same).order).toEqual([]);
  });
});

// ---- ERR_INVALID_PATTERN names the Express 5 spelling (the message is core's) -----------------

test.each<[string, string]>([
  ['/:id?', 'Express 4 syntax: write "/:id?" as "{/:id}" (an optional param in Express 5)'],
  ['/users/:id?', 'Express 4 syntax: write "/:id?" as "{/:id}" (an optional param in Express 5)'],
  ['/files/*', 'Express 4 syntax: write "/files/*" as "/files/*path" (a wildcard needs a name in Express 5)'],
  ['/a/:rest*', 'Express 4 syntax: write ":rest*" as "*rest" (a wildcard in Express 5)'],
  [String.raw`/:id(\d+)`, String.raw`Express 4 syntax: write ":id(\d+)" as ":id" (Express 5 takes no inline regexps: check the value in the handler)`],
  ['/a/(.*)', 'Express 4 syntax: replace "(.*)" with a param (":name") or a wildcard ("*name") (Express 5 takes no inline regexps)'],
])('ERR_INVALID_PATTERN for the Express 4 pattern %s names the Express 5 spelling', (path, hint) => {
  const thrown = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    throw new Error('did not throw');
  };
  const error = thrown(() => compileRoutes([{ method: 'GET', path, scopes: [] }]));
  expect(error).toBeInstanceOf(RouteConfigError);
  expect((error as RouteConfigError).code).toBe('ERR_INVALID_PATTERN');
  // path-to-regexp's own message first (as today), then the Express 5 spelling.
  const own = (thrown(() => parse(path)) as Error).message;
  expect((error as RouteConfigError).message).toBe(`rule #0 (GET ${JSON.stringify(path)}): invalid pattern: ${own}. ${hint}`);
});
