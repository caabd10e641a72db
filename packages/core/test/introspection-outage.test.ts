/**
 * The introspection endpoint's outage: nothing listening, a TCP server that accepts and never
 * answers, an HTTP server that stalls. Every case fails closed with 503 (never 200, never 401),
 * within the timeout, and recovers with the endpoint.
 */
import { createIntrospector, IntrospectionUnavailableError } from '@scopegate/core';
import { deadUrl, randomToken, settle, startIntrospectionServer, startSilentServer } from './support/introspection-server';

const BASIC = { method: 'client_secret_basic', clientId: 'api', clientSecret: 'secret' } as const;

const unavailable = (r: { ok: boolean; e?: unknown }): IntrospectionUnavailableError => {
  expect(r.ok).toBe(false);
  const e = r.e as IntrospectionUnavailableError;
  expect(e).toBeInstanceOf(IntrospectionUnavailableError);
  expect(e.status).toBe(503);
  expect(e.code).toBe('ERR_INTROSPECTION_UNAVAILABLE');
  expect(e.headers).toEqual({ 'Retry-After': '5' });
  return e;
};

test('endpoint down (connection refused) → 503 at once', async () => {
  const i = createIntrospector({ url: await deadUrl(), clientAuth: BASIC });
  const started = Date.now();
  const e = unavailable(await settle(i.introspect(randomToken())));
  expect(Date.now() - started).toBeLessThan(1000);
  expect((e.cause as Error).message).toMatch(/could not be reached/);
  expect(i.stats).toMatchObject({ requests: 1, failures: 1, size: 0 });
});

test('a TCP server that accepts and never answers → 503 within the timeout', async () => {
  const silent = await startSilentServer();
  try {
    const i = createIntrospector({ url: silent.url, clientAuth: BASIC, timeout: 300 });
    const started = Date.now();
    const results = await Promise.all([randomToken(), randomToken(), randomToken()].map((t) => settle(i.introspect(t))));
    const elapsed = Date.now() - started;
    for (const r of results) expect((unavailable(r).cause as Error).message).toBe('the introspection endpoint did not answer within 300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1500);
    expect(silent.connections).toBeGreaterThan(0);
    expect(i.stats).toMatchObject({ requests: 3, failures: 3, size: 0 });
  } finally {
    await silent.close();
  }
});

test.each(['stall', 'stall-body'] as const)('an HTTP server that reads the request and then stalls (%s) → 503 within the timeout', async (mode) => {
  const server = await startIntrospectionServer(BASIC);
  try {
    // No head at all, or a head and the first bytes of the body: the timeout covers the body, too.
    server.reply = () => mode;
    const i = createIntrospector({ url: server.url, clientAuth: BASIC, timeout: 300 });
    const started = Date.now();
    const e = unavailable(await settle(i.introspect(randomToken())));
    expect((e.cause as Error).message).toBe('the introspection endpoint did not answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(server.requests).toHaveLength(1);
  } finally {
    await server.close();
  }
});

test('the endpoint goes down and comes back: 503 meanwhile, answers again after', async () => {
  const server = await startIntrospectionServer(BASIC);
  const url = server.url;
  const token = randomToken();
  server.tokens.set(token, { scope: 'a' });
  const i = createIntrospector({ url, clientAuth: BASIC, maxAge: 0 });
  await expect(i.introspect(token)).resolves.toEqual({ scope: 'a' });
  server.reply = () => ({ status: 503, headers: { 'retry-after': '30' } });
  unavailable(await settle(i.introspect(token)));
  server.reply = null;
  await expect(i.introspect(token)).resolves.toEqual({ scope: 'a' });
  await server.close();
  unavailable(await settle(i.introspect(token)));
  expect(i.stats).toMatchObject({ requests: 4, failures: 2 });
});
