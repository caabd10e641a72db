/** Express 5 routing semantics, case by case, on one table. */
import { compileRoutes } from '@scopegate/core';

const rules = [
  { method: 'GET', path: '/users/:id', scopes: ['r'] },
  { method: 'GET', path: '/users/me', scopes: ['r'] },
  { method: 'HEAD', path: '/users/me', scopes: ['r'] },
  { method: 'GET', path: '/Files/*path', scopes: ['r'] },
  { method: 'GET', path: '/a/:x.:y', scopes: ['r'] },
  { method: 'GET', path: '/docs{/:page}', scopes: ['r'] },
  { method: 'OPTIONS', path: '/users/:id', scopes: ['r'] },
];

type Row = [string, string, string, number | null, Record<string, unknown> | null];
const defaults: Row[] = [
  ['exact', 'GET', '/users/42', 0, { id: '42' }],
  ['earlier rule wins over later static (registration order)', 'GET', '/users/me', 0, { id: 'me' }],
  ['HEAD uses the first route that handles it: the GET one registered earlier', 'HEAD', '/users/me', 0, { id: 'me' }],
  ['HEAD served by GET', 'HEAD', '/users/7', 0, { id: '7' }],
  ['case-insensitive static', 'GET', '/USERS/42', 0, { id: '42' }],
  ['param keeps its case', 'GET', '/users/ABC', 0, { id: 'ABC' }],
  ['one trailing slash', 'GET', '/users/42/', 0, { id: '42' }],
  ['two trailing slashes', 'GET', '/users/42//', null, null],
  ['double slash inside', 'GET', '//users/42', null, null],
  ['no dot-segment merging', 'GET', '/users/x/../42', null, null],
  ['dot segment is a param value', 'GET', '/users/..', 0, { id: '..' }],
  ['encoded slash stays inside the param', 'GET', '/users/a%2Fb', 0, { id: 'a/b' }],
  ['encoded letters are not the static text', 'GET', '/%75sers/42', null, null],
  ['params are decoded once', 'GET', '/users/%2541', 0, { id: '%41' }],
  ['semicolon is part of the segment', 'GET', '/users/42;x=1', 0, { id: '42;x=1' }],
  ['encoded NUL decodes in the param', 'GET', '/users/a%00', 0, { id: 'a\u0000' }],
  ['wildcard keeps segments', 'GET', '/files/a/b%2Fc', 3, { path: ['a', 'b/c'] }],
  ['wildcard takes the trailing slash', 'GET', '/files/a/', 3, { path: ['a', ''] }],
  ['wildcard needs one character', 'GET', '/files/', null, null],
  ['mixed segment, backtracking like the regexp', 'GET', '/a/x.y.z', 4, { x: 'x.y', y: 'z' }],
  ['optional group absent', 'GET', '/docs', 5, {}],
  ['optional group present', 'GET', '/docs/intro', 5, { page: 'intro' }],
  ['unknown method', 'PURGE', '/users/1', null, null],
  ['lower-case method', 'get', '/users/1', 0, { id: '1' }],
  ['OPTIONS is a method like any other', 'OPTIONS', '/users/1', 6, { id: '1' }],
  ['not a pathname', 'GET', 'users/1', null, null],
  ['query is not cut by match (give it a pathname)', 'GET', '/users/1?x', 0, { id: '1?x' }],
];

describe.each(defaults)('default options: %s', (_name, method, path, index, params) => {
  test(`${method} ${path}`, () => {
    const table = compileRoutes(rules);
    const m = table.match(method, path);
    expect(m ? m.rule.index : null).toBe(index);
    if (m) expect({ ...m.params }).toEqual(params);
  });
});

const strictRows: Row[] = [
  ['strict: trailing slash significant', 'GET', '/users/42/', null, null],
  ['strict: exact still matches', 'GET', '/users/42', 0, { id: '42' }],
];
describe.each(strictRows)('%s', (_name, method, path, index) => {
  test(`${method} ${path}`, () => {
    expect(compileRoutes(rules, { strict: true }).match(method, path)?.rule.index ?? null).toBe(index);
  });
});

const sensitiveRows: Row[] = [
  ['caseSensitive: upper-case static differs', 'GET', '/USERS/42', null, null],
  ['caseSensitive: pattern case kept', 'GET', '/Files/x', 3, null],
  ['caseSensitive: other case refused', 'GET', '/files/x', null, null],
];
describe.each(sensitiveRows)('%s', (_name, method, path, index) => {
  test(`${method} ${path}`, () => {
    expect(compileRoutes(rules, { caseSensitive: true }).match(method, path)?.rule.index ?? null).toBe(index);
  });
});

test('case folding is the RegExp i-flag folding, not toLowerCase', () => {
  const t = compileRoutes([
    { method: 'GET', path: '/k', scopes: [] },
    { method: 'GET', path: '/σ', scopes: [] },
  ]);
  expect(t.match('GET', '/K')?.rule.index).toBe(0);
  expect(t.match('GET', '/\u212a')).toBeNull(); // KELVIN SIGN: /k/i does not match it
  expect(t.match('GET', '/ς')?.rule.index).toBe(1); // final sigma: /σ/i matches it
  expect(/^\/k$/i.test('/\u212a')).toBe(false);
  expect(/^\/σ$/i.test('/ς')).toBe(true);
});

test('a compiled table is immutable and exposes its rules', () => {
  const table = compileRoutes(rules);
  expect(Object.isFrozen(table)).toBe(true);
  expect(Object.isFrozen(table.rules)).toBe(true);
  expect(Object.isFrozen(table.rules[0])).toBe(true);
  expect(table.rules.map((r) => r.path)).toEqual(rules.map((r) => r.path));
  // No read-all scope unless the table opts in.
  expect(table.options).toEqual({ caseSensitive: false, strict: false, readAllScope: null, knownScopes: null, bind: {} });
});

test('toString prints the tree with methods and scopes', () => {
  const text = compileRoutes(rules).toString();
  expect(text).toContain('RouteTable: 7 rules (case-insensitive, optional trailing slash, no read-all scope)');
  expect(compileRoutes(rules, { readAllScope: 'all.read' }).toString()).toContain('read-all scope all.read)');
  expect(text).toMatch(/users\n(.*\n)*.*:id +\[GET → r +#0\]/);
  expect(text).toContain('~ /*path');
});

test('lookup cost does not depend on table size: 10,000 rules still resolve to the right rule', () => {
  const big = compileRoutes(
    Array.from({ length: 10_000 }, (_, i) => ({ method: 'GET', path: `/r${i}/:id/items/:item`, scopes: [`s${i % 13}`] })),
  );
  expect(big.match('GET', '/r9999/a/items/b')).toMatchObject({ rule: { index: 9999 }, params: { id: 'a', item: 'b' } });
  expect(big.match('GET', '/r10000/a/items/b')).toBeNull();
});
