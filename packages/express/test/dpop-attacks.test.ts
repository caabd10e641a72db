/**
 * DPoP (RFC 9449) through a real Express app over a socket: every attack of the shared table is
 * refused with its status, its error on the right challenge and the `algs` of the DPoP one, and
 * the handler never runs; the spellings RFC 3986 calls equal are accepted; a proof is good once;
 * server nonces; DPoP required; a verified token cached never skips its proof.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createMemoryReplayStore, createVerifier, type Verifier } from '@scopegate/core';
import { scopeGate } from '@scopegate/express';
import { challenges, DPOP_ROUTES, DpopKeys, dpopAccepted, dpopAttacks, send } from './support/dpop-attack-cases';

const keys = new DpopKeys();
const ALGS = 'algs="ES256 EdDSA PS256 RS256"';

interface App {
  url: string;
  server: http.Server;
  runs: number;
  verifier: Verifier;
}

async function startApp(verifier: Verifier, mount = ''): Promise<App> {
  const app = express();
  const state = { runs: 0 } as App;
  const router = express.Router();
  router.use(scopeGate({ routes: DPOP_ROUTES, verifier }));
  const handler = (_req: express.Request, res: express.Response) => {
    state.runs++;
    res.json({ ok: true });
  };
  router.get('/data', handler);
  router.get('/items/:id', handler);
  app.use(mount || '/', router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return Object.assign(state, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, verifier });
}

let app: App;
beforeAll(async () => {
  await keys.init();
  app = await startApp(createVerifier(keys.verifierOptions()));
});
afterAll(() => new Promise((resolve) => app.server.close(resolve)));

describe.each(dpopAttacks)('%s', (_name, make, status, error, scheme) => {
  test(`→ ${status}${error ? ` ${error}` : ''}, handler not run`, async () => {
    const before = app.runs;
    const spec = await make(keys);
    const res = await send(app.url, spec);
    expect(res.status).toBe(status);
    expect(app.runs).toBe(before);
    const by = challenges(res.headers['www-authenticate']);
    // DPoP allowed, not required: both schemes offered, the DPoP one with its algorithms.
    expect(Object.keys(by).sort()).toEqual(['Bearer', 'DPoP']);
    expect(by.DPoP).toContain(ALGS);
    expect(by.Bearer).toMatch(/^realm="api"/);
    expect(by.DPoP).toMatch(/^realm="api"/);
    if (error === null) {
      expect(res.headers['www-authenticate']).not.toContain('error=');
    } else {
      expect(by[scheme!]).toContain(`error="${error}"`);
      expect(by[scheme === 'DPoP' ? 'Bearer' : 'DPoP']).not.toContain('error=');
    }
    if (spec.method !== 'HEAD') {
      const body = JSON.parse(res.body) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error).toBe(status === 403 ? 'Access Forbidden' : status === 401 && error === null ? 'No jwt provided!' : body.error);
    }
    // Neither the token nor the proof comes back.
    const answer = JSON.stringify(res.headers) + res.body;
    const secret = spec.authorization?.split(' ')[1];
    if (secret && secret.length > 40) expect(answer).not.toContain(secret.slice(0, 40));
    for (const p of [spec.dpop].flat()) if (p && p.length > 40) expect(answer).not.toContain(p.slice(-40));
  });
});

describe.each(dpopAccepted)('accepted: %s', (_name, make) => {
  test('→ 200, handler runs once', async () => {
    const before = app.runs;
    const res = await send(app.url, await make(keys));
    expect(res.status).toBe(200);
    expect(app.runs).toBe(before + 1);
  });
});

test('a proof is good once: the same proof again is refused (replay), a fresh one passes', async () => {
  const token = await keys.token();
  const proof = await keys.proof(token);
  expect((await send(app.url, { authorization: `DPoP ${token}`, dpop: proof })).status).toBe(200);
  const replay = await send(app.url, { authorization: `DPoP ${token}`, dpop: proof });
  expect(replay.status).toBe(401);
  expect(challenges(replay.headers['www-authenticate']).DPoP).toContain('error="invalid_dpop_proof"');
  expect(replay.body).toContain('already used');
  expect((await send(app.url, { authorization: `DPoP ${token}`, dpop: await keys.proof(token) })).status).toBe(200);
});

test('the token cache never skips the proof: a cached DPoP-bound token still needs a fresh, matching proof', async () => {
  const token = await keys.token();
  expect((await send(app.url, { authorization: `DPoP ${token}`, dpop: await keys.proof(token) })).status).toBe(200);
  const hits = app.verifier.cacheStats.hits;
  for (const bad of [null, await keys.proof(token, { htm: 'POST' }), await keys.proof(token, { key: keys.other })]) {
    expect((await send(app.url, { authorization: `DPoP ${token}`, dpop: bad })).status).toBe(401);
  }
  expect((await send(app.url, { authorization: `Bearer ${token}`, dpop: null })).status).toBe(401);
  expect(app.verifier.cacheStats.hits).toBeGreaterThan(hits); // the token was a cache hit: the proof was still checked
});

test('the proof names the whole target, mount path included (req.originalUrl)', async () => {
  const mounted = await startApp(createVerifier(keys.verifierOptions()), '/api');
  try {
    const token = await keys.token();
    expect((await send(mounted.url, { authorization: `DPoP ${token}`, dpop: await keys.proof(token, { htu: 'https://api.example.com/api/data' }) }, '/api')).status).toBe(200);
    // A proof for the path below the mount point is a proof for another URL.
    expect((await send(mounted.url, { authorization: `DPoP ${token}`, dpop: await keys.proof(token) }, '/api')).status).toBe(401);
  } finally {
    await new Promise((resolve) => mounted.server.close(resolve));
  }
});

describe('server nonces', () => {
  let nonceApp: App;
  const secret = 'a-shared-nonce-secret-of-at-least-32-bytes';
  beforeAll(async () => {
    nonceApp = await startApp(createVerifier(keys.verifierOptions({ nonce: { secret } })));
  });
  afterAll(() => new Promise((resolve) => nonceApp.server.close(resolve)));

  test('no nonce → 401 use_dpop_nonce with DPoP-Nonce; the proof again with it → 200 and the nonce to use next', async () => {
    const token = await keys.token();
    const first = await send(nonceApp.url, { authorization: `DPoP ${token}`, dpop: await keys.proof(token) });
    expect(first.status).toBe(401);
    expect(challenges(first.headers['www-authenticate']).DPoP).toContain('error="use_dpop_nonce"');
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const second = await send(nonceApp.url, { authorization: `DPoP ${token}`, dpop: await keys.proof(token, { claims: { nonce } }) });
    expect(second.status).toBe(200);
    expect(second.headers['dpop-nonce']).toBe(nonce);
  });

  test('a made-up nonce, or a nonce of another secret → 401 use_dpop_nonce; the handler never runs', async () => {
    const other = createVerifier(keys.verifierOptions({ nonce: { secret: 'another-secret-another-secret-another-secret' } }));
    const foreign = other.dpop!.nonce()!;
    const before = nonceApp.runs;
    const token = await keys.token();
    for (const nonce of ['x'.repeat(32), foreign, '', 42]) {
      const res = await send(nonceApp.url, { authorization: `DPoP ${token}`, dpop: await keys.proof(token, { claims: { nonce } }) });
      expect(res.status).toBe(401);
      expect(challenges(res.headers['www-authenticate']).DPoP).toContain('error="use_dpop_nonce"');
    }
    expect(nonceApp.runs).toBe(before);
  });

  test('two instances sharing the secret accept each other\'s nonces', async () => {
    const twin = await startApp(createVerifier(keys.verifierOptions({ nonce: { secret } })));
    try {
      const token = await keys.token();
      const nonce = (await send(nonceApp.url, { authorization: `DPoP ${token}`, dpop: await keys.proof(token) })).headers['dpop-nonce'] as string;
      expect((await send(twin.url, { authorization: `DPoP ${token}`, dpop: await keys.proof(token, { claims: { nonce } }) })).status).toBe(200);
    } finally {
      await new Promise((resolve) => twin.server.close(resolve));
    }
  });
});

describe('DPoP required', () => {
  let strict: App;
  beforeAll(async () => {
    strict = await startApp(createVerifier(keys.verifierOptions({ required: true })));
  });
  afterAll(() => new Promise((resolve) => strict.server.close(resolve)));

  test.each([
    ['an unbound Bearer token', async () => ({ authorization: `Bearer ${await keys.token({}, null)}`, dpop: null }), 'invalid_token'],
    ['no token', async () => ({ authorization: null, dpop: null }), null],
  ] as const)('%s → 401 with a DPoP challenge only', async (_n, make, error) => {
    const res = await send(strict.url, await make());
    expect(res.status).toBe(401);
    const by = challenges(res.headers['www-authenticate']);
    expect(Object.keys(by)).toEqual(['DPoP']);
    expect(by.DPoP).toContain(ALGS);
    if (error) expect(by.DPoP).toContain(`error="${error}"`);
  });

  test('a bound token with its proof → 200', async () => {
    const token = await keys.token();
    expect((await send(strict.url, { authorization: `DPoP ${token}`, dpop: await keys.proof(token) })).status).toBe(200);
  });
});

describe('DPoP off', () => {
  let plain: App;
  beforeAll(async () => {
    plain = await startApp(createVerifier({ algorithms: ['ES256'], jwks: { keys: [keys.issuer.publicJwk] } }));
  });
  afterAll(() => new Promise((resolve) => plain.server.close(resolve)));

  test('a DPoP-bound token is refused with either scheme (never taken as a bearer token); challenges name Bearer only', async () => {
    const token = await keys.token();
    for (const spec of [
      { authorization: `Bearer ${token}`, dpop: null },
      { authorization: `Bearer ${token}`, dpop: await keys.proof(token) },
      { authorization: `DPoP ${token}`, dpop: await keys.proof(token) },
    ]) {
      const res = await send(plain.url, spec);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api"/);
      expect(Object.keys(challenges(res.headers['www-authenticate']))).toEqual(['Bearer']);
    }
    expect(plain.runs).toBe(0);
  });
});

describe('replay store', () => {
  test('in memory, bounded: when full, the oldest ids are forgotten but proofs as old as them are refused', () => {
    const store = createMemoryReplayStore({ max: 3 });
    const now = Date.now();
    const later = now + 60_000;
    expect(store.use('a', 100, later)).toBe(true);
    expect(store.use('b', 101, later)).toBe(true);
    expect(store.use('c', 102, later)).toBe(true);
    expect(store.use('a', 100, later)).toBe(false);
    expect(store.use('d', 103, later)).toBe(true); // forgets a (iat 100): the floor is 100
    expect(store.size).toBe(3);
    expect(store.use('a', 100, later)).toBe(false); // forgotten, but no proof that old passes again
    expect(store.use('e', 99, later)).toBe(false);
    expect(store.use('f', 104, later)).toBe(true);
    expect(store.use('f', 104, later)).toBe(false);
  });

  test('expired ids are forgotten first, without raising the floor', () => {
    const store = createMemoryReplayStore({ max: 2 });
    const past = Date.now() - 1;
    expect(store.use('old1', 10, past)).toBe(true);
    expect(store.use('old2', 11, past)).toBe(true);
    expect(store.use('new', 12, Date.now() + 60_000)).toBe(true);
    expect(store.use('another', 5, Date.now() + 60_000)).toBe(true); // the floor was not raised by expired ids
  });

  test.each([
    ['throws', () => {
      throw new Error('down');
    }, 503],
    ['rejects', () => Promise.reject(new Error('down')), 503],
    ['answers something other than true', () => 'yes' as unknown as boolean, 401],
  ] as const)('a store that %s → refused (%s), never through', async (_n, use, status) => {
    const down = await startApp(createVerifier(keys.verifierOptions({ replay: { use } })));
    try {
      const token = await keys.token();
      const res = await send(down.url, { authorization: `DPoP ${token}`, dpop: await keys.proof(token) });
      expect(res.status).toBe(status);
      expect(down.runs).toBe(0);
      if (status === 503) expect(JSON.parse(res.body)).toEqual({ error: 'DPoP replay check unavailable' });
    } finally {
      await new Promise((resolve) => down.server.close(resolve));
    }
  });
});

test('RFC 9728 metadata says what is checked (DPoP algorithms, DPoP required, certificate-bound tokens), and both challenges point at it', async () => {
  const app = express();
  app.use(scopeGate({ routes: DPOP_ROUTES, verifier: createVerifier(keys.verifierOptions({ required: true }, { mtls: {} })), resourceMetadata: { resource: 'https://api.example.com' } }));
  app.get('/data', (_req, res) => res.json({ ok: true }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const doc = JSON.parse((await send(url, { authorization: null, dpop: null, path: '/.well-known/oauth-protected-resource' })).body) as Record<string, unknown>;
    expect(doc).toMatchObject({ dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'PS256', 'RS256'], dpop_bound_access_tokens_required: true, tls_client_certificate_bound_access_tokens: true });
    const res = await send(url, { authorization: `DPoP ${await keys.token()}`, dpop: 'junk' });
    expect(res.status).toBe(401);
    const by = challenges(res.headers['www-authenticate']);
    expect(Object.keys(by)).toEqual(['DPoP']);
    expect(by.DPoP).toContain('resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"');
    expect(by.DPoP).toContain('error="invalid_dpop_proof"');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
