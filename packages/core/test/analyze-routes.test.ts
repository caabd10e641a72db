import { analyzeRoutes, compileRoutes, RouteConfigError, type CompileOptions, type RouteRule } from '@scopegate/core';
import { dynamicRoutes } from '@scopegate/dynamic';

const kinds = (rules: RouteRule[], options = {}) => analyzeRoutes(rules, options).findings.map((f) => [f.severity, f.kind, [...f.rules]]);

test('the Dynamic table: no error, and its same-scope overlaps reported as info', () => {
  const report = analyzeRoutes(dynamicRoutes, { readAllScope: 'all.read' });
  expect(report.ok).toBe(true);
  const overlaps = report.findings.filter((f) => f.kind === 'overlap');
  expect(overlaps.length).toBeGreaterThan(0);
  expect(overlaps.every((f) => f.severity === 'info')).toBe(true);
  // GET /environments/:environmentId/waas/policies (#75) and …/waas/:walletId (#76)
  expect(overlaps.some((f) => f.rules[0] === 75 && f.rules[1] === 76)).toBe(true);
  expect(report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
});

describe.each<[string, RouteRule[], object, (string | number[])[][]]>([
  ['different scopes: error (what compileRoutes refuses), and the later rule is shadowed', [{ method: 'GET', path: '/a/:x', scopes: ['a'] }, { method: 'GET', path: '/a/b', scopes: ['b'] }], {}, [['error', 'ambiguous', [0, 1]], ['warning', 'shadowed', [0, 1]]]],
  ['different scopes, specific first: info, compiles', [{ method: 'GET', path: '/a/b', scopes: ['b'] }, { method: 'GET', path: '/a/:x', scopes: ['a'] }], {}, [['info', 'contained', [0, 1]]]],
  ['different scopes, partial overlap: error', [{ method: 'GET', path: '/a/:x/c', scopes: ['a'] }, { method: 'GET', path: '/a/b/:y', scopes: ['b'] }], {}, [['error', 'ambiguous', [0, 1]]]],
  ['a chain of specific-first rules, and a same-scope overlap', [{ method: 'GET', path: '/a/b/c', scopes: ['1'] }, { method: 'GET', path: '/a/:x/c', scopes: ['2'] }, { method: 'GET', path: '/a/*rest', scopes: ['3'] }, { method: 'GET', path: '/a/:y/:z', scopes: ['3'] }], {}, [['warning', 'shadowed', [0, 1, 2, 3]], ['info', 'contained', [0, 1]], ['info', 'contained', [0, 2]], ['info', 'contained', [0, 3]], ['info', 'contained', [1, 2]], ['info', 'contained', [1, 3]], ['info', 'overlap', [2, 3]]]],
  ['same scopes, partial overlap: info', [{ method: 'GET', path: '/a/b', scopes: ['a'] }, { method: 'GET', path: '/a/:x', scopes: ['a'] }], {}, [['info', 'overlap', [0, 1]]]],
  ['a later static under an earlier param is shadowed', [{ method: 'GET', path: '/a/:x', scopes: ['a'] }, { method: 'GET', path: '/a/b', scopes: ['a'] }], {}, [['warning', 'shadowed', [0, 1]], ['info', 'overlap', [0, 1]]]],
  ['a wildcard shadows everything below it', [{ method: 'GET', path: '/files/*rest', scopes: ['f'] }, { method: 'GET', path: '/files/:dir/:name', scopes: ['f'] }], {}, [['warning', 'shadowed', [0, 1]], ['info', 'overlap', [0, 1]]]],
  ['shadowed only for some methods is not shadowed', [{ method: 'GET', path: '/a/:x', scopes: ['a'] }, { method: ['GET', 'POST'], path: '/a/b', scopes: ['a'] }], {}, [['info', 'overlap', [0, 1]]]],
  ['two rules together shadow a third', [{ method: 'GET', path: '/a', scopes: ['a'] }, { method: 'GET', path: '/a/:x', scopes: ['a'] }, { method: 'GET', path: '/a{/:y}', scopes: ['a'] }], {}, [['warning', 'shadowed', [0, 1, 2]], ['info', 'overlap', [0, 2]], ['info', 'overlap', [1, 2]]]],
  ['/a and /a/:x/ overlap on nothing: /a/:x/ is read as /a/:x (as Express reads it)', [{ method: 'GET', path: '/a', scopes: ['a'] }, { method: 'GET', path: '/a/:x/', scopes: ['b'] }], {}, []],
  ['strict: /a and /a/ are different', [{ method: 'GET', path: '/a', scopes: ['a'] }, { method: 'GET', path: '/a/', scopes: ['a'] }], { strict: true }, []],
  ['a pattern not starting with /', [{ method: 'GET', path: 'users', scopes: [] }], {}, [['warning', 'unreachable', [0]]]],
  ['one optional form never reachable', [{ method: 'GET', path: '{/:id}-x', scopes: [] }], {}, [['info', 'unreachable', [0]]]],
  ['a ? in the text', [{ method: 'GET', path: '/search\\?q', scopes: [] }], {}, [['warning', 'unreachable', [0]]]],
  ['the empty pattern under strict routing', [{ method: 'GET', path: '{/x}', scopes: [] }], { strict: true }, [['info', 'unreachable', [0]]]],
])('%s', (_name, rules, options, expected) => {
  test('findings', () => {
    expect(kinds(rules, options)).toEqual(expected);
  });
});

/** Does `compileRoutes` accept the rules? The code of its error otherwise. */
const compiles = (rules: RouteRule[], options: CompileOptions = {}): true | string => {
  try {
    compileRoutes(rules, options);
    return true;
  } catch (err) {
    return (err as RouteConfigError).code;
  }
};

const get = (path: string, extra: Partial<RouteRule> = {}): RouteRule => ({ method: 'GET', path, scopes: ['t.read'], ...extra });

describe.each<[string, RouteRule[], CompileOptions, (string | number[])[][]]>([
  // Partial overlaps (on /t/T/x/q only): the requirements must agree.
  ['one binds :tenant, the other not', [get('/t/:tenant/x/:q', { bind: { tenant: 'tid' } }), get('/t/:tenant/:y/q')], {}, [['error', 'ambiguous', [0, 1]]]],
  ['both bind :tenant, to different claims', [get('/t/:tenant/x/:q', { bind: { tenant: 'tid' } }), get('/t/:tenant/:y/q', { bind: { tenant: 'org' } })], {}, [['error', 'ambiguous', [0, 1]]]],
  ['one binds a second param the other leaves free', [get('/t/:tenant/x/:q', { bind: { tenant: 'tid' } }), get('/t/:tenant/:y/q', { bind: { tenant: 'tid', y: 'sub' } })], {}, [['error', 'ambiguous', [0, 1]]]],
  // Specific first (the earlier pattern contained in the later one's): the earlier answers, whatever it binds.
  ['specific first: one binds :tenant, the other not', [get('/t/:tenant/x', { bind: { tenant: 'tid' } }), get('/t/:tenant/:y')], {}, [['info', 'contained', [0, 1]]]],
  ['specific first: both bind :tenant, to different claims', [get('/t/:tenant/x', { bind: { tenant: 'tid' } }), get('/t/:tenant/:y', { bind: { tenant: 'org' } })], {}, [['info', 'contained', [0, 1]]]],
  ['general first: one binds :tenant, the other not', [get('/t/:tenant/:y'), get('/t/:tenant/x', { bind: { tenant: 'tid' } })], {}, [['error', 'ambiguous', [0, 1]], ['warning', 'shadowed', [0, 1]]]],
  ['table-wide bind, a static segment where the other has :tenant (nothing to bind)', [get('/t/:tenant/x'), get('/t/acme/x')], { bind: { tenant: 'tid' } }, [['error', 'ambiguous', [0, 1]], ['warning', 'shadowed', [0, 1]]]],
  ['table-wide bind overridden by one rule for another claim', [get('/t/:tenant/x/:q'), get('/t/:tenant/:y/q', { bind: { tenant: 'org' } })], { bind: { tenant: 'tid' } }, [['error', 'ambiguous', [0, 1]]]],
  ['table-wide bind overridden by a later, containing rule', [get('/t/:tenant/x'), get('/t/:tenant/:y', { bind: { tenant: 'org' } })], { bind: { tenant: 'tid' } }, [['info', 'contained', [0, 1]]]],
  ['same bindings, given on each rule', [get('/t/:tenant/x', { bind: { tenant: 'tid' } }), get('/t/:tenant/:y', { bind: { tenant: 'tid' } })], {}, [['info', 'overlap', [0, 1]]]],
  ['same bindings: one from the table-wide option, one from the rule', [get('/t/:tenant/x'), get('/t/:tenant/:y', { bind: { tenant: 'tid' } })], { bind: { tenant: 'tid' } }, [['info', 'overlap', [0, 1]]]],
  ['same bindings, the same param in the same segment of different-looking patterns', [get('/t/:tenant{/x}'), get('/t/:tenant/:y')], { bind: { tenant: 'tid' } }, [['info', 'overlap', [0, 1]]]],
  ['bindings differ but the patterns are disjoint', [get('/t/:tenant/x', { bind: { tenant: 'tid' } }), get('/t/:tenant/y')], {}, []],
  ['bindings differ but the methods are disjoint', [get('/t/:tenant', { bind: { tenant: 'tid' } }), { method: 'POST', path: '/t/:tenant', scopes: ['t.read'] }], {}, []],
  ['same name and claim, but :x is another segment in each: an error (on /a/b/c one reads b, the other c)', [get('/a/:x/c', { bind: { x: 'tid' } }), get('/a/b/:x', { bind: { x: 'tid' } })], {}, [['error', 'ambiguous', [0, 1]]]],
  ['other names, the same claim on the same segment: harmless', [get('/t/:tenant/x', { bind: { tenant: 'tid' } }), get('/t/:org/:y', { bind: { org: 'tid' } })], {}, [['info', 'overlap', [0, 1]]]],
])('bindings: %s', (_name, rules, options, expected) => {
  test('findings, and compileRoutes agrees on errors', () => {
    const report = analyzeRoutes(rules, options);
    expect(kinds(rules, options)).toEqual(expected);
    const error = expected.some(([severity]) => severity === 'error');
    expect(report.ok).toBe(!error);
    expect(compiles(rules, options)).toBe(error ? 'ERR_AMBIGUOUS_ROUTES' : true);
  });
});

describe('binding messages', () => {
  test.each<[string, RouteRule[], CompileOptions, string]>([
    [
      'same scopes, bound vs not bound',
      [get('/t/:tenant/x/:q', { bind: { tenant: 'tid' } }), get('/t/:tenant/:y/q')],
      {},
      '#0 GET /t/:tenant/x/:q and #1 GET /t/:tenant/:y/q can match the same requests with the same scopes (t.read) but bind differently: :tenant = claim tid vs no binding',
    ],
    [
      'same scopes, different claims',
      [get('/t/:tenant/x/:q', { bind: { tenant: 'tid' } }), get('/t/:tenant/:y/q', { bind: { tenant: 'org' } })],
      {},
      '#0 GET /t/:tenant/x/:q and #1 GET /t/:tenant/:y/q can match the same requests with the same scopes (t.read) but bind differently: :tenant = claim tid vs :tenant = claim org',
    ],
    [
      'different scopes: the whole requirements, bindings included',
      [get('/t/:tenant/x/:q', { bind: { tenant: 'tid' } }), get('/t/:tenant/:y/q', { scopes: ['t.write'] })],
      {},
      '#0 GET /t/:tenant/x/:q and #1 GET /t/:tenant/:y/q can match the same requests but require t.read, :tenant = claim tid vs t.write',
    ],
    [
      'general first: the later rule is never reached',
      [get('/t/:tenant/:y'), get('/t/:tenant/x', { scopes: ['t.write'], bind: { tenant: 'tid' } })],
      {},
      '#0 GET /t/:tenant/:y and #1 GET /t/:tenant/x can match the same requests but require t.read vs t.write, :tenant = claim tid; #1 is never reached (#0 matches every request it matches): put the more specific rule first',
    ],
    [
      'specific first: the earlier rule answers what both match',
      [get('/users/me', { scopes: ['profile'] }), get('/users/:id', { bind: { id: 'sub' } })],
      {},
      '#0 GET /users/me comes before #1 GET /users/:id, which matches every request it matches: #0 answers those (profile), #1 the rest (t.read, :id = claim sub). Keep the specific route first wherever the routes are registered',
    ],
    [
      'same bindings: named in the harmless overlap',
      [get('/t/:tenant/x'), get('/t/:tenant/:y')],
      { bind: { tenant: 'tid' } },
      '#0 GET /t/:tenant/x and #1 GET /t/:tenant/:y overlap with the same requirements (t.read, :tenant = claim tid): harmless, the earlier one answers',
    ],
    [
      'a bound param in another segment',
      [get('/a/:x/c', { bind: { x: 'tid' } }), get('/a/b/:x', { bind: { x: 'tid' } })],
      {},
      '#0 GET /a/:x/c and #1 GET /a/b/:x can match the same requests with the same scopes and bindings by name (t.read, :x = claim tid), but a bound param is not the same part of the path in both: which value the claim must equal would depend on registration order',
    ],
  ])('%s', (_name, rules, options, message) => {
    expect(analyzeRoutes(rules, options).findings[0]!.message).toBe(message);
  });

  test('compileRoutes refuses a bindings-only conflict and names both requirements', () => {
    expect(() => compileRoutes([get('/t/:tenant/x/:q', { bind: { tenant: 'tid' } }), get('/t/:tenant/:y/q')])).toThrow(
      expect.objectContaining({ code: 'ERR_AMBIGUOUS_ROUTES', message: expect.stringContaining('(t.read, :tenant = claim tid vs t.read)') }),
    );
  });

  test('the report carries the compiled rules with their bindings and the table-wide map', () => {
    const report = analyzeRoutes([get('/t/:tenant/u/:user', { bind: { user: 'sub' } }), get('/health', { public: true, scopes: undefined })], { bind: { tenant: 'tid' } });
    expect(report.rules.map((r) => r.bindings)).toEqual([[{ param: 'tenant', claim: 'tid' }, { param: 'user', claim: 'sub' }], []]);
    expect({ ...report.options.bind }).toEqual({ tenant: 'tid' });
  });
});

test('the Dynamic table with its environment binding: still no error', () => {
  const report = analyzeRoutes(dynamicRoutes, { readAllScope: 'all.read', bind: { environmentId: 'environment_id' } });
  expect(report.ok).toBe(true);
  expect(report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  // Exactly the 96 rules with :environmentId are bound, each once; the other 36 are not.
  const bound = report.rules.filter((r) => r.bindings.length);
  expect(bound.map((r) => r.index)).toEqual(report.rules.filter((r) => r.path.includes(':environmentId')).map((r) => r.index));
  expect(bound).toHaveLength(96);
  expect(bound.every((r) => r.bindings.length === 1 && r.bindings[0]!.claim === 'environment_id')).toBe(true);
});

test('messages name the rules and the requirements; toString lists them', () => {
  const report = analyzeRoutes([{ method: 'GET', path: '/a/:x/c', scopes: ['a'] }, { method: 'GET', path: '/a/b/:y', public: true }]);
  expect(report.ok).toBe(false);
  expect(report.findings[0]!.message).toBe('#0 GET /a/:x/c and #1 GET /a/b/:y can match the same requests but require a vs public');
  expect(report.toString()).toMatch(/^error   ambiguous/);
});

test('invalid rules still throw', () => {
  expect(() => analyzeRoutes([{ method: 'GET', path: '/(' , scopes: [] }])).toThrow(RouteConfigError);
});
