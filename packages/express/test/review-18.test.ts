/**
 * Review 18: sender-constrained tokens (DPoP, RFC 9449) through a real Express app over loopback
 * sockets. Tests that exposed a hole assert the SAFE behaviour (they fail until fixed); the rest
 * confirm that a check held.
 */
import { createPrivateKey, generateKeyPairSync, randomUUID, sign as nodeSign, webcrypto } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createMemoryReplayStore, createVerifier, type RouteRule, type Verifier, type VerifierOptions } from '@scopegate/core';
import { scopeGate } from '@scopegate/express';
import { ath, challenges, DpopKeys, makeProofKey, ORIGIN, send, type ProofKey } from './support/dpop-attack-cases';
import { rawRequest } from './support/raw-http';

jest.setTimeout(30_000);

const keys = new DpopKeys();
const ROUTES: RouteRule[] = [
  { method: 'GET', path: '/', scopes: ['data.read'] },
  { method: 'GET', path: '/data', scopes: ['data.read'] },
  { method: 'GET', path: '/items/:id', scopes: ['data.read'] },
  { method: 'GET', path: '/files/*path', scopes: ['data.read'] },
];

interface App {
  url: string;
  server: http.Server;
  /** Handler runs, by route. */
  runs: Record<string, number>;
  verifier: Verifier;
  close(): Promise<void>;
}

async function startApp(options: VerifierOptions): Promise<App> {
  const verifier = createVerifier(options);
  const app = express();
  const runs: Record<string, number> = {};
  app.use(scopeGate({ routes: ROUTES, verifier }));
  const handler = (name: string) => (_req: express.Request, res: express.Response) => {
    runs[name] = (runs[name] ?? 0) + 1;
    res.json({ route: name });
  };
  app.get('/', handler('/'));
  app.get('/data', handler('/data'));
  app.get('/items/:id', handler('/items/:id'));
  app.get('/files/*path', handler('/files/*path'));
  return { ...(await listen(app)), runs, verifier };
}

/** An Express app on 127.0.0.1: its URL, its server, and a close that cuts open connections. */
async function listen(app: express.Express): Promise<{ url: string; server: http.Server; close(): Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const total = (runs: Record<string, number>) => Object.values(runs).reduce((a, b) => a + b, 0);
const now = () => Math.floor(Date.now() / 1000);

/** A proof signed with `key`, header and claims exactly as given (nothing added). */
async function rawProof(key: ProofKey, header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

/** A compact JWS signed by hand (jose refuses to sign `crit` it does not know): ES256 with a CryptoKey, RS256 with a KeyObject. */
async function handSigned(header: Record<string, unknown>, claims: Record<string, unknown>, key: ProofKey['privateKey'] | ReturnType<typeof createPrivateKey>): Promise<string> {
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims))}`;
  const sig =
    'type' in key && (key as { asymmetricKeyType?: string }).asymmetricKeyType === 'rsa'
      ? nodeSign('sha256', Buffer.from(input), key as ReturnType<typeof createPrivateKey>)
      : Buffer.from(await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key as CryptoKey, Buffer.from(input)));
  return `${input}.${base64url.encode(sig)}`;
}

/** A raw request head (duplicate headers, odd targets), Connection: close appended. */
const raw = (app: App, lines: string[]) => rawRequest(app.server, lines.join('\r\n'));

let app: App;
beforeAll(async () => {
  await keys.init();
  app = await startApp(keys.verifierOptions());
});
afterAll(() => app.close());

describe('fixed (was): htu normalisation removes dot segments the router does not', () => {
  // RFC 3986 §6.2.2.3 makes /items/.. equal to /, but Express (and the gate's own table) route
  // /items/.. to /items/:id with id "..": a proof minted for one resource is accepted on a request
  // the app serves as another one.
  test.each([
    ['/items/..', `${ORIGIN}/`, '/items/:id'],
    ['/items/%2E%2E', `${ORIGIN}/`, '/items/:id'],
    ['/files/x/../../data', `${ORIGIN}/data`, '/files/*path'],
    ['/files/%2e%2e/data', `${ORIGIN}/data`, '/files/*path'],
  ])('a proof for %s … htu %s is not accepted for a request Express routes to %s', async (target, htu) => {
    const token = await keys.token();
    const proof = await keys.proof(token, { htu });
    const before = total(app.runs);
    const res = await raw(app, [`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: DPoP ${token}`, `DPoP: ${proof}`]);
    expect(res.status).toBe(401);
    expect(total(app.runs)).toBe(before);
  });

  test('control: the same targets with a proof naming them as sent pass (the routes themselves are reachable)', async () => {
    const token = await keys.token();
    const res = await raw(app, ['GET /items/.. HTTP/1.1', 'Host: 127.0.0.1', `Authorization: DPoP ${token}`, `DPoP: ${await keys.proof(token, { htu: `${ORIGIN}/items/..` })}`]);
    // Whatever the fix, a proof naming the request exactly as sent may pass or be refused; it must never 5xx.
    expect(res.status).toBeLessThan(500);
  });
});

describe('fixed (was): htu parsing is quadratic (ReDoS by any holder of a DPoP-bound token)', () => {
  // normalizeHttpUri's ABSOLUTE regex: `([^/?#]*)([^?#]*)` overlap, and `(?:#.*)?$` cannot match a
  // line break, so a signed htu of "https://" + "a"×5600 + "#\n" backtracks ~n²/2 steps — after the
  // signature check but before the replay check, so the SAME proof can be sent again and again.
  test('ten requests carrying one such proof are answered in well under a second', async () => {
    const token = await keys.token();
    let n = 5800;
    let proof = '';
    do {
      n -= 100;
      proof = await keys.proof(token, { htu: `https://${'a'.repeat(n)}#\n` });
    } while (proof.length > 8192);
    expect(n).toBeGreaterThan(4000);
    // Warm-up (token verification and key import are cached after this one).
    expect((await send(app.url, { authorization: `DPoP ${token}`, dpop: proof })).status).toBe(401);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 10; i++) {
      const res = await send(app.url, { authorization: `DPoP ${token}`, dpop: proof });
      expect(res.status).toBe(401);
      expect(challenges(res.headers['www-authenticate']).DPoP).toContain('error="invalid_dpop_proof"');
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(ms).toBeLessThan(250);
  });
});

describe('fixed (was): the in-memory replay store lets one client lock every other client out', () => {
  // When full, the store forgets its oldest live id and raises a floor to that id's `iat`, which
  // the client chose (up to clockTolerance ahead). One token holder filling the store with proofs
  // dated `now + clockTolerance` makes every other client's fresh, never-seen proof "already used".
  test('after one client floods proofs dated 4 s ahead, another client\'s fresh proof still passes', async () => {
    const flooded = await startApp(keys.verifierOptions({ replay: createMemoryReplayStore({ max: 20 }) }));
    try {
      const attackerKey = await makeProofKey('ES256');
      const attacker = await keys.token({ sub: 'attacker' }, { jkt: attackerKey.jkt });
      let accepted = 0;
      for (let i = 0; i < 25; i++) {
        // Fractional, increasing iat (milliseconds): each one above the floor the last eviction set.
        const p = await keys.proof(attacker, { key: attackerKey, claims: { iat: Date.now() / 1000 + 4 } });
        if ((await send(flooded.url, { authorization: `DPoP ${attacker}`, dpop: p })).status === 200) accepted++;
      }
      expect(accepted).toBe(25);
      const victim = await keys.token({ sub: 'victim' });
      const res = await send(flooded.url, { authorization: `DPoP ${victim}`, dpop: await keys.proof(victim) });
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: JSON.stringify({ route: '/data' }) });
    } finally {
      await flooded.close();
    }
  });
});

describe('held: replay', () => {
  test('eight identical proofs in flight at once: exactly one passes', async () => {
    const token = await keys.token();
    const proof = await keys.proof(token);
    const before = total(app.runs);
    const answers = await Promise.all(Array.from({ length: 8 }, () => send(app.url, { authorization: `DPoP ${token}`, dpop: proof })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
    expect(total(app.runs)).toBe(before + 1);
  });

  test('the same jti under two keys: two different proofs, both pass once; each replay refused', async () => {
    const otherToken = await keys.token({}, { jkt: keys.other.jkt });
    const token = await keys.token();
    const jti = randomUUID();
    const a = await keys.proof(token, { claims: { jti } });
    const b = await keys.proof(otherToken, { key: keys.other, claims: { jti } });
    expect((await send(app.url, { authorization: `DPoP ${token}`, dpop: a })).status).toBe(200);
    expect((await send(app.url, { authorization: `DPoP ${otherToken}`, dpop: b })).status).toBe(200);
    expect((await send(app.url, { authorization: `DPoP ${token}`, dpop: a })).status).toBe(401);
    expect((await send(app.url, { authorization: `DPoP ${otherToken}`, dpop: b })).status).toBe(401);
  });

  test('a proof refused for htu is not consumed; a GET proof replayed as HEAD is refused', async () => {
    const token = await keys.token();
    const proof = await keys.proof(token);
    expect((await send(app.url, { authorization: `DPoP ${token}`, dpop: proof, path: '/items/1' })).status).toBe(401);
    expect((await send(app.url, { authorization: `DPoP ${token}`, dpop: proof })).status).toBe(200);
    expect((await send(app.url, { authorization: `DPoP ${token}`, dpop: proof, method: 'HEAD' })).status).toBe(401);
  });
});

describe('held: tokens with odd cnf claims are refused (never taken as bearer tokens), 401 not 500', () => {
  const jkt = () => keys.client.jkt;
  test.each<[string, () => unknown]>([
    ['cnf an array', () => [{ jkt: jkt() }]],
    ['cnf a string', () => jkt()],
    ['cnf null', () => null],
    ['cnf empty', () => ({})],
    ['jkt a number', () => ({ jkt: 1 })],
    ['jkt an array', () => ({ jkt: [jkt()] })],
    ['jkt an object', () => ({ jkt: { value: jkt() } })],
    ['jkt empty', () => ({ jkt: '' })],
    ['JKT upper case', () => ({ JKT: jkt() })],
    ['jkt with an unknown member', () => ({ jkt: jkt(), foo: 1 })],
    ['jkt with x5t#S256 while mtls is off', () => ({ jkt: jkt(), 'x5t#S256': 'abc' })],
  ])('%s', async (_n, cnf) => {
    const t = await keys.token({ cnf: cnf() }, null);
    const before = total(app.runs);
    for (const scheme of ['DPoP', 'Bearer']) {
      const res = await send(app.url, { authorization: `${scheme} ${t}`, dpop: scheme === 'DPoP' ? await keys.proof(t) : null });
      expect({ scheme, status: res.status }).toEqual({ scheme, status: 401 });
    }
    expect(total(app.runs)).toBe(before);
  });

  test('__proto__ in cnf (JSON own key) is an unknown confirmation method', async () => {
    const payload = `{"scope":"data.read","sub":"u","iat":${now()},"exp":${now() + 600},"cnf":{"jkt":"${keys.client.jkt}","__proto__":{"jkt":"x"}}}`;
    const t = await new (await import('jose')).CompactSign(new TextEncoder().encode(payload))
      .setProtectedHeader({ alg: 'ES256', kid: keys.issuer.kid })
      .sign(keys.issuer.privateKey);
    const res = await send(app.url, { authorization: `DPoP ${t}`, dpop: await keys.proof(t) });
    expect(res.status).toBe(401);
    expect(challenges(res.headers['www-authenticate']).DPoP).toContain('error="invalid_token"');
  });
});

describe('held: proof keys and headers', () => {
  /** A token bound to `jwk` and a proof signed by `key` with header jwk `jwk`. */
  async function bound(key: ProofKey, jwk: Record<string, unknown>, alg: string, extraHeader: Record<string, unknown> = {}, claims: Record<string, unknown> = {}) {
    const jkt = await calculateJwkThumbprint(jwk as never).catch(() => 'none');
    const t = await keys.token({}, { jkt });
    const p = await rawProof(key, { alg, typ: 'dpop+jwt', jwk, ...extraHeader }, { jti: randomUUID(), htm: 'GET', htu: `${ORIGIN}/data`, iat: now(), ath: ath(t), ...claims });
    return send(app.url, { authorization: `DPoP ${t}`, dpop: p });
  }

  test.each<[string, () => Promise<{ status: number }>]>([
    ['jwk use "enc"', () => bound(keys.client, { ...keys.client.jwk, use: 'enc' }, 'ES256')],
    ['jwk alg ES384 on an ES256 proof', () => bound(keys.client, { ...keys.client.jwk, alg: 'ES384' }, 'ES256')],
    ['jwk crv P-384 with P-256 coordinates', () => bound(keys.client, { ...keys.client.jwk, crv: 'P-384' }, 'ES256')],
    ['jwk x off the curve', () => bound(keys.client, { ...keys.client.jwk, x: base64url.encode(new Uint8Array(32).fill(1)) }, 'ES256')],
    ['crit header naming an unknown extension', async () => {
      const t = await keys.token();
      const p = await handSigned({ alg: 'ES256', typ: 'dpop+jwt', jwk: keys.client.jwk, crit: ['exp2'], exp2: 1 }, { jti: randomUUID(), htm: 'GET', htu: `${ORIGIN}/data`, iat: now(), ath: ath(t) }, keys.client.privateKey);
      return send(app.url, { authorization: `DPoP ${t}`, dpop: p });
    }],
    ['b64 false under crit', async () => {
      const t = await keys.token();
      const { FlattenedSign } = await import('jose');
      const jws = await new FlattenedSign(new TextEncoder().encode(JSON.stringify({ jti: randomUUID(), htm: 'GET', htu: `${ORIGIN}/data`, iat: now(), ath: ath(t) })))
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: keys.client.jwk, b64: false, crit: ['b64'] })
        .sign(keys.client.privateKey);
      return send(app.url, { authorization: `DPoP ${t}`, dpop: `${jws.protected}.${base64url.encode(jws.payload)}.${jws.signature}` });
    }],
    ['iat a string', () => bound(keys.client, keys.client.jwk, 'ES256', {}, { iat: String(now()) })],
    ['jti a number', () => bound(keys.client, keys.client.jwk, 'ES256', {}, { jti: 12345 })],
    ['jti of 257 characters', () => bound(keys.client, keys.client.jwk, 'ES256', {}, { jti: 'j'.repeat(257) })],
    ['htm an array', () => bound(keys.client, keys.client.jwk, 'ES256', {}, { htm: ['GET'] })],
    ['htu an array', () => bound(keys.client, keys.client.jwk, 'ES256', {}, { htu: [`${ORIGIN}/data`] })],
    ['htu with a tab', () => bound(keys.client, keys.client.jwk, 'ES256', {}, { htu: `${ORIGIN}/da\tta` })],
    ['htu with a backslash', () => bound(keys.client, keys.client.jwk, 'ES256', {}, { htu: `${ORIGIN}\\data` })],
    ['htu relative', () => bound(keys.client, keys.client.jwk, 'ES256', {}, { htu: '/data' })],
    ['htu with the origin of another scheme-relative form', () => bound(keys.client, keys.client.jwk, 'ES256', {}, { htu: '//api.example.com/data' })],
  ])('%s → 401, never 200 or 5xx', async (_n, go) => {
    const before = total(app.runs);
    expect((await go()).status).toBe(401);
    expect(total(app.runs)).toBe(before);
  });

  test('RSA 1024-bit proof key bound to the token → 401 (jose refuses short RSA keys)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const t = await keys.token({}, { jkt: await calculateJwkThumbprint(jwk as never) });
    const p = await handSigned({ alg: 'RS256', typ: 'dpop+jwt', jwk }, { jti: randomUUID(), htm: 'GET', htu: `${ORIGIN}/data`, iat: now(), ath: ath(t) }, privateKey);
    const before = total(app.runs);
    expect((await send(app.url, { authorization: `DPoP ${t}`, dpop: p })).status).toBe(401);
    expect(total(app.runs)).toBe(before);
  });

  test('fixed (was, low): a jwk member the first import refuses (key_ops ["encrypt"]) passes once the key is cached', async () => {
    // The imported-key cache is keyed by alg and thumbprint, which ignores key_ops: the same
    // proof header is refused or accepted depending on whether a plain proof came first.
    const fresh = await makeProofKey('ES256');
    const t = await keys.token({}, { jkt: fresh.jkt });
    const odd = () => rawProof(fresh, { alg: 'ES256', typ: 'dpop+jwt', jwk: { ...fresh.jwk, key_ops: ['encrypt'] } }, { jti: randomUUID(), htm: 'GET', htu: `${ORIGIN}/data`, iat: now(), ath: ath(t) });
    const first = await send(app.url, { authorization: `DPoP ${t}`, dpop: await odd() });
    expect(first.status).toBe(401);
    expect((await send(app.url, { authorization: `DPoP ${t}`, dpop: await keys.proof(t, { key: fresh }) })).status).toBe(200);
    const again = await send(app.url, { authorization: `DPoP ${t}`, dpop: await odd() });
    expect(again.status).toBe(first.status);
  });

  test('accepted edges: iat a float, jti of 256 characters', async () => {
    for (const claims of [{ iat: Date.now() / 1000 }, { jti: 'k'.repeat(256) }]) {
      const t = await keys.token();
      expect((await send(app.url, { authorization: `DPoP ${t}`, dpop: await keys.proof(t, { claims }) })).status).toBe(200);
    }
  });
});

describe('held: headers in raw form', () => {
  const lines = (token: string, ...extra: string[]) => ['GET /data HTTP/1.1', 'Host: 127.0.0.1', ...extra];

  test('two DPoP header lines in different case → 401; one with surrounding spaces → 200', async () => {
    const t = await keys.token();
    const p = await keys.proof(t);
    const two = await raw(app, lines(t, `Authorization: DPoP ${t}`, `DPoP: ${p}`, `dpop: ${await keys.proof(t)}`));
    expect(two.status).toBe(401);
    const spaced = await raw(app, lines(t, `Authorization: DPoP ${t}`, `DPoP:    ${p}   `));
    expect(spaced.status).toBe(200);
  });

  test('an empty DPoP line beside a real one → 401 (Node joins them with a comma)', async () => {
    const t = await keys.token();
    expect((await raw(app, lines(t, `Authorization: DPoP ${t}`, 'DPoP:', `DPoP: ${await keys.proof(t)}`))).status).toBe(401);
    expect((await raw(app, lines(t, `Authorization: DPoP ${t}`, `DPoP: ${await keys.proof(t)}`, 'DPoP:'))).status).toBe(401);
  });

  test('Authorization DPoP and Bearer lines, or DPoP with a tab → 400, never 200', async () => {
    const t = await keys.token();
    const unbound = await keys.token({}, null);
    expect((await raw(app, lines(t, `Authorization: DPoP ${t}`, `authorization: Bearer ${unbound}`, `DPoP: ${await keys.proof(t)}`))).status).toBe(400);
    expect((await raw(app, lines(t, `Authorization: DPoP\t${t}`, `DPoP: ${await keys.proof(t)}`))).status).toBe(400);
  });

  test('absolute-form target with a proof for its path → refused (htu is compared with origin-form only), no 5xx', async () => {
    const t = await keys.token();
    const res = await raw(app, ['GET https://api.example.com/data HTTP/1.1', 'Host: api.example.com', `Authorization: DPoP ${t}`, `DPoP: ${await keys.proof(t)}`]);
    expect(res.status).toBe(401);
  });

  test('OPTIONS * with a DPoP token → 4xx, no crash', async () => {
    const t = await keys.token();
    const res = await raw(app, ['OPTIONS * HTTP/1.1', 'Host: 127.0.0.1', `Authorization: DPoP ${t}`, `DPoP: ${await keys.proof(t, { htm: 'OPTIONS' })}`]);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  test('a proof over 8192 characters → 401 malformed, the proof never echoed', async () => {
    const t = await keys.token();
    const p = await keys.proof(t, { claims: { pad: 'x'.repeat(9000) } });
    const res = await send(app.url, { authorization: `DPoP ${t}`, dpop: p });
    expect(res.status).toBe(401);
    expect(res.body + JSON.stringify(res.headers)).not.toContain(p.slice(-40));
  });
});

describe('held: nonces', () => {
  let nonced: App;
  beforeAll(async () => {
    nonced = await startApp(keys.verifierOptions({ nonce: { secret: 's'.repeat(32), rotation: 60 } }));
  });
  afterAll(() => nonced.close());

  test.each<[string, unknown]>([
    ['a number', 12345],
    ['an array of the nonce', 'ARRAY'],
    ['33 characters', 'x'.repeat(33)],
    ['32 non-ASCII characters', 'é'.repeat(32)],
    ['the empty string', ''],
  ])('nonce %s → 401 use_dpop_nonce with a DPoP-Nonce', async (_n, value) => {
    const t = await keys.token();
    const first = await send(nonced.url, { authorization: `DPoP ${t}`, dpop: await keys.proof(t) });
    const current = first.headers['dpop-nonce'] as string;
    const nonce = value === 'ARRAY' ? [current] : value;
    const res = await send(nonced.url, { authorization: `DPoP ${t}`, dpop: await keys.proof(t, { claims: { nonce } }) });
    expect(res.status).toBe(401);
    expect(challenges(res.headers['www-authenticate']).DPoP).toContain('error="use_dpop_nonce"');
    expect(res.headers['dpop-nonce']).toBe(current);
    expect(total(nonced.runs)).toBe(0);
  });

  test('a proof refused for its nonce is not consumed: the same jti with the nonce passes', async () => {
    const t = await keys.token();
    const jti = randomUUID();
    const first = await send(nonced.url, { authorization: `DPoP ${t}`, dpop: await keys.proof(t, { claims: { jti } }) });
    expect(first.status).toBe(401);
    const ok = await send(nonced.url, { authorization: `DPoP ${t}`, dpop: await keys.proof(t, { claims: { jti, nonce: first.headers['dpop-nonce'] } }) });
    expect(ok.status).toBe(200);
  });
});

describe('held: the gate under a rewriting middleware and a mount path', () => {
  test('req.url rewritten by an earlier middleware: the proof names the target as received; the rule checked is the rewritten one', async () => {
    const verifier = createVerifier(keys.verifierOptions());
    const ex = express();
    let ran = 0;
    ex.use((req, _res, next) => {
      if (req.url === '/v1/data') req.url = '/data';
      next();
    });
    ex.use(scopeGate({ routes: ROUTES, verifier }));
    ex.get('/data', (_req, res) => {
      ran++;
      res.json({ ok: true });
    });
    const { url, close } = await listen(ex);
    try {
      const t = await keys.token();
      // A proof for the rewritten path is not a proof for what the client asked for.
      expect((await send(url, { authorization: `DPoP ${t}`, dpop: await keys.proof(t), path: '/v1/data' })).status).toBe(401);
      expect((await send(url, { authorization: `DPoP ${t}`, dpop: await keys.proof(t, { htu: `${ORIGIN}/v1/data` }), path: '/v1/data' })).status).toBe(200);
      // And a token without the rewritten rule's scope is refused whatever the proof says.
      const noScope = await keys.token({ scope: 'other' });
      expect((await send(url, { authorization: `DPoP ${noScope}`, dpop: await keys.proof(noScope, { htu: `${ORIGIN}/v1/data` }), path: '/v1/data' })).status).toBe(403);
      expect(ran).toBe(1);
    } finally {
      await close();
    }
  });

  test('report mode: a refused DPoP request goes on without req.auth; the replay store is not touched', async () => {
    const verifier = createVerifier(keys.verifierOptions());
    const ex = express();
    const seen: unknown[] = [];
    ex.use(scopeGate({ routes: ROUTES, verifier, mode: 'report' }));
    ex.get('/data', (req, res) => {
      seen.push(req.auth);
      res.json({ ok: true });
    });
    const { url, close } = await listen(ex);
    try {
      const t = await keys.token();
      const p = await keys.proof(t);
      expect((await send(url, { authorization: `Bearer ${t}`, dpop: p })).status).toBe(200);
      expect(seen).toEqual([undefined]);
      // The proof was not consumed by the refused request.
      expect((await send(url, { authorization: `DPoP ${t}`, dpop: p })).status).toBe(200);
      expect((seen[1] as { token: string }).token).toBe(t);
    } finally {
      await close();
    }
  });
});
