/**
 * Token attacks through a real Express app behind the gate: each refused with the right status,
 * a safe body, and an RFC 6750 challenge; the handler never runs.
 */
import http from 'node:http';
import express from 'express';
import request from 'supertest';
import { base64url, CompactEncrypt, SignJWT } from 'jose';
import { createVerifier } from '@scopegate/core';
import { scopeGate } from '@scopegate/express';
import { makeKey, sign, type TestKey } from '../../core/test/support/keys';
import { rawRequest } from './support/raw-http';

const ISS = 'https://issuer.test/';
const AUD = 'api';
let rsa: TestKey;
let ec: TestKey;
let rogue: TestKey;
let server: http.Server;
let handlerRuns = 0;
const revoked = new Set<string>();

beforeAll(async () => {
  rsa = await makeKey('RS256', 'rsa-1');
  ec = await makeKey('ES256', 'ec-1');
  rogue = await makeKey('RS256', 'rsa-1'); // same kid, other key
  const app = express();
  app.use(
    scopeGate({
      routes: [{ method: 'GET', path: '/data', scopes: ['data.read'] }],
      verifier: createVerifier({
        algorithms: ['RS256', 'ES256'],
        jwks: { keys: [rsa.publicJwk, ec.publicJwk] },
        issuer: ISS,
        audience: AUD,
        isRevoked: (claims) => revoked.has(claims.jti as string),
      }),
    }),
  );
  app.get('/data', (_req, res) => {
    handlerRuns++;
    res.json({ ok: true });
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const good = (payload: Record<string, unknown> = {}, key?: TestKey, header: Record<string, unknown> = {}) =>
  sign(key ?? ec, { iss: ISS, aud: AUD, scope: 'data.read', ...payload }, header);
const now = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => base64url.encode(typeof v === 'string' ? v : JSON.stringify(v));
const parts = (t: string) => t.split('.') as [string, string, string];

type Attack = [name: string, authorization: () => Promise<string | null>, status: number, code: string | null];

const attacks: Attack[] = [
  ['alg none, empty signature', async () => `Bearer ${b64({ alg: 'none' })}.${b64({ iss: ISS, aud: AUD, exp: now() + 60, scope: 'data.read' })}.`, 401, 'invalid_token'],
  ['alg none with a signature', async () => `Bearer ${b64({ alg: 'none' })}.${b64({ iss: ISS, aud: AUD, exp: now() + 60 })}.c2ln`, 401, 'invalid_token'],
  ['alg confusion: HS256 signed with the RSA public key', async () => {
    const jwt = await new SignJWT({ iss: ISS, aud: AUD, exp: now() + 60, scope: 'data.read' })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .sign(new TextEncoder().encode(rsa.publicPem));
    return `Bearer ${jwt}`;
  }, 401, 'invalid_token'],
  ['wrong key, same kid', async () => `Bearer ${await good({}, rogue)}`, 401, 'invalid_token'],
  ['tampered payload', async () => {
    const [h, , s] = parts(await good({ scope: 'nothing' }));
    return `Bearer ${h}.${b64({ iss: ISS, aud: AUD, exp: now() + 60, scope: 'data.read', sub: 'user-1' })}.${s}`;
  }, 401, 'invalid_token'],
  ['tampered header', async () => {
    const [, p, s] = parts(await good());
    return `Bearer ${b64({ alg: 'ES256', kid: 'ec-1', typ: 'JWT', x: 1 })}.${p}.${s}`;
  }, 401, 'invalid_token'],
  ['header alg swapped to RS256 on an ES256 signature', async () => {
    const [, p, s] = parts(await good());
    return `Bearer ${b64({ alg: 'RS256', kid: 'rsa-1' })}.${p}.${s}`;
  }, 401, 'invalid_token'],
  ['expired', async () => `Bearer ${await good({ exp: now() - 60, iat: now() - 120 })}`, 401, 'invalid_token'],
  ['not yet valid', async () => `Bearer ${await good({ nbf: now() + 600 })}`, 401, 'invalid_token'],
  ['no exp', async () => `Bearer ${await good({ exp: undefined })}`, 401, 'invalid_token'],
  ['iat in the future', async () => `Bearer ${await good({ iat: now() + 600 })}`, 401, 'invalid_token'],
  ['wrong iss', async () => `Bearer ${await good({ iss: 'https://evil.test/' })}`, 401, 'invalid_token'],
  ['wrong aud', async () => `Bearer ${await good({ aud: 'other' })}`, 401, 'invalid_token'],
  ['no aud', async () => `Bearer ${await good({ aud: undefined })}`, 401, 'invalid_token'],
  ['unknown kid', async () => `Bearer ${await good({}, ec, { kid: 'nope' })}`, 401, 'invalid_token'],
  ['crit header the verifier does not know', async () => {
    const jwt = await new SignJWT({ iss: ISS, aud: AUD, exp: now() + 60, scope: 'data.read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'ec-1', crit: ['x-ext'], 'x-ext': 1 })
      .sign(ec.privateKey, { crit: { 'x-ext': true } });
    return `Bearer ${jwt}`;
  }, 401, 'invalid_token'],
  ['JWE instead of JWS', async () => {
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ scope: 'data.read' })))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(new Uint8Array(32));
    return `Bearer ${jwe}`;
  }, 401, 'invalid_token'],
  ['two parts', async () => `Bearer ${parts(await good()).slice(0, 2).join('.')}`, 401, 'invalid_token'],
  ['four parts', async () => `Bearer ${await good()}.${b64('x')}`, 401, 'invalid_token'],
  ['bad base64url', async () => {
    const [h, p, s] = parts(await good());
    return `Bearer ${h}.${p.slice(0, 10)}+/+/${p.slice(10)}.${s}`;
  }, 401, 'invalid_token'],
  ['non-JSON payload', async () => {
    const [h, , s] = parts(await good());
    return `Bearer ${h}.${b64('not json')}.${s}`;
  }, 401, 'invalid_token'],
  ['token longer than maxTokenLength (8 KiB)', async () => `Bearer ${await good({ pad: 'x'.repeat(9000) })}`, 401, 'invalid_token'],
  ['scope claim of the wrong type', async () => `Bearer ${await good({ scope: 7 })}`, 401, 'invalid_token'],
  ['scope array with a non-string', async () => `Bearer ${await good({ scope: ['data.read', 1] })}`, 401, 'invalid_token'],
  ['revoked token', async () => {
    revoked.add('gone');
    return `Bearer ${await good({ jti: 'gone' })}`;
  }, 401, 'invalid_token'],
  ['Bearer with no token', async () => 'Bearer', 400, 'invalid_request'],
  ['Bearer with two tokens', async () => 'Bearer a b', 400, 'invalid_request'],
  ['Basic credentials', async () => 'Basic dXNlcjpwYXNz', 401, null],
  ['DPoP scheme', async () => `DPoP ${await good()}`, 401, null],
  ['no Authorization header', async () => null, 401, null],
  ['valid signature but missing scope', async () => `Bearer ${await good({ scope: 'other' })}`, 403, 'insufficient_scope'],
];

describe.each(attacks)('%s', (_name, makeHeader, status, code) => {
  test(`→ ${status}${code ? ` ${code}` : ''}, handler not run`, async () => {
    const before = handlerRuns;
    const header = await makeHeader();
    const req = request(server).get('/data');
    const res = await (header === null ? req : req.set('Authorization', header));
    expect(res.status).toBe(status);
    expect(handlerRuns).toBe(before);
    const challenge = res.headers['www-authenticate'] as string;
    expect(challenge).toMatch(/^Bearer realm="api"/);
    if (code) expect(challenge).toContain(`error="${code}"`);
    else expect(challenge).toBe('Bearer realm="api"');
    expect(Object.keys(res.body)).toEqual(['error']);
    if (status === 401 && !code) expect(res.body.error).toBe('No jwt provided!');
    if (status === 403) expect(res.body.error).toBe('Access Forbidden');
    // Nothing of the token comes back.
    if (header && header.length > 20) expect(JSON.stringify(res.headers) + JSON.stringify(res.body)).not.toContain(header.slice(7, 40));
  });
});

test('positive control: a good token passes; lower-case scheme too', async () => {
  const token = await good();
  expect((await request(server).get('/data').set('Authorization', `Bearer ${token}`)).status).toBe(200);
  expect((await request(server).get('/data').set('Authorization', `bearer ${token}`)).status).toBe(200);
});

test('expired token: error_description says so, body matches', async () => {
  const res = await request(server).get('/data').set('Authorization', `Bearer ${await good({ exp: now() - 60, iat: now() - 120 })}`);
  expect(res.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_token", error_description="Token expired"');
  expect(res.body).toEqual({ error: 'Token expired' });
});

test('a token revoked after it was cached is refused on the cache hit', async () => {
  const token = await good({ jti: 'later' });
  expect((await request(server).get('/data').set('Authorization', `Bearer ${token}`)).status).toBe(200);
  revoked.add('later');
  const res = await request(server).get('/data').set('Authorization', `Bearer ${token}`);
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ error: 'Token revoked' });
});

test('token in the query string is ignored', async () => {
  const res = await request(server).get(`/data?access_token=${await good()}`);
  expect(res.status).toBe(401);
});

test('duplicate Authorization headers → 400 invalid_request', async () => {
  const token = await good();
  const res = await rawRequest(server, `GET /data HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nAuthorization: Bearer ${token}`);
  expect(res.status).toBe(400);
  expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
  expect(handlerRuns).toBeGreaterThan(0);
});

describe.each([
  ['two, differently cased', ['authorization', 'AUTHORIZATION'], 400],
  ['three', ['Authorization', 'authorization', 'AuThOrIzAtIoN'], 400],
  ['one, upper case', ['AUTHORIZATION'], 200],
  ['one, among other 13-character names', ['Cache-Control', 'Authorization', 'If-None-Match'], 200],
])('Authorization headers: %s', (_name, names, status) => {
  test(`→ ${status}`, async () => {
    const token = await good();
    const lines = names.map((n) => (n.toLowerCase() === 'authorization' ? `${n}: Bearer ${token}` : `${n}: no-cache`));
    const res = await rawRequest(server, `GET /data HTTP/1.1\r\nHost: x\r\n${lines.join('\r\n')}`);
    expect(res.status).toBe(status);
    if (status === 400) expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
  });
});

test('oversized header (> 16 KiB) is refused by Node before the app: 431', async () => {
  const before = handlerRuns;
  const res = await rawRequest(server, `GET /data HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(17 * 1024)}`);
  expect(res.status).toBe(431);
  expect(handlerRuns).toBe(before);
});
