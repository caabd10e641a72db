import { analyzeRoutes, RouteConfigError, type RouteRule } from '@scopegate/core';
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
  ['same scopes, partial overlap: info', [{ method: 'GET', path: '/a/b', scopes: ['a'] }, { method: 'GET', path: '/a/:x', scopes: ['a'] }], {}, [['info', 'overlap', [0, 1]]]],
  ['a later static under an earlier param is shadowed', [{ method: 'GET', path: '/a/:x', scopes: ['a'] }, { method: 'GET', path: '/a/b', scopes: ['a'] }], {}, [['warning', 'shadowed', [0, 1]], ['info', 'overlap', [0, 1]]]],
  ['a wildcard shadows everything below it', [{ method: 'GET', path: '/files/*rest', scopes: ['f'] }, { method: 'GET', path: '/files/:dir/:name', scopes: ['f'] }], {}, [['warning', 'shadowed', [0, 1]], ['info', 'overlap', [0, 1]]]],
  ['shadowed only for some methods is not shadowed', [{ method: 'GET', path: '/a/:x', scopes: ['a'] }, { method: ['GET', 'POST'], path: '/a/b', scopes: ['a'] }], {}, [['info', 'overlap', [0, 1]]]],
  ['two rules together shadow a third', [{ method: 'GET', path: '/a', scopes: ['a'] }, { method: 'GET', path: '/a/:x', scopes: ['a'] }, { method: 'GET', path: '/a{/:y}', scopes: ['a'] }], {}, [['warning', 'shadowed', [0, 1, 2]], ['info', 'overlap', [0, 2]], ['info', 'overlap', [1, 2]]]],
  ['/a and /a/ overlap on /a/ (optional trailing slash), but /a// reaches only the second', [{ method: 'GET', path: '/a', scopes: ['a'] }, { method: 'GET', path: '/a/', scopes: ['a'] }], {}, [['info', 'overlap', [0, 1]]]],
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

test('messages name the rules and the requirements; toString lists them', () => {
  const report = analyzeRoutes([{ method: 'GET', path: '/a/:x', scopes: ['a'] }, { method: 'GET', path: '/a/b', public: true }]);
  expect(report.ok).toBe(false);
  expect(report.findings[0]!.message).toBe('#0 GET /a/:x and #1 GET /a/b can match the same requests but require a vs public');
  expect(report.toString()).toMatch(/^error   ambiguous/);
});

test('invalid rules still throw', () => {
  expect(() => analyzeRoutes([{ method: 'GET', path: '/(' , scopes: [] }])).toThrow(RouteConfigError);
});
