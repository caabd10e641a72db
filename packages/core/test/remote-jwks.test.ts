/** Remote JWKS against a real HTTP server on loopback: fetch counting, rotation, outage. */
import { createVerifier, KeysUnavailableError, UnauthorizedError } from '@scopegate/core';
import { makeKey, sign, startJwksServer, type JwksServer, type TestKey } from './support/keys';

let k1: TestKey;
let k2: TestKey;
let server: JwksServer;

beforeAll(async () => {
  k1 = await makeKey('ES256', 'kid-1');
  k2 = await makeKey('ES256', 'kid-2');
});
beforeEach(async () => {
  server = await startJwksServer([k1.publicJwk]);
});
afterEach(() => server.close());

const settle = <T>(p: Promise<T>) => p.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }));

test('keys are fetched once and shared by every verifier of the URL', async () => {
  const a = createVerifier({ algorithms: ['ES256'], jwksUri: server.url, cache: false });
  const b = createVerifier({ algorithms: ['ES256'], jwksUri: server.url, cache: false });
  for (let i = 0; i < 5; i++) {
    await a.verify(await sign(k1, { jti: `a${i}` }));
    await b.verify(await sign(k1, { jti: `b${i}` }));
  }
  expect(server.fetches).toBe(1);
  expect(a.keySet).toBe(b.keySet);
  expect(a.keySet!.stats).toEqual({ fetches: 1, failures: 0, loaded: true, lastError: null });
});

test('a rotated-in key is fetched once; an unknown kid refetches at most once per cooldown', async () => {
  const v = createVerifier({ algorithms: ['ES256'], jwksUri: server.url, jwksOptions: { cooldownDuration: 60_000 }, cache: false });
  await v.verify(await sign(k1));
  expect(server.fetches).toBe(1);
  // kid-2 appears on the server, but the last fetch is inside the 60 s cooldown: no refetch, refused.
  server.keys = [k1.publicJwk, k2.publicJwk];
  const early = await settle(v.verify(await sign(k2)));
  expect(early.ok).toBe(false);
  expect((early as { e: UnauthorizedError }).e.code).toBe('ERR_TOKEN_INVALID');
  expect(server.fetches).toBe(1);

  const quick = createVerifier({ algorithms: ['ES256'], jwksUri: server.url, jwksOptions: { cooldownDuration: 0 }, cache: false });
  await quick.verify(await sign(k2)); // first fetch of this key set already holds kid-2
  server.keys = [k2.publicJwk, { ...k1.publicJwk, kid: 'kid-3' }];
  const rotated = await makeKey('ES256', 'kid-4');
  server.keys.push(rotated.publicJwk);
  await quick.verify(await sign(rotated));
  expect(quick.keySet!.stats.fetches).toBe(2);
  // Unknown kids in a burst: each may refetch (cooldown 0), but none is accepted.
  const unknown = await makeKey('ES256', 'kid-unknown');
  const r = await settle(quick.verify(await sign(unknown)));
  expect((r as { e: UnauthorizedError }).e).toBeInstanceOf(UnauthorizedError);
});

test('key server down: known keys keep verifying, unknown ones fail with 503, not 401', async () => {
  const v = createVerifier({
    algorithms: ['ES256'],
    jwksUri: server.url,
    jwksOptions: { cooldownDuration: 0, cacheMaxAge: 0, timeoutDuration: 300 },
    cache: false,
  });
  await v.verify(await sign(k1));
  server.mode = 'error';
  for (let i = 0; i < 3; i++) await expect(v.verify(await sign(k1, { jti: `k${i}` }))).resolves.toBeDefined();
  const r = await settle(v.verify(await sign(k2)));
  expect((r as { e: KeysUnavailableError }).e).toBeInstanceOf(KeysUnavailableError);
  expect((r as { e: KeysUnavailableError }).e.status).toBe(503);
  expect(v.keySet!.stats.failures).toBeGreaterThan(0);
});

test('key server stalls: the fetch times out and the request fails with 503 within the timeout', async () => {
  server.mode = 'stall';
  const v = createVerifier({ algorithms: ['ES256'], jwksUri: server.url, jwksOptions: { timeoutDuration: 200, cooldownDuration: 0 } });
  const started = Date.now();
  const r = await settle(v.verify(await sign(k1)));
  expect((r as { e: KeysUnavailableError }).e).toBeInstanceOf(KeysUnavailableError);
  expect(Date.now() - started).toBeLessThan(3000);
  // The server recovers: the next request fetches and verifies.
  server.mode = 'ok';
  await expect(v.verify(await sign(k1))).resolves.toBeDefined();
});

test('down before the first fetch: 503 without hammering the server inside the cooldown', async () => {
  server.mode = 'error';
  const v = createVerifier({ algorithms: ['ES256'], jwksUri: server.url, jwksOptions: { cooldownDuration: 60_000 } });
  for (let i = 0; i < 5; i++) {
    const r = await settle(v.verify(await sign(k1, { jti: `d${i}` })));
    expect((r as { e: KeysUnavailableError }).e).toBeInstanceOf(KeysUnavailableError);
  }
  expect(server.fetches).toBe(1);
});
