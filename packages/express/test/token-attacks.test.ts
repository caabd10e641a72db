/**
 * Token attacks through a real Express app behind the gate: each refused with the right status,
 * a safe body, and an RFC 6750 challenge; the handler never runs.
 */
import http from 'node:http';
import express from 'express';
import request from 'supertest';
import { createVerifier } from '@scopegate/core';
import { scopeGate } from '@scopegate/express';
import { rawRequest } from './support/raw-http';
import { authorizationHeaderLines, authorizationHeadersCases, TOKEN_ATTACK_ROUTES, TokenAttackKeys, tokenAttacks } from './support/token-attack-cases';

const keys = new TokenAttackKeys();
let server: http.Server;
let handlerRuns = 0;

beforeAll(async () => {
  await keys.init();
  const app = express();
  app.use(
    scopeGate({
      routes: TOKEN_ATTACK_ROUTES,
      verifier: createVerifier(keys.verifierOptions()),
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

const good = keys.good;
const now = () => Math.floor(Date.now() / 1000);

describe.each(tokenAttacks)('%s', (_name, makeHeader, status, code) => {
  test(`→ ${status}${code ? ` ${code}` : ''}, handler not run`, async () => {
    const before = handlerRuns;
    const header = await makeHeader(keys);
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
  keys.revoked.add('later');
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

describe.each(authorizationHeadersCases)('Authorization headers: %s', (_name, names, status) => {
  test(`→ ${status}`, async () => {
    const token = await good();
    const res = await rawRequest(server, `GET /data HTTP/1.1\r\nHost: x\r\n${authorizationHeaderLines(names, token)}`);
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
