/**
 * Issue 19 item 6: several issuers (ISSUERS_FILE), token introspection (INTROSPECTION_*),
 * SCOPE_CLAIMS and TOKEN_PROFILE as gateway settings, validated at start, secrets never logged;
 * /readyz and the metrics over every key set. Over real sockets: key servers, an introspection
 * endpoint and an upstream on 127.0.0.1.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createVerifier } from '@scopegate/core';
import { GatewayConfigError, loadConfig } from '../src/config';
import { listenLoopback, type RunningServer } from '../src/demo/upstream';
import { readinessChecks } from '../src/readiness';
import { startGateway, type RunningGateway } from '../src/run';
import { send } from './send';

const HS_SECRET = 'hs256-secret-of-issuer-c-0123456789abcdef';
const CLIENT_SECRET = 'introspection-client-secret-XYZ-123456';
const BEARER = 'introspection-bearer-credential-ABC-987654';

const dir = mkdtempSync(join(tmpdir(), 'gw-issuers-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const ROUTES = file('routes.json', JSON.stringify([{ method: 'GET', path: '/things', scopes: ['things.read'] }]));

/** A key server on loopback (ES256), counting fetches; answers 503 while `down`. */
async function keyServer() {
  const { privateKey, publicKey } = (await generateKeyPair('ES256')) as { privateKey: CryptoKey; publicKey: CryptoKey };
  const kid = randomUUID();
  const body = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] });
  const state = { fetches: 0, down: false };
  const server = await listenLoopback((_req, res) => {
    state.fetches++;
    if (state.down) res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down"}');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  const issuer = `${server.url}/`;
  return { server, state, issuer, jwksUri: `${server.url}/jwks.json`, privateKey, kid };
}
type KeyServer = Awaited<ReturnType<typeof keyServer>>;

const now = () => Math.floor(Date.now() / 1000);

/** An ES256 token signed with `signer`'s key, claiming `iss` (the signer's issuer unless given). */
function es256(signer: KeyServer, claims: Record<string, unknown>, iss = signer.issuer): Promise<string> {
  return new SignJWT({ sub: 'u-1', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: 'JWT' })
    .setIssuer(iss)
    .setIssuedAt()
    .setExpirationTime(now() + 600)
    .sign(signer.privateKey);
}

function hs256(claims: Record<string, unknown>, iss: string, secret = HS_SECRET): Promise<string> {
  return new SignJWT({ sub: 'u-2', ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(iss)
    .setIssuedAt()
    .setExpirationTime(now() + 600)
    .sign(new TextEncoder().encode(secret));
}

/** The upstream: 200 with what it saw, counting requests. */
async function upstream() {
  const state = { requests: 0 };
  const server = await listenLoopback((req, res) => {
    if (req.method !== 'HEAD') state.requests++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ upstream: true, path: req.url }));
  });
  return { server, state };
}

/** A pino logger writing into `lines` (parsed), and the raw text. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(String(chunk));
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, raw, logger: pino({ level: 'info' }, sink) };
}

const closing: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closing.reverse()) await close();
});

describe('ISSUERS_FILE: two JWKS issuers and an HS256 one, on real sockets', () => {
  let a: KeyServer;
  let b: KeyServer;
  let up: Awaited<ReturnType<typeof upstream>>;
  let gw: RunningGateway;
  let log: ReturnType<typeof capture>;
  const C = 'https://issuer-c.test/';

  beforeAll(async () => {
    a = await keyServer();
    b = await keyServer();
    up = await upstream();
    closing.push(() => a.server.close(), () => b.server.close(), () => up.server.close());
    const issuers = file(
      'issuers.json',
      JSON.stringify({
        issuers: [
          { issuer: a.issuer, jwksUri: a.jwksUri, algorithms: ['ES256'], audience: 'api' },
          // B's tokens carry their scopes in `permissions`, under other names.
          { issuer: b.issuer, jwksUri: b.jwksUri, algorithms: ['ES256'], audience: ['api', 'api2'], scopeClaims: ['permissions'], scopeMap: { 'read:things': 'things.read' } },
          { issuer: C, secret: HS_SECRET, algorithms: ['HS256'], audience: 'api' },
        ],
      }),
    );
    log = capture();
    gw = await startGateway(loadConfig({ PORT: '0', UPSTREAM_URL: up.server.url, ISSUERS_FILE: issuers, ROUTES_FILE: ROUTES }), log.logger);
    closing.push(() => gw.close(100));
  });

  test('each issuer\'s own token is accepted and forwarded', async () => {
    const before = up.state.requests;
    expect((await send(gw.url, 'GET', '/things', { token: await es256(a, { aud: 'api', scope: 'things.read' }) })).status).toBe(200);
    expect((await send(gw.url, 'GET', '/things', { token: await es256(b, { aud: 'api2', permissions: ['read:things'] }) })).status).toBe(200);
    expect((await send(gw.url, 'GET', '/things', { token: await hs256({ aud: 'api', scope: 'things.read' }, C) })).status).toBe(200);
    expect(up.state.requests).toBe(before + 3);
  });

  test('a token claiming issuer A signed with B\'s key is refused (401), and so is one signed with C\'s secret', async () => {
    const before = up.state.requests;
    const forged = await es256(b, { aud: 'api', scope: 'things.read' }, a.issuer);
    expect((await send(gw.url, 'GET', '/things', { token: forged })).status).toBe(401);
    const hsAsA = await hs256({ aud: 'api', scope: 'things.read' }, a.issuer);
    expect((await send(gw.url, 'GET', '/things', { token: hsAsA })).status).toBe(401);
    // B's scope names are B's: A's entry reads `scope` only.
    const bScopesUnderA = await es256(a, { aud: 'api', permissions: ['read:things'] });
    expect((await send(gw.url, 'GET', '/things', { token: bScopesUnderA })).status).toBe(403);
    expect(up.state.requests).toBe(before);
  });

  test('an unknown issuer is refused (401) without any key fetch; a wrong audience too', async () => {
    const fetches = a.state.fetches + b.state.fetches;
    const before = up.state.requests;
    const unknown = await es256(a, { aud: 'api', scope: 'things.read' }, 'https://unknown.test/');
    expect((await send(gw.url, 'GET', '/things', { token: unknown })).status).toBe(401);
    const unknownHs = await hs256({ aud: 'api', scope: 'things.read' }, `${a.issuer}other`);
    expect((await send(gw.url, 'GET', '/things', { token: unknownHs })).status).toBe(401);
    expect(a.state.fetches + b.state.fetches).toBe(fetches);
    expect((await send(gw.url, 'GET', '/things', { token: await es256(a, { aud: 'api2', scope: 'things.read' }) })).status).toBe(401);
    expect(up.state.requests).toBe(before);
  });

  test('/readyz is ready with both key sets loaded; the fetch gauges sum over both', async () => {
    expect(gw.verifier.keySet).toBeNull();
    expect(gw.verifier.keySets).toHaveLength(2);
    const ready = await send(gw.url, 'GET', '/readyz');
    expect(ready).toMatchObject({ status: 200, body: { checks: { keys: true, upstream: true } } });
    const metrics = await new Promise<string>((resolve, reject) => {
      http.get(`${gw.url}/metrics`, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    const fetches = Number(/^scopegate_jwks_fetches (\d+)/m.exec(metrics)?.[1]);
    expect(fetches).toBe(gw.verifier.keySets!.reduce((n, s) => n + s.stats.fetches, 0));
    expect(fetches).toBeGreaterThanOrEqual(2);
  });

  test('the start-up log names the issuers (URLs only), and no secret is anywhere in the log', () => {
    const line = log.lines.find((l) => l.msg === 'token verification');
    expect(line).toMatchObject({ issuers: [a.issuer, b.issuer, C], keys: 'ISSUERS_FILE', introspection: false });
    expect(log.raw.join('')).not.toContain(HS_SECRET);
  });
});

describe('/readyz over two key sets, one down', () => {
  test('503 with keys false until every set is loaded; the reason is the failing set\'s', async () => {
    const a = await keyServer();
    const b = await keyServer();
    b.state.down = true;
    const up = await upstream();
    closing.push(() => a.server.close(), () => b.server.close(), () => up.server.close());
    const issuers = file(
      'readyz-issuers.json',
      JSON.stringify([
        { issuer: a.issuer, jwksUri: a.jwksUri, algorithms: ['ES256'], audience: 'api' },
        { issuer: b.issuer, jwksUri: b.jwksUri, algorithms: ['ES256'], audience: 'api' },
      ]),
    );
    const gw = await startGateway(loadConfig({ PORT: '0', UPSTREAM_URL: up.server.url, ISSUERS_FILE: issuers, ROUTES_FILE: ROUTES }), pino({ level: 'silent' }));
    closing.push(() => gw.close(100));
    const down = await send(gw.url, 'GET', '/readyz');
    expect(down).toMatchObject({ status: 503, body: { status: 'not ready', checks: { keys: false, upstream: true } } });
    // A's tokens still pass: only B's set is down.
    expect((await send(gw.url, 'GET', '/things', { token: await es256(a, { aud: 'api', scope: 'things.read' }) })).status).toBe(200);

    // The reason, from the shared checks /readyz runs: the first failing set's own.
    const checks = readinessChecks({ verifier: gw.verifier, upstreamUrl: new URL(up.server.url), timeout: 1000, reuseMs: 0 });
    const result = await checks();
    expect(result).toMatchObject({ keys: false, upstream: true, keysUrl: b.jwksUri });
    expect(result.keysReason).toEqual(expect.any(String));
    expect(result.keysReason).toBe(gw.verifier.keySets!.find((s) => s.url === b.jwksUri)!.stats.lastError);

    b.state.down = false;
    expect(await checks()).toEqual({ keys: true, upstream: true, keysReason: null, keysUrl: null });
  });
});

/** An RFC 7662 endpoint on loopback: `good-*` tokens active with things.read, others inactive; checks the client's credentials. */
async function introspectionEndpoint(expectAuthorization: string) {
  const state = { requests: 0, badAuth: 0 };
  const server = await listenLoopback((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      state.requests++;
      if (req.headers.authorization !== expectAuthorization) {
        state.badAuth++;
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
        return;
      }
      const token = new URLSearchParams(body).get('token') ?? '';
      const answer = token.startsWith('good-') ? { active: true, scope: 'things.read', sub: 'svc-1', exp: now() + 600 } : { active: false };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  return { server, state };
}

describe('INTROSPECTION_URL against a real endpoint', () => {
  const basic = `Basic ${Buffer.from(`gateway-client:${CLIENT_SECRET}`).toString('base64')}`;

  test('alone (no key source): active 200 forwarded, inactive 401, endpoint down 503; credentials never logged', async () => {
    const endpoint = await introspectionEndpoint(basic);
    const up = await upstream();
    closing.push(() => up.server.close());
    const log = capture();
    const config = loadConfig({
      PORT: '0',
      UPSTREAM_URL: up.server.url,
      ROUTES_FILE: ROUTES,
      INTROSPECTION_URL: `${endpoint.server.url}/oauth2/introspect?tenant=t1`,
      INTROSPECTION_CLIENT_ID: 'gateway-client',
      INTROSPECTION_CLIENT_SECRET: CLIENT_SECRET,
    });
    expect(config.introspection).toMatchObject({ tokens: 'all', clientAuth: { method: 'client_secret_basic' } });
    const gw = await startGateway(config, log.logger);
    closing.push(() => gw.close(100));

    const active = await send(gw.url, 'GET', '/things', { token: 'good-opaque-1' });
    expect(active).toMatchObject({ status: 200, body: { upstream: true, path: '/things' } });
    expect(up.state.requests).toBe(1);
    expect((await send(gw.url, 'GET', '/things', { token: 'bad-opaque-1' })).status).toBe(401);
    expect(endpoint.state).toEqual({ requests: 2, badAuth: 0 });

    await endpoint.server.close();
    const down = await send(gw.url, 'GET', '/things', { token: 'good-opaque-2' });
    expect(down.status).toBe(503);
    expect(up.state.requests).toBe(1);

    const line = log.lines.find((l) => l.msg === 'token verification');
    expect(line).toMatchObject({ issuers: [], keys: 'none', introspection: { url: `${endpoint.server.url}/oauth2/introspect`, tokens: 'all' } });
    const text = log.raw.join('');
    expect(text).not.toContain(CLIENT_SECRET);
    expect(text).not.toContain(Buffer.from(`gateway-client:${CLIENT_SECRET}`).toString('base64'));
    expect(text).not.toContain('tenant=t1');
  });

  test('beside ISSUERS_FILE (tokens opaque by default): JWTs verified locally, opaque tokens introspected with a bearer credential', async () => {
    const a = await keyServer();
    const endpoint = await introspectionEndpoint(`Bearer ${BEARER}`);
    const up = await upstream();
    closing.push(() => a.server.close(), () => endpoint.server.close(), () => up.server.close());
    const issuers = file('intro-issuers.json', JSON.stringify([{ issuer: a.issuer, jwksUri: a.jwksUri, algorithms: ['ES256'], audience: 'api' }]));
    const log = capture();
    const config = loadConfig({
      PORT: '0',
      UPSTREAM_URL: up.server.url,
      ROUTES_FILE: ROUTES,
      ISSUERS_FILE: issuers,
      INTROSPECTION_URL: `${endpoint.server.url}/introspect`,
      INTROSPECTION_AUTH: 'bearer',
      INTROSPECTION_TOKEN: BEARER,
    });
    expect(config.introspection?.tokens).toBe('opaque');
    const gw = await startGateway(config, log.logger);
    closing.push(() => gw.close(100));

    expect((await send(gw.url, 'GET', '/things', { token: await es256(a, { aud: 'api', scope: 'things.read' }) })).status).toBe(200);
    expect(endpoint.state.requests).toBe(0);
    expect((await send(gw.url, 'GET', '/things', { token: 'good-opaque-3' })).status).toBe(200);
    expect((await send(gw.url, 'GET', '/things', { token: 'nope-opaque' })).status).toBe(401);
    expect(endpoint.state).toEqual({ requests: 2, badAuth: 0 });
    // A JWT of an unknown issuer is not sent to the endpoint: 401 here.
    expect((await send(gw.url, 'GET', '/things', { token: await es256(a, { aud: 'api', scope: 'things.read' }, 'https://unknown.test/') })).status).toBe(401);
    expect(endpoint.state.requests).toBe(2);
    expect(log.lines.find((l) => l.msg === 'token verification')).toMatchObject({ issuers: [a.issuer], introspection: { tokens: 'opaque' } });
    expect(log.raw.join('')).not.toContain(BEARER);
  });
});

describe('SCOPE_CLAIMS and TOKEN_PROFILE for the single issuer', () => {
  test('scopes read from a dotted path; rfc9068 refuses an ID-token-typed JWT', async () => {
    const a = await keyServer();
    const up = await upstream();
    closing.push(() => a.server.close(), () => up.server.close());
    const config = loadConfig({
      PORT: '0',
      UPSTREAM_URL: up.server.url,
      ROUTES_FILE: ROUTES,
      JWKS_URL: a.jwksUri,
      JWT_ALGORITHMS: 'ES256',
      JWT_ISSUER: a.issuer,
      JWT_AUDIENCE: 'api',
      SCOPE_CLAIMS: 'realm_access.roles, permissions',
      TOKEN_PROFILE: 'rfc9068',
    });
    expect(config).toMatchObject({ scopeClaims: ['realm_access.roles', 'permissions'], profile: 'rfc9068' });
    const gw = await startGateway(config, pino({ level: 'silent' }));
    closing.push(() => gw.close(100));
    const at = (claims: Record<string, unknown>, typ = 'at+jwt') =>
      new SignJWT({ sub: 'u-1', client_id: 'c-1', jti: randomUUID(), aud: 'api', ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: a.kid, typ })
        .setIssuer(a.issuer)
        .setIssuedAt()
        .setExpirationTime(now() + 600)
        .sign(a.privateKey);
    expect((await send(gw.url, 'GET', '/things', { token: await at({ realm_access: { roles: ['things.read'] } }) })).status).toBe(200);
    expect((await send(gw.url, 'GET', '/things', { token: await at({ permissions: 'things.read' }) })).status).toBe(200);
    // `scope` is no longer read.
    expect((await send(gw.url, 'GET', '/things', { token: await at({ scope: 'things.read' }) })).status).toBe(403);
    expect((await send(gw.url, 'GET', '/things', { token: await at({ permissions: 'things.read' }, 'JWT') })).status).toBe(401);
  });
});

describe('configuration problems: one message each, no secret in any', () => {
  const UP = { UPSTREAM_URL: 'http://u.test' };
  const goodIssuers = file('good-issuers.json', JSON.stringify({ issuers: [{ issuer: 'https://a.test/', jwksUri: 'https://a.test/jwks', algorithms: ['ES256'], audience: 'api' }] }));
  const INTRO = { INTROSPECTION_URL: 'https://as.test/introspect', INTROSPECTION_CLIENT_ID: 'gw', INTROSPECTION_CLIENT_SECRET: CLIENT_SECRET };
  const SECRETS = [HS_SECRET, CLIENT_SECRET, BEARER];
  const cases: [string, Record<string, string>, RegExp[]][] = [
    ['bad JSON (holding a secret)', { ...UP, ISSUERS_FILE: file('bad.json', `{ "issuers": [ { "secret": "${HS_SECRET}" ,, } ] }`) }, [/^ISSUERS_FILE: not valid JSON/]],
    ['unreadable file', { ...UP, ISSUERS_FILE: join(dir, 'missing.json') }, [/^ISSUERS_FILE: cannot read/]],
    ['wrong shape', { ...UP, ISSUERS_FILE: file('shape.json', '{ "issuer": "https://a.test/" }') }, [/^ISSUERS_FILE: unknown key\(s\) "issuer"/]],
    ['empty list', { ...UP, ISSUERS_FILE: file('empty.json', '[]') }, [/^ISSUERS_FILE: lists no issuer/]],
    [
      'both ISSUERS_FILE and JWKS_URL / JWT_ISSUER',
      { ...UP, ISSUERS_FILE: goodIssuers, JWKS_URL: 'https://a.test/jwks', JWT_ISSUER: 'https://a.test/' },
      [/^ISSUERS_FILE: cannot be combined with JWKS_URL, JWT_ISSUER/],
    ],
    [
      'an entry without audience',
      { ...UP, ISSUERS_FILE: file('noaud.json', JSON.stringify([{ issuer: 'https://a.test/', jwksUri: 'https://a.test/jwks', algorithms: ['ES256'] }])) },
      [/^ISSUERS_FILE: issuers\[0\] \("https:\/\/a\.test\/"\) has no "audience".*ALLOW_UNCHECKED_CLAIMS=aud/],
    ],
    [
      'a secret pasted into "issuer" is redacted from the message naming the entry',
      { ...UP, ISSUERS_FILE: file('pasted.json', JSON.stringify([{ issuer: HS_SECRET, secret: HS_SECRET, algorithms: ['HS256'] }])) },
      [/^ISSUERS_FILE: issuers\[0\] \("\[redacted\]"\) has no "audience"/],
    ],
    ['ALLOW_UNCHECKED_CLAIMS=iss with ISSUERS_FILE', { ...UP, ISSUERS_FILE: goodIssuers, ALLOW_UNCHECKED_CLAIMS: 'iss' }, [/^ALLOW_UNCHECKED_CLAIMS: iss is always checked with ISSUERS_FILE/]],
    [
      'an entry the verifier refuses (secret too short for its algorithm), reported under ISSUERS_FILE without the secret',
      { ...UP, ISSUERS_FILE: file('weak.json', JSON.stringify([{ issuer: 'https://c.test/', secret: HS_SECRET, algorithms: ['HS512'], audience: 'api' }])) },
      [/^ISSUERS_FILE: issuers\[0\]\.secret is too short/],
    ],
    [
      'an unknown option in an entry',
      { ...UP, ISSUERS_FILE: file('unknown.json', JSON.stringify([{ issuer: 'https://a.test/', jwksUri: 'https://a.test/jwks', algorithms: ['ES256'], audience: 'api', audiences: ['x'] }])) },
      [/^ISSUERS_FILE: issuers\[0\]\.audiences is not an option/],
    ],
    ['ISSUERS_FILE without UPSTREAM_URL', { ISSUERS_FILE: goodIssuers }, [/^UPSTREAM_URL: required when ISSUERS_FILE is configured/]],
    ['TOKEN_PROFILE with ISSUERS_FILE', { ...UP, ISSUERS_FILE: goodIssuers, TOKEN_PROFILE: 'rfc9068' }, [/^TOKEN_PROFILE: with ISSUERS_FILE, give "profile"/]],
    ['introspection without client id', { ...UP, INTROSPECTION_URL: 'https://as.test/introspect', INTROSPECTION_CLIENT_SECRET: CLIENT_SECRET }, [/^INTROSPECTION_CLIENT_ID: required with INTROSPECTION_URL/]],
    ['introspection without client secret', { ...UP, INTROSPECTION_URL: 'https://as.test/introspect', INTROSPECTION_CLIENT_ID: 'gw' }, [/^INTROSPECTION_CLIENT_SECRET: required/]],
    ['bearer without token', { ...UP, INTROSPECTION_URL: 'https://as.test/introspect', INTROSPECTION_AUTH: 'bearer' }, [/^INTROSPECTION_TOKEN: required with INTROSPECTION_AUTH=bearer/]],
    [
      'bearer with a client secret too',
      { ...UP, ...INTRO, INTROSPECTION_AUTH: 'bearer', INTROSPECTION_TOKEN: BEARER },
      [/^INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET: not used with INTROSPECTION_AUTH=bearer/],
    ],
    ['a token without bearer', { ...UP, ...INTRO, INTROSPECTION_TOKEN: BEARER }, [/^INTROSPECTION_TOKEN: applies with INTROSPECTION_AUTH=bearer only/]],
    ['unknown auth method', { ...UP, ...INTRO, INTROSPECTION_AUTH: 'private_key_jwt' }, [/^INTROSPECTION_AUTH: must be client_secret_basic, client_secret_post or bearer/]],
    ['credentials in the URL (not echoed)', { ...UP, ...INTRO, INTROSPECTION_URL: `https://gw:${CLIENT_SECRET}@as.test/introspect` }, [/^INTROSPECTION_URL: must be an http or https URL without credentials/]],
    ['plain http to another host', { ...UP, ...INTRO, INTROSPECTION_URL: 'http://as.test/introspect' }, [/^INTROSPECTION_URL: introspection\.url must be https/]],
    ['client settings without INTROSPECTION_URL', { ...UP, JWT_SECRET: HS_SECRET, JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', INTROSPECTION_CLIENT_SECRET: CLIENT_SECRET }, [/^INTROSPECTION_CLIENT_SECRET: applies with INTROSPECTION_URL only/]],
    ['tokens all beside a key', { ...UP, ...INTRO, JWT_SECRET: HS_SECRET, JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', INTROSPECTION_TOKENS: 'all' }, [/^INTROSPECTION_TOKENS: all sends every token.*JWT_SECRET/]],
    ['tokens opaque without a key', { ...UP, ...INTRO, INTROSPECTION_TOKENS: 'opaque' }, [/^INTROSPECTION_TOKENS: opaque verifies JWTs here, but there is no key source/]],
    ['bad INTROSPECTION_TOKENS', { ...UP, ...INTRO, INTROSPECTION_TOKENS: 'some' }, [/^INTROSPECTION_TOKENS: must be opaque or all/]],
    [
      'JWT settings with introspection only',
      { ...UP, ...INTRO, JWT_ISSUER: 'https://a.test/', TOKEN_PROFILE: 'rfc9068' },
      [/^JWT_ISSUER: applies to JWTs verified here/, /^TOKEN_PROFILE: applies to JWTs verified here/],
    ],
    ['bad TOKEN_PROFILE', { ...UP, JWT_SECRET: HS_SECRET, JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', TOKEN_PROFILE: 'rfc7519' }, [/^TOKEN_PROFILE: must be rfc9068/]],
    ['rfc9068 without an audience check', { ...UP, JWT_SECRET: HS_SECRET, JWT_ISSUER: 'i', ALLOW_UNCHECKED_CLAIMS: 'aud', TOKEN_PROFILE: 'rfc9068' }, [/^TOKEN_PROFILE: profile "rfc9068" needs audience/]],
    ['a bad scope claim path', { ...UP, JWT_SECRET: HS_SECRET, JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', SCOPE_CLAIMS: 'realm_access..roles' }, [/^SCOPE_CLAIMS: /]],
    ['SCOPE_CLAIMS in the embedded demo', { SCOPE_CLAIMS: 'permissions' }, [/^SCOPE_CLAIMS: applies with UPSTREAM_URL only/]],
  ];

  test.each(cases)('%s', (_name, env, expected) => {
    let problems: readonly string[] = [];
    try {
      loadConfig(env);
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayConfigError);
      problems = (err as GatewayConfigError).problems;
    }
    expect(problems).toEqual(expected.map((re) => expect.stringMatching(re)));
    for (const secret of SECRETS) expect(problems.join('\n')).not.toContain(secret);
  });

  test('a JSON error says where, never the text around it (V8 quotes it, and it may be a secret)', () => {
    const unquoted = file('unquoted.json', `[ { "issuer": "https://c.test/", "secret": ${HS_SECRET}, "algorithms": ["HS256"] } ]`);
    // What V8 itself would have said: a piece of the secret.
    expect(() => JSON.parse(`[ { "secret": ${HS_SECRET} } ]`)).toThrow(HS_SECRET.slice(0, 8));
    expect(() => loadConfig({ ...UP, ISSUERS_FILE: unquoted })).toThrow(GatewayConfigError);
    try {
      loadConfig({ ...UP, ISSUERS_FILE: unquoted });
    } catch (err) {
      expect((err as GatewayConfigError).problems).toEqual([expect.stringMatching(/^ISSUERS_FILE: not valid JSON( \(at character \d+\))?$/)]);
      expect((err as Error).message).not.toContain(HS_SECRET.slice(0, 6));
    }
  });

  test('valid: introspection alone with an upstream; ISSUERS_FILE with ALLOW_UNCHECKED_CLAIMS=aud; flags', () => {
    expect(loadConfig({ ...UP, ...INTRO })).toMatchObject({ embedded: false, key: null, issuers: null, issuer: undefined, audience: undefined, introspection: { url: 'https://as.test/introspect', tokens: 'all' } });
    const noAud = file('noaud-ok.json', JSON.stringify([{ issuer: 'https://a.test/', jwksUri: 'https://a.test/jwks', algorithms: ['ES256'] }]));
    expect(loadConfig({ ...UP, ISSUERS_FILE: noAud, ALLOW_UNCHECKED_CLAIMS: 'aud' }).issuers).toHaveLength(1);
    const c = loadConfig({}, ['--upstream-url', 'http://u.test', '--issuers-file', goodIssuers, '--introspection-url=https://as.test/i', '--introspection-auth', 'client_secret_post', '--introspection-client-id', 'gw', '--introspection-client-secret', CLIENT_SECRET, '--scope-claims', 'permissions']);
    expect(c).toMatchObject({ issuersFile: goodIssuers, scopeClaims: ['permissions'], introspection: { tokens: 'opaque', clientAuth: { method: 'client_secret_post', clientId: 'gw' } } });
    // RFC 9728 metadata: the authorization servers default to the file's issuers; introspection alone names none.
    expect(() => loadConfig({ ...UP, ISSUERS_FILE: goodIssuers, RESOURCE_URL: 'https://api.example.com' })).not.toThrow();
    expect(() => loadConfig({ ...UP, ...INTRO, RESOURCE_URL: 'https://api.example.com' })).toThrow(/AUTHORIZATION_SERVERS: required with RESOURCE_URL/);
    expect(loadConfig({ ...UP, ...INTRO, RESOURCE_URL: 'https://api.example.com', AUTHORIZATION_SERVERS: 'https://as.test/' }).authorizationServers).toEqual(['https://as.test/']);
    // The options it describes build a verifier.
    expect(() => createVerifier({ issuers: c.issuers! })).not.toThrow();
  });
});
