/**
 * `readAllScope` is opt-in: a scope nobody declared grants nothing. Without the option a token's
 * `all.read` is a scope like any other, which no rule requires: every decision path (checkScope,
 * authorize) refuses it. A table that names a read-all scope gets it on GET and HEAD only, bindings
 * still applied; Dynamic's table names `all.read`.
 */
import { analyzeRoutes, authorize, checkScope, compileRoutes, createVerifier, ForbiddenError, RouteConfigError, type RouteRule, type ScopeGateError } from '@scopegate/core';
import { dynamicRoutes, dynamicScopeNames, dynamicTable, DYNAMIC_ENVIRONMENT_CLAIM } from '@scopegate/dynamic';
import { HS_SECRET, sign } from './support/keys';

const rules: RouteRule[] = [
  { method: 'GET', path: '/pets', scopes: ['pets.read'] },
  { method: 'GET', path: '/pets/:petId', scopes: ['pets.read'] },
  { method: 'POST', path: '/pets', scopes: ['pets.write'] },
  { method: 'GET', path: '/t/:tenant/pets', scopes: ['pets.read'], bind: { tenant: 'tid' } },
];

describe('a table that does not name a read-all scope', () => {
  const table = compileRoutes(rules);

  test('has none: options.readAllScope is null, and the print says so', () => {
    expect(table.options.readAllScope).toBeNull();
    expect(table.toString()).toContain('no read-all scope');
  });

  test.each([
    ['GET', '/pets'],
    ['HEAD', '/pets'],
    ['GET', '/pets/7'],
    ['POST', '/pets'],
    ['GET', '/t/acme/pets'],
  ])('an undeclared all.read grants nothing: %s %s is insufficient-scope', (method, path) => {
    const d = checkScope(table, { method, path }, 'all.read', { tid: 'acme' });
    expect([d.allowed, d.reason]).toEqual([false, 'insufficient-scope']);
    expect(d.missing.length).toBeGreaterThan(0);
  });

  test('authorize refuses a token holding only all.read with 403 insufficient_scope', async () => {
    const verifier = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET });
    const token = await sign(HS_SECRET, { scope: 'all.read' });
    const error = await authorize(verifier, table, { method: 'GET', path: '/pets/7', authorization: `Bearer ${token}` }).then(
      () => null,
      (e: unknown) => e as ScopeGateError,
    );
    expect(error).toBeInstanceOf(ForbiddenError);
    expect([error!.status, error!.code]).toEqual([403, 'ERR_INSUFFICIENT_SCOPE']);
  });

  test('the same for null given explicitly', () => {
    expect(checkScope(compileRoutes(rules, { readAllScope: null }), { method: 'GET', path: '/pets' }, 'all.read').reason).toBe('insufficient-scope');
  });
});

describe('a table that opts in', () => {
  const table = compileRoutes(rules, { readAllScope: 'all.read' });

  test.each([
    ['GET', '/pets', true],
    ['HEAD', '/pets/7', true],
    ['POST', '/pets', false],
  ])('all.read on %s %s: allowed %s', (method, path, allowed) => {
    const d = checkScope(table, { method, path }, 'all.read');
    expect([d.allowed, d.reason]).toEqual([allowed, allowed ? 'read-all' : 'insufficient-scope']);
  });

  test('bindings still apply to the read-all scope', () => {
    expect(checkScope(table, { method: 'GET', path: '/t/acme/pets' }, 'all.read', { tid: 'acme' }).reason).toBe('read-all');
    expect(checkScope(table, { method: 'GET', path: '/t/evil/pets' }, 'all.read', { tid: 'acme' }).reason).toBe('binding-mismatch');
  });

  test('with knownScopes, the read-all scope must be one of them', () => {
    expect(() => compileRoutes(rules, { readAllScope: 'all.read', knownScopes: ['pets.read', 'pets.write'] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: 'option readAllScope names "all.read", which is not in knownScopes' }),
    );
    expect(() => compileRoutes(rules, { readAllScope: 'all.read', knownScopes: ['pets.read', 'pets.write', 'all.read'] })).not.toThrow();
    expect(() => compileRoutes(rules, { knownScopes: ['pets.read', 'pets.write'] })).not.toThrow();
  });

  test('analyzeRoutes reports the option as resolved', () => {
    expect(analyzeRoutes(rules).options.readAllScope).toBeNull();
    expect(analyzeRoutes(rules, { readAllScope: 'all.read' }).options.readAllScope).toBe('all.read');
  });
});

describe("Dynamic's table names all.read explicitly", () => {
  const claims = { [DYNAMIC_ENVIRONMENT_CLAIM]: 'e1' };

  test('dynamicTable honours it on GET, not on writes', () => {
    expect(dynamicTable.options.readAllScope).toBe('all.read');
    expect(checkScope(dynamicTable, { method: 'GET', path: '/environments/e1/users' }, 'all.read', claims).reason).toBe('read-all');
    expect(checkScope(dynamicTable, { method: 'DELETE', path: '/environments/e1/users/u1' }, 'all.read', claims).reason).toBe('insufficient-scope');
  });

  test('the same rules compiled without the option: all.read grants nothing', () => {
    const plain = compileRoutes(dynamicRoutes, { knownScopes: dynamicScopeNames, bind: { environmentId: DYNAMIC_ENVIRONMENT_CLAIM } });
    expect(plain.options.readAllScope).toBeNull();
    expect(checkScope(plain, { method: 'GET', path: '/environments/e1/users' }, 'all.read', claims).reason).toBe('insufficient-scope');
  });

  test('a RouteConfigError is still a RouteConfigError', () => {
    expect(() => compileRoutes(rules, { readAllScope: 'all read' })).toThrow(RouteConfigError);
  });
});
