/** Claim mapping: scopes from named, nested and URI-named claims, whole-token matching, wrong types refused, `scopeMap`. */
import { ConfigError, createVerifier, scopesFromClaims, UnauthorizedError, type VerifierOptions } from '@scopegate/core';
import { HS_SECRET, sign } from './support/keys';

const settle = <T>(p: Promise<T>) => p.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }));
const verifier = (o: Partial<VerifierOptions> = {}) => createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, ...o });
const scopesOf = async (o: Partial<VerifierOptions>, claims: Record<string, unknown>) => [...(await verifier(o).verify(await sign(HS_SECRET, claims))).scopes].sort();

const keycloak = {
  realm_access: { roles: ['offline_access', 'users-read'] },
  resource_access: { 'my-api': { roles: ['users-write'] }, 'my.api': { roles: ['dotted'] }, other: { roles: ['admin'] } },
};

describe('where scopes are read', () => {
  test('a plain claim name (Auth0 RBAC permissions)', async () => {
    expect(await scopesOf({ scopeClaims: ['permissions'] }, { permissions: ['users.read', 'users.write'], scope: 'openid' })).toEqual(['users.read', 'users.write']);
    expect(await scopesOf({ scopeClaims: 'permissions' }, { permissions: 'a b' })).toEqual(['a', 'b']);
  });

  test('Keycloak realm and client roles by dotted path; a hyphen is part of a segment', async () => {
    expect(await scopesOf({ scopeClaims: ['realm_access.roles'] }, keycloak)).toEqual(['offline_access', 'users-read']);
    expect(await scopesOf({ scopeClaims: ['resource_access.my-api.roles'] }, keycloak)).toEqual(['users-write']);
    expect(await scopesOf({ scopeClaims: ['realm_access.roles', 'resource_access.my-api.roles'] }, keycloak)).toEqual(['offline_access', 'users-read', 'users-write']);
  });

  test('a segment holding a dot is named by the array form; the dotted string is another path', async () => {
    expect(await scopesOf({ scopeClaims: [['resource_access', 'my.api', 'roles']] }, keycloak)).toEqual(['dotted']);
    // "resource_access.my.api.roles" is resource_access → my → api → roles: absent, no scopes.
    expect(await scopesOf({ scopeClaims: ['resource_access.my.api.roles'] }, keycloak)).toEqual([]);
    // A top-level claim literally named "a.b" is only reachable as ['a.b'].
    expect(await scopesOf({ scopeClaims: [['a.b']] }, { 'a.b': 'x', a: { b: 'y' } })).toEqual(['x']);
    expect(await scopesOf({ scopeClaims: ['a.b'] }, { 'a.b': 'x', a: { b: 'y' } })).toEqual(['y']);
  });

  test('a URI claim name (holding ":") is one claim, not a path', async () => {
    expect(await scopesOf({ scopeClaims: ['https://example.com/roles'] }, { 'https://example.com/roles': ['r.one'] })).toEqual(['r.one']);
  });

  test('Entra/Okta scp arrays and the defaults (scope, scopes, scp) united', async () => {
    expect(await scopesOf({}, { scope: 'a b', scopes: ['c'], scp: ['d', 'a'] })).toEqual(['a', 'b', 'c', 'd']);
  });

  test('missing claims and missing nested objects give no scopes, not an error', async () => {
    expect(await scopesOf({ scopeClaims: ['realm_access.roles'] }, {})).toEqual([]);
    expect(await scopesOf({ scopeClaims: ['realm_access.roles'] }, { realm_access: {} })).toEqual([]);
  });

  test('own properties only: nothing is read off Object.prototype', async () => {
    expect(await scopesOf({ scopeClaims: ['constructor', 'a.constructor.name', '__proto__.x'] }, { a: {} })).toEqual([]);
  });
});

describe('whole tokens, never substrings', () => {
  test('array elements are whole scopes: "users.read users.write" in one element grants neither', async () => {
    const scopes = await scopesOf({ scopeClaims: ['permissions'] }, { permissions: ['users.read users.write'] });
    expect(scopes).toEqual(['users.read users.write']);
    expect(scopes).not.toContain('users.read');
  });

  test('users.readx is not users.read; strings split on spaces only', async () => {
    const scopes = await scopesOf({}, { scope: 'users.readx xusers.read users.read.all' });
    expect(scopes).not.toContain('users.read');
    expect(await scopesOf({}, { scope: 'users.read\tusers.write' })).toEqual(['users.read\tusers.write']);
  });
});

describe('any other type refuses the token (401 invalid_token)', () => {
  const cases: [string, string[], Record<string, unknown>, string][] = [
    ['number', ['permissions'], { permissions: 1 }, 'permissions'],
    ['object at the leaf', ['realm_access'], keycloak, 'realm_access'],
    ['array holding a number', ['permissions'], { permissions: ['a', 1] }, 'permissions'],
    ['array holding an array', ['permissions'], { permissions: [['a']] }, 'permissions'],
    ['null', ['scope'], { scope: null }, 'scope'],
    ['boolean', ['scope'], { scope: true }, 'scope'],
    ['nested roles a string object', ['realm_access.roles'], { realm_access: { roles: { admin: true } } }, 'realm_access.roles'],
    ['path through a string', ['realm_access.roles'], { realm_access: 'admin' }, 'realm_access.roles'],
    ['path through an array', ['realm_access.roles'], { realm_access: [{ roles: ['admin'] }] }, 'realm_access.roles'],
    ['path through null', ['realm_access.roles'], { realm_access: null }, 'realm_access.roles'],
  ];
  test.each(cases)('%s', async (_name, scopeClaims, claims, named) => {
    const r = await settle(verifier({ scopeClaims }).verify(await sign(HS_SECRET, claims)));
    const e = (r as { e: UnauthorizedError }).e;
    expect(e).toBeInstanceOf(UnauthorizedError);
    expect(e.code).toBe('ERR_TOKEN_INVALID');
    expect(e.headers['WWW-Authenticate']).toContain('error="invalid_token"');
    expect(e.message).toBe(`Invalid token: "${named}" claim must be a string or an array of strings`);
    // The CLI reads claims the same way.
    expect(scopesFromClaims(claims, scopeClaims).invalid).toBe(named);
  });
});

describe('scopeMap', () => {
  test('a record renames listed scopes and keeps the others', async () => {
    const o = { scopeClaims: ['realm_access.roles'], scopeMap: { 'users-read': 'users.read', offline_access: [] as string[] } };
    expect(await scopesOf(o, keycloak)).toEqual(['users.read']);
    expect(await scopesOf({ scopeClaims: ['realm_access.roles'], scopeMap: { 'users-read': ['users.read', 'users.list'] } }, keycloak)).toEqual(['offline_access', 'users.list', 'users.read']);
  });

  test('a record is read by own keys only', async () => {
    expect(await scopesOf({ scopeMap: { a: 'b' } }, { scope: 'constructor toString' })).toEqual(['constructor', 'toString']);
  });

  test('a function maps each scope; null drops it (a prefix filter)', async () => {
    const scopeMap = (s: string) => (s.startsWith('api:') ? s.slice(4) : null);
    expect(await scopesOf({ scopeMap }, { scope: 'openid api:users.read api:users.write' })).toEqual(['users.read', 'users.write']);
  });

  test('a function that throws or answers nonsense is a 500, never a pass', async () => {
    for (const scopeMap of [() => { throw new Error('boom'); }, () => 42 as unknown as string]) {
      const r = await settle(verifier({ scopeMap }).verify(await sign(HS_SECRET, { scope: 'a' })));
      expect((r as { e: { status: number; code: string } }).e).toMatchObject({ status: 500, code: 'ERR_INTERNAL' });
    }
  });

  test('scopesFromClaims takes the same claim paths and map (the CLI stays consistent)', () => {
    expect([...scopesFromClaims(keycloak, ['realm_access.roles', ['resource_access', 'my.api', 'roles']], { 'users-read': 'users.read' }).scopes].sort()).toEqual(['dotted', 'offline_access', 'users.read']);
    expect([...scopesFromClaims({ scope: 'a b', scp: ['c'] }).scopes]).toEqual(['a', 'b', 'c']);
  });
});

describe('configuration', () => {
  const cases: [string, Partial<VerifierOptions> | Record<string, unknown>, RegExp][] = [
    ['empty scopeClaims', { scopeClaims: [] }, /^scopeClaims must name at least one claim/],
    ['scopeClaims a number', { scopeClaims: 5 }, /^scopeClaims must name at least one claim/],
    ['empty segment', { scopeClaims: ['realm_access..roles'] }, /^scopeClaims\[0\] has an empty path segment/],
    ['leading dot', { scopeClaims: ['scope', '.roles'] }, /^scopeClaims\[1\] has an empty path segment/],
    ['empty name', { scopeClaims: [''] }, /^scopeClaims\[0\] has an empty path segment/],
    ['empty array path', { scopeClaims: [[]] }, /^scopeClaims\[0\] must be a claim name, a dotted path or an array of path segments/],
    ['array path of numbers', { scopeClaims: [['a', 1]] }, /^scopeClaims\[0\] must be/],
    ['scopeMap an array', { scopeMap: ['a'] }, /^scopeMap must be a record/],
    ['scopeMap to a number', { scopeMap: { a: 1 } }, /^scopeMap\["a"\] must be a scope/],
    ['scopeMap to a spaced scope', { scopeMap: { a: 'b c' } }, /^scopeMap\["a"\] must be a scope/],
    ['scopeMap to an empty scope', { scopeMap: { a: '' } }, /^scopeMap\["a"\] must be a scope/],
  ];
  test.each(cases)('%s → ConfigError naming the option', (_name, o, message) => {
    expect(() => verifier(o as Partial<VerifierOptions>)).toThrow(ConfigError);
    expect(() => verifier(o as Partial<VerifierOptions>)).toThrow(message);
  });
});
