/**
 * Token introspection (RFC 7662) against a real HTTP endpoint on 127.0.0.1: the request it sends
 * (form, client authentication), the answers it accepts, and the junk it refuses to trust.
 */
import { createIntrospector, IntrospectionUnavailableError, UnauthorizedError, type IntrospectionOptions } from '@scopegate/core';
import { randomToken, settle, startIntrospectionServer, type IntrospectionServer, type Reply } from './support/introspection-server';

const BASIC = { method: 'client_secret_basic', clientId: 'api', clientSecret: 'secret' } as const;
let server: IntrospectionServer;

beforeEach(async () => {
  server = await startIntrospectionServer(BASIC);
});
afterEach(() => server.close());

const introspector = (more: Partial<IntrospectionOptions> = {}) => createIntrospector({ url: server.url, clientAuth: BASIC, ...more });
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

test('an active token resolves with its claims, `active` removed, frozen', async () => {
  const token = randomToken();
  const exp = inAnHour();
  server.tokens.set(token, { scope: 'users.read users.write', sub: 'alice', aud: ['api'], iss: 'https://issuer.example/', client_id: 'app', exp, cnf: { 'x5t#S256': 'abc' } });
  const claims = await introspector().introspect(token);
  expect(claims).toEqual({ scope: 'users.read users.write', sub: 'alice', aud: ['api'], iss: 'https://issuer.example/', client_id: 'app', exp, cnf: { 'x5t#S256': 'abc' } });
  expect('active' in claims).toBe(false);
  expect(Object.isFrozen(claims)).toBe(true);
  expect(Object.isFrozen(claims.cnf)).toBe(true);
});

test('the request: one POST, application/x-www-form-urlencoded, token= and token_type_hint=, JSON accepted', async () => {
  const token = 'opaque.token-with~all+token68/chars==';
  server.tokens.set(token, { scope: 'a' });
  await introspector({ tokenTypeHint: 'access_token' }).introspect(token);
  expect(server.requests).toHaveLength(1);
  const [req] = server.requests;
  expect(req!.method).toBe('POST');
  expect(req!.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
  expect(req!.headers.accept).toBe('application/json');
  expect([...req!.form.keys()].sort()).toEqual(['token', 'token_type_hint']);
  expect(req!.form.get('token')).toBe(token); // '+' and '/' survive form encoding
  expect(req!.form.get('token_type_hint')).toBe('access_token');
  // Without a hint, the token only.
  await settle(introspector().introspect(randomToken()));
  expect([...server.requests[1]!.form.keys()]).toEqual(['token']);
});

test('an inactive token → 401 ERR_TOKEN_INVALID, with an invalid_token challenge', async () => {
  const r = await settle(introspector().introspect(randomToken()));
  expect(r.ok).toBe(false);
  const e = (r as { e: UnauthorizedError }).e;
  expect(e).toBeInstanceOf(UnauthorizedError);
  expect(e.status).toBe(401);
  expect(e.code).toBe('ERR_TOKEN_INVALID');
  expect(e.headers['WWW-Authenticate']).toMatch(/error="invalid_token"/);
});

test('client_secret_basic: id and secret are form-urlencoded before base64 (RFC 6749 §2.3.1)', async () => {
  const client = { method: 'client_secret_basic', clientId: 'my client:1', clientSecret: 'p@ss wörd+/:%' } as const;
  server.client = client;
  const token = randomToken();
  server.tokens.set(token, { scope: 'a' });
  await expect(createIntrospector({ url: server.url, clientAuth: client }).introspect(token)).resolves.toEqual({ scope: 'a' });
  const expected = Buffer.from('my+client%3A1:p%40ss+w%C3%B6rd%2B%2F%3A%25', 'utf8').toString('base64');
  expect(server.requests[0]!.headers.authorization).toBe(`Basic ${expected}`);
  expect(server.requests[0]!.form.has('client_id')).toBe(false);
  expect(server.requests[0]!.form.has('client_secret')).toBe(false);
});

test('client_secret_basic is the method when it is left out and a secret is given', async () => {
  const token = randomToken();
  server.tokens.set(token, { scope: 'a' });
  const clientAuth = { clientId: 'api', clientSecret: 'secret' } as unknown as IntrospectionOptions['clientAuth'];
  await expect(createIntrospector({ url: server.url, clientAuth }).introspect(token)).resolves.toEqual({ scope: 'a' });
  expect(server.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('api:secret').toString('base64')}`);
});

test('client_secret_post: client_id and client_secret in the form, no Authorization header', async () => {
  const client = { method: 'client_secret_post', clientId: 'my client', clientSecret: 'p&ss=wörd' } as const;
  server.client = client;
  const token = randomToken();
  server.tokens.set(token, { scope: 'a' });
  await expect(createIntrospector({ url: server.url, clientAuth: client }).introspect(token)).resolves.toEqual({ scope: 'a' });
  const req = server.requests[0]!;
  expect(req.headers.authorization).toBeUndefined();
  expect(req.form.get('client_id')).toBe('my client');
  expect(req.form.get('client_secret')).toBe('p&ss=wörd');
  expect(req.form.get('token')).toBe(token);
});

test('a bearer credential: Authorization: Bearer <credential>', async () => {
  const client = { method: 'bearer', token: 'rs-credential.abc_DEF' } as const;
  server.client = client;
  const token = randomToken();
  server.tokens.set(token, { scope: 'a' });
  await expect(createIntrospector({ url: server.url, clientAuth: client }).introspect(token)).resolves.toEqual({ scope: 'a' });
  expect(server.requests[0]!.headers.authorization).toBe('Bearer rs-credential.abc_DEF');
  expect([...server.requests[0]!.form.keys()]).toEqual(['token']);
});

test("wrong client credentials: the endpoint's 401 is our misconfiguration → 503, not the token's 401", async () => {
  const token = randomToken();
  server.tokens.set(token, { scope: 'a' });
  const r = await settle(createIntrospector({ url: server.url, clientAuth: { ...BASIC, clientSecret: 'wrong' } }).introspect(token));
  const e = (r as { e: IntrospectionUnavailableError }).e;
  expect(e).toBeInstanceOf(IntrospectionUnavailableError);
  expect(e.status).toBe(503);
  expect((e.cause as Error).message).toMatch(/answered 401: check introspection\.clientAuth/);
});

const json = (body: unknown): Reply => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const future = () => Math.floor(Date.now() / 1000) + 3600;
const past = () => Math.floor(Date.now() / 1000) - 60;

/**
 * [case, the endpoint's answer, expected: 200 (claims), 401 (code) or 503 (cause text)]. Every
 * row has four members: with fewer, jest would take the test's fourth parameter for `done`.
 */
const answers: [string, () => Reply, 200 | 401 | 503, string][] = [
  ['active: true', () => json({ active: true, scope: 'a' }), 200, ''],
  ['active: true with application/json; charset=utf-8', () => ({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"active":true}' }), 200, ''],
  ['active: false', () => json({ active: false }), 401, 'ERR_TOKEN_INVALID'],
  ['active: false with claims', () => json({ active: false, scope: 'admin', exp: future() }), 401, 'ERR_TOKEN_INVALID'],
  ['active: true, exp in the past', () => json({ active: true, scope: 'a', exp: past() }), 401, 'ERR_TOKEN_EXPIRED'],
  ['active: true, nbf in the future', () => json({ active: true, scope: 'a', nbf: future() }), 401, 'ERR_TOKEN_INVALID'],
  ['active: "true" (a string)', () => json({ active: 'true', scope: 'admin' }), 503, '"active" is not a boolean'],
  ['active: 1', () => json({ active: 1 }), 503, '"active" is not a boolean'],
  ['active: "false"', () => json({ active: 'false' }), 503, '"active" is not a boolean'],
  ['active missing', () => json({ scope: 'admin' }), 503, '"active" is missing'],
  ['active: null', () => json({ active: null }), 503, '"active" is not a boolean'],
  ['a JSON array', () => json([{ active: true }]), 503, 'not a JSON object'],
  ['JSON null', () => json(null), 503, 'not a JSON object'],
  ['JSON true', () => json(true), 503, 'not a JSON object'],
  ['a JSON string', () => json('active'), 503, 'not a JSON object'],
  ['empty body', () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '' }), 503, 'not JSON'],
  ['truncated JSON', () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"active":tr' }), 503, 'not JSON'],
  ['JSON and trailing junk', () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"active":true} x' }), 503, 'not JSON'],
  ['an HTML page (a login portal, a proxy)', () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>{"active":true}</html>' }), 503, 'not application/json'],
  ['JSON without a content type', () => ({ status: 200, headers: {}, body: '{"active":true}' }), 503, 'not application/json'],
  ['exp a string', () => json({ active: true, exp: 'tomorrow' }), 503, '"exp" is not a number'],
  ['nbf null', () => json({ active: true, nbf: null }), 503, '"nbf" is not a number'],
  ['scope an array', () => json({ active: true, scope: ['admin'] }), 503, '"scope" is not a string'],
  ['sub a number', () => json({ active: true, sub: 42 }), 503, '"sub" is not a string'],
  ['client_id an object', () => json({ active: true, client_id: { id: 'x' } }), 503, '"client_id" is not a string'],
  ['aud a number', () => json({ active: true, aud: 7 }), 503, '"aud" is not a string or an array of strings'],
  ['aud an array with a number', () => json({ active: true, aud: ['api', 7] }), 503, '"aud" is not a string or an array of strings'],
  ['body over maxBodyBytes (declared)', () => {
    const body = JSON.stringify({ active: true, pad: 'x'.repeat(5000) });
    return { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(body.length) }, body };
  }, 503, 'larger than 4096 bytes'],
  ['body over maxBodyBytes (chunked)', () => ({ status: 200, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, body: JSON.stringify({ active: true, pad: 'x'.repeat(100_000) }) }), 503, 'larger than 4096 bytes'],
  ['204 No Content', () => ({ status: 204, headers: {} }), 503, 'answered 204'],
  ['201 with an active body', () => ({ status: 201, headers: { 'content-type': 'application/json' }, body: '{"active":true}' }), 503, 'answered 201'],
  ['302 redirect', () => ({ status: 302, headers: { location: '/introspect?followed' } }), 503, 'redirect (302)'],
  ['307 redirect', () => ({ status: 307, headers: { location: '/introspect?followed' } }), 503, 'redirect (307)'],
  ['400 invalid_request', () => ({ status: 400, headers: { 'content-type': 'application/json' }, body: '{"error":"invalid_request"}' }), 503, 'answered 400'],
  ['401 with an active body', () => ({ status: 401, headers: { 'content-type': 'application/json' }, body: '{"active":true}' }), 503, 'answered 401'],
  ['403', () => ({ status: 403, headers: {} }), 503, 'answered 403'],
  ['404', () => ({ status: 404, headers: {} }), 503, 'answered 404'],
  ['429', () => ({ status: 429, headers: { 'retry-after': '1' } }), 503, 'answered 429'],
  ['500 with an active body', () => ({ status: 500, headers: { 'content-type': 'application/json' }, body: '{"active":true}' }), 503, 'answered 500'],
  ['503', () => ({ status: 503, headers: {} }), 503, 'answered 503'],
];

test.each(answers)('the endpoint answers %s', async (_name, reply, expected, detail) => {
  server.reply = (req) => (req.path === '/introspect' && req.form.has('followed') ? json({ active: true, scope: 'admin' }) : reply());
  const token = randomToken();
  const r = await settle(introspector({ maxBodyBytes: 4096 }).introspect(token));
  if (expected === 200) {
    expect(r.ok).toBe(true);
    return;
  }
  expect(r.ok).toBe(false);
  const e = (r as { e: UnauthorizedError | IntrospectionUnavailableError }).e;
  expect(e.status).toBe(expected);
  if (expected === 401) {
    expect(e).toBeInstanceOf(UnauthorizedError);
    expect(e.code).toBe(detail);
  } else {
    expect(e).toBeInstanceOf(IntrospectionUnavailableError);
    expect(e.code).toBe('ERR_INTROSPECTION_UNAVAILABLE');
    expect(e.headers).toEqual({ 'Retry-After': '5' });
    expect(e.message).toBe('Token introspection unavailable');
    expect((e.cause as Error).message).toContain(detail);
  }
  // Never a redirect followed: only the one request reached the endpoint.
  expect(server.requests).toHaveLength(1);
  expect(`${e.message} ${(e.cause as Error | undefined)?.message ?? ''} ${e.headers['WWW-Authenticate'] ?? ''}`).not.toContain(token);
});

test('a malformed or empty token is refused without a request', async () => {
  const i = introspector();
  for (const token of ['has space', 'new\nline', 'quote"', 'a,b', 'é']) {
    const r = await settle(i.introspect(token));
    expect((r as { e: UnauthorizedError }).e.code).toBe('ERR_TOKEN_INVALID');
  }
  const empty = await settle(i.introspect(''));
  expect((empty as { e: UnauthorizedError }).e.code).toBe('ERR_TOKEN_MISSING');
  expect(server.requests).toHaveLength(0);
  expect(i.stats.requests).toBe(0);
});

test('the token never reaches a message, a cause, a header or the console', async () => {
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => jest.spyOn(console, m).mockImplementation(() => undefined));
  try {
    const token = `SENSITIVE${randomToken()}`;
    const seen: unknown[] = [];
    const i = introspector({ inactiveMaxAge: 0 });
    for (const reply of [json({ active: false }), json({ active: 'true' }), json({ active: true, exp: past() }), { status: 500, headers: {} }, { status: 200, headers: { 'content-type': 'text/plain' }, body: token }]) {
      server.reply = () => reply;
      seen.push((await settle(i.introspect(token))) as unknown);
    }
    // Echoed back by the server as JSON junk, too.
    server.reply = () => json({ active: true, exp: token });
    seen.push(await settle(i.introspect(token)));
    const text = seen
      .map((r) => (r as { e: Error & { headers?: object; cause?: Error } }).e)
      .map((e) => `${e.message} ${e.stack} ${JSON.stringify(e.headers)} ${e.cause?.message} ${e.cause?.stack}`)
      .join('\n');
    expect(text).not.toContain('SENSITIVE');
    expect(JSON.stringify(i.stats)).not.toContain('SENSITIVE');
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
});
