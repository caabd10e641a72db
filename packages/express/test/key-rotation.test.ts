/**
 * The verifier's key checks through a real Express app over a raw socket: a token cached before
 * its key left the issuer's key set is refused once the set is refreshed, a respelled token is
 * refused even though its bytes verify, and a kid-less token passes with a set of two keys.
 */
import http from 'node:http';
import express from 'express';
import { createVerifier, type Verifier } from '@scopegate/core';
import { scopeGate } from '@scopegate/express';
import { makeKey, sign, startJwksServer, type JwksServer, type TestKey } from '../../core/test/support/keys';
import { rawRequest } from './support/raw-http';

let k1: TestKey;
let k2: TestKey;
let keys: JwksServer;
let verifier: Verifier;
let server: http.Server;
let handlerRuns = 0;

beforeAll(async () => {
  [k1, k2] = await Promise.all([makeKey('ES256', 'kid-1'), makeKey('ES256', 'kid-2')]);
  keys = await startJwksServer([k1.publicJwk, k2.publicJwk]);
  verifier = createVerifier({ algorithms: ['ES256'], jwksUri: keys.url, jwksOptions: { cooldownDuration: 0 } });
  const app = express();
  app.use(scopeGate({ routes: [{ method: 'GET', path: '/data', scopes: ['data.read'] }], verifier }));
  app.get('/data', (_req, res) => {
    handlerRuns++;
    res.json({ ok: true });
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await keys.close();
});

const get = (token: string) => rawRequest(server, `GET /data HTTP/1.1\r\nHost: app.test\r\nAuthorization: Bearer ${token}`);
const far = () => ({ scope: 'data.read', exp: Math.floor(Date.now() / 1000) + 30 * 24 * 3600 });

test('a kid-less token passes with a set of two keys of its type', async () => {
  const res = await get(await sign(k2, far(), { kid: undefined }));
  expect(res.status).toBe(200);
});

test('another spelling of a valid token (the same signature bytes) is refused; the token itself passes', async () => {
  const token = await sign(k1, far());
  expect((await get(token)).status).toBe(200);
  const sig = token.split('.')[2]!;
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  // An ES256 signature is 64 bytes: 86 characters, the last one carrying 4 unused bits.
  const respelled = token.slice(0, -1) + B64[B64.indexOf(sig[sig.length - 1]!) | 1]!;
  expect(Buffer.from(respelled.split('.')[2]!, 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
  for (const variant of [respelled, `${token}=`]) {
    const res = await get(variant);
    expect([res.status, res.headers['www-authenticate']]).toEqual([401, 'Bearer realm="api", error="invalid_token", error_description="Invalid token: malformed"']);
  }
});

test('a token cached before its key left the set is refused once the set is refreshed', async () => {
  const token = await sign(k1, far());
  expect((await get(token)).status).toBe(200);
  expect((await get(token)).status).toBe(200); // a cache hit now
  const runs = handlerRuns;
  keys.keys = [k2.publicJwk]; // the issuer rotates kid-1 out
  await verifier.keySet!.refresh();
  const res = await get(token);
  expect(res.status).toBe(401);
  expect(handlerRuns).toBe(runs);
  expect((await get(await sign(k2, far()))).status).toBe(200);
});
