import { checkScope, compileRoutes, parseScopes, BadPathError, type DecisionReason } from '@scopegate/core';
import { thrownBy } from './support/thrown';

const table = compileRoutes([
  { method: 'GET', path: '/healthz', public: true },
  { method: 'GET', path: '/me', scopes: [] },
  { method: 'GET', path: '/users/:userId', scopes: ['users.read'] },
  { method: ['PUT', 'PATCH'], path: '/users/:userId', scopes: ['users.write'] },
  { method: 'POST', path: '/users/:userId/keys', scopes: ['users.write', 'keys.write'] },
  { method: 'HEAD', path: '/probe', scopes: ['probe'] },
  { method: 'GET', path: '/files/*path', scopes: ['files.read'] },
], { readAllScope: 'all.read' }); // opted in: the read-all rows below

type Row = [string, string, string | string[] | null, boolean, DecisionReason, string[]];

const rows: Row[] = [
  ['GET', '/healthz', null, true, 'public', []],
  ['GET', '/healthz', 'anything', true, 'public', []],
  ['GET', '/me', null, false, 'unauthenticated', []],
  ['GET', '/me', '', true, 'authenticated', []],
  ['GET', '/users/1', 'users.read', true, 'scope', []],
  ['GET', '/users/1', null, false, 'unauthenticated', ['users.read']],
  ['GET', '/users/1', 'users.write', false, 'insufficient-scope', ['users.read']],
  ['GET', '/users/1', 'Users.Read', false, 'insufficient-scope', ['users.read']],
  ['GET', '/users/1', 'users.*', false, 'insufficient-scope', ['users.read']],
  ['GET', '/users/1', 'all.read', true, 'read-all', []],
  ['HEAD', '/users/1', 'all.read', true, 'read-all', []],
  ['HEAD', '/users/1', 'users.read', true, 'scope', []],
  ['PUT', '/users/1', 'all.read', false, 'insufficient-scope', ['users.write']],
  ['patch', '/users/1', ' users.write  ', true, 'scope', []],
  ['POST', '/users/1/keys', 'users.write', false, 'insufficient-scope', ['keys.write']],
  ['POST', '/users/1/keys', ['keys.write', 'users.write', '', 'keys.write'], true, 'scope', []],
  ['POST', '/users/1/keys', 'all.read', false, 'insufficient-scope', ['users.write', 'keys.write']],
  ['HEAD', '/probe', 'probe', true, 'scope', []],
  ['GET', '/probe', 'probe', false, 'no-route', []],
  ['DELETE', '/users/1', 'users.write', false, 'no-route', []],
  ['GET', '/nowhere', 'all.read', false, 'no-route', []],
  ['GET', '/users/%E0%A4%A', 'users.read', false, 'bad-path', []],
  ['GET', '/files/a/%ZZ', 'files.read', false, 'bad-path', []],
  ['GET', '/users/1?x=%E0', 'users.read', true, 'scope', []],
  ['GET', '/users/1#frag', 'users.read', true, 'scope', []],
];

describe.each(rows)('%s %s with %j', (method, path, scopes, allowed, reason, missing) => {
  test(`${allowed ? 'allowed' : 'denied'}: ${reason}`, () => {
    const d = checkScope(table, { method, path }, scopes);
    expect(d.allowed).toBe(allowed);
    expect(d.reason).toBe(reason);
    expect([...d.missing]).toEqual(missing);
  });
});

test('a decision names the rule, its params and its required scopes', () => {
  const d = checkScope(table, { method: 'GET', path: '/users/a%2Fb' }, new Set(['users.read']));
  expect(d.rule?.path).toBe('/users/:userId');
  expect(d.rule?.index).toBe(2);
  expect({ ...d.params }).toEqual({ userId: 'a/b' });
  expect(d.required).toEqual(['users.read']);
});

test('readAllScope: null disables the read-all grant; another name can replace it', () => {
  const rules = [{ method: 'GET', path: '/x', scopes: ['x'] }];
  expect(checkScope(compileRoutes(rules, { readAllScope: null }), { method: 'GET', path: '/x' }, 'all.read').reason).toBe('insufficient-scope');
  expect(checkScope(compileRoutes(rules, { readAllScope: 'read:any' }), { method: 'GET', path: '/x' }, 'read:any').reason).toBe('read-all');
});

test('parseScopes ignores empty and duplicate entries and keeps a Set as is', () => {
  expect([...parseScopes('a  b\tc a')]).toEqual(['a', 'b', 'c']);
  const set = new Set(['a']);
  expect(parseScopes(set)).toBe(set);
  expect([...parseScopes(new Set(['', 'a']))]).toEqual(['a']);
  expect(() => parseScopes(42 as never)).toThrow(TypeError);
});

test('match throws BadPathError (400) for malformed encoding, distinct from no match', () => {
  expect(table.match('GET', '/nope')).toBeNull();
  const error = thrownBy(() => table.match('GET', '/users/%E0'));
  expect(error).toBeInstanceOf(BadPathError);
  expect((error as BadPathError).status).toBe(400);
  expect((error as BadPathError).code).toBe('ERR_BAD_PATH');
  expect(table.lookup('GET', '/users/%E0')).toMatchObject({ kind: 'bad-path', rule: { index: 2 } });
});
