/**
 * RedisReplayStore against a real redis-server: one use per id across instances, expiry,
 * concurrency, fail-closed outages through a TCP relay (support/tcp-relay.ts), what the keys
 * hold, options — and the store behind real verifiers (DPoP proofs, RFC 9449).
 */
import { createHash, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { authorizePathname, compileRoutes, ConfigError, createVerifier, ReplayUnavailableError, type RouteTable, type Verifier } from '@scopegate/core';
import { RedisReplayStore, type RedisReplayStoreOptions } from '@scopegate/redis';
import { startRedis, type RedisServer } from './support/redis-server';
import { startRelay, type Relay } from './support/tcp-relay';
import { sleep, within } from './support/wait';

let redis: RedisServer;
let raw: Redis;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
});
afterAll(async () => {
  for (const close of closers) await close();
  raw.disconnect();
  await redis.destroy();
});

const store = async (options: Omit<RedisReplayStoreOptions, 'redis'> & { redis?: RedisReplayStoreOptions['redis'] } = {}): Promise<RedisReplayStore> => {
  const s = await RedisReplayStore.connect({ redis: redis.url, ...options });
  closers.push(() => s.close());
  return s;
};

/** A store reaching Redis through its own relay. */
const relayed = async (options: Omit<RedisReplayStoreOptions, 'redis'> = {}): Promise<{ s: RedisReplayStore; relay: Relay }> => {
  const relay = await startRelay(redis.port);
  const s = await RedisReplayStore.connect({ redis: relay.url, ...options });
  closers.push(async () => {
    await s.close();
    await relay.close();
  });
  return { s, relay };
};

/** An id as the verifier makes it: a base64url SHA-256 digest. */
const newId = () => createHash('sha256').update(randomUUID()).digest('base64url');
const inAMinute = () => Date.now() + 60_000;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The outcome of a `use`: true / false / the error's class and code. */
async function outcome(p: Promise<boolean>): Promise<boolean | string> {
  try {
    return await p;
  } catch (err) {
    return err instanceof ReplayUnavailableError ? `${err.status} ${err.code}` : `unexpected ${String(err)}`;
  }
}

/** Poll until `use` answers (true or false) rather than rejecting; bounded. The ms waited. */
async function untilAnswering(s: RedisReplayStore, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const r = await outcome(s.use(newId(), nowSeconds(), inAMinute()));
    if (r === true) return Date.now() - started;
    if (r !== '503 ERR_REPLAY_UNAVAILABLE') throw new Error(`unexpected answer ${String(r)}`);
    if (Date.now() - started > timeoutMs) throw new Error(`the store did not answer again within ${timeoutMs} ms`);
    await sleep(20);
  }
}

describe('one use per id', () => {
  test('the first use answers true, the second false; the key is the id under the prefix, holding 1, until expiresAt', async () => {
    const s = await store({ prefix: 'once:' });
    const id = newId();
    const expiresAt = Date.now() + 30_000;
    expect(await s.use(id, nowSeconds(), expiresAt)).toBe(true);
    expect(await s.use(id, nowSeconds(), expiresAt)).toBe(false);
    expect(await s.use(id, nowSeconds(), inAMinute())).toBe(false);
    expect(await raw.keys('once:*')).toEqual([`once:${id}`]);
    expect(await raw.get(`once:${id}`)).toBe('1');
    const pttl = await raw.pttl(`once:${id}`);
    expect(pttl).toBeGreaterThan(25_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
  });

  test('the default prefix is scopegate:dpop:', async () => {
    const s = await store();
    const id = newId();
    expect(await s.use(id, nowSeconds(), inAMinute())).toBe(true);
    expect(await raw.get(`scopegate:dpop:${id}`)).toBe('1');
  });

  test('two stores (two connections) on one server: an id used on A is refused on B, and the other way round', async () => {
    const a = await store({ prefix: 'two:' });
    const b = await store({ prefix: 'two:' });
    const [x, y] = [newId(), newId()];
    expect(await a.use(x, nowSeconds(), inAMinute())).toBe(true);
    expect(await b.use(x, nowSeconds(), inAMinute())).toBe(false);
    expect(await b.use(y, nowSeconds(), inAMinute())).toBe(true);
    expect(await a.use(y, nowSeconds(), inAMinute())).toBe(false);
    // Another prefix is another store.
    const c = await store({ prefix: 'other:' });
    expect(await c.use(x, nowSeconds(), inAMinute())).toBe(true);
  });

  test('an id is forgotten once expiresAt has passed (and not before)', async () => {
    const s = await store({ prefix: 'exp:' });
    const id = newId();
    const expiresAt = Date.now() + 200;
    expect(await s.use(id, nowSeconds(), expiresAt)).toBe(true);
    expect(await s.use(id, nowSeconds(), expiresAt)).toBe(false);
    await sleep(Math.max(0, expiresAt - Date.now() - 80));
    expect(await s.use(id, nowSeconds(), expiresAt)).toBe(false); // still inside
    await sleep(Math.max(0, expiresAt - Date.now()) + 50);
    expect(await s.use(id, nowSeconds(), inAMinute())).toBe(true);
    expect(await s.use(id, nowSeconds(), inAMinute())).toBe(false);
  });

  test('an expiresAt already past still records the id for at least 1 ms and answers true once', async () => {
    const s = await store({ prefix: 'past:' });
    const id = newId();
    expect(await s.use(id, nowSeconds(), Date.now() - 10_000)).toBe(true);
  });

  test('50 concurrent uses of one id over two stores: exactly one true', async () => {
    const a = await store({ prefix: 'race:' });
    const b = await store({ prefix: 'race:' });
    for (let round = 0; round < 5; round++) {
      const id = newId();
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).use(id, nowSeconds(), inAMinute())));
      expect(answers.filter((x) => x === true)).toHaveLength(1);
      expect(answers.filter((x) => x === false)).toHaveLength(49);
    }
  });

  test('a shared ioredis client: used as given, and left open by close()', async () => {
    const client = new Redis(redis.url);
    closers.push(async () => client.disconnect());
    await within(new Promise<void>((resolve) => client.once('ready', () => resolve())), 5000, 'the shared client ready');
    const s = new RedisReplayStore({ redis: client, prefix: 'shared:' });
    expect(s.redis).toBe(client);
    const id = newId();
    expect(await s.use(id, nowSeconds(), inAMinute())).toBe(true);
    expect(await s.use(id, nowSeconds(), inAMinute())).toBe(false);
    await s.close();
    expect(client.status).toBe('ready');
    expect(await client.get(`shared:${id}`)).toBe('1');
    await expect(s.use(newId(), nowSeconds(), inAMinute())).rejects.toBeInstanceOf(ReplayUnavailableError); // closed store
  });
});

describe('fail closed: a 503 (ReplayUnavailableError), never true, when Redis cannot answer', () => {
  test('a partition (nothing closes): a use in flight rejects within the timeout, later ones at once; answers again after the restore', async () => {
    const timeout = 300;
    const { s, relay } = await relayed({ prefix: 'part:', timeout });
    const used = newId();
    expect(await s.use(used, nowSeconds(), inAMinute())).toBe(true);
    relay.hold();
    const started = Date.now();
    const err = await within(s.use(newId(), nowSeconds(), inAMinute()), 3000, 'use during a partition').then(
      () => null,
      (e: unknown) => e,
    );
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(ReplayUnavailableError);
    expect(err).toMatchObject({ status: 503, code: 'ERR_REPLAY_UNAVAILABLE', headers: { 'Retry-After': '5' } });
    expect(took).toBeGreaterThanOrEqual(timeout - 5);
    expect(took).toBeLessThan(timeout + 300);
    // The timed-out connection was dropped; while Redis stays unreachable every answer is a 503, never true.
    const during: (boolean | string)[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 600) {
      const before = Date.now();
      during.push(await outcome(within(s.use(used, nowSeconds(), inAMinute()), 3000, 'use during a partition')));
      during.push(await outcome(within(s.use(newId(), nowSeconds(), inAMinute()), 3000, 'use during a partition')));
      expect(Date.now() - before).toBeLessThan(2 * (timeout + 200));
      await sleep(20);
    }
    expect(new Set(during)).toEqual(new Set(['503 ERR_REPLAY_UNAVAILABLE']));
    relay.restore();
    const back = await untilAnswering(s, 3000);
    console.log(`partition: use rejected after ${took} ms (timeout ${timeout}); answering again ${back} ms after the restore`);
    expect(await s.use(used, nowSeconds(), inAMinute())).toBe(false); // what was used before the outage still holds
  });

  test('connections cut and refused: rejects at once (no offline queue), never true; answers again after the restore', async () => {
    const { s, relay } = await relayed({ prefix: 'cut:', timeout: 500 });
    const used = newId();
    expect(await s.use(used, nowSeconds(), inAMinute())).toBe(true);
    relay.refuse();
    relay.cut();
    const answers: (boolean | string)[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 400) {
      const before = Date.now();
      answers.push(await outcome(within(s.use(used, nowSeconds(), inAMinute()), 3000, 'use while cut off')));
      answers.push(await outcome(within(s.use(newId(), nowSeconds(), inAMinute()), 3000, 'use while cut off')));
      expect(Date.now() - before).toBeLessThan(2 * (500 + 200));
      await sleep(10);
    }
    expect(new Set(answers)).toEqual(new Set(['503 ERR_REPLAY_UNAVAILABLE']));
    relay.restore();
    const back = await untilAnswering(s, 3000);
    console.log(`cut and refused: answering again ${back} ms after the restore`);
    expect(await s.use(used, nowSeconds(), inAMinute())).toBe(false);
  });

  test('the SET applied but its answer lost (the connection cut before the reply): 503, and the id is then refused, not accepted', async () => {
    const { s, relay } = await relayed({ prefix: 'lost:' });
    const id = newId();
    relay.when(/\bSET\b/i, 'cut-reply');
    expect(await outcome(within(s.use(id, nowSeconds(), inAMinute()), 3000, 'use with its reply lost'))).toBe('503 ERR_REPLAY_UNAVAILABLE');
    expect(await raw.get(`lost:${id}`)).toBe('1'); // it was applied
    await untilAnswering(s, 3000);
    expect(await s.use(id, nowSeconds(), inAMinute())).toBe(false);
  });

  test('a Redis error (the command refused by the server) is a 503', async () => {
    const s = await store({ prefix: 'err:' });
    // Redis refuses writes over maxmemory (noeviction): an error reply.
    await raw.call('CONFIG', 'SET', 'maxmemory', '1');
    await raw.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    try {
      expect(await outcome(s.use(newId(), nowSeconds(), inAMinute()))).toBe('503 ERR_REPLAY_UNAVAILABLE');
    } finally {
      await raw.call('CONFIG', 'SET', 'maxmemory', '0');
    }
    expect(await s.use(newId(), nowSeconds(), inAMinute())).toBe(true);
  });

  test('a store not yet connected (constructor) rejects until it is; connect() rejects when Redis cannot be reached', async () => {
    const relay = await startRelay(redis.port);
    closers.push(() => relay.close());
    relay.hold(300);
    const s = new RedisReplayStore({ redis: relay.url, prefix: 'early:' });
    closers.push(() => s.close());
    expect(await outcome(s.use(newId(), nowSeconds(), inAMinute()))).toBe('503 ERR_REPLAY_UNAVAILABLE');
    await untilAnswering(s, 3000);

    const down = await startRelay(redis.port);
    down.refuse();
    const started = Date.now();
    await expect(within(RedisReplayStore.connect({ redis: down.url }), 5000, 'connect to a refusing host')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3000);
    await down.close();
  });
});

describe('options', () => {
  test.each<[string, unknown, RegExp]>([
    ['no options', undefined, /options must be an object/],
    ['no redis', {}, /redis must be a Redis URL, ioredis options or an ioredis client/],
    ['redis a number', { redis: 6379 }, /redis must be/],
    ['redis not a URL', { redis: '127.0.0.1:6379' }, /redis must be a redis:\/\/ or rediss:\/\/ URL/],
    ['empty prefix', { redis: 'redis://127.0.0.1:1', prefix: '' }, /prefix must be a non-empty string/],
    ['prefix a number', { redis: 'redis://127.0.0.1:1', prefix: 1 }, /prefix must be a non-empty string/],
    ['timeout 0', { redis: 'redis://127.0.0.1:1', timeout: 0 }, /timeout must be a positive finite number of ms \(got 0\)/],
    ['timeout Infinity', { redis: 'redis://127.0.0.1:1', timeout: Infinity }, /timeout must be/],
    ['timeout a string', { redis: 'redis://127.0.0.1:1', timeout: '500' }, /timeout must be .*\(got string\)/],
    ['an unknown option', { redis: 'redis://127.0.0.1:1', commandTimeout: 5 }, /commandTimeout is not an option \(one of redis, prefix, timeout\)/],
  ])('%s → ConfigError', (_name, options, message) => {
    let err: unknown;
    try {
      new RedisReplayStore(options as RedisReplayStoreOptions);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/^RedisReplayStore: /) });
    expect((err as Error).message).toMatch(message);
  });

  test('ioredis options are accepted (the store owns that connection)', async () => {
    const s = await store({ redis: { host: '127.0.0.1', port: redis.port }, prefix: 'opts:' });
    expect(await s.use(newId(), nowSeconds(), inAMinute())).toBe(true);
    await s.close();
    await s.close(); // idempotent
    expect(await outcome(s.use(newId(), nowSeconds(), inAMinute()))).toBe('503 ERR_REPLAY_UNAVAILABLE');
  });

  test('bad arguments to use() are refused (503), never recorded as a first use', async () => {
    const s = await store({ prefix: 'args:' });
    expect(await outcome(s.use('', nowSeconds(), inAMinute()))).toBe('503 ERR_REPLAY_UNAVAILABLE');
    expect(await outcome(s.use('x'.repeat(513), nowSeconds(), inAMinute()))).toBe('503 ERR_REPLAY_UNAVAILABLE');
    expect(await outcome(s.use(newId(), nowSeconds(), NaN))).toBe('503 ERR_REPLAY_UNAVAILABLE');
    expect(await raw.keys('args:*')).toEqual([]);
  });
});

describe('behind real verifiers: DPoP proofs (RFC 9449) checked once across instances', () => {
  const ORIGIN = 'https://api.example.com';
  let issuer: CryptoKeyPair;
  let client: CryptoKeyPair;
  let clientJwk: JWK;
  let table: RouteTable;
  let token: string;

  beforeAll(async () => {
    issuer = await generateKeyPair('ES256');
    client = await generateKeyPair('ES256', { extractable: true });
    clientJwk = await exportJWK(client.publicKey);
    table = compileRoutes([{ method: 'GET', path: '/users/:id', scopes: ['users.read'] }]);
    token = await new SignJWT({ scope: 'users.read', cnf: { jkt: await calculateJwkThumbprint(clientJwk) } })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(issuer.privateKey);
  });

  const verifierWith = async (replay: RedisReplayStore): Promise<Verifier> =>
    createVerifier({ algorithms: ['ES256'], publicKey: await exportJWK(issuer.publicKey), dpop: { origins: ORIGIN, replay } });

  const proof = (jti: string = randomUUID()) =>
    new SignJWT({ htm: 'GET', htu: `${ORIGIN}/users/1`, ath: createHash('sha256').update(token).digest('base64url') })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: clientJwk })
      .setIssuedAt()
      .setJti(jti)
      .sign(client.privateKey);

  /** 'allowed DPoP', or the refusal's status, code and (for 401s) the error_description. */
  async function call(verifier: Verifier, dpop: string): Promise<string> {
    try {
      const r = await within(Promise.resolve(authorizePathname(verifier, table, 'GET', '/users/1', `DPoP ${token}`, { realm: 'api' }, { target: '/users/1', dpop })), 5000, 'authorize');
      return `allowed ${String(r.scheme)}`;
    } catch (err) {
      const e = err as { status?: number; code?: string; headers?: Record<string, string> };
      const description = /error_description="([^"]*)"/.exec(e.headers?.['WWW-Authenticate'] ?? '')?.[1];
      return `${e.status} ${e.code}${description ? ` ${description}` : ''}`;
    }
  }

  test('a proof used on one instance is refused on the other (and on the same one); a fresh proof passes; Redis holds the digest only', async () => {
    const a = await verifierWith(await store({ prefix: 'v1:' }));
    const b = await verifierWith(await store({ prefix: 'v1:' }));
    const jti = `jti-${randomUUID()}`;
    const p = await proof(jti);
    expect(await call(a, p)).toBe('allowed DPoP');
    expect(await call(b, p)).toBe('401 ERR_DPOP_PROOF_INVALID Invalid DPoP proof: proof already used');
    expect(await call(a, p)).toBe('401 ERR_DPOP_PROOF_INVALID Invalid DPoP proof: proof already used');
    expect(await call(b, await proof())).toBe('allowed DPoP');
    const keys = await raw.keys('v1:*');
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).toMatch(/^v1:[A-Za-z0-9_-]{43}$/);
      expect(key).not.toContain(jti);
      expect(await raw.get(key)).toBe('1');
      const ttl = await raw.pttl(key);
      expect(ttl).toBeGreaterThan(290_000); // the proof's iat + maxAge (300 s) + 1 s
      expect(ttl).toBeLessThanOrEqual(302_000);
    }
  });

  test('50 concurrent requests with one proof over two instances: exactly one allowed', async () => {
    const a = await verifierWith(await store({ prefix: 'v2:' }));
    const b = await verifierWith(await store({ prefix: 'v2:' }));
    const p = await proof();
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => call(i % 2 ? a : b, p)));
    expect(answers.filter((x) => x === 'allowed DPoP')).toHaveLength(1);
    expect(new Set(answers.filter((x) => x !== 'allowed DPoP'))).toEqual(new Set(['401 ERR_DPOP_PROOF_INVALID Invalid DPoP proof: proof already used']));
  });

  test('with Redis cut off the answer is 503 ERR_REPLAY_UNAVAILABLE (fresh proofs too), never allowed; allowed again once it is back', async () => {
    const { s, relay } = await relayed({ prefix: 'v3:', timeout: 300 });
    const verifier = await verifierWith(s);
    const used = await proof();
    expect(await call(verifier, used)).toBe('allowed DPoP');
    relay.hold(); // a partition first: the in-flight check times out
    expect(await call(verifier, await proof())).toBe('503 ERR_REPLAY_UNAVAILABLE');
    relay.refuse();
    relay.cut();
    expect(await call(verifier, await proof())).toBe('503 ERR_REPLAY_UNAVAILABLE');
    expect(await call(verifier, used)).toBe('503 ERR_REPLAY_UNAVAILABLE');
    relay.restore();
    await untilAnswering(s, 3000);
    expect(await call(verifier, await proof())).toBe('allowed DPoP');
    expect(await call(verifier, used)).toBe('401 ERR_DPOP_PROOF_INVALID Invalid DPoP proof: proof already used');
  });
});
