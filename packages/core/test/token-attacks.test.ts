/**
 * Attacks on issue 19's features, one table: issuer confusion, a kid of issuer A in a token of
 * issuer B, nested scope claims of the wrong type, substring scope tricks, an ID token under the
 * RFC 9068 profile, introspection answers that must not pass. Every row must be refused (401),
 * or must not grant the scope it tries to smuggle in (403 at the gate).
 */
import { authorize, compileRoutes, createVerifier, ScopeGateError, type TokenIntrospector, type Verifier } from '@scopegate/core';
import { makeKey, sign, startJwksServer, type JwksServer, type TestKey } from './support/keys';

const A = 'https://a.example/';
const B = 'https://b.example/';
let ka: TestKey;
let kb: TestKey;
let serverA: JwksServer;
let serverB: JwksServer;
let verifier: Verifier;

const introspector: TokenIntrospector = {
  async introspect(token) {
    if (token === 'opaque-active-string') return { active: 'true', scope: 'users.read' };
    if (token === 'opaque-scope-number') return { scope: 42 };
    if (token === 'opaque-scope-substring') return { scope: 'users.readx xusers.read' };
    if (token === 'opaque-expired') return { scope: 'users.read', exp: Math.floor(Date.now() / 1000) - 60 };
    throw new ScopeGateError('ERR_TOKEN_INVALID', 'Invalid token: not active', { status: 401 });
  },
};

beforeAll(async () => {
  ka = await makeKey('ES256', 'kid-a');
  kb = await makeKey('ES256', 'kid-b');
  serverA = await startJwksServer([ka.publicJwk]);
  serverB = await startJwksServer([kb.publicJwk]);
  verifier = createVerifier({
    issuers: [
      { issuer: A, jwksUri: serverA.url, algorithms: ['ES256'], audience: 'api', scopeClaims: ['realm_access.roles', 'permissions'], profile: 'rfc9068' },
      { issuer: B, jwksUri: serverB.url, algorithms: ['ES256'], audience: 'api', scopeClaims: ['scope', 'resource_access.api.roles'] },
    ],
    introspection: { introspector },
  });
});
afterAll(async () => {
  await serverA.close();
  await serverB.close();
});

const table = compileRoutes([{ method: 'GET', path: '/users', scopes: ['users.read'] }]);
const at = { typ: 'at+jwt' };
const a = (claims: Record<string, unknown>, header: Record<string, unknown> = at) =>
  sign(ka, { iss: A, aud: 'api', client_id: 'c', jti: `j${Math.random()}`, ...claims }, header);

type Row = [name: string, status: number, token: () => Promise<string>];
const rows: Row[] = [
  ['iss B, signed by A (A\'s kid)', 401, () => sign(ka, { iss: B, aud: 'api', scope: 'users.read' })],
  ['iss A, signed by B (B\'s kid)', 401, () => sign(kb, { iss: A, aud: 'api', permissions: ['users.read'], client_id: 'c', jti: 'j' }, at)],
  ['iss A, B\'s key under A\'s kid', 401, () => sign({ ...kb, kid: 'kid-a' }, { iss: A, aud: 'api', permissions: ['users.read'], client_id: 'c', jti: 'j' }, at)],
  ['iss B, no kid, signed by A', 401, () => sign({ ...ka, kid: undefined as unknown as string }, { iss: B, aud: 'api', scope: 'users.read' })],
  ['unknown issuer', 401, () => sign(ka, { iss: 'https://evil.example/', aud: 'api', scope: 'users.read' })],
  ['issuer as an array', 401, () => sign(ka, { iss: [A] as unknown as string, aud: 'api', scope: 'users.read' })],
  ['ID token (typ JWT) under the profile', 401, () => a({ permissions: ['users.read'], nonce: 'n' }, { typ: 'JWT' })],
  ['no typ under the profile', 401, () => a({ permissions: ['users.read'] }, {})],
  ['profile claim missing (client_id)', 401, () => a({ permissions: ['users.read'], client_id: undefined })],
  ['nested roles an object', 401, () => a({ realm_access: { roles: { 'users.read': true } } })],
  ['nested roles a number', 401, () => a({ realm_access: { roles: 1 } })],
  ['nested roles an array holding an object', 401, () => a({ realm_access: { roles: ['x', { 0: 'users.read' }] } })],
  ['path through a string', 401, () => a({ realm_access: 'users.read' })],
  ['substring: users.readx', 403, () => a({ permissions: ['users.readx', 'xusers.read', 'users.rea'] })],
  ['two scopes in one array element', 403, () => a({ permissions: ['users.read users.write'] })],
  ['a tab is not a separator', 403, () => sign(kb, { iss: B, aud: 'api', scope: 'users.read\tusers.write' })],
  ['scope in a claim this issuer does not read', 403, () => a({ scope: 'users.read' })],
  ['B\'s roles of another client', 403, () => sign(kb, { iss: B, aud: 'api', resource_access: { other: { roles: ['users.read'] } } })],
  ['introspection: active "true" as a string', 401, async () => 'opaque-active-string'],
  ['introspection: scope a number', 401, async () => 'opaque-scope-number'],
  ['introspection: scope substrings', 403, async () => 'opaque-scope-substring'],
  ['introspection: expired', 401, async () => 'opaque-expired'],
  ['introspection: inactive', 401, async () => 'opaque-unknown'],
];

test.each(rows)('%s → %d', async (_name, status, token) => {
  const t = await token();
  const r = await Promise.resolve()
    .then(() => authorize(verifier, table, { method: 'GET', path: '/users', authorization: `Bearer ${t}` }))
    .then(
      () => null,
      (e: unknown) => e as ScopeGateError,
    );
  expect(r).not.toBeNull();
  expect(r!.status).toBe(status);
});

test('the legitimate tokens of both issuers pass, and nothing above fetched a key set of a third party', async () => {
  for (const t of [await a({ permissions: ['users.read'] }), await sign(kb, { iss: B, aud: 'api', resource_access: { api: { roles: ['users.read'] } } }), await sign(kb, { iss: B, aud: 'api', scope: 'users.read' })]) {
    await expect(Promise.resolve(authorize(verifier, table, { method: 'GET', path: '/users', authorization: `Bearer ${t}` }))).resolves.toMatchObject({ decision: { allowed: true } });
  }
  expect(serverA.fetches).toBeLessThanOrEqual(2);
  expect(serverB.fetches).toBeLessThanOrEqual(2);
});
