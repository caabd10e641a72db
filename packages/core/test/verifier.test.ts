import { createVerifier, UnauthorizedError, InternalError, type Verifier } from '@scopegate/core';
import { ASYMMETRIC, HS_SECRET, makeKey, sign, type TestKey } from './support/keys';

const keys: Record<string, TestKey> = {};
beforeAll(async () => {
  for (const alg of ASYMMETRIC) keys[alg] = await makeKey(alg);
});

async function rejection(verifier: Verifier, token: string): Promise<UnauthorizedError> {
  const error = await verifier.verify(token).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthorizedError);
  return error as UnauthorizedError;
}

describe.each(ASYMMETRIC)('%s', (alg) => {
  test('verifies with a PEM, a JWK and a local JWKS, and reads the scopes', async () => {
    const key = keys[alg]!;
    const token = await sign(key, { scope: 'a b' });
    for (const source of [{ publicKey: key.publicPem }, { publicKey: key.publicJwk }, { jwks: { keys: [key.publicJwk] } }]) {
      const v = createVerifier({ algorithms: [alg], ...source });
      const out = await v.verify(token);
      expect([...out.scopes]).toEqual(['a', 'b']);
      expect(out.claims.sub).toBe('user-1');
      expect(out.header.alg).toBe(alg);
    }
  });
});

test('HS256 with a secret', async () => {
  const v = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET });
  expect([...(await v.verify(await sign(HS_SECRET, { scp: ['x'] }))).scopes]).toEqual(['x']);
});

test('scope claims are united; a claim of the wrong type makes the token invalid', async () => {
  const v = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, cache: false });
  const out = await v.verify(await sign(HS_SECRET, { scope: 'a  b', scopes: ['c', 'a'], scp: ['d'] }));
  expect([...out.scopes].sort()).toEqual(['a', 'b', 'c', 'd']);
  for (const bad of [42, { a: 1 }, ['a', 1], true]) {
    const e = await rejection(v, await sign(HS_SECRET, { scope: bad as never }));
    expect(e.code).toBe('ERR_TOKEN_INVALID');
    expect(e.message).toBe('Invalid token: "scope" claim must be a string or an array of strings');
  }
  const custom = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, scopeClaims: ['permissions'] });
  expect([...(await custom.verify(await sign(HS_SECRET, { permissions: ['p'], scope: 'ignored' }))).scopes]).toEqual(['p']);
});

test('exp is required; iat in the future is refused; maxTokenAge bounds the age', async () => {
  const v = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, maxTokenAge: 60 });
  const now = Math.floor(Date.now() / 1000);
  expect((await rejection(v, await sign(HS_SECRET, { exp: undefined }))).message).toBe('Invalid token: "exp" claim check failed');
  expect((await rejection(v, await sign(HS_SECRET, { iat: now + 600 }))).code).toBe('ERR_TOKEN_INVALID');
  expect((await rejection(v, await sign(HS_SECRET, { iat: now - 600 }))).code).toBe('ERR_TOKEN_EXPIRED');
  const plain = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET });
  expect((await rejection(plain, await sign(HS_SECRET, { iat: now + 600 }))).message).toBe('Invalid token: "iat" is in the future');
});

test('the cache skips signature work on a hit and never outlives exp', async () => {
  const key = keys.ES256!;
  const v = createVerifier({ algorithms: ['ES256'], jwks: { keys: [key.publicJwk] } });
  const token = await sign(key, { scope: 'a' });
  await v.verify(token);
  await v.verify(token);
  await v.verify(token);
  expect(v.cacheStats).toMatchObject({ hits: 2, misses: 1, size: 1 });

  // A token expiring in 2 s: cached, then re-verified (and refused) once exp has passed.
  const soon = await sign(key, { exp: Math.floor(Date.now() / 1000) + 2 });
  const strict = createVerifier({ algorithms: ['ES256'], jwks: { keys: [key.publicJwk] }, clockTolerance: 0 });
  await strict.verify(soon);
  await strict.verify(soon);
  expect(strict.cacheStats.hits).toBe(1);
  // Three seconds later (the clock only: timers and promises stay real).
  jest.useFakeTimers({ now: Date.now() + 3000, doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'clearImmediate', 'hrtime', 'performance'] });
  try {
    const e = await strict.verify(soon).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UnauthorizedError);
    expect((e as UnauthorizedError).code).toBe('ERR_TOKEN_EXPIRED');
    expect(strict.cacheStats.hits).toBe(1);
  } finally {
    jest.useRealTimers();
  }
});

test('the cache is bounded: a flood of distinct tokens keeps at most max entries', async () => {
  const v = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, cache: { max: 50 } });
  for (let i = 0; i < 300; i++) await v.verify(await sign(HS_SECRET, { jti: `t${i}` }));
  expect(v.cacheStats.size).toBe(50);
  expect(v.cacheStats.misses).toBe(300);
});

test('isRevoked runs on every request, cache hit or miss', async () => {
  const revoked = new Set<string>();
  let calls = 0;
  const v = createVerifier({
    algorithms: ['HS256'],
    secret: HS_SECRET,
    isRevoked: (claims) => {
      calls++;
      return revoked.has(claims.jti as string);
    },
  });
  const token = await sign(HS_SECRET, { jti: 'j1' });
  await v.verify(token);
  await v.verify(token);
  revoked.add('j1');
  const e = await rejection(v, token);
  expect(e.code).toBe('ERR_TOKEN_REVOKED');
  expect(v.cacheStats.hits).toBe(2);
  expect(calls).toBe(3);
  const failing = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, isRevoked: () => Promise.reject(new Error('store down')) });
  await expect(failing.verify(token)).rejects.toBeInstanceOf(InternalError);
});

test('cached claims are frozen, so one request cannot change what the next one sees', async () => {
  const v = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET });
  const out = await v.verify(await sign(HS_SECRET, { ctx: { role: 'user' } }));
  expect(Object.isFrozen(out.claims)).toBe(true);
  expect(Object.isFrozen((out.claims as { ctx: object }).ctx)).toBe(true);
});

test('error messages never contain the token or its claims', async () => {
  const v = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, issuer: 'https://issuer.test/', audience: 'api' });
  const token = await sign(HS_SECRET, { iss: 'https://evil.test/', aud: 'secret-audience-value' });
  const e = await rejection(v, token);
  expect(e.message).toBe('Invalid token: "iss" claim check failed');
  const text = `${e.message} ${JSON.stringify(e.headers)}`;
  expect(text).not.toContain(token.split('.')[1]!);
  expect(text).not.toContain('evil');
});
