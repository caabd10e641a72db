/**
 * End to end over real sockets: minting API tokens through the embedded gateway cannot escalate.
 * The demo admin (environment.apiTokens.read/write + environment.users.read, environment A)
 * mints only subsets of its own scopes, only into A; every minted token carries A as its
 * `environment_id` and is itself refused on B.
 */
import { decodeJwt } from 'jose';
import { loadConfig } from '../src/config';
import { DEMO, startGateway, type RunningGateway } from '../src/run';
import { encodeAll, encodeFirst, ENVIRONMENT_BINDING_CHALLENGE, send, type Sent } from './send';
import { tokenProblems } from './token-schema';

const A = DEMO.environmentId;
const B = DEMO.otherEnvironmentId;
const ADMIN_SCOPES = ['environment.apiTokens.read', 'environment.apiTokens.write', 'environment.users.read'];

let gw: RunningGateway;
let admin: string;

beforeAll(async () => {
  gw = await startGateway(loadConfig({ PORT: '0', LOG_LEVEL: 'silent' }));
  admin = gw.demo!.tokens.admin;
});
afterAll(() => gw.close());

const mintAs = (token: string, environment: string, scopes: unknown) => send(gw.url, 'POST', `/environments/${environment}/tokens`, { token, body: { scopes } });
const liveIn = async (environment: string) => (await gw.demo!.store.listByEnvironment(environment)).length;

interface Minted {
  token: { id: string; projectEnvironmentId: string; scopes: string[] };
  rawToken: string;
}

test('the demo admin holds exactly the scopes this test assumes, bound to A', () => {
  const claims = decodeJwt(admin);
  expect(claims.scope).toBe(ADMIN_SCOPES.join(' '));
  expect(claims.environment_id).toBe(A);
});

describe.each(['environment.settings.write', 'environment.users.write', 'all.read'])('the admin cannot grant %s', (scope) => {
  test('403 from the token service, naming the scope; nothing minted', async () => {
    const before = await liveIn(A);
    const res = await mintAs(admin, A, [scope]);
    expect([res.status, res.body]).toEqual([403, { error: `Cannot grant scope(s) the caller does not hold: "${scope}"` }]);
    // The gate let it through (the admin may create tokens in A); the token service refused.
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(await liveIn(A)).toBe(before);
  });
});

test('a request mixing held and unheld scopes is refused whole, naming only the unheld ones', async () => {
  const before = await liveIn(A);
  const res = await mintAs(admin, A, ['environment.users.read', 'environment.settings.write', 'all.read', 'environment.users.write', 'all.read']);
  expect([res.status, res.body]).toEqual([
    403,
    { error: 'Cannot grant scope(s) the caller does not hold: "environment.settings.write", "all.read", "environment.users.write"' },
  ]);
  expect(await liveIn(A)).toBe(before);
});

test.each([
  ['B', B],
  ['B, every character encoded', encodeAll(B)],
  ['B, first character encoded', encodeFirst(B)],
])('the admin cannot mint into %s: 403 from the gate', async (_name, id) => {
  const res = await mintAs(admin, id, ['environment.users.read']);
  expect([res.status, res.body, res.headers['www-authenticate']]).toEqual([403, { error: 'Access Forbidden' }, ENVIRONMENT_BINDING_CHALLENGE]);
  expect(await liveIn(B)).toBe(0);
});

test.each<[string, string[]]>([
  ['one scope it holds', ['environment.users.read']],
  ['read access to tokens', ['environment.apiTokens.read']],
  ['all of its scopes', ADMIN_SCOPES],
  ['no scope at all', []],
])('the admin mints a subset (%s): bound to A, refused on B', async (_name, scopes) => {
  const res = await mintAs(admin, A, scopes);
  expect(res.status).toBe(201);
  const { token, rawToken } = res.body as Minted;
  expect(tokenProblems(token)).toEqual([]);
  expect(token).toMatchObject({ projectEnvironmentId: A, scopes });
  const claims = decodeJwt(rawToken);
  expect(claims).toMatchObject({ environment_id: A, scope: scopes.join(' '), sub: DEMO.adminId, jti: token.id });
  expect(claims).not.toHaveProperty('env');

  // Usable on A within its scopes; refused on B whatever it holds.
  const onA = await send(gw.url, 'GET', `/environments/${A}/users`, { token: rawToken });
  expect(onA.status).toBe(scopes.includes('environment.users.read') ? 200 : 403);
  const refusals: Sent[] = [
    await send(gw.url, 'GET', `/environments/${B}/users`, { token: rawToken }),
    await send(gw.url, 'GET', `/environments/${B}/tokens`, { token: rawToken }),
    await mintAs(rawToken, B, []),
  ];
  for (const r of refusals) expect([r.status, r.body, r.headers['www-authenticate']]).toEqual([403, { error: 'Access Forbidden' }, ENVIRONMENT_BINDING_CHALLENGE]);
});

test('minting through an encoded variant of A binds the token to A itself', async () => {
  const res = await mintAs(admin, encodeFirst(A), ['environment.users.read']);
  expect(res.status).toBe(201);
  const { token, rawToken } = res.body as Minted;
  expect(token.projectEnvironmentId).toBe(A);
  expect(decodeJwt(rawToken).environment_id).toBe(A);
});

test('a minted token is held to its own scopes, not its creator\'s', async () => {
  const res = await mintAs(admin, A, ['environment.apiTokens.write']);
  expect(res.status).toBe(201);
  const writer = (res.body as Minted).rawToken;
  // It may create tokens (the gate allows it) but only with what it holds itself.
  const escalate = await mintAs(writer, A, ['environment.users.read']);
  expect([escalate.status, escalate.body]).toEqual([403, { error: 'Cannot grant scope(s) the caller does not hold: "environment.users.read"' }]);
  const same = await mintAs(writer, A, ['environment.apiTokens.write']);
  expect(same.status).toBe(201);
  expect(decodeJwt((same.body as Minted).rawToken)).toMatchObject({ environment_id: A, scope: 'environment.apiTokens.write' });
  // And it cannot read what it was not given.
  expect((await send(gw.url, 'GET', `/environments/${A}/users`, { token: writer })).status).toBe(403);
  expect((await send(gw.url, 'GET', `/environments/${A}/tokens`, { token: writer })).status).toBe(403);
});
