/**
 * Bindings in decisions: `checkScope` and `authorize` refuse a token whose claim is not the bound
 * param's value (a string, or one of an array of strings), whatever its scopes; every other shape
 * of claim is refused: fail closed. The refusal names the binding, never a value.
 */
import { authorize, checkScope, compileRoutes, createVerifier, ForbiddenError, unmetBinding, type DecisionReason, type ScopeGateError } from '@scopegate/core';
import { HS_SECRET, sign } from './support/keys';

const table = compileRoutes(
  [
    { method: 'GET', path: '/t/:tenant/items/:id', scopes: ['items.read'] },
    { method: 'DELETE', path: '/t/:tenant/items/:id', scopes: ['items.write'] },
    { method: 'GET', path: '/t/:tenant/users/:user', scopes: [], bind: { user: 'sub' } },
    { method: 'GET', path: '/t/:tenant/status', public: true },
    { method: 'GET', path: '/me', scopes: [] },
  ],
  { bind: { tenant: 'tid' }, readAllScope: 'all.read' },
);

type Row = [name: string, method: string, path: string, scopes: string | null, claims: Record<string, unknown> | undefined, reason: DecisionReason, binding: string | null];

const rows: Row[] = [
  ['own tenant', 'GET', '/t/acme/items/1', 'items.read', { tid: 'acme' }, 'scope', null],
  ['another tenant', 'GET', '/t/evil/items/1', 'items.read', { tid: 'acme' }, 'binding-mismatch', 'tenant'],
  ['another tenant with all.read', 'GET', '/t/evil/items/1', 'all.read', { tid: 'acme' }, 'binding-mismatch', 'tenant'],
  ['own tenant with all.read', 'HEAD', '/t/acme/items/1', 'all.read', { tid: 'acme' }, 'read-all', null],
  ['another tenant, no scope either: the binding is the reason', 'DELETE', '/t/evil/items/1', 'items.read', { tid: 'acme' }, 'binding-mismatch', 'tenant'],
  ['own tenant, no scope', 'DELETE', '/t/acme/items/1', 'items.read', { tid: 'acme' }, 'insufficient-scope', null],
  ['no claims given', 'GET', '/t/acme/items/1', 'items.read', undefined, 'binding-mismatch', 'tenant'],
  ['claim missing', 'GET', '/t/acme/items/1', 'items.read', { sub: 'acme' }, 'binding-mismatch', 'tenant'],
  ['claim a number', 'GET', '/t/1/items/1', 'items.read', { tid: 1 }, 'binding-mismatch', 'tenant'],
  ['claim null', 'GET', '/t/null/items/1', 'items.read', { tid: null }, 'binding-mismatch', 'tenant'],
  ['claim an object', 'GET', '/t/acme/items/1', 'items.read', { tid: { acme: true } }, 'binding-mismatch', 'tenant'],
  ['claim an array holding it', 'GET', '/t/acme/items/1', 'items.read', { tid: ['beta', 'acme'] }, 'scope', null],
  ['claim an array not holding it', 'GET', '/t/gamma/items/1', 'items.read', { tid: ['beta', 'acme'] }, 'binding-mismatch', 'tenant'],
  ['claim an array with a non-string', 'GET', '/t/acme/items/1', 'items.read', { tid: ['acme', 7] }, 'binding-mismatch', 'tenant'],
  ['claim an empty array', 'GET', '/t/acme/items/1', 'items.read', { tid: [] }, 'binding-mismatch', 'tenant'],
  ['claim nested one level down', 'GET', '/t/acme/items/1', 'items.read', { tid: [['acme']] }, 'binding-mismatch', 'tenant'],
  ['case differs (routing folds case, ids do not)', 'GET', '/t/ACME/items/1', 'items.read', { tid: 'acme' }, 'binding-mismatch', 'tenant'],
  ['percent-encoded own tenant: compared decoded', 'GET', '/t/%61cme/items/1', 'items.read', { tid: 'acme' }, 'scope', null],
  ['encoded slash in the param', 'GET', '/t/acme%2F..%2Fevil/items/1', 'items.read', { tid: 'acme' }, 'binding-mismatch', 'tenant'],
  ['claim still encoded', 'GET', '/t/a%2Fb/items/1', 'items.read', { tid: 'a%2Fb' }, 'binding-mismatch', 'tenant'],
  ['claim decoded', 'GET', '/t/a%2Fb/items/1', 'items.read', { tid: 'a/b' }, 'scope', null],
  ['trailing NUL', 'GET', '/t/acme%00/items/1', 'items.read', { tid: 'acme' }, 'binding-mismatch', 'tenant'],
  ['claim inherited from Object.prototype', 'GET', '/t/x/items/1', 'items.read', Object.create({ tid: 'x' }), 'binding-mismatch', 'tenant'],
  ['two bindings, both met', 'GET', '/t/acme/users/u1', '', { tid: 'acme', sub: 'u1' }, 'authenticated', null],
  ['two bindings, the second unmet', 'GET', '/t/acme/users/u2', '', { tid: 'acme', sub: 'u1' }, 'binding-mismatch', 'user'],
  ['public rule: no binding, no token', 'GET', '/t/evil/status', null, undefined, 'public', null],
  ['no token at all: unauthenticated first', 'GET', '/t/evil/items/1', null, { tid: 'acme' }, 'unauthenticated', null],
  ['unbound rule', 'GET', '/me', '', undefined, 'authenticated', null],
];

describe.each(rows)('%s: %s %s', (_name, method, path, scopes, claims, reason, binding) => {
  test(`→ ${reason}`, () => {
    const d = checkScope(table, { method, path }, scopes, claims);
    expect([d.allowed, d.reason, d.binding?.param ?? null]).toEqual([['public', 'scope', 'read-all', 'authenticated'].includes(reason), reason, binding]);
  });
});

test('a binding refusal still says what the scopes lack', () => {
  const d = checkScope(table, { method: 'DELETE', path: '/t/evil/items/1' }, 'items.read', { tid: 'acme' });
  expect([d.reason, [...d.required], [...d.missing]]).toEqual(['binding-mismatch', ['items.write'], ['items.write']]);
});

test('unmetBinding names the first binding not met, in the pattern\'s order', () => {
  const rule = table.rules[2]!;
  expect(unmetBinding(rule.bindings, { tenant: 'a', user: 'u' }, { tid: 'a', sub: 'u' })).toBeNull();
  expect(unmetBinding(rule.bindings, { tenant: 'a', user: 'u' }, { tid: 'b', sub: 'x' })).toEqual({ param: 'tenant', claim: 'tid' });
  expect(unmetBinding(rule.bindings, { tenant: 'a' }, { tid: 'a', sub: 'u' })).toEqual({ param: 'user', claim: 'sub' });
  expect(unmetBinding(rule.bindings, { tenant: 'a', user: 'u' }, null)).toEqual({ param: 'tenant', claim: 'tid' });
});

describe('authorize', () => {
  const verifier = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET });
  const refusal = async (path: string, claims: Record<string, unknown>, method = 'GET'): Promise<ScopeGateError> => {
    const token = await sign(HS_SECRET, { scope: 'items.read items.write all.read', ...claims });
    const result = await authorize(verifier, table, { method, path, authorization: `Bearer ${token}` }, { realm: 'api' }).then(
      () => null,
      (e: unknown) => e as ScopeGateError,
    );
    if (result === null) throw new Error(`${method} ${path} was allowed`);
    return result;
  };

  test('a mismatch is a 403 naming the param and the claim, never a value, with the seed body text', async () => {
    const e = await refusal('/t/evil-corp/items/1', { tid: 'acme-secret-tenant', jti: 'j-1' }, 'DELETE');
    expect(e).toBeInstanceOf(ForbiddenError);
    expect([e.status, e.code, e.message]).toEqual([403, 'ERR_BINDING_MISMATCH', 'Access Forbidden']);
    expect(e.headers['WWW-Authenticate']).toBe('Bearer realm="api", error="insufficient_scope", error_description="The token is not bound to this tenant (claim tid)"');
    expect((e as ForbiddenError).binding).toEqual({ param: 'tenant', claim: 'tid' });
    expect(e.subject).toEqual({ sub: 'user-1', jti: 'j-1' });
    expect(JSON.stringify({ h: e.headers, m: e.message })).not.toMatch(/acme|evil/);
  });

  test('the token of the tenant passes, with the params it was checked on', async () => {
    const token = await sign(HS_SECRET, { scope: 'items.read', tid: 'acme' });
    const auth = await authorize(verifier, table, { method: 'GET', path: '/t/acme/items/7', authorization: `Bearer ${token}` });
    expect([auth.decision?.reason, { ...auth.params }]).toEqual(['scope', { tenant: 'acme', id: '7' }]);
  });

  test('a cached token is held to the binding on every request', async () => {
    const token = await sign(HS_SECRET, { scope: 'items.read', tid: 'acme' });
    const ok = () => authorize(verifier, table, { method: 'GET', path: '/t/acme/items/1', authorization: `Bearer ${token}` });
    await ok();
    await ok(); // cached now
    await expect(authorize(verifier, table, { method: 'GET', path: '/t/evil/items/1', authorization: `Bearer ${token}` })).rejects.toMatchObject({ code: 'ERR_BINDING_MISMATCH' });
  });
});
