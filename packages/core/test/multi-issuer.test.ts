/** `issuers`: several issuers behind one verifier, each token verified against the entry its `iss` names, and that entry alone. */
import { ConfigError, createVerifier, KeysUnavailableError, UnauthorizedError, type VerifierOptions } from '@scopegate/core';
import { HS_SECRET, makeKey, sign, startJwksServer, type JwksServer, type TestKey } from './support/keys';
import { thrownBy } from './support/thrown';

const A = 'https://a.issuer.test/';
const B = 'https://b.issuer.test/';
const C = 'https://c.issuer.test/';
const SECRET_C = 'another-secret-that-is-also-32-bytes-or-more!!';

let ka: TestKey;
let kb: TestKey;
let rsa: TestKey;
let serverA: JwksServer;
let serverB: JwksServer;

beforeAll(async () => {
  ka = await makeKey('ES256', 'kid-a');
  kb = await makeKey('ES256', 'kid-b');
  rsa = await makeKey('RS256', 'kid-rsa');
});
beforeEach(async () => {
  serverA = await startJwksServer([ka.publicJwk]);
  serverB = await startJwksServer([kb.publicJwk]);
});
afterEach(async () => {
  await serverA.close();
  await serverB.close();
});

const settle = <T>(p: Promise<T>) => p.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }));
const refused = async (p: Promise<unknown>, code = 'ERR_TOKEN_INVALID', message?: RegExp) => {
  const r = await settle(p);
  expect(r.ok).toBe(false);
  const e = (r as { e: UnauthorizedError }).e;
  expect(e).toBeInstanceOf(UnauthorizedError);
  expect(e.code).toBe(code);
  expect(e.status).toBe(401);
  if (message) expect(e.message).toMatch(message);
};

function remoteTwo(extra: Partial<VerifierOptions> = {}) {
  return createVerifier({
    issuers: [
      { issuer: A, jwksUri: serverA.url, algorithms: ['ES256'], audience: 'api' },
      { issuer: B, jwksUri: serverB.url, algorithms: ['ES256'], audience: 'api', scopeClaims: ['permissions'] },
    ],
    ...extra,
  });
}

describe('remote keys (real JWKS servers on 127.0.0.1)', () => {
  test('each token verifies against its own issuer: its keys, audience and scope claims', async () => {
    const v = remoteTwo();
    const a = await v.verify(await sign(ka, { iss: A, aud: 'api', scope: 'users.read' }));
    expect([...a.scopes]).toEqual(['users.read']);
    const b = await v.verify(await sign(kb, { iss: B, aud: 'api', permissions: ['users.write'], scope: 'ignored.here' }));
    expect([...b.scopes]).toEqual(['users.write']);
    expect(serverA.fetches).toBe(1);
    expect(serverB.fetches).toBe(1);
    expect(v.keySets).toHaveLength(2);
    expect(v.keySet).toBeNull();
  });

  test('an unknown iss is refused without any fetch', async () => {
    const v = remoteTwo();
    await refused(v.verify(await sign(ka, { iss: C, aud: 'api' })), 'ERR_TOKEN_INVALID', /unknown issuer/);
    await refused(v.verify(await sign(ka, { iss: undefined, aud: 'api' })), 'ERR_TOKEN_INVALID', /no "iss"/);
    await refused(v.verify(await sign(ka, { iss: 42 as unknown as string, aud: 'api' })), 'ERR_TOKEN_INVALID', /no "iss"/);
    // Near misses are other issuers: iss is compared exactly.
    await refused(v.verify(await sign(ka, { iss: A.slice(0, -1), aud: 'api' })), 'ERR_TOKEN_INVALID', /unknown issuer/);
    await refused(v.verify(await sign(ka, { iss: A.toUpperCase(), aud: 'api' })), 'ERR_TOKEN_INVALID', /unknown issuer/);
    expect(serverA.fetches + serverB.fetches).toBe(0);
  });

  test("a token claiming issuer A signed with B's key (B's kid) is refused", async () => {
    const v = remoteTwo();
    await v.verify(await sign(ka, { iss: A, aud: 'api' })); // A's set loaded
    await refused(v.verify(await sign(kb, { iss: A, aud: 'api' })));
    // B's key under A's kid: the signature does not verify with A's key.
    await refused(v.verify(await sign({ ...kb, kid: 'kid-a' }, { iss: A, aud: 'api' })));
  });

  test('the key sets are apart: A down does not stop B; A unreachable is 503 for A only', async () => {
    serverA.mode = 'error';
    const v = createVerifier({
      issuers: [
        { issuer: A, jwksUri: serverA.url, algorithms: ['ES256'], jwksOptions: { cooldownDuration: 60_000 } },
        { issuer: B, jwksUri: serverB.url, algorithms: ['ES256'] },
      ],
    });
    const r = await settle(v.verify(await sign(ka, { iss: A })));
    expect((r as { e: unknown }).e).toBeInstanceOf(KeysUnavailableError);
    await expect(v.verify(await sign(kb, { iss: B }))).resolves.toBeDefined();
  });

  test('a cached token is dropped when its key leaves its issuer\'s set, not when another set changes', async () => {
    const ka2 = await makeKey('ES256', 'kid-a2');
    const v = createVerifier({
      issuers: [
        { issuer: A, jwksUri: serverA.url, algorithms: ['ES256'], jwksOptions: { cooldownDuration: 0 } },
        { issuer: B, jwksUri: serverB.url, algorithms: ['ES256'], jwksOptions: { cooldownDuration: 0 } },
      ],
    });
    const ta = await sign(ka, { iss: A });
    const tb = await sign(kb, { iss: B });
    await v.verify(ta);
    await v.verify(tb);
    expect(v.checkCached!(ta)).toBeDefined();
    // B rotates: A's entry is untouched, B's token still in B's set.
    serverB.keys = [kb.publicJwk, (await makeKey('ES256', 'kid-b2')).publicJwk];
    await v.keySets![1]!.refresh();
    expect(v.checkCached!(ta)).toBeDefined();
    expect(v.checkCached!(tb)).toBeDefined();
    // A rotates kid-a out: A's cached token goes, on the cached path too.
    serverA.keys = [ka2.publicJwk];
    await v.keySets![0]!.refresh();
    expect(v.checkCached!(ta)).toBeUndefined();
    await refused(v.verify(ta));
    expect(v.checkCached!(tb)).toBeDefined();
  });

  test('kid-less tokens try the keys of their own issuer only', async () => {
    const a2 = await makeKey('ES256', 'kid-a2');
    serverA.keys = [ka.publicJwk, a2.publicJwk];
    const v = remoteTwo();
    const kidless = (k: TestKey, payload: object) => sign({ ...k, kid: undefined as unknown as string }, payload as never);
    await expect(v.verify(await kidless(a2, { iss: A, aud: 'api' }))).resolves.toBeDefined();
    // B's key, no kid, claiming A: none of A's candidates verifies it.
    await refused(v.verify(await kidless(kb, { iss: A, aud: 'api' })));
  });

  test('issuers sharing one key set (custom domains of one tenant) fetch it once', async () => {
    const v = createVerifier({
      issuers: [
        { issuer: A, jwksUri: serverA.url, algorithms: ['ES256'] },
        { issuer: B, jwksUri: serverA.url, algorithms: ['ES256'] },
      ],
    });
    await v.verify(await sign(ka, { iss: A }));
    await v.verify(await sign(ka, { iss: B, jti: 'b' }));
    expect(serverA.fetches).toBe(1);
    expect(v.keySet).toBe(v.keySets![0]);
  });
});

describe('local keys', () => {
  function mixed(extra: Partial<VerifierOptions> = {}) {
    return createVerifier({
      issuers: [
        { issuer: A, jwks: { keys: [ka.publicJwk] }, algorithms: ['ES256'] },
        { issuer: B, publicKey: rsa.publicPem, algorithms: ['RS256'], audience: ['b-api'] },
        { issuer: C, secret: SECRET_C, algorithms: ['HS256'], clockTolerance: 0, maxTokenAge: '1h' },
      ],
      ...extra,
    });
  }

  test('jwks, publicKey and secret entries each verify their own tokens', async () => {
    const v = mixed();
    await expect(v.verify(await sign(ka, { iss: A }))).resolves.toBeDefined();
    await expect(v.verify(await sign(rsa, { iss: B, aud: 'b-api' }))).resolves.toBeDefined();
    await expect(v.verify(await sign(SECRET_C, { iss: C }))).resolves.toBeDefined();
    expect(v.keySet).toBeNull();
    expect(v.keySets).toEqual([]);
  });

  test("each entry's own checks: algorithms, audience, maxTokenAge", async () => {
    const v = mixed();
    // B wants its audience.
    await refused(v.verify(await sign(rsa, { iss: B, aud: 'other' })), 'ERR_TOKEN_INVALID', /"aud"/);
    // A allows ES256 only: an HS256 token claiming A (signed with C's secret) is refused.
    await refused(v.verify(await sign(SECRET_C, { iss: A })), 'ERR_TOKEN_INVALID', /algorithm not allowed/);
    // C's secret cannot sign for... C only: claiming B with C's secret is refused.
    await refused(v.verify(await sign(SECRET_C, { iss: B, aud: 'b-api' })));
    // C: maxTokenAge 1h.
    const old = Math.floor(Date.now() / 1000) - 7200;
    await refused(v.verify(await sign(SECRET_C, { iss: C, iat: old, exp: old + 86400 })), 'ERR_TOKEN_EXPIRED');
    // The common HS secret of the tests is nobody's key here.
    await refused(v.verify(await sign(HS_SECRET, { iss: C })));
  });

  test('the cache: a hit is the same verification; each entry keeps its own cache lifetime bound', async () => {
    const v = createVerifier({
      issuers: [
        { issuer: A, jwks: { keys: [ka.publicJwk] }, algorithms: ['ES256'] },
        { issuer: C, secret: SECRET_C, algorithms: ['HS256'], maxTokenAge: 60 },
      ],
    });
    const ta = await sign(ka, { iss: A, scope: 'a' });
    const first = await v.verify(ta);
    expect(v.checkCached!(ta)).toBe(first);
    expect(v.cacheStats.size).toBe(1);
    // C: iat 59 s ago with maxTokenAge 60: cached at most until iat + 60.
    const iat = Math.floor(Date.now() / 1000) - 59;
    const tc = await sign(SECRET_C, { iss: C, iat });
    await v.verify(tc);
    expect(v.checkCached!(tc)).toBeDefined();
    await new Promise((r) => setTimeout(r, 1100));
    expect(v.checkCached!(tc)).toBeUndefined();
  });

  test('a token verified by one verifier is no hit in another configured differently', async () => {
    const strict = createVerifier({ issuers: [{ issuer: A, jwks: { keys: [ka.publicJwk] }, algorithms: ['ES256'], audience: 'x' }] });
    const loose = createVerifier({ issuers: [{ issuer: A, jwks: { keys: [ka.publicJwk] }, algorithms: ['ES256'] }] });
    const t = await sign(ka, { iss: A, aud: 'y' });
    await loose.verify(t);
    expect(strict.checkCached!(t)).toBeUndefined();
    await refused(strict.verify(t));
  });

  test('top-level clockTolerance, scopeClaims and scopeMap are defaults an entry may override', async () => {
    const v = createVerifier({
      scopeClaims: ['permissions'],
      scopeMap: { 'users-read': 'users.read' },
      issuers: [
        { issuer: A, jwks: { keys: [ka.publicJwk] }, algorithms: ['ES256'] },
        { issuer: C, secret: SECRET_C, algorithms: ['HS256'], scopeClaims: 'scope' },
      ],
    });
    expect([...(await v.verify(await sign(ka, { iss: A, permissions: ['users-read'], scope: 'x' }))).scopes]).toEqual(['users.read']);
    expect([...(await v.verify(await sign(SECRET_C, { iss: C, permissions: ['p'], scope: 'users-read y' }))).scopes]).toEqual(['users.read', 'y']);
  });

  test('isRevoked applies to every issuer, on hits and misses', async () => {
    const v = mixed({ isRevoked: (c) => c.jti === 'bad' });
    const t = await sign(SECRET_C, { iss: C, jti: 'bad' });
    await refused(v.verify(t), 'ERR_TOKEN_REVOKED');
    await refused(v.verify(await sign(ka, { iss: A, jti: 'bad' })), 'ERR_TOKEN_REVOKED');
  });

  test('a payload that is not JSON is malformed, not a crash', async () => {
    const v = mixed();
    const body = Buffer.from('not json').toString('base64url');
    const header = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url');
    await refused(v.verify(`${header}.${body}.c2ln`), 'ERR_TOKEN_INVALID', /malformed/);
    const arr = Buffer.from('["iss"]').toString('base64url');
    await refused(v.verify(`${header}.${arr}.c2ln`), 'ERR_TOKEN_INVALID', /no "iss"/);
  });
});

describe('configuration', () => {
  const entry = () => ({ issuer: A, secret: HS_SECRET, algorithms: ['HS256'] as const });
  const cases: [string, () => unknown, RegExp][] = [
    ['issuers not an array', () => ({ issuers: {} }), /^issuers must be a non-empty array/],
    ['issuers empty', () => ({ issuers: [] }), /^issuers must be a non-empty array/],
    ['entry not an object', () => ({ issuers: [entry(), 'x'] }), /^issuers\[1\] must be an object/],
    ['entry without issuer', () => ({ issuers: [{ secret: HS_SECRET, algorithms: ['HS256'] }] }), /^issuers\[0\]\.issuer must be a non-empty string/],
    ['entry issuer a list', () => ({ issuers: [{ ...entry(), issuer: [A] }] }), /^issuers\[0\]\.issuer must be a non-empty string/],
    ['duplicate issuer', () => ({ issuers: [entry(), { ...entry(), secret: SECRET_C }] }), /^issuers\[1\]\.issuer repeats issuers\[0\]\.issuer/],
    ['entry without algorithms', () => ({ issuers: [{ issuer: A, secret: HS_SECRET }] }), /^issuers\[0\]\.algorithms must be a non-empty array/],
    ['entry without key source', () => ({ issuers: [{ issuer: A, algorithms: ['ES256'] }] }), /^issuers\[0\]: give exactly one key source.*got none/],
    ['entry with two key sources', () => ({ issuers: [{ ...entry(), publicKey: ka.publicPem }] }), /^issuers\[0\]: give exactly one key source.*got secret, publicKey/],
    ['entry bad jwksUri', () => ({ issuers: [entry(), { issuer: B, jwksUri: '/jwks', algorithms: ['ES256'] }] }), /^issuers\[1\]\.jwksUri must be an absolute URL/],
    ['entry http jwksUri', () => ({ issuers: [{ issuer: B, jwksUri: 'http://keys.example/jwks', algorithms: ['ES256'] }] }), /^issuers\[0\]\.jwksUri must be https/],
    ['entry short secret', () => ({ issuers: [{ ...entry(), secret: 'short' }] }), /^issuers\[0\]\.secret is too short/],
    ['entry HS with public key', () => ({ issuers: [{ issuer: A, publicKey: ka.publicPem, algorithms: ['HS256'] }] }), /^issuers\[0\]\.algorithms: HS256 needs a secret/],
    ['entry bad clockTolerance', () => ({ issuers: [{ ...entry(), clockTolerance: -1 }] }), /^issuers\[0\]\.clockTolerance/],
    ['entry bad audience', () => ({ issuers: [{ ...entry(), audience: 7 }] }), /^issuers\[0\]\.audience must be/],
    ['entry bad scopeClaims', () => ({ issuers: [{ ...entry(), scopeClaims: [] }] }), /^issuers\[0\]\.scopeClaims/],
    ['entry unknown option', () => ({ issuers: [{ ...entry(), cache: false }] }), /^issuers\[0\]\.cache is not an option of an issuer/],
    ['entry typo', () => ({ issuers: [{ ...entry(), audiance: 'api' }] }), /^issuers\[0\]\.audiance is not an option/],
    ['with jwksUri', () => ({ jwksUri: 'https://x.test/jwks', issuers: [entry()] }), /^issuers cannot be combined with jwksUri/],
    ['with secret', () => ({ secret: HS_SECRET, issuers: [entry()] }), /^issuers cannot be combined with secret/],
    ['with publicKey and jwks', () => ({ publicKey: ka.publicPem, jwks: { keys: [] }, issuers: [entry()] }), /^issuers cannot be combined with publicKey, jwks/],
    ['with issuer', () => ({ issuer: A, issuers: [entry()] }), /^issuers cannot be combined with issuer/],
    ['with algorithms', () => ({ algorithms: ['HS256'], issuers: [entry()] }), /^issuers cannot be combined with algorithms/],
    ['with audience', () => ({ audience: 'api', issuers: [entry()] }), /^issuers cannot be combined with audience/],
    ['with jwksOptions', () => ({ jwksOptions: {}, issuers: [entry()] }), /^issuers cannot be combined with jwksOptions/],
    ['with profile', () => ({ profile: 'rfc9068', issuers: [entry()] }), /^issuers cannot be combined with profile/],
  ];
  test.each(cases)('%s → ConfigError naming the option', (_name, make, message) => {
    const error = thrownBy(() => createVerifier(make() as VerifierOptions));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(HS_SECRET);
  });
});
