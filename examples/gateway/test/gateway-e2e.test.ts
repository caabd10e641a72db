/**
 * End to end: the embedded gateway (demo issuer serving a JWKS, demo upstream, both on loopback)
 * through the real proxy. Allowed, refused, firewalled, and the API-token lifecycle.
 */
import http from 'node:http';
import request from 'supertest';
import { loadConfig } from '../src/config';
import { DEMO, startGateway, type RunningGateway } from '../src/run';
import { rawRequest } from '../../../packages/express/test/support/raw-http';
import { CREATOR_FIELDS, TOKEN_FIELDS, tokenProblems } from './token-schema';

let gw: RunningGateway;
const env = `/environments/${DEMO.environmentId}`;
const bearer = (t: string) => `Bearer ${t}`;

beforeAll(async () => {
  gw = await startGateway(loadConfig({ PORT: '0', LOG_LEVEL: 'silent' }));
});
afterAll(() => gw.close());

test('the checker reads the seed schema', () => {
  expect(TOKEN_FIELDS.required).toEqual(['id', 'checksum', 'createdBy', 'createdAt']);
  expect(TOKEN_FIELDS.properties).toEqual(['id', 'checksum', 'createdBy', 'createdAt', 'note', 'projectEnvironmentId', 'projectEnvironment', 'scopes']);
  expect(CREATOR_FIELDS.properties).toEqual(['id', 'alias', 'firstName', 'lastName', 'email']);
});

test('allowed: forwarded with the path as checked, the token, X-Forwarded-* and the request id', async () => {
  const res = await request(gw.url)
    .get(`${env}/users/u%20one?page=2`)
    .set('Authorization', bearer(gw.demo!.tokens.usersRead))
    .set('X-Request-Id', 'req-123');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({
    method: 'GET',
    path: `${env}/users/u%20one`,
    url: `${env}/users/u%20one?page=2`,
    params: { environmentId: DEMO.environmentId, userId: 'u one' },
    sub: DEMO.readerId,
    forwarded: { for: expect.stringContaining('127.0.0.1'), host: expect.stringMatching(/^127\.0\.0\.1:\d+$/), proto: 'http' },
    requestId: 'req-123',
  });
  expect(res.headers['x-request-id']).toBe('req-123');
});

type Case = [name: string, method: string, path: string, token: keyof RunningGateway['demo'] & string | 'admin' | 'allRead' | 'usersRead' | 'noScopes' | null, status: number];
const cases: Case[] = [
  ['all.read reads webhooks', 'GET', `${env}/webhooks`, 'allRead', 200],
  ['HEAD with all.read', 'HEAD', `${env}/analytics/visits`, 'allRead', 200],
  ['all.read cannot delete', 'DELETE', `${env}/users/u1`, 'allRead', 403],
  ['no scopes cannot read users', 'GET', `${env}/users`, 'noScopes', 403],
  ['no scopes may list its own tokens', 'GET', '/user/tokens', 'noScopes', 200],
  ['unknown route, authenticated', 'GET', '/admin', 'allRead', 403],
  ['no token', 'GET', `${env}/users`, null, 401],
  ['no token on an unknown route', 'GET', '/admin', null, 401],
  ['users.read cannot create tokens', 'POST', `${env}/tokens`, 'usersRead', 403],
  ['firewall: encoded slash', 'GET', `${env}/users/..%2F..%2Ftokens`, 'usersRead', 400],
  ['firewall: dot segment', 'GET', `${env}/users/../tokens`, 'usersRead', 400],
  ['firewall: double slash', 'GET', `/environments//${DEMO.environmentId}/users`, 'usersRead', 400],
  ['firewall: path parameter', 'GET', `${env}/users;x=1`, 'usersRead', 400],
  ['firewall: encoded dot', 'GET', `${env}/users/%2e%2e`, 'usersRead', 400],
  ['firewall: double encoding', 'GET', `${env}/users/%252F`, 'usersRead', 400],
  ['healthz is public', 'GET', '/healthz', null, 200],
];

describe.each(cases)('%s', (_name, method, path, token, status) => {
  test(`${method} ${path} → ${status}`, async () => {
    const res = await rawRequest(
      gw.server as http.Server,
      `${method} ${path} HTTP/1.1\r\nHost: gw.test${token ? `\r\nAuthorization: ${bearer(gw.demo!.tokens[token as 'admin'])}` : ''}`,
    );
    expect(res.status).toBe(status);
    if (status >= 400 && method !== 'HEAD') expect(Object.keys(JSON.parse(res.body))).toEqual(['error']);
  });
});

test.each([
  ['absolute-form target', 'GET http://evil.test/user/tokens HTTP/1.1\r\nHost: gw.test'],
  ['method override header', 'POST /user/tokens HTTP/1.1\r\nHost: gw.test\r\nX-HTTP-Method-Override: GET'],
])('firewall: %s → 400', async (_name, head) => {
  const res = await rawRequest(gw.server as http.Server, `${head}\r\nAuthorization: ${bearer(gw.demo!.tokens.admin)}`);
  expect(res.status).toBe(400);
});

test('start-up audit: the table covers exactly what the demo upstream serves', () => {
  expect(gw.demo!.audit.ok).toBe(true);
  expect(gw.demo!.audit.routes).toHaveLength(132);
});

test('readyz: keys loaded and upstream reachable', async () => {
  const res = await request(gw.url).get('/readyz');
  expect([res.status, res.body]).toEqual([200, { status: 'ready', checks: { keys: true, upstream: true } }]);
});

test('token lifecycle: create → use → list → /user/tokens → delete → refused', async () => {
  const admin = bearer(gw.demo!.tokens.admin);
  const created = await request(gw.url)
    .post(`${env}/tokens`)
    .set('Authorization', admin)
    .send({ note: 'ci pipeline', scopes: ['environment.users.read', 'environment.users.read'] });
  expect(created.status).toBe(201);
  const { token, rawToken } = created.body as { token: Record<string, unknown>; rawToken: string };
  expect(tokenProblems(token)).toEqual([]);
  expect(token).toMatchObject({ note: 'ci pipeline', projectEnvironmentId: DEMO.environmentId, scopes: ['environment.users.read'], createdBy: { id: DEMO.adminId, alias: 'demo-admin', email: 'admin@demo.test' } });
  expect(token.checksum).toBe(rawToken.slice(-6));

  const use = () => request(gw.url).get(`${env}/users`).set('Authorization', bearer(rawToken));
  expect((await use()).status).toBe(200);
  expect((await request(gw.url).get(`${env}/tokens`).set('Authorization', bearer(rawToken))).status).toBe(403);

  const listed = await request(gw.url).get(`${env}/tokens`).set('Authorization', admin);
  expect(listed.status).toBe(200);
  expect(listed.body.tokens.map((t: { id: string }) => t.id)).toContain(token.id);
  expect(JSON.stringify(listed.body)).not.toContain(rawToken);
  for (const t of listed.body.tokens) expect(tokenProblems(t)).toEqual([]);

  const mine = await request(gw.url).get('/user/tokens').set('Authorization', admin);
  expect(mine.status).toBe(200);
  expect(Object.keys(mine.body)).toEqual(['tokens']);
  expect(mine.body.tokens).toContainEqual(token);
  expect((await request(gw.url).get('/user/tokens').set('Authorization', bearer(gw.demo!.tokens.noScopes))).body).toEqual({ tokens: [] });

  expect((await request(gw.url).delete(`${env}/tokens/${token.id}`).set('Authorization', admin)).status).toBe(204);
  const refused = await use(); // a cache hit for the verifier: isRevoked still runs
  expect([refused.status, refused.body]).toEqual([401, { error: 'Token revoked' }]);
  expect((await request(gw.url).get(`${env}/tokens`).set('Authorization', admin)).body.tokens.map((t: { id: string }) => t.id)).not.toContain(token.id);
  // Revoking again is a success (idempotent: a failed DELETE can be retried until it holds).
  expect((await request(gw.url).delete(`${env}/tokens/${token.id}`).set('Authorization', admin)).status).toBe(204);
  expect((await request(gw.url).delete(`${env}/tokens/00000000-0000-4000-8000-000000000000`).set('Authorization', admin)).status).toBe(404);
});

test.each([
  [{ scopes: ['environment.users.read', 'admin.everything'] }, /Unknown scope\(s\): "admin.everything"/],
  [{ scopes: 'environment.users.read' }, /scopes must be an array/],
  [{ note: 7, scopes: [] }, /note must be a string/],
])('token creation validates the body: %j', async (body, message) => {
  const res = await request(gw.url).post(`${env}/tokens`).set('Authorization', bearer(gw.demo!.tokens.admin)).send(body);
  expect(res.status).toBe(400);
  expect(res.body.error).toMatch(message);
});

test('upstream down: 502 for allowed requests, /readyz says not ready', async () => {
  const other = await startGateway(loadConfig({ PORT: '0', LOG_LEVEL: 'silent' }));
  try {
    await other.demo!.upstream.close();
    const res = await request(other.url).get(`${env}/users`).set('Authorization', bearer(other.demo!.tokens.usersRead));
    expect([res.status, res.body]).toEqual([502, { error: 'Bad Gateway' }]);
    const ready = await request(other.url).get('/readyz');
    expect([ready.status, ready.body.checks]).toEqual([503, { keys: true, upstream: false }]);
  } finally {
    await other.close();
  }
});

test('graceful close: an in-flight request finishes, new connections are refused', async () => {
  // A slow upstream (300 ms) behind a gateway configured with a secret.
  const secret = 's'.repeat(32);
  const slowUpstream = http.createServer((_req, res) => setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"slow":true}'), 300));
  await new Promise<void>((r) => slowUpstream.listen(0, '127.0.0.1', r));
  const port = (slowUpstream.address() as { port: number }).port;
  const other = await startGateway(loadConfig({ PORT: '0', LOG_LEVEL: 'silent', UPSTREAM_URL: `http://127.0.0.1:${port}`, JWT_SECRET: secret, ALLOW_UNCHECKED_CLAIMS: 'iss,aud' }));
  try {
    const { SignJWT } = await import('jose');
    const token = await new SignJWT({ scope: 'all.read', environment_id: DEMO.environmentId }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(secret));
    const started = Date.now();
    const pending = request(other.url).get(`${env}/users`).set('Authorization', bearer(token)).then((r) => [r.status, r.body, Date.now() - started]);
    await new Promise((r) => setTimeout(r, 100)); // the request is now waiting on the upstream
    const closing = other.close(5000);
    const [status, body, took] = (await pending) as [number, unknown, number];
    expect([status, body]).toEqual([200, { slow: true }]);
    expect(took).toBeGreaterThanOrEqual(250);
    await closing;
    await expect(request(other.url).get('/healthz')).rejects.toThrow();
  } finally {
    await other.close();
    await new Promise((r) => slowUpstream.close(r));
  }
});
