/** Rules with alternatives: anyOf (OR of ANDs), as OpenAPI security requirements. */
import { checkScope, compileRoutes, RouteConfigError } from '@scopegate/core';

const table = compileRoutes([
  { method: 'GET', path: '/reports/:id', anyOf: [['reports.read'], ['admin', 'audit'], ['reports.read', 'extra']] },
  { method: 'POST', path: '/reports', anyOf: [['reports.write', 'reports.read'], ['admin']] },
  { method: 'GET', path: '/me', anyOf: [['x'], []] },
], { readAllScope: 'all.read' });

describe.each<[string, string, string | null, boolean, string, string[], string[]]>([
  ['GET', '/reports/1', 'reports.read', true, 'scope', ['reports.read'], []],
  ['GET', '/reports/1', 'admin audit', true, 'scope', ['admin', 'audit'], []],
  ['GET', '/reports/1', 'admin', false, 'insufficient-scope', ['admin', 'audit'], ['audit']],
  ['GET', '/reports/1', 'nothing', false, 'insufficient-scope', ['reports.read'], ['reports.read']],
  ['GET', '/reports/1', 'all.read', true, 'read-all', ['reports.read'], []],
  ['GET', '/reports/1', null, false, 'unauthenticated', ['reports.read'], ['reports.read']],
  ['POST', '/reports', 'reports.read', false, 'insufficient-scope', ['reports.write', 'reports.read'], ['reports.write']],
  ['POST', '/reports', 'reports.write reports.read', true, 'scope', ['reports.write', 'reports.read'], []],
  ['GET', '/me', '', true, 'authenticated', [], []],
])('%s %s with %j', (method, path, scopes, allowed, reason, required, missing) => {
  test(`${reason}`, () => {
    const d = checkScope(table, { method, path }, scopes);
    expect([d.allowed, d.reason, [...d.required], [...d.missing]]).toEqual([allowed, reason, required, missing]);
  });
});

test('implied alternatives are dropped; scopes holds what every alternative needs', () => {
  expect(table.rules[0]!.anyOf).toEqual([['reports.read'], ['admin', 'audit']]);
  expect(table.rules[0]!.scopes).toEqual([]);
  expect(table.rules[2]!.anyOf).toEqual([[]]);
  const plain = compileRoutes([{ method: 'GET', path: '/a', scopes: ['a', 'b'] }, { method: 'GET', path: '/b', anyOf: [['a', 'c'], ['a', 'd']] }]);
  expect([plain.rules[0]!.anyOf, plain.rules[0]!.scopes]).toEqual([[['a', 'b']], ['a', 'b']]);
  expect(plain.rules[1]!.scopes).toEqual(['a']);
  expect(plain.toString()).toContain('[GET → a + c | a + d  #1]');
});

test('anyOf with scopes, or empty, is an error; equivalent requirements do not conflict', () => {
  expect(() => compileRoutes([{ method: 'GET', path: '/a', scopes: ['a'], anyOf: [['b']] }])).toThrow(/give scopes or anyOf, not both/);
  expect(() => compileRoutes([{ method: 'GET', path: '/a', anyOf: [] }])).toThrow(/anyOf must be a non-empty array/);
  expect(() => compileRoutes([{ method: 'GET', path: '/a', anyOf: [['a b']] }])).toThrow(RouteConfigError);
  expect(() => compileRoutes([{ method: 'GET', path: '/a', public: true, anyOf: [['a']] }])).toThrow(/public rule cannot require scopes/);
  // Same requirement written two ways: an overlap, not an ambiguity.
  expect(() =>
    compileRoutes([
      { method: 'GET', path: '/a/:x', anyOf: [['b'], ['a']] },
      { method: 'GET', path: '/a/y', anyOf: [['a'], ['b'], ['a', 'b']] },
    ]),
  ).not.toThrow();
  expect(() =>
    compileRoutes([
      { method: 'GET', path: '/a/:x', anyOf: [['a'], ['b']] },
      { method: 'GET', path: '/a/y', scopes: ['a'] },
    ]),
  ).toThrow(/a \| b vs a/);
});
