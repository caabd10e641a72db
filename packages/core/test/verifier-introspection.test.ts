/**
 * The verifier's `introspection` option (RFC 7662 wiring): which tokens go there, and the
 * introspected claims read as a JWT's (scopes, exp, isRevoked, bindings). The introspector
 * itself (HTTP, caches, client authentication) is tested in introspection.test.ts; here an
 * in-process introspector stands in, plus one real endpoint on 127.0.0.1.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  authorize,
  compileRoutes,
  ConfigError,
  createVerifier,
  ForbiddenError,
  InternalError,
  ScopeGateError,
  UnauthorizedError,
  type TokenIntrospector,
  type VerifierOptions,
} from '@scopegate/core';
import { HS_SECRET, sign } from './support/keys';

const settle = <T>(p: Promise<T>) => p.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }));
const now = () => Math.floor(Date.now() / 1000);
const OPAQUE = 'mF_9.B5f-4.1JqM'; // token68, dots and all, but not three base64url parts
const OPAQUE2 = 'opaque-token-2~';

/** An introspector over a table of answers: the same object for the same token (as a cache hands out). */
function fake(answers: Record<string, Record<string, unknown> | Error>) {
  const calls: string[] = [];
  const introspector: TokenIntrospector = {
    async introspect(token) {
      calls.push(token);
      const a = answers[token];
      if (a === undefined) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: not active');
      if (a instanceof Error) throw a;
      return a;
    },
  };
  return { introspector, calls };
}

async function error(p: Promise<unknown>): Promise<ScopeGateError> {
  const r = await settle(p);
  expect(r.ok).toBe(false);
  return (r as { e: ScopeGateError }).e;
}

describe('which tokens go to introspection', () => {
  test("'opaque' (the default with a key source): opaque tokens are introspected, JWTs verified locally", async () => {
    const { introspector, calls } = fake({ [OPAQUE]: { scope: 'users.read', sub: 'u1', exp: now() + 60 } });
    const v = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, introspection: { introspector } });
    expect([...(await v.verify(OPAQUE)).scopes]).toEqual(['users.read']);
    expect([...(await v.verify(await sign(HS_SECRET, { scope: 'local' }))).scopes]).toEqual(['local']);
    expect(calls).toEqual([OPAQUE]);
    // A JWT-shaped token that fails locally is refused, not handed to the introspector.
    expect((await error(v.verify(await sign('x'.repeat(40), { scope: 'a' })))).code).toBe('ERR_TOKEN_INVALID');
    expect(calls).toEqual([OPAQUE]);
  });

  test("'all' (the default without a key source): every token, JWTs included", async () => {
    const jwt = await sign(HS_SECRET, { scope: 'ignored' });
    const { introspector, calls } = fake({ [jwt]: { scope: 'from.endpoint' }, [OPAQUE]: { scope: 'x' } });
    for (const v of [createVerifier({ introspection: { introspector } }), createVerifier({ introspection: { introspector, tokens: 'all' } })]) {
      expect([...(await v.verify(jwt)).scopes]).toEqual(['from.endpoint']);
      expect((await v.verify(OPAQUE)).header).toEqual({});
    }
    expect(calls).toEqual([jwt, OPAQUE, jwt, OPAQUE]);
  });

  test('opaque tokens with several issuers', async () => {
    const { introspector } = fake({ [OPAQUE]: { scope: 'a' } });
    const v = createVerifier({ issuers: [{ issuer: 'A', secret: HS_SECRET, algorithms: ['HS256'] }], introspection: { introspector } });
    expect([...(await v.verify(OPAQUE)).scopes]).toEqual(['a']);
    expect([...(await v.verify(await sign(HS_SECRET, { iss: 'A', scope: 'b' }))).scopes]).toEqual(['b']);
  });

  test('nothing that is not a token68 is sent; length is capped first', async () => {
    const { introspector, calls } = fake({});
    const v = createVerifier({ introspection: { introspector }, maxTokenLength: 64 });
    for (const t of ['a b', 'tok\n', 'ä', '=abc']) expect((await error(v.verify(t))).message).toBe('Invalid token: malformed');
    expect((await error(v.verify('a'.repeat(65)))).message).toBe('Invalid token: too large');
    expect(calls).toEqual([]);
  });
});

describe('introspected claims are read as a JWT payload', () => {
  test('scopes by scopeClaims and scopeMap (defaults: scope, scopes, scp)', async () => {
    const { introspector } = fake({
      [OPAQUE]: { scope: 'openid users-read', realm_access: { roles: ['admin-ish'] } },
    });
    const v = createVerifier({ introspection: { introspector }, scopeClaims: ['scope', 'realm_access.roles'], scopeMap: { 'users-read': 'users.read' } });
    expect([...(await v.verify(OPAQUE)).scopes].sort()).toEqual(['admin-ish', 'openid', 'users.read']);
  });

  test('a scope claim of the wrong type refuses the token', async () => {
    const { introspector } = fake({ [OPAQUE]: { scope: ['a', 1] } });
    const e = await error(createVerifier({ introspection: { introspector } }).verify(OPAQUE));
    expect(e).toBeInstanceOf(UnauthorizedError);
    expect(e.message).toMatch(/"scope" claim must be a string or an array of strings/);
  });

  test('exp is checked on every request, even for an answer seen before', async () => {
    const answer = { scope: 'a', exp: now() + 2 };
    const { introspector } = fake({ [OPAQUE]: answer });
    const v = createVerifier({ introspection: { introspector }, clockTolerance: 0 });
    const first = await v.verify(OPAQUE);
    expect(await v.verify(OPAQUE)).toBe(first); // built once per answer object
    await new Promise((r) => setTimeout(r, 2100));
    expect((await error(v.verify(OPAQUE))).code).toBe('ERR_TOKEN_EXPIRED');
  });

  test('nbf to come, and time claims that are not numbers, are refused', async () => {
    const { introspector } = fake({ [OPAQUE]: { nbf: now() + 600 }, [OPAQUE2]: { exp: String(now() + 600) } });
    const v = createVerifier({ introspection: { introspector } });
    expect((await error(v.verify(OPAQUE))).message).toMatch(/"nbf"/);
    expect((await error(v.verify(OPAQUE2))).message).toMatch(/"exp" claim must be a number/);
  });

  test('isRevoked applies (sync and async), every time', async () => {
    const { introspector } = fake({ [OPAQUE]: { jti: 'bad' }, [OPAQUE2]: { jti: 'good' } });
    for (const isRevoked of [(c: { jti?: string }) => c.jti === 'bad', async (c: { jti?: string }) => c.jti === 'bad']) {
      const v = createVerifier({ introspection: { introspector }, isRevoked });
      expect((await error(v.verify(OPAQUE))).code).toBe('ERR_TOKEN_REVOKED');
      await expect(v.verify(OPAQUE2)).resolves.toBeDefined();
    }
  });

  test('claims are frozen copies; the introspector\'s own object is left alone', async () => {
    const answer = { scope: 'a', nested: { x: 1 } };
    const { introspector } = fake({ [OPAQUE]: answer });
    const t = await createVerifier({ introspection: { introspector } }).verify(OPAQUE);
    expect(Object.isFrozen(t.claims)).toBe(true);
    expect(Object.isFrozen((t.claims as { nested: object }).nested)).toBe(true);
    expect(Object.isFrozen(answer) || Object.isFrozen(answer.nested)).toBe(false);
  });

  test('not cached by the verifier (the introspector bounds its own cache): checkCached answers undefined', async () => {
    const { introspector, calls } = fake({ [OPAQUE]: { scope: 'a' } });
    const v = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, introspection: { introspector } });
    await v.verify(OPAQUE);
    await v.verify(OPAQUE);
    expect(v.checkCached!(OPAQUE)).toBeUndefined();
    expect(v.cacheStats.size).toBe(0);
    expect(calls).toHaveLength(2);
  });

  test('bindings read the introspected claims', async () => {
    const table = compileRoutes([{ method: 'GET', path: '/t/:tenant/items', scopes: ['items.read'], bind: { tenant: 'tid' } }]);
    const { introspector } = fake({ [OPAQUE]: { scope: 'items.read', tid: 'acme', sub: 'u1' } });
    const v = createVerifier({ introspection: { introspector } });
    const ok = await authorize(v, table, { method: 'GET', path: '/t/acme/items', authorization: `Bearer ${OPAQUE}` });
    expect(ok.decision?.allowed).toBe(true);
    const r = await settle(Promise.resolve().then(() => authorize(v, table, { method: 'GET', path: '/t/evil/items', authorization: `Bearer ${OPAQUE}` })));
    expect((r as { e: ForbiddenError }).e).toMatchObject({ code: 'ERR_BINDING_MISMATCH', subject: { sub: 'u1', jti: null } });
  });
});

describe('failures of the introspector', () => {
  test('inactive (401) and unavailable (503) pass through as they are', async () => {
    const down = new ScopeGateError('ERR_KEYS_UNAVAILABLE', 'Token introspection unavailable', { status: 503 });
    const { introspector } = fake({ [OPAQUE2]: down });
    const v = createVerifier({ introspection: { introspector } });
    expect(await error(v.verify(OPAQUE))).toMatchObject({ status: 401, code: 'ERR_TOKEN_INVALID' });
    expect(await error(v.verify(OPAQUE2))).toBe(down);
  });

  test('active other than the boolean true is refused; junk answers and plain errors are a 500, never a pass', async () => {
    const odd: TokenIntrospector = {
      async introspect(token) {
        if (token === 'str') return { active: 'true', scope: 'admin' };
        if (token === 'arr') return [] as unknown as Record<string, unknown>;
        if (token === 'nul') return null as unknown as Record<string, unknown>;
        throw new Error('socket hang up');
      },
    };
    const v = createVerifier({ introspection: { introspector: odd } });
    expect(await error(v.verify('str'))).toMatchObject({ status: 401, message: 'Invalid token: not active' });
    for (const t of ['arr', 'nul', 'boom']) expect(await error(v.verify(t))).toBeInstanceOf(InternalError);
  });
});

describe('a real introspection endpoint on 127.0.0.1', () => {
  let server: http.Server;
  let url: string;
  let mode: 'ok' | 'down' = 'ok';
  let requests = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        requests++;
        if (mode === 'down') return void res.writeHead(500).end();
        const token = new URLSearchParams(body).get('token');
        const auth = req.headers.authorization === `Basic ${Buffer.from('rs:rs-secret').toString('base64')}`;
        const active = auth && token === OPAQUE;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(active ? { active: true, scope: 'users.read', sub: 'u1', exp: now() + 300, client_id: 'c1' } : { active: false }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('introspection options build the introspector: active, inactive, outage (503, fail closed)', async () => {
    const v = createVerifier({
      introspection: { url, clientAuth: { method: 'client_secret_basic', clientId: 'rs', clientSecret: 'rs-secret' }, inactiveMaxAge: 0 },
      isRevoked: () => false,
    });
    const t = await v.verify(OPAQUE);
    expect([...t.scopes]).toEqual(['users.read']);
    expect(t.claims).toMatchObject({ sub: 'u1', client_id: 'c1' });
    expect(await error(v.verify(OPAQUE2))).toMatchObject({ status: 401 });
    mode = 'down';
    const e = await error(v.verify('never-seen-token'));
    expect(e.status).toBe(503);
    mode = 'ok';
    expect(requests).toBeGreaterThanOrEqual(3);
  });
});

describe('configuration', () => {
  const { introspector } = fake({});
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['not an object', { introspection: 'https://as/introspect' }, /^introspection must be an object/],
    ['introspector without introspect', { introspection: { introspector: {} } }, /^introspection\.introspector must be an introspector/],
    ['bad tokens', { introspection: { introspector, tokens: 'jwt' } }, /^introspection\.tokens must be "opaque" or "all"/],
    ['opaque without keys', { introspection: { introspector, tokens: 'opaque' } }, /^introspection\.tokens "opaque" verifies JWTs locally, but there is no key source/],
    ['all with a key source', { algorithms: ['HS256'], secret: HS_SECRET, introspection: { introspector, tokens: 'all' } }, /^introspection\.tokens "all" sends every token to the introspector: remove secret/],
    ['all with issuers', { issuers: [{ issuer: 'A', secret: HS_SECRET, algorithms: ['HS256'] }], introspection: { introspector, tokens: 'all' } }, /remove issuers/],
    ['JWT options without JWTs', { audience: 'api', algorithms: ['RS256'], introspection: { introspector } }, /^algorithms, audience only applies to JWTs verified locally/],
    ['options beside a built introspector', { introspection: { introspector, url: 'https://as/introspect' } }, /^introspection\.introspector is already built: introspection\.url cannot be set beside it/],
    ['bad introspection options', { introspection: { url: 'not a url', clientAuth: { method: 'bearer', token: 't' } } }, /introspection/],
  ];
  test.each(cases)('%s → ConfigError naming the option', (_name, o, message) => {
    let e: unknown;
    try {
      createVerifier(o as VerifierOptions);
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toMatch(message);
  });
});
