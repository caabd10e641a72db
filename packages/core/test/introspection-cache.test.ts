/**
 * Introspection's cache and single-flight against a real endpoint on 127.0.0.1: how many requests
 * reach the authorization server, under concurrency, floods of random tokens, and time.
 */
import { createIntrospector, IntrospectionUnavailableError, UnauthorizedError, type IntrospectionOptions } from '@scopegate/core';
import { randomToken, settle, startIntrospectionServer, type IntrospectionServer } from './support/introspection-server';

const BASIC = { method: 'client_secret_basic', clientId: 'api', clientSecret: 'secret' } as const;
let server: IntrospectionServer;

beforeEach(async () => {
  server = await startIntrospectionServer(BASIC);
});
afterEach(() => server.close());

const introspector = (more: Partial<IntrospectionOptions> = {}) => createIntrospector({ url: server.url, clientAuth: BASIC, ...more });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

test('single-flight: 100 concurrent introspections of one active token → 1 request', async () => {
  const token = randomToken();
  server.tokens.set(token, { scope: 'a', exp: inAnHour() });
  server.delay = 50;
  const i = introspector();
  const results = await Promise.all(Array.from({ length: 100 }, () => i.introspect(token)));
  expect(server.requests).toHaveLength(1);
  expect(new Set(results).size).toBe(1); // one shared, frozen result
  expect(i.stats).toEqual({ hits: 0, misses: 100, size: 1, requests: 1, failures: 0 });
});

test('single-flight holds for an inactive token and for a failure; each caller gets its own error', async () => {
  server.delay = 50;
  const i = introspector();
  const inactive = await Promise.all(Array.from({ length: 100 }, () => settle(i.introspect('inactive-token'))));
  expect(server.requests).toHaveLength(1);
  const errors = inactive.map((r) => (r as { e: UnauthorizedError }).e);
  expect(errors.every((e) => e instanceof UnauthorizedError && e.code === 'ERR_TOKEN_INVALID')).toBe(true);
  expect(new Set(errors).size).toBe(100);

  server.reply = () => ({ status: 500, headers: {} });
  const failed = await Promise.all(Array.from({ length: 100 }, () => settle(i.introspect('failing-token'))));
  expect(server.requests).toHaveLength(2);
  const unavailable = failed.map((r) => (r as { e: IntrospectionUnavailableError }).e);
  expect(unavailable.every((e) => e instanceof IntrospectionUnavailableError && e.status === 503)).toBe(true);
  expect(new Set(unavailable).size).toBe(100);
  expect(i.stats.failures).toBe(1);
});

test('an active result is served from the cache, then asked again after maxAge', async () => {
  const token = randomToken();
  server.tokens.set(token, { scope: 'a', exp: inAnHour() });
  const i = introspector({ maxAge: 200 });
  await i.introspect(token);
  for (let n = 0; n < 10; n++) await i.introspect(token);
  expect(server.requests).toHaveLength(1);
  expect(i.stats).toMatchObject({ hits: 10, misses: 1, size: 1, requests: 1 });
  await sleep(250);
  // The server revoked it meanwhile: the next request finds out.
  server.tokens.delete(token);
  const r = await settle(i.introspect(token));
  expect((r as { e: UnauthorizedError }).e.code).toBe('ERR_TOKEN_INVALID');
  expect(server.requests).toHaveLength(2);
});

test("an active result is never cached past the token's exp (even within maxAge)", async () => {
  const token = randomToken();
  const exp = Math.ceil(Date.now() / 1000) + 1; // 1–2 s from now
  server.tokens.set(token, { scope: 'a', exp });
  const i = introspector({ maxAge: 60_000 });
  await i.introspect(token);
  await i.introspect(token);
  expect(server.requests).toHaveLength(1);
  await sleep(exp * 1000 - Date.now() + 20);
  // Past exp: not served from the cache; the server (still saying active) is asked, and its exp refuses it.
  const r = await settle(i.introspect(token));
  expect((r as { e: UnauthorizedError }).e.code).toBe('ERR_TOKEN_EXPIRED');
  expect(server.requests).toHaveLength(2);
  // The refusal is cached like an inactive result.
  await settle(i.introspect(token));
  expect(server.requests).toHaveLength(2);
});

test('a token whose nbf is to come is refused until then, and the refusal is not kept past nbf', async () => {
  const token = randomToken();
  const nbf = Math.ceil(Date.now() / 1000) + 1;
  server.tokens.set(token, { scope: 'a', nbf, exp: inAnHour() });
  const i = introspector({ inactiveMaxAge: 60_000 });
  const early = await settle(i.introspect(token));
  expect((early as { e: UnauthorizedError }).e.code).toBe('ERR_TOKEN_INVALID');
  await settle(i.introspect(token));
  expect(server.requests).toHaveLength(1);
  await sleep(nbf * 1000 - Date.now() + 20);
  await expect(i.introspect(token)).resolves.toMatchObject({ scope: 'a' });
  expect(server.requests).toHaveLength(2);
});

test('a flood of 1,000 random tokens: 1,000 requests once, none on the replay within inactiveMaxAge', async () => {
  const i = introspector();
  const tokens = Array.from({ length: 1000 }, () => randomToken());
  const run = async () => {
    for (let n = 0; n < tokens.length; n += 25) {
      const batch = await Promise.all(tokens.slice(n, n + 25).map((t) => settle(i.introspect(t))));
      for (const r of batch) expect((r as { e: UnauthorizedError }).e.code).toBe('ERR_TOKEN_INVALID');
    }
  };
  await run();
  expect(server.requests).toHaveLength(1000);
  await run();
  expect(server.requests).toHaveLength(1000);
  expect(i.stats).toEqual({ hits: 1000, misses: 1000, size: 1000, requests: 1000, failures: 0 });
});

test('inactive results expire after inactiveMaxAge; 0 keeps none', async () => {
  const short = introspector({ inactiveMaxAge: 100 });
  await settle(short.introspect('random-1'));
  await settle(short.introspect('random-1'));
  expect(server.requests).toHaveLength(1);
  await sleep(150);
  await settle(short.introspect('random-1'));
  expect(server.requests).toHaveLength(2);

  const none = introspector({ inactiveMaxAge: 0 });
  for (let n = 0; n < 3; n++) await settle(none.introspect('random-2'));
  expect(server.requests).toHaveLength(5);
  expect(none.stats.size).toBe(0);
});

test('maxEntries bounds the cache: the least recently used result goes first', async () => {
  const tokens = ['t-a', 't-b', 't-c', 't-d'];
  for (const t of tokens) server.tokens.set(t, { sub: t, exp: inAnHour() });
  const i = introspector({ maxEntries: 3 });
  for (const t of tokens.slice(0, 3)) await i.introspect(t); // a b c
  await i.introspect('t-a'); // a used: b is now the least recent
  expect(server.requests).toHaveLength(3);
  await i.introspect('t-d'); // evicts b
  expect(i.stats.size).toBe(3);
  await i.introspect('t-a');
  await i.introspect('t-c');
  await i.introspect('t-d');
  expect(server.requests).toHaveLength(4);
  await i.introspect('t-b'); // evicted: asked again
  expect(server.requests).toHaveLength(5);
  expect(i.stats.size).toBe(3);

  // A flood far larger than maxEntries keeps the cache at its bound.
  const small = introspector({ maxEntries: 50 });
  await Promise.all(Array.from({ length: 200 }, () => settle(small.introspect(randomToken()))));
  expect(small.stats.size).toBe(50);
});

test('maxEntries 0 caches nothing, but still flies single', async () => {
  const token = randomToken();
  server.tokens.set(token, { scope: 'a' });
  server.delay = 30;
  const i = introspector({ maxEntries: 0 });
  await Promise.all(Array.from({ length: 10 }, () => i.introspect(token)));
  expect(server.requests).toHaveLength(1);
  await i.introspect(token);
  expect(server.requests).toHaveLength(2);
  expect(i.stats.size).toBe(0);
});

test('failures are never cached: the request after an outage asks again', async () => {
  const token = randomToken();
  server.tokens.set(token, { scope: 'a' });
  const i = introspector();
  server.reply = () => ({ status: 502, headers: {} });
  const r = await settle(i.introspect(token));
  expect((r as { e: IntrospectionUnavailableError }).e).toBeInstanceOf(IntrospectionUnavailableError);
  server.reply = null;
  await expect(i.introspect(token)).resolves.toEqual({ scope: 'a' });
  expect(server.requests).toHaveLength(2);
  expect(i.stats).toMatchObject({ requests: 2, failures: 1, size: 1 });
});
