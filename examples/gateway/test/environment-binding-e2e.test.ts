/**
 * End to end over real sockets: a token belongs to one environment. The embedded gateway (demo
 * issuer, demo upstream) refuses a token of environment A on environment B's routes — with its
 * own scope, with `all.read`, through percent-encoded variants of B's id — and on B's token
 * endpoints; the same calls on A pass. The refusal is logged and counted as `binding-mismatch`,
 * without the token or the environment claim's value.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../src/config';
import { DEMO, startGateway, type RunningGateway } from '../src/run';
import { encodeAll, encodeFirst, ENVIRONMENT_BINDING_CHALLENGE, send, type Sent } from './send';

const A = DEMO.environmentId;
const B = DEMO.otherEnvironmentId;
const B_ADMIN_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const EXTRA_SCOPES = ['environment.users.write'];

type Line = Record<string, unknown>;
const lines: Line[] = [];
let gw: RunningGateway;
/** Tokens of environment A: the printed demo tokens, and one holding environment.users.write. */
let tokens: { usersRead: string; allRead: string; usersWrite: string; admin: string };
/** The admin of environment B (same issuer). */
let bAdmin: string;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  gw = await startGateway(loadConfig({ PORT: '0', LOG_LEVEL: 'info' }), pino({ level: 'info' }, sink));
  const { issuer, tokens: demo } = gw.demo!;
  tokens = {
    usersRead: demo.usersRead,
    allRead: demo.allRead,
    admin: demo.admin,
    usersWrite: await issuer.mint({ sub: DEMO.readerId, scopes: EXTRA_SCOPES, extra: { environment_id: A } }),
  };
  bAdmin = await issuer.mint({
    sub: B_ADMIN_ID,
    scopes: ['environment.apiTokens.read', 'environment.apiTokens.write', 'environment.users.read'],
    extra: { environment_id: B, alias: 'b-admin' },
  });
});
afterAll(() => gw.close());

const call = (method: string, path: string, token?: string, requestId?: string) => send(gw.url, method, path, { token, requestId });

function expectBindingRefusal(res: Sent): void {
  expect([res.status, res.body, res.headers['www-authenticate']]).toEqual([403, { error: 'Access Forbidden' }, ENVIRONMENT_BINDING_CHALLENGE]);
}

/** What the table grants each token on its own environment, and so must pass on A. */
const calls: [name: string, method: string, suffix: string, token: keyof typeof tokens][] = [
  ['users.read lists users', 'GET', '/users', 'usersRead'],
  ['all.read lists users', 'GET', '/users', 'allRead'],
  ['users.write deletes a user', 'DELETE', '/users/u1', 'usersWrite'],
  ['all.read reads a user', 'GET', '/users/u1', 'allRead'],
];

describe.each(calls)('%s', (_name, method, suffix, token) => {
  test(`${method} /environments/<A>${suffix} passes, with the decoded environmentId upstream`, async () => {
    const res = await call(method, `/environments/${A}${suffix}`, tokens[token]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ method, params: { environmentId: A } });
  });

  test(`${method} /environments/<B>${suffix} is refused: the token is not bound to B`, async () => {
    expectBindingRefusal(await call(method, `/environments/${B}${suffix}`, tokens[token]));
  });

  test.each([
    ['every character encoded', encodeAll(B)],
    ['the first character encoded', encodeFirst(B)],
    ['%62 for the leading b', `%62${B.slice(1)}`],
    ['an encoded hyphen', B.replace('-', '%2D')],
  ])(`${method} on B with %s is refused`, async (_variant, id) => {
    expect(id).not.toBe(B);
    expect(decodeURIComponent(id)).toBe(B);
    expectBindingRefusal(await call(method, `/environments/${id}${suffix}`, tokens[token]));
  });
});

test('the gate compares the decoded param: an encoded variant of A passes, an upper-cased A does not', async () => {
  const encoded = await call('GET', `/environments/${encodeAll(A)}/users`, tokens.usersRead);
  expect(encoded.status).toBe(200);
  expect(encoded.body).toMatchObject({ url: `/environments/${encodeAll(A)}/users`, params: { environmentId: A } });
  expectBindingRefusal(await call('GET', `/environments/${A.toUpperCase()}/users`, tokens.usersRead));
});

test('a token without an environment_id claim is refused on every environment, all.read included', async () => {
  const unbound = await gw.demo!.issuer.mint({ sub: DEMO.readerId, scopes: ['all.read', 'environment.users.read'] });
  for (const env of [A, B]) expectBindingRefusal(await call('GET', `/environments/${env}/users`, unbound));
  // Routes without an environment do not bind it.
  expect((await call('GET', '/user/tokens', unbound)).status).toBe(200);
});

test("an A token can neither list nor delete B's tokens; B's token stays live", async () => {
  const created = await send(gw.url, 'POST', `/environments/${B}/tokens`, { token: bAdmin, body: { note: 'b pipeline', scopes: ['environment.users.read'] } });
  expect(created.status).toBe(201);
  const { token: bToken, rawToken: bRaw } = created.body as { token: { id: string; projectEnvironmentId: string }; rawToken: string };
  expect(bToken.projectEnvironmentId).toBe(B);

  // Through the gate: A's admin on B's token endpoints, plain and encoded.
  for (const id of [B, encodeFirst(B)]) {
    expectBindingRefusal(await call('GET', `/environments/${id}/tokens`, tokens.admin));
    expectBindingRefusal(await call('DELETE', `/environments/${id}/tokens/${bToken.id}`, tokens.admin));
  }
  // On A's own path the gate lets it through, and the token service does not find B's token there.
  const wrongEnv = await call('DELETE', `/environments/${A}/tokens/${bToken.id}`, tokens.admin);
  expect([wrongEnv.status, wrongEnv.body]).toEqual([404, { error: 'Token not found' }]);
  const listedOnA = await call('GET', `/environments/${A}/tokens`, tokens.admin);
  expect(listedOnA.status).toBe(200);
  expect((listedOnA.body as { tokens: { id: string; projectEnvironmentId: string }[] }).tokens.every((t) => t.projectEnvironmentId === A)).toBe(true);
  expect(JSON.stringify(listedOnA.body)).not.toContain(bToken.id);
  expect(JSON.stringify((await call('GET', '/user/tokens', tokens.admin)).body)).not.toContain(bToken.id);

  // B's token is untouched: B's admin still lists it, and it still works on B (and only on B).
  const listedOnB = await call('GET', `/environments/${B}/tokens`, bAdmin);
  expect((listedOnB.body as { tokens: { id: string }[] }).tokens.map((t) => t.id)).toContain(bToken.id);
  expect((await call('GET', `/environments/${B}/users`, bRaw)).status).toBe(200);
  expectBindingRefusal(await call('GET', `/environments/${A}/users`, bRaw));
});

/** The logged lines of one request, once its access line is written (bounded wait). */
async function linesOf(reqId: string): Promise<Line[]> {
  for (let i = 0; i < 100 && !lines.some((l) => l.reqId === reqId && l.msg === 'request'); i++) await new Promise((r) => setTimeout(r, 10));
  return lines.filter((l) => l.reqId === reqId);
}

async function metricsText(): Promise<string> {
  const res = await fetch(`${gw.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

const BINDING_METRIC = /^scopegate_decisions_total\{reason="binding-mismatch",status="403",mode="enforce"\} (\d+)$/m;
const counted = (text: string): number => Number(BINDING_METRIC.exec(text)?.[1] ?? 0);

test('a binding refusal is logged and counted as binding-mismatch, never with the token or a claim value', async () => {
  const before = counted(await metricsText());
  const refusals: [reqId: string, method: string, path: string, token: string, claims: string[]][] = [
    ['binding-1', 'GET', `/environments/${B}/users`, tokens.usersRead, ['environment.users.read']],
    ['binding-2', 'DELETE', `/environments/${encodeFirst(B)}/users/u1`, tokens.usersWrite, EXTRA_SCOPES],
    ['binding-3', 'GET', `/environments/${B}/tokens`, tokens.admin, ['demo-admin', 'admin@demo.test', 'environment.apiTokens.write']],
  ];
  for (const [reqId, method, path, token, claimValues] of refusals) {
    expectBindingRefusal(await call(method, path, token, reqId));
    const logged = await linesOf(reqId);
    expect(logged.map((l) => l.msg).sort()).toEqual(['decision', 'request']);
    expect(logged.find((l) => l.msg === 'decision')).toMatchObject({
      allowed: false,
      reason: 'binding-mismatch',
      status: 403,
      code: 'ERR_BINDING_MISMATCH',
      binding: { param: 'environmentId', claim: 'environment_id' },
      pattern: method === 'DELETE' ? '/environments/:environmentId/users/:userId' : expect.stringMatching(/^\/environments\/:environmentId\//),
      mode: 'enforce',
    });
    expect(logged.find((l) => l.msg === 'request')).toMatchObject({ method, path, status: 403, reason: 'binding-mismatch' });
    const text = JSON.stringify(logged);
    expect(text).not.toContain(token);
    for (const part of token.split('.')) expect(text).not.toContain(part);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    // The token's environment_id (A) and its other claim values are not in the lines. (`sub` and
    // `jti` are logged by design: the decision event's identifiers of the caller and token.)
    expect(text).not.toContain(A);
    for (const value of claimValues) expect(text).not.toContain(value);
  }
  const metrics = await metricsText();
  expect(counted(metrics) - before).toBe(refusals.length);
  expect(metrics).not.toContain(A);
  expect(metrics).not.toContain(B);
  expect(metrics).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  // And no line logged by this gateway holds any token.
  const all = JSON.stringify(lines);
  for (const t of [...Object.values(tokens), bAdmin]) expect(all).not.toContain(t);
});
