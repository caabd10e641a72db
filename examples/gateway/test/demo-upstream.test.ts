/**
 * The demo token service on its own, without the gate in front: it checks the caller's
 * environment itself (defence in depth) and grants only scopes the caller holds.
 */
import { decodeJwt } from 'jose';
import { startDemoIssuer, type DemoIssuer } from '../src/demo/issuer';
import { callerScopes, inCallerEnvironment, scopesBeyondCaller } from '../src/demo/token-policy';
import { createDemoUpstreamApp, listenLoopback, type RunningServer } from '../src/demo/upstream';
import { DEMO } from '../src/run';
import { MemoryTokenStore } from '../src/token-store';
import { encodeFirst, send } from './send';

const A = DEMO.environmentId;
const B = DEMO.otherEnvironmentId;
const TOKEN_SCOPES = ['environment.apiTokens.read', 'environment.apiTokens.write', 'environment.users.read'];

let issuer: DemoIssuer;
let store: MemoryTokenStore;
let upstream: RunningServer;
/** A caller's token with `extra` claims (no `environment_id` unless given) and, by default, the demo admin's scopes. */
const callerWith = (extra: Record<string, unknown>, scopes: string[] = TOKEN_SCOPES) => issuer.mint({ sub: DEMO.adminId, scopes, extra });

beforeAll(async () => {
  issuer = await startDemoIssuer();
  store = new MemoryTokenStore();
  upstream = await listenLoopback(createDemoUpstreamApp({ issuer, store }));
});
afterAll(async () => {
  await upstream.close();
  await issuer.close();
});

const FORBIDDEN = [403, { error: 'Access Forbidden' }];
const mint = (token: string, environment: string, scopes: string[]) => send(upstream.url, 'POST', `/environments/${environment}/tokens`, { token, body: { scopes } });

describe('a caller of A, straight to the upstream', () => {
  let aCaller: string;
  let bTokenId: string;
  beforeAll(async () => {
    aCaller = await callerWith({ environment_id: A });
    const bCaller = await callerWith({ environment_id: B });
    const created = await mint(bCaller, B, ['environment.users.read']);
    expect(created.status).toBe(201);
    bTokenId = (created.body as { token: { id: string } }).token.id;
  });

  test.each([
    ['mint in B', 'POST', () => `/environments/${B}/tokens`],
    ['mint in B, encoded', 'POST', () => `/environments/${encodeFirst(B)}/tokens`],
    ['list B', 'GET', () => `/environments/${B}/tokens`],
    ["delete B's token", 'DELETE', () => `/environments/${B}/tokens/${bTokenId}`],
  ])('%s: 403', async (_name, method, path) => {
    const res = await send(upstream.url, method, path(), { token: aCaller, ...(method === 'POST' ? { body: { scopes: [] } } : {}) });
    expect([res.status, res.body]).toEqual(FORBIDDEN);
    expect(await store.listByEnvironment(B)).toHaveLength(1);
    expect(store.isRevoked(bTokenId)).toBe(false);
  });

  test("B's token is not found through A's path", async () => {
    const res = await send(upstream.url, 'DELETE', `/environments/${A}/tokens/${bTokenId}`, { token: aCaller });
    expect([res.status, res.body]).toEqual([404, { error: 'Token not found' }]);
    expect(store.isRevoked(bTokenId)).toBe(false);
  });

  test('its own environment works, and the minted token carries environment_id (not env)', async () => {
    const res = await mint(aCaller, A, ['environment.users.read']);
    expect(res.status).toBe(201);
    const claims = decodeJwt((res.body as { rawToken: string }).rawToken);
    expect(claims).toMatchObject({ environment_id: A, scope: 'environment.users.read' });
    expect(claims).not.toHaveProperty('env');
    const listed = await send(upstream.url, 'GET', `/environments/${A}/tokens`, { token: aCaller });
    expect((listed.body as { tokens: { projectEnvironmentId: string }[] }).tokens.map((t) => t.projectEnvironmentId)).toEqual([A]);
  });
});

test.each<[string, Record<string, unknown>]>([
  ['no environment_id claim', {}],
  ['environment_id a number', { environment_id: 7 }],
  ['environment_id an object', { environment_id: { id: A } }],
  ['environment_id an array holding a non-string', { environment_id: [A, 7] }],
  ['environment_id upper-cased', { environment_id: A.toUpperCase() }],
  ['only the old env claim', { env: A }],
])('a caller with %s is refused on its token endpoints', async (_name, extra) => {
  const token = await callerWith(extra);
  for (const [method, path] of [['POST', `/environments/${A}/tokens`], ['GET', `/environments/${A}/tokens`], ['DELETE', `/environments/${A}/tokens/${DEMO.readerId}`]] as const) {
    const res = await send(upstream.url, method, path, { token, ...(method === 'POST' ? { body: { scopes: [] } } : {}) });
    expect({ method, res: [res.status, res.body] }).toEqual({ method, res: FORBIDDEN });
  }
});

test('a caller bound to several environments mints a token bound to the one in the path only', async () => {
  const token = await callerWith({ environment_id: [A, B] });
  const res = await mint(token, B, ['environment.users.read']);
  expect(res.status).toBe(201);
  expect(decodeJwt((res.body as { rawToken: string }).rawToken).environment_id).toBe(B);
});

test('scopes come from the scope claim only: scopes held in scp are not the caller\'s to grant', async () => {
  const token = await issuer.mint({ sub: DEMO.adminId, scopes: [], extra: { environment_id: A, scp: TOKEN_SCOPES } });
  const res = await mint(token, A, ['environment.users.read']);
  expect([res.status, res.body]).toEqual([403, { error: 'Cannot grant scope(s) the caller does not hold: "environment.users.read"' }]);
  expect((await mint(token, A, [])).status).toBe(201);
});

test('without a token: 401 as before', async () => {
  const res = await send(upstream.url, 'GET', `/environments/${A}/tokens`);
  expect([res.status, res.body]).toEqual([401, { error: 'No jwt provided!' }]);
});

describe('token-policy', () => {
  test('inCallerEnvironment: equal string, or one of an array of strings; nothing else', () => {
    expect(inCallerEnvironment({ environment_id: A }, A)).toBe(true);
    expect(inCallerEnvironment({ environment_id: [B, A] }, A)).toBe(true);
    expect(inCallerEnvironment({ environment_id: B }, A)).toBe(false);
    expect(inCallerEnvironment({ environment_id: [B] }, A)).toBe(false);
    expect(inCallerEnvironment({ environment_id: `${A} ` }, A)).toBe(false);
    expect(inCallerEnvironment(Object.create({ environment_id: A }) as Record<string, unknown>, A)).toBe(false);
    expect(inCallerEnvironment(null, A)).toBe(false);
  });

  test('callerScopes: the space-delimited scope claim, own property only', () => {
    expect([...callerScopes({ scope: ' all.read  environment.users.read ' })]).toEqual(['all.read', 'environment.users.read']);
    expect([...callerScopes({ scope: ['all.read'] })]).toEqual([]);
    expect([...callerScopes(Object.create({ scope: 'all.read' }) as Record<string, unknown>)]).toEqual([]);
    expect([...callerScopes(undefined)]).toEqual([]);
  });

  test('scopesBeyondCaller: the unheld scopes once each, in request order', () => {
    const claims = { scope: 'environment.users.read environment.apiTokens.write' };
    expect(scopesBeyondCaller(claims, ['environment.users.read', 'environment.apiTokens.write'])).toEqual([]);
    expect(scopesBeyondCaller(claims, ['all.read', 'environment.users.read', 'environment.users.write', 'all.read'])).toEqual(['all.read', 'environment.users.write']);
    expect(scopesBeyondCaller(claims, [])).toEqual([]);
  });
});

test('a minted token never outlives the token that minted it', async () => {
  const shortLived = await issuer.mint({ sub: DEMO.adminId, scopes: TOKEN_SCOPES, ttl: 120, extra: { environment_id: A } });
  const parentExp = decodeJwt(shortLived).exp!;
  const created = await mint(shortLived, A, ['environment.apiTokens.write']);
  expect(created.status).toBe(201);
  const child = decodeJwt((created.body as { rawToken: string }).rawToken);
  expect(child.exp).toBeLessThanOrEqual(parentExp);
  expect((created.body as { token: { id: string } }).token.id).toBe(child.jti);
  // A long-lived caller still gets the service's own lifetime (7 days), not more.
  const longLived = await issuer.mint({ sub: DEMO.adminId, scopes: TOKEN_SCOPES, ttl: 30 * 24 * 3600, extra: { environment_id: A } });
  const normal = decodeJwt(((await mint(longLived, A, ['environment.users.read'])).body as { rawToken: string }).rawToken);
  expect(Math.abs(normal.exp! - normal.iat! - 7 * 24 * 3600)).toBeLessThanOrEqual(1); // iat and exp are read a moment apart
});
