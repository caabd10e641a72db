/** authorize(): the gate's decision without a framework — route, authenticate fully, then authorize. */
import {
  authorize,
  bearerChallenge,
  bearerToken,
  BadPathError,
  compileRoutes,
  createVerifier,
  ForbiddenError,
  InvalidRequestError,
  UnauthorizedError,
  type Authorization,
  type Decision,
  type MatchedAuthorization,
  type ScopeGateError,
  type UnmatchedAuthorization,
} from '@scopegate/core';
import { HS_SECRET, sign } from './support/keys';

const table = compileRoutes([
  { method: 'GET', path: '/healthz', public: true },
  { method: 'GET', path: '/users/:id', scopes: ['users.read'] },
  { method: 'GET', path: '/me', scopes: [] },
]);
const verifier = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET });
const realm = 'api';

async function refusal(method: string, path: string, authorization?: string | string[]): Promise<ScopeGateError> {
  const error = await authorize(verifier, table, { method, path, authorization }, { realm }).then(
    () => null,
    (e: unknown) => e as ScopeGateError,
  );
  if (!error) throw new Error(`${method} ${path} was allowed`);
  return error;
}

test('public rules need no token, and a bad header there does not matter', async () => {
  const a = await authorize(verifier, table, { method: 'GET', path: '/healthz', authorization: 'Bearer !!' });
  expect(a).toMatchObject({ token: null, rawToken: null, decision: { reason: 'public' } });
});

test('no token: 401 with a bare Bearer challenge and the seed body text, even on unknown routes', async () => {
  for (const path of ['/users/1', '/nowhere']) {
    const e = await refusal('GET', path);
    expect(e).toBeInstanceOf(UnauthorizedError);
    expect([e.status, e.code, e.message, e.headers['WWW-Authenticate']]).toEqual([401, 'ERR_TOKEN_MISSING', 'No jwt provided!', 'Bearer realm="api"']);
  }
});

test('an unknown route is refused (403) only after authentication', async () => {
  const bad = await refusal('GET', '/nowhere', 'Bearer abc.def.ghi');
  expect(bad.status).toBe(401);
  const e = await refusal('GET', '/nowhere', `Bearer ${await sign(HS_SECRET, { scope: 'all.read' })}`);
  expect(e).toBeInstanceOf(ForbiddenError);
  expect([e.status, e.code, e.message]).toEqual([403, 'ERR_NO_ROUTE', 'Access Forbidden']);
});

test('insufficient scope: 403 naming the required scopes; the 403 class is not a 401 class', async () => {
  const e = await refusal('GET', '/users/1', `Bearer ${await sign(HS_SECRET, { scope: 'other' })}`);
  expect(e).toBeInstanceOf(ForbiddenError);
  expect(e).not.toBeInstanceOf(UnauthorizedError);
  expect(e.headers['WWW-Authenticate']).toBe('Bearer realm="api", error="insufficient_scope", scope="users.read"');
});

test('bad path: 400, after authentication', async () => {
  expect((await refusal('GET', '/users/%E0')).status).toBe(401);
  const e = await refusal('GET', '/users/%E0', `Bearer ${await sign(HS_SECRET, { scope: 'users.read' })}`);
  expect(e).toBeInstanceOf(BadPathError);
  expect(e.status).toBe(400);
});

test('allowed: the decision, the verified token and the params', async () => {
  const token = await sign(HS_SECRET, { scope: 'users.read' });
  const a = await authorize(verifier, table, { method: 'HEAD', path: '/users/a%20b?x=1', authorization: `bearer ${token}` });
  expect(a.decision?.reason).toBe('scope');
  expect(a.rawToken).toBe(token);
  expect(a.token?.claims.sub).toBe('user-1');
  expect({ ...a.params }).toEqual({ id: 'a b' });
  expect((await authorize(verifier, table, { method: 'GET', path: '/me', authorization: `Bearer ${token}` })).decision?.reason).toBe('authenticated');
});

test("unmatched: 'next' (scopeGate's word) lets unknown routes through without reading a token", async () => {
  const a = await authorize(verifier, table, { method: 'GET', path: '/nowhere' }, { unmatched: 'next' });
  expect(a).toMatchObject({ decision: null, rule: null, token: null, rawToken: null });
  expect({ ...a.params }).toEqual({});
  // A covered route is still decided, and its result narrows to one with a decision.
  const token = await sign(HS_SECRET, { scope: 'users.read' });
  const b = await authorize(verifier, table, { method: 'GET', path: '/users/1', authorization: `Bearer ${token}` }, { unmatched: 'next' });
  if (b.rule === null) throw new Error('matched a rule');
  expect(b.decision.reason).toBe('scope'); // no `?.`: decision is not nullable once rule is set
  expect(b.rule.path).toBe('/users/:id');
});

test("unmatched: 'allow' is kept as a deprecated alias of 'next'", async () => {
  const a = await authorize(verifier, table, { method: 'GET', path: '/nowhere' }, { unmatched: 'allow' });
  expect(a).toMatchObject({ decision: null, rule: null, token: null });
});

test("unmatched: 'deny' (the default), and any other value, refuses unknown routes after authentication", async () => {
  const token = await sign(HS_SECRET, { scope: 'users.read' });
  for (const unmatched of ['deny', undefined, 'bogus'] as const) {
    const e = await authorize(verifier, table, { method: 'GET', path: '/nowhere', authorization: `Bearer ${token}` }, { unmatched: unmatched as 'deny' }).then(
      () => null,
      (err: unknown) => err as ScopeGateError,
    );
    expect(e).toBeInstanceOf(ForbiddenError);
    expect(e!.code).toBe('ERR_NO_ROUTE');
  }
});

test('the result type: decision is set whenever rule is (a discriminated union on rule)', async () => {
  const a: Authorization = await authorize(verifier, table, { method: 'GET', path: '/healthz' });
  if (a.rule !== null) {
    const d: Decision = a.decision; // compiles: a MatchedAuthorization
    expect(d.reason).toBe('public');
  } else {
    const none: null = a.decision; // compiles: an UnmatchedAuthorization
    expect(none).toBeNull();
  }
  const m: MatchedAuthorization | UnmatchedAuthorization = a;
  expect(m.rule?.path).toBe('/healthz');
});

test.each([
  ['Bearer', InvalidRequestError],
  ['Bearer  ', InvalidRequestError],
  ['Bearer a b', InvalidRequestError],
  ['Bearer a"b', InvalidRequestError],
  ['Basic dXNlcjpwYXNz, Bearer abc', InvalidRequestError],
  ['Bearer\tabc.def.ghi', InvalidRequestError],
  ['Bearer\u00a0abc.def.ghi', InvalidRequestError],
  ['Bearér abc.def.ghi', InvalidRequestError],
  ['Bearer abc.def.ghi\u00a0', InvalidRequestError],
])('malformed Authorization %j → 400 invalid_request', (header, cls) => {
  expect(() => bearerToken(header, 'api')).toThrow(cls);
  try {
    bearerToken(header, 'api');
  } catch (e) {
    expect((e as InvalidRequestError).headers['WWW-Authenticate']).toMatch(/^Bearer realm="api", error="invalid_request", error_description="/);
  }
});

test.each<[string, string | null]>([
  ['Basic dXNlcjpwYXNz', null],
  ['DPoP abc.def.ghi', null],
  ['BEARER abc.def-_~+/=', 'abc.def-_~+/='],
  ['Bearer   t0k3n', 't0k3n'],
  ['bEaReR abc.def.ghi', 'abc.def.ghi'],
  // Other schemes, one letter off in each place (and one short, and unseparated): no bearer token.
  ...['Xearer', 'Bxarer', 'Bexrer', 'Beaxer', 'Bearxr', 'Bearex', 'Beare', 'Bearerx'].map((scheme): [string, null] => [`${scheme} abc.def.ghi`, null]),
  ['Bearerabc.def.ghi', null],
])('Authorization %j → %j', (header, token) => {
  expect(bearerToken(header)).toBe(token);
});

test('several Authorization headers are refused', () => {
  expect(() => bearerToken(['Bearer a', 'Bearer b'])).toThrow(InvalidRequestError);
});

test('challenge values are escaped per RFC 6750: quotes, backslashes, control characters', () => {
  expect(bearerChallenge('a "b" \\c\r\nX-Evil: 1', { error: 'invalid_token', error_description: 'bad "x"' })).toBe(
    'Bearer realm="a \\"b\\" \\\\c??X-Evil: 1", error="invalid_token", error_description="bad \\"x\\""',
  );
});
