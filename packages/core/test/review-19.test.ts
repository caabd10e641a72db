/**
 * Review of issue 19 (several issuers, introspection, scopeClaims/scopeMap, RFC 9068, RFC 9728):
 * attacks tried, as regression tests. Three exposed a hole and failed before their fix: a JWT
 * with `=` appended was classified opaque and sent to introspection past the local checks; a
 * configured audience/issuer did not apply to introspected tokens; a case variant of a metadata
 * path prefix got the root resource's URL.
 */
import { CompactSign } from 'jose';
import {
  authorizePathname,
  bearerChallenge,
  compileRoutes,
  ConfigError,
  createVerifier,
  resourceMetadataEndpoints,
  ScopeGateError,
  UnauthorizedError,
  type TokenIntrospector,
} from '@scopegate/core';
import { HS_SECRET, makeKey, sign, startJwksServer, type JwksServer, type TestKey } from './support/keys';
import { randomToken, startIntrospectionServer, type IntrospectionServer } from './support/introspection-server';

const A = 'https://a.issuer.test/';
const B = 'https://b.issuer.test/';
const SECRET_B = 'b-secret-that-is-definitely-32-bytes-or-more!!';
const now = () => Math.floor(Date.now() / 1000);
const settle = <T>(p: Promise<T>) => p.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }));
async function failure(p: Promise<unknown>): Promise<ScopeGateError> {
  const r = await settle(p);
  expect(r.ok).toBe(false);
  return (r as { e: ScopeGateError }).e;
}
async function refused(p: Promise<unknown>, message?: RegExp): Promise<void> {
  const e = await failure(p);
  expect(e).toBeInstanceOf(UnauthorizedError);
  expect(e.status).toBe(401);
  if (message) expect(e.message).toMatch(message);
}

/** Sign raw payload text (duplicate keys, BOM…) with a test key. */
async function signRaw(key: TestKey, payloadText: string, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payloadText)).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

let ka: TestKey;
let kb: TestKey;
let rsa: TestKey;
let serverA: JwksServer;
beforeAll(async () => {
  ka = await makeKey('ES256', 'kid-a');
  kb = await makeKey('ES256', 'kid-b');
  rsa = await makeKey('RS256', 'kid-rsa');
  serverA = await startJwksServer([ka.publicJwk]);
});
afterAll(async () => {
  await serverA.close();
});

/** A: remote ES256 keys; B: HS256 secret; R: RS256 public key (PEM). */
function three() {
  return createVerifier({
    issuers: [
      { issuer: A, jwksUri: serverA.url, algorithms: ['ES256'], audience: 'api' },
      { issuer: B, secret: SECRET_B, algorithms: ['HS256'], audience: 'api' },
      { issuer: 'https://r.issuer.test/', publicKey: rsa.publicPem, algorithms: ['RS256'], audience: 'api' },
    ],
  });
}

describe('issuer confusion (held)', () => {
  test('iss as array, number, object, unicode lookalike, trailing slash / case variants: refused before any key fetch', async () => {
    const v = three();
    const before = serverA.fetches;
    await refused(v.verify(await sign(ka, { iss: [A] as unknown as string, aud: 'api' })), /no "iss"/);
    await refused(v.verify(await sign(ka, { iss: { toString: A } as unknown as string, aud: 'api' })), /no "iss"/);
    await refused(v.verify(await sign(ka, { iss: A.replace('a.', '\u0430.'), aud: 'api' })), /unknown issuer/); // Cyrillic а
    await refused(v.verify(await sign(ka, { iss: A.slice(0, -1), aud: 'api' })), /unknown issuer/);
    await refused(v.verify(await sign(ka, { iss: `${A}/`, aud: 'api' })), /unknown issuer/);
    await refused(v.verify(await sign(ka, { iss: A.toUpperCase(), aud: 'api' })), /unknown issuer/);
    await refused(v.verify(await sign(ka, { iss: '__proto__', aud: 'api' })), /unknown issuer/);
    await refused(v.verify(await sign(ka, { iss: 'constructor', aud: 'api' })), /unknown issuer/);
    expect(serverA.fetches).toBe(before);
  });

  test('duplicate "iss" keys: the selector and jose both read the last one', async () => {
    const v = three();
    const exp = now() + 600;
    // Last iss is A, signed by A: accepted as A.
    const ok = await signRaw(ka, `{"iss":"${B}","aud":"api","exp":${exp},"iss":"${A}","scope":"x"}`);
    expect((await v.verify(ok)).claims.iss).toBe(A);
    // Last iss is B (HS256 entry), signed by A's ES256 key: B's entry refuses the algorithm.
    await refused(v.verify(await signRaw(ka, `{"iss":"${A}","aud":"api","exp":${exp},"iss":"${B}"}`)), /algorithm not allowed/);
  });

  test('header decodes but payload is not JSON (or not an object, or has a BOM): 401 malformed, no fetch', async () => {
    const v = three();
    const before = serverA.fetches;
    const h = b64(JSON.stringify({ alg: 'ES256', kid: 'kid-a' }));
    await refused(v.verify(`${h}.${b64('not json')}.${b64('sig')}`), /malformed/);
    await refused(v.verify(`${h}.${b64('[1,2]')}.${b64('sig')}`), /no "iss"/);
    await refused(v.verify(`${h}.${b64('"x"')}.${b64('sig')}`), /no "iss"/);
    // A BOM before the JSON: jose would strip it; the selector refuses it (fails closed).
    await refused(v.verify(await signRaw(ka, `\ufeff{"iss":"${A}","aud":"api","exp":${now() + 60}}`)), /malformed/);
    expect(serverA.fetches).toBe(before);
  });

  test("kid of issuer A in a token claiming B, and B's kid under A: refused", async () => {
    const v = three();
    await refused(v.verify(await sign(ka, { iss: B, aud: 'api' })));
    await refused(v.verify(await sign({ ...kb, kid: 'kid-a' }, { iss: A, aud: 'api' })), /signature/);
  });

  test('alg confusion across entries: HS256 signed with the RSA issuer\'s PEM, claiming either issuer', async () => {
    const v = three();
    const pemSecret = rsa.publicPem;
    await refused(v.verify(await sign(pemSecret, { iss: 'https://r.issuer.test/', aud: 'api' })), /algorithm not allowed/);
    await refused(v.verify(await sign(pemSecret, { iss: B, aud: 'api' })), /signature/);
    await refused(v.verify(await sign(pemSecret, { iss: A, aud: 'api' })), /algorithm not allowed/);
    // alg none, claiming B.
    await refused(v.verify(`${b64('{"alg":"none"}')}.${b64(JSON.stringify({ iss: B, aud: 'api', exp: now() + 60 }))}.`));
    // B's own secret signing a token claiming the RSA issuer.
    await refused(v.verify(await sign(SECRET_B, { iss: 'https://r.issuer.test/', aud: 'api' })), /algorithm not allowed/);
  });

  test('verified-token cache: a token cached by one verifier is never a hit in another (only B, or A with another audience)', async () => {
    const v1 = three();
    const t = await sign(ka, { iss: A, aud: 'api', scope: 'users.read' });
    await v1.verify(t);
    await v1.verify(t);
    expect(v1.cacheStats.hits).toBe(1);
    const onlyB = createVerifier({ issuers: [{ issuer: B, secret: SECRET_B, algorithms: ['HS256'] }] });
    await refused(onlyB.verify(t), /unknown issuer/);
    expect(onlyB.checkCached!(t)).toBeUndefined();
    const otherAud = createVerifier({ issuers: [{ issuer: A, jwksUri: serverA.url, algorithms: ['ES256'], audience: 'other' }] });
    await refused(otherAud.verify(t), /aud/);
    expect(otherAud.checkCached!(t)).toBeUndefined();
  });

  test('ID token (typ JWT) accepted for the issuer without profile, refused for the rfc9068 one (per entry, as documented)', async () => {
    const v = createVerifier({
      issuers: [
        { issuer: A, jwksUri: serverA.url, algorithms: ['ES256'], audience: 'api', profile: 'rfc9068' },
        { issuer: B, secret: SECRET_B, algorithms: ['HS256'], audience: 'api' },
      ],
    });
    const idClaims = { aud: 'api', sub: 'u', client_id: 'c', jti: 'j1', scope: 'users.read' };
    await refused(v.verify(await sign(ka, { ...idClaims, iss: A }, { typ: 'JWT' })), /typ/);
    expect((await v.verify(await sign(SECRET_B, { ...idClaims, iss: B }, { typ: 'JWT' }))).scopes.has('users.read')).toBe(true);
  });
});

describe('RFC 9068 typ spellings (held)', () => {
  const v = () => createVerifier({ algorithms: ['ES256'], publicKey: ka.publicJwk, issuer: A, audience: 'api', profile: 'rfc9068' });
  const claims = () => ({ iss: A, aud: 'api', sub: 'u', client_id: 'c', jti: `j-${Math.random()}` });
  test.each(['at+jwt', 'AT+JWT', 'application/at+jwt', 'APPLICATION/AT+JWT'])('accepted: %s', async (typ) => {
    await expect(v().verify(await sign(ka, claims(), { typ }))).resolves.toBeDefined();
  });
  test.each(['application/at+jwt; charset=x', 'at+jwt ', ' at+jwt', 'at+jwt\t', 'JWT', 'jwt', 'at+JWT+x', 'application/jwt', 'x/at+jwt', ''])('refused: %j', async (typ) => {
    await refused(v().verify(await sign(ka, claims(), { typ })));
  });
  test('typ not a string (array, number) refused; empty client_id / jti refused', async () => {
    await refused(v().verify(await sign(ka, claims(), { typ: ['at+jwt'] })));
    await refused(v().verify(await sign(ka, claims(), { typ: 1 })));
    await refused(v().verify(await sign(ka, { ...claims(), client_id: '' }, { typ: 'at+jwt' })), /client_id/);
    await refused(v().verify(await sign(ka, { ...claims(), jti: 7 as unknown as string }, { typ: 'at+jwt' })), /jti/);
  });
});

describe('scopeClaims paths and scopeMap against prototype keys (held)', () => {
  test('paths through constructor / __proto__ / toString read own claims only', async () => {
    const v = createVerifier({
      algorithms: ['HS256'],
      secret: HS_SECRET,
      scopeClaims: ['constructor.name', 'toString', ['__proto__', 'scope'], 'hasOwnProperty', 'scope.length'],
    });
    // Nothing own: nothing read (and never Object.prototype's members).
    expect([...(await v.verify(await sign(HS_SECRET, {}))).scopes]).toEqual([]);
    // `scope.length` on a string: a path through a non-object refuses the token.
    await refused(v.verify(await sign(HS_SECRET, { scope: 'abc' })));
  });

  test('an own "__proto__" claim in the JSON is read only at an explicit path and never becomes a prototype', async () => {
    const t = await signRaw({ alg: 'HS256' as never, kid: 'x', privateKey: new TextEncoder().encode(HS_SECRET) as never } as unknown as TestKey,
      `{"exp":${now() + 60},"__proto__":{"scope":"admin","exp":1}}`);
    const plain = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET });
    const r = await plain.verify(t);
    expect([...r.scopes]).toEqual([]);
    expect(Object.getPrototypeOf(r.claims)).toBe(Object.prototype);
  });

  test('scopeMap record keys __proto__ / toString / constructor: only own keys map', async () => {
    const map = JSON.parse('{"__proto__":"users.write","r":"users.read"}') as Record<string, string>;
    const v = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, scopeMap: map });
    const s = (await v.verify(await sign(HS_SECRET, { scope: 'toString constructor valueOf r __proto__' }))).scopes;
    expect([...s].sort()).toEqual(['constructor', 'toString', 'users.read', 'users.write', 'valueOf']);
    expect(() => createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, scopeMap: { a: 'b c' } })).toThrow(ConfigError);
    expect(() => createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, scopeMap: { a: 'b\tc' } })).toThrow(ConfigError);
  });

  test('a scopeMap function answering "a b" gives one scope "a b" that grants neither a nor b', async () => {
    const v = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, scopeMap: () => 'users.read users.write' });
    const table = compileRoutes([{ method: 'GET', path: '/u', scopes: ['users.read'] }]);
    const t = await sign(HS_SECRET, { scope: 'x' });
    const e = await failure(Promise.resolve().then(() => authorizePathname(v, table, 'GET', '/u', `Bearer ${t}`)));
    expect(e.status).toBe(403);
  });
});

describe('introspection (real endpoint on 127.0.0.1)', () => {
  let server: IntrospectionServer;
  beforeEach(async () => {
    server = await startIntrospectionServer();
  });
  afterEach(async () => {
    await server.close();
  });
  const verifier = (extra: Record<string, unknown> = {}) =>
    createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, audience: 'my-api', issuer: A, introspection: { url: server.url, clientAuth: { method: 'bearer', token: 'rs-cred' } }, ...extra });
  const answer = (body: unknown) => {
    server.reply = () => ({ body: JSON.stringify(body) });
  };

  test('answers that try to smuggle: active "true"/1/null/missing, exp as string, scope as array, huge → 503', async () => {
    const v = verifier();
    for (const body of [
      { active: 'true', scope: 'admin' },
      { active: 1, scope: 'admin' },
      { active: null, scope: 'admin' },
      { scope: 'admin' },
      { active: true, scope: 'admin', exp: String(now() + 60) },
      { active: true, scope: ['admin'] },
      { active: true, scope: 'admin', aud: [1] },
      { active: true, scope: 'admin', pad: 'x'.repeat(70_000) },
      [{ active: true, scope: 'admin' }],
    ]) {
      answer(body);
      const e = await failure(v.verify(randomToken()));
      expect([e.code, e.status]).toEqual(['ERR_INTROSPECTION_UNAVAILABLE', 503]);
    }
  });

  test('exp far future with 1e400 (Infinity) → 503; scope with tabs/newlines is one scope, no substring grant', async () => {
    const v = verifier();
    server.reply = () => ({ body: `{"active":true,"scope":"x","exp":1e400}` });
    expect((await failure(v.verify(randomToken()))).status).toBe(503);
    answer({ active: true, scope: 'x\tusers.read\nadmin', exp: now() + 60, aud: 'my-api', iss: A });
    const s = (await v.verify(randomToken())).scopes;
    expect(s.has('users.read')).toBe(false);
    expect(s.has('admin')).toBe(false);
  });

  test('isRevoked applies on introspection cache hits', async () => {
    let revoked = false;
    const v = verifier({ isRevoked: () => revoked });
    const t = randomToken();
    server.tokens.set(t, { scope: 'users.read', exp: now() + 3600, jti: 'j', aud: 'my-api', iss: A });
    await v.verify(t);
    revoked = true;
    await refused(v.verify(t), /revoked/);
    expect(server.requests).toHaveLength(1);
  });

  test('whitespace, a non-canonical last character: token68 checked before anything leaves; JWT-shaped failures stay local', async () => {
    const v = verifier();
    const jwt = await sign('z'.repeat(40), { iss: A, aud: 'my-api' }); // wrong key
    await refused(v.verify(` ${jwt}`));
    await refused(v.verify(`${jwt}\n`));
    await refused(v.verify(`${jwt.slice(0, 10)} ${jwt.slice(10)}`));
    await refused(v.verify(jwt)); // JWT-shaped: local, refused, never introspected
    const good = await sign(HS_SECRET, { iss: A, aud: 'other-api' });
    await refused(v.verify(good.slice(0, -1) + (good.endsWith('A') ? 'B' : 'A')), /malformed|signature/); // other spelling of the last byte
    expect(server.requests).toHaveLength(0);
  });

  test('a JSON-header a.b.c whose header is not a JWS header is verified locally (not introspected)', async () => {
    const v = verifier();
    await refused(v.verify(`${b64('{}')}.${b64('{}')}.${b64('s')}`));
    await refused(v.verify(`${b64('{"typ":"x"}')}.e30.AA`));
    expect(server.requests).toHaveLength(0);
  });

  // The endpoint below stands in for an authorization server that issues both JWTs and opaque
  // tokens and introspects both (Keycloak, Hydra, many others), with a base64url decoder that
  // tolerates `=` padding (java.util.Base64's URL decoder, Nimbus, Go's RawURLEncoding fallbacks).
  test('a JWT refused locally (wrong audience) with "=" appended to its signature is still a JWT: refused locally, never sent to introspection', async () => {
    const v = verifier();
    const jwt = await sign(HS_SECRET, { iss: A, aud: 'other-api', scope: 'users.read admin' }); // for another resource server
    await refused(v.verify(jwt), /aud/);
    server.reply = (req) => {
      const t = (req.form.get('token') ?? '').replace(/=+$/, '');
      return { body: JSON.stringify(t === jwt ? { active: true, iss: A, aud: 'other-api', scope: 'users.read admin', exp: now() + 600 } : { active: false }) };
    };
    // The same JWT, its signature spelled with base64 padding (the signing input is unchanged).
    const padded = `${jwt}=`;
    const r = await settle(v.verify(padded));
    // Today: accepted, with the other resource server's scopes (r.v.scopes has 'admin').
    // Expected: refused locally like the unpadded spelling, and never sent anywhere.
    expect(r.ok).toBe(false);
    expect(server.requests).toHaveLength(0);
  });

  test('audience (and issuer) configured on the verifier are checked for introspected tokens too', async () => {
    const v = verifier(); // audience 'my-api', issuer A
    const t = randomToken();
    server.tokens.set(t, { iss: 'https://elsewhere.example/', aud: 'other-api', scope: 'users.read', exp: now() + 600 });
    // A token the AS minted for another resource server (and another issuer): refused for a JWT.
    const r = await settle(v.verify(t));
    expect(r.ok).toBe(false);
  });
});

describe('introspector wiring (in-process)', () => {
  test('an introspector answering active:false / "true" / 0 is refused even if it resolves', async () => {
    for (const active of [false, 'true', 0, null]) {
      const introspector: TokenIntrospector = { introspect: async () => ({ active, scope: 'admin' }) };
      const v = createVerifier({ introspection: { introspector, tokens: 'all' } });
      await refused(v.verify('opaque-token-1'), /not active/);
    }
  });
});

describe('RFC 9728 metadata URL per path', () => {
  test('a case variant of a configured prefix, matched by the (case-insensitive) table, gets that prefix\'s metadata URL', () => {
    const t = compileRoutes([{ method: 'GET', path: '/mcp/tools', scopes: ['a'] }]);
    expect(t.lookup('GET', '/MCP/tools').kind).toBe('match'); // the rule of /mcp applies
    const m = resourceMetadataEndpoints(t, { resource: 'https://r.example', paths: ['/mcp'] });
    expect(m.metadataUrlFor('/mcp/tools')).toBe('https://r.example/.well-known/oauth-protected-resource/mcp');
    expect(m.metadataUrlFor('/MCP/tools')).toBe('https://r.example/.well-known/oauth-protected-resource/mcp');
  });
});

describe('RFC 9728 header injection (held)', () => {
  const table = compileRoutes([{ method: 'GET', path: '/u', scopes: ['users.read'] }]);
  test('resource / paths with quotes, CR/LF, backslash are refused at configuration', () => {
    for (const resource of ['https://r.example/a"b', 'https://r.example/a\r\nX-Evil: 1', 'https://r.example/a\\b', 'https://r.example/a b', 'https://R.example']) {
      expect(() => resourceMetadataEndpoints(table, { resource })).toThrow(ConfigError);
    }
    for (const p of ['/a"b', '/a\r\nb', '/a b', '/a\\b', '/a/../b', '/a/']) {
      expect(() => resourceMetadataEndpoints(table, { resource: 'https://r.example', paths: [p] })).toThrow(ConfigError);
    }
  });

  test('an arbitrary resourceMetadata string given to authorize cannot break the challenge header', async () => {
    const v = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET });
    const evil = 'https://r.example/"x\r\nSet-Cookie: a=b\\';
    for (const auth of [undefined, 'Bearer bad.token.value']) {
      const e = await failure(Promise.resolve().then(() => authorizePathname(v, table, 'GET', '/u', auth, { resourceMetadata: evil })));
      const h = e.headers['WWW-Authenticate']!;
      expect(h).not.toMatch(/[\r\n]/);
      expect(h).toContain('resource_metadata="https://r.example/\\"x??Set-Cookie: a=b\\\\"');
    }
    expect(bearerChallenge('r"\n', { resource_metadata: '\u2028' })).toBe('Bearer realm="r\\"?", resource_metadata="?"');
  });
});
