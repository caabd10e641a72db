/**
 * The verifier and its keys under an adversary: a cached token does not outlive its key, a token
 * without `kid` verifies against a set of several keys, a key set fetch is bounded (size,
 * redirects, plain HTTP), and a token has one spelling. Real HTTP servers on loopback.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, createVerifier, KeysUnavailableError, type ScopeGateError } from '@scopegate/core';
import { makeKey, sign, startJwksServer, type JwksServer, type TestKey } from './support/keys';

let k1: TestKey;
let k2: TestKey;
let k3: TestKey;
const servers: JwksServer[] = [];
const jwks = async (keys: TestKey[]) => {
  const s = await startJwksServer(keys.map((k) => k.publicJwk));
  servers.push(s);
  return s;
};
const DAY = 24 * 3600;
const farFuture = () => ({ exp: Math.floor(Date.now() / 1000) + 30 * DAY });
const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as ScopeGateError);

beforeAll(async () => {
  [k1, k2, k3] = await Promise.all([makeKey('ES256', 'kid-1'), makeKey('ES256', 'kid-2'), makeKey('ES256', 'kid-3')]);
});
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('1. a cached token does not outlive its key', () => {
  test('rotated out of the set and the set refreshed: the cached token is refused, on the cached path too', async () => {
    const server = await jwks([k1]);
    const v = createVerifier({ algorithms: ['ES256'], jwksUri: server.url, jwksOptions: { cooldownDuration: 0 } });
    const token = await sign(k1, farFuture());
    await v.verify(token);
    expect(v.checkCached!(token)).toBeDefined(); // cached
    server.keys = [k2.publicJwk];
    await v.keySet!.refresh();
    expect(v.checkCached!(token)).toBeUndefined(); // dropped, not served
    expect(await refusal(v.verify(token))).toMatchObject({ status: 401, code: 'ERR_TOKEN_INVALID' });
    expect(await refusal(v.verify(await sign(k1, farFuture())))).toMatchObject({ status: 401 });
    expect(v.cacheStats.size).toBe(0);
  });

  test('a refresh that keeps the key keeps the entry (one integer compare per request otherwise)', async () => {
    const server = await jwks([k1]);
    const v = createVerifier({ algorithms: ['ES256'], jwksUri: server.url, jwksOptions: { cooldownDuration: 0 } });
    const token = await sign(k1, farFuture());
    await v.verify(token);
    server.keys = [k2.publicJwk, { ...k1.publicJwk, kid: 'renamed' }]; // same key, another kid and order
    await v.keySet!.refresh();
    const hits = v.cacheStats.hits;
    expect(v.checkCached!(token)).toBeDefined();
    expect(v.cacheStats.hits).toBe(hits + 1);
  });

  test('a token verified while a refresh removes its key is not cached as checked against the new set', async () => {
    // Verifications in flight across the refresh: each one chose its key from the old set; an
    // entry must carry the generation from before that choice, so its next use re-checks the key.
    const server = await jwks([k1]);
    const v = createVerifier({ algorithms: ['ES256'], jwksUri: server.url, jwksOptions: { cooldownDuration: 0 } });
    await v.verify(await sign(k1, { ...farFuture(), sub: 'warm-up' }));
    const tokens = await Promise.all(Array.from({ length: 600 }, (_, i) => sign(k1, { ...farFuture(), sub: `t${i}` })));
    server.keys = [k2.publicJwk];
    const refreshed = v.keySet!.refresh();
    const settled: Promise<unknown>[] = [];
    await new Promise<void>((done) => {
      let i = 0;
      const tick = () => {
        for (let b = 0; b < 20 && i < tokens.length; b++) settled.push(v.verify(tokens[i++]!).catch(() => undefined));
        if (i < tokens.length) setImmediate(tick);
        else done();
      };
      tick();
    });
    await refreshed;
    await Promise.all(settled);
    expect(v.keySet!.stats.fetches).toBeGreaterThanOrEqual(2);
    const served = tokens.filter((t) => v.checkCached!(t) !== undefined);
    expect(served).toEqual([]);
  });

  test.each([
    ['cache.maxAge', { cache: { max: 100, maxAge: 150 } }],
    ['by default, the key set\'s refresh age', { jwksOptions: { cacheMaxAge: 150, cooldownDuration: 0 } }],
  ])('an entry lives at most %s, whatever exp says', async (_name, extra) => {
    const server = await jwks([k1]);
    const v = createVerifier({ algorithms: ['ES256'], jwksUri: server.url, ...extra });
    const token = await sign(k1, farFuture());
    await v.verify(token);
    expect(v.checkCached!(token)).toBeDefined();
    await new Promise((r) => setTimeout(r, 200));
    expect(v.checkCached!(token)).toBeUndefined();
    await v.verify(token); // verified again, in full
  });

  test('bad cache options are refused at construction', () => {
    expect(() => createVerifier({ algorithms: ['ES256'], jwks: { keys: [k1.publicJwk] }, cache: { max: 10, maxAge: -1 } })).toThrow(ConfigError);
    expect(() => createVerifier({ algorithms: ['ES256'], jwks: { keys: [k1.publicJwk] }, cache: { max: 10, maxAge: Infinity } })).toThrow(/cache.maxAge/);
  });
});

describe('2. several keys, no kid', () => {
  const noKid = (key: TestKey, payload: Record<string, unknown> = {}) => sign(key, payload, { kid: undefined });

  test.each([
    ['a remote set', async () => ({ jwksUri: (await jwks([k1, k2])).url })],
    ['a local set', async () => ({ jwks: { keys: [k1.publicJwk, k2.publicJwk] } })],
  ])('%s of two keys: a kid-less token verifies with the key that signed it', async (_name, source) => {
    const v = createVerifier({ algorithms: ['ES256'], ...(await source()) });
    const t1 = await noKid(k1);
    const t2 = await noKid(k2);
    expect(JSON.parse(Buffer.from(t2.split('.')[0]!, 'base64url').toString())).toEqual({ alg: 'ES256' });
    expect((await v.verify(t1)).claims.sub).toBe('user-1');
    expect((await v.verify(t2)).claims.sub).toBe('user-1');
    // Signed by a key outside the set: every candidate fails, 401.
    expect(await refusal(v.verify(await noKid(k3)))).toMatchObject({ status: 401, code: 'ERR_TOKEN_INVALID', message: 'Invalid token: signature verification failed' });
    // A candidate that verifies decides: an expired token is expired, not "no key".
    expect(await refusal(v.verify(await noKid(k2, { exp: Math.floor(Date.now() / 1000) - 3600 })))).toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
  });

  test('a candidate key jose will not use (RSA under 2048 bits) is passed over, not the end of the search', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { exportJWK, SignJWT } = await import('jose');
    const legacy = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const good = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = async (k: typeof good) => ({ ...(await exportJWK(k.publicKey)), use: 'sig' });
    const token = await new SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('1h').sign(good.privateKey);
    for (const keys of [[legacy, good], [good, legacy]]) {
      const v = createVerifier({ algorithms: ['RS256'], jwks: { keys: await Promise.all(keys.map(jwk)) } });
      expect((await v.verify(token)).claims.sub).toBe('u');
    }
  });

  test('the candidates tried are bounded (4): a token signed by the fifth is refused', async () => {
    const keys = await Promise.all([1, 2, 3, 4, 5].map((i) => makeKey('ES256', `many-${i}`)));
    const v = createVerifier({ algorithms: ['ES256'], jwks: { keys: keys.map((k) => k.publicJwk) } });
    expect((await v.verify(await noKid(keys[3]!))).claims.sub).toBe('user-1');
    expect(await refusal(v.verify(await noKid(keys[4]!)))).toMatchObject({ status: 401 });
  });
});

describe('3. key set fetch limits', () => {
  /** A key server answering whatever `respond` does. */
  const keyServer = async (respond: http.RequestListener) => {
    const server = http.createServer(respond);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks-${Math.random().toString(36).slice(2)}.json`;
    return { url, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
  };

  test.each([
    ['with a content-length', true],
    ['chunked, no length', false],
  ])('a key set larger than maxBodyBytes fails that fetch cleanly (503, a reason), %s', async (_name, withLength) => {
    let written = 0;
    const body = JSON.stringify({ keys: [k1.publicJwk] }) + ' '.repeat(2 << 20);
    const s = await keyServer((_req, res) => {
      res.writeHead(200, withLength ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : { 'content-type': 'application/json' });
      // Streamed in 64 KiB pieces; a reader that stops early stops the writes.
      const step = () => {
        while (written < body.length) {
          const chunk = body.slice(written, written + 65536);
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', step);
        }
        res.end();
      };
      res.on('close', () => (written = body.length + 1));
      step();
    });
    try {
      const v = createVerifier({ algorithms: ['ES256'], jwksUri: s.url, jwksOptions: { maxBodyBytes: 1 << 20 } });
      const e = await refusal(v.verify(await sign(k1)));
      expect(e).toBeInstanceOf(KeysUnavailableError);
      expect(e!.status).toBe(503);
      expect(v.keySet!.stats.lastError).toBe('the key set is larger than 1048576 bytes (maxBodyBytes)');
      expect(v.keySet!.stats.loaded).toBe(false);
      const roomy = createVerifier({ algorithms: ['ES256'], jwksUri: s.url, jwksOptions: { maxBodyBytes: 4 << 20 } });
      written = 0;
      expect((await roomy.verify(await sign(k1))).claims.sub).toBe('user-1');
    } finally {
      await s.close();
    }
  });

  test('the default cap is 1 MiB', async () => {
    const s = await keyServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [k1.publicJwk], pad: 'x'.repeat((1 << 20) + 1) })));
    try {
      const v = createVerifier({ algorithms: ['ES256'], jwksUri: s.url });
      expect(await refusal(v.verify(await sign(k1)))).toBeInstanceOf(KeysUnavailableError);
      expect(v.keySet!.stats.lastError).toMatch(/larger than 1048576 bytes/);
    } finally {
      await s.close();
    }
  });

  test('a redirect is not followed: 503, and the reason says what to do', async () => {
    const target = await jwks([k1]);
    const s = await keyServer((_req, res) => res.writeHead(302, { location: target.url }).end());
    try {
      const v = createVerifier({ algorithms: ['ES256'], jwksUri: s.url });
      expect(await refusal(v.verify(await sign(k1)))).toBeInstanceOf(KeysUnavailableError);
      expect(target.fetches).toBe(0);
      expect(v.keySet!.stats.lastError).toBe('the key server answered a redirect (302); redirects are not followed: set the key set URL to where it points');
    } finally {
      await s.close();
    }
  });

  test('other failures say why, without key material', async () => {
    const s = await keyServer((req, res) => (req.url?.includes('x') ? res.writeHead(200).end('not json') : res.writeHead(200).end('{"keys": 5}')));
    try {
      const v = createVerifier({ algorithms: ['ES256'], jwksUri: s.url });
      await refusal(v.verify(await sign(k1)));
      expect(v.keySet!.stats.lastError).toMatch(/^the key server answered something that is not (JSON|a JSON Web Key Set)$/);
    } finally {
      await s.close();
    }
  });

  test.each([
    ['http://issuer.example/jwks.json', false],
    ['http://10.0.0.7/jwks.json', false],
    ['http://127.0.0.1.example/jwks.json', false],
    ['http://localhost:9/jwks.json', true],
    ['http://127.0.0.1:9/jwks.json', true],
    ['http://127.8.9.10:9/jwks.json', true],
    ['http://[::1]:9/jwks.json', true],
    ['https://issuer.example/jwks.json', true],
  ])('jwksUri %s accepted: %s (plain http only on loopback)', (url, ok) => {
    const make = () => createVerifier({ algorithms: ['ES256'], jwksUri: url });
    if (ok) expect(make).not.toThrow();
    else expect(make).toThrow(/jwksUri must be https \(http only on a loopback host, or with jwksOptions.allowInsecureHttp: true\)/);
  });

  test('allowInsecureHttp lets a non-loopback http URL through, explicitly', () => {
    expect(() => createVerifier({ algorithms: ['ES256'], jwksUri: 'http://issuer.example/jwks.json', jwksOptions: { allowInsecureHttp: true } })).not.toThrow();
    expect(() => createVerifier({ algorithms: ['ES256'], jwksUri: 'http://issuer.example/jwks.json', jwksOptions: { allowInsecureHttp: 'yes' as never } })).toThrow(ConfigError);
    expect(() => createVerifier({ algorithms: ['ES256'], jwksUri: 'https://issuer.example/jwks.json', jwksOptions: { maxBodyBytes: 0 } })).toThrow(/maxBodyBytes/);
  });
});

describe('4. one spelling per token', () => {
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  /** The other spellings of a part's last character that decode to the same bytes. */
  const respellings = (part: string): string[] => {
    const unused = part.length % 4 === 2 ? 4 : part.length % 4 === 3 ? 2 : 0;
    const value = B64.indexOf(part[part.length - 1]!);
    const out: string[] = [];
    for (let low = 1; low < 1 << unused; low++) out.push(part.slice(0, -1) + B64[value | low]!);
    return out;
  };

  test('every other spelling of a valid token is refused before verifying, and takes no cache entry', async () => {
    const v = createVerifier({ algorithms: ['ES256'], jwks: { keys: [k1.publicJwk] } });
    const token = await sign(k1);
    await v.verify(token);
    const [h, p, sig] = token.split('.') as [string, string, string];
    const variants = [
      ...respellings(sig).map((s) => `${h}.${p}.${s}`),
      ...respellings(p).map((x) => `${h}.${x}.${sig}`),
      ...respellings(h).map((x) => `${x}.${p}.${sig}`),
      `${h}.${p}.${sig}=`,
      `${h}.${p}.${sig}==`,
      `${h}=.${p}.${sig}`,
    ];
    expect(variants.length).toBeGreaterThanOrEqual(6);
    for (const variant of variants) {
      const bytes = (t: string) => t.split('.').map((part) => Buffer.from(part, 'base64url').toString('hex'));
      expect(bytes(variant)).toEqual(bytes(token)); // the same bytes…
      const e = await refusal(v.verify(variant));
      expect({ variant, e: e && [e.status, e.message] }).toEqual({ variant, e: [401, 'Invalid token: malformed'] }); // …refused
    }
    expect(v.cacheStats.size).toBe(1);
    expect((await v.verify(token)).claims.sub).toBe('user-1');
  });

  test('canonical tokens of every length class still verify', async () => {
    const v = createVerifier({ algorithms: ['ES256'], jwks: { keys: [k1.publicJwk] } });
    for (let pad = 0; pad < 3; pad++) {
      const token = await sign(k1, { x: 'y'.repeat(pad) });
      expect((await v.verify(token)).claims.x).toBe('y'.repeat(pad));
    }
  });
});
