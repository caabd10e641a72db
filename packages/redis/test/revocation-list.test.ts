/** The revocation list against a real redis-server: propagation, retention after expiry, reconnects, staleness bound, options. */
import Redis from 'ioredis';
import { ConfigError, RevocationUnavailableError } from '@scopegate/core';
import { RedisRevocationList, type RevocationListOptions } from '@scopegate/redis';
import { startRedis, type RedisServer } from './support/redis-server';

let redis: RedisServer;
const lists: RedisRevocationList[] = [];
const connect = async (options: Omit<RevocationListOptions, 'redis'> = {}) => {
  const list = await RedisRevocationList.connect({ redis: redis.url, ...options });
  lists.push(list);
  return list;
};
const until = async (check: () => boolean, timeoutMs = 5000): Promise<number> => {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
  return Date.now() - started;
};

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const l of lists) await l.close();
  await redis.destroy();
});

test('a revocation on one instance reaches another by pub/sub (well before any reload), off the network on the hot path', async () => {
  const a = await connect({ prefix: 't1:' });
  const b = await connect({ prefix: 't1:' });
  expect(b.isRevoked('jti-1')).toBe(false);
  const started = Date.now();
  await a.revoke('jti-1', Date.now() + 60_000);
  const waited = await until(() => b.isRevoked('jti-1'));
  const ms = Date.now() - started;
  console.log(`revocation propagated to the other instance in ${ms} ms (${waited} ms after revoke() resolved)`);
  // A few ms alone; the bound leaves room for a CI machine busy with other suites.
  expect(ms).toBeLessThan(1000);
  expect(a.isRevoked('jti-1')).toBe(true);
});

test('the mirror is loaded at start; ids are dropped retainAfterExpiry after their token expires, from the mirror and the shared set', async () => {
  const a = await connect({ prefix: 't2:', retainAfterExpiry: 200 });
  await a.revoke('old', Date.now() + 60_000);
  await a.revoke('short', Date.now() + 100);
  const late = await connect({ prefix: 't2:', retainAfterExpiry: 200 });
  expect([late.isRevoked('old'), late.isRevoked('short')]).toEqual([true, true]);
  await new Promise((r) => setTimeout(r, 150)); // expired, within the retention
  expect([late.isRevoked('short'), a.isRevoked('short')]).toEqual([true, true]);
  expect((await connect({ prefix: 't2:', retainAfterExpiry: 200 })).isRevoked('short')).toBe(true); // loaded too
  await new Promise((r) => setTimeout(r, 200)); // past exp + 200 ms
  expect([late.isRevoked('short'), a.isRevoked('short')]).toEqual([false, false]);
  await a.revoke('another', Date.now() + 60_000); // trims the shared set
  const raw = new Redis(redis.url);
  expect(await raw.zrange('t2:revoked', 0, -1)).toEqual(['old', 'another']);
  raw.disconnect();
});

test('a token revoked with exp 1 s ahead is still reported revoked 3 s later (default retainAfterExpiry), by every instance, and in the shared set', async () => {
  // A verifier accepts a token up to its clockTolerance (5 s by default) after exp: dropping the
  // revocation at exp would let a revoked token work again for that long.
  const a = await connect({ prefix: 't7:' });
  const b = await connect({ prefix: 't7:' });
  const exp = Date.now() + 1000;
  await a.revoke('revoked-then-expired', exp);
  await until(() => b.isRevoked('revoked-then-expired'));
  await new Promise((r) => setTimeout(r, 3000 - (Date.now() - (exp - 1000))));
  expect(Date.now()).toBeGreaterThanOrEqual(exp + 2000);
  await a.revoke('trim', Date.now() + 60_000); // a revocation trims the set: this one must stay
  const late = await connect({ prefix: 't7:' });
  expect([a.isRevoked('revoked-then-expired'), b.isRevoked('revoked-then-expired'), late.isRevoked('revoked-then-expired')]).toEqual([true, true, true]);
  const raw = new Redis(redis.url);
  expect(await raw.zscore('t7:revoked', 'revoked-then-expired')).toBe(String(exp));
  raw.disconnect();
});

test.each([
  ['retainAfterExpiry', -1, /retainAfterExpiry must be a non-negative finite number of ms \(got -1\)/],
  ['retainAfterExpiry', Number.NaN, /retainAfterExpiry must be a non-negative finite number of ms \(got NaN\)/],
  ['retainAfterExpiry', Number.POSITIVE_INFINITY, /retainAfterExpiry must be a non-negative finite number of ms/],
  ['retainAfterExpiry', '60s', /retainAfterExpiry must be a non-negative finite number of ms \(got 60s\)/],
  ['maxStaleness', -5, /maxStaleness must be a non-negative number of ms \(got -5\)/],
  ['commandTimeout', 0, /commandTimeout must be more than 0 ms/],
  ['prefix', 7, /prefix must be a string/],
])('bad option %s = %p: a ConfigError at construction, before connecting', async (name, value, message) => {
  const connecting = RedisRevocationList.connect({ redis: 'redis://127.0.0.1:1', [name]: value } as unknown as RevocationListOptions);
  await expect(connecting).rejects.toThrow(ConfigError);
  await expect(connecting).rejects.toThrow(message);
});

test('Redis down: decided on the mirror up to maxStaleness, then 503; after the restart a revocation written meanwhile is applied', async () => {
  const a = await connect({ prefix: 't3:', maxStaleness: 300 });
  await a.revoke('before', Date.now() + 60_000);
  await redis.stop();
  await until(() => !a.stats.connected);
  expect(a.isRevoked('before')).toBe(true); // what the mirror knows still holds
  expect(a.isRevoked('fresh')).toBe(false); // within the bound
  await new Promise((r) => setTimeout(r, 350));
  expect(() => a.isRevoked('fresh')).toThrow(RevocationUnavailableError);
  expect(a.stats.lagMs).toBeGreaterThanOrEqual(300);

  await redis.start();
  // Written while this instance was cut off, without a publish it could hear: only a reload finds it.
  const raw = new Redis(redis.url);
  await raw.zadd('t3:revoked', Date.now() + 60_000, 'during-outage');
  raw.disconnect();
  await until(() => a.stats.connected, 10_000);
  expect(a.isRevoked('during-outage')).toBe(true);
  expect(a.isRevoked('before')).toBe(true); // persisted across the restart
  expect(a.isRevoked('fresh')).toBe(false);
  expect(a.stats.syncs).toBeGreaterThanOrEqual(2);
});

test('after every restart of Redis each instance reloads and hears revocations again, whichever of its two connections comes back first', async () => {
  // The subscriber and the command connection reconnect on their own schedules; a reload started
  // when the subscriber is back but the command connection is not must be retried when it is.
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const instances = await Promise.all([1, 2, 3].map(() => connect({ prefix: 't4:', maxStaleness: 100 })));
    for (let restart = 1; restart <= 6; restart++) {
      const syncs = instances.map((i) => i.stats.syncs);
      await redis.stop();
      await until(() => instances.every((i) => !i.stats.connected));
      // Vary the time Redis stays down, so the two connections' retries fall in different orders.
      await new Promise((r) => setTimeout(r, 20 * restart));
      await redis.start();
      for (const [n, instance] of instances.entries()) {
        await until(() => instance.stats.connected, 5_000).catch(() => {
          throw new Error(`instance ${n} did not reload after restart ${restart} (stats ${JSON.stringify(instance.stats)})`);
        });
        expect(instance.stats.syncs).toBeGreaterThan(syncs[n]!);
        expect(() => instance.isRevoked('x')).not.toThrow();
      }
      // Subscribed again: a revocation made on one reaches the others.
      await instances[restart % 3]!.revoke(`after-restart-${restart}`, Date.now() + 60_000);
      await until(() => instances.every((i) => i.isRevoked(`after-restart-${restart}`)), 2_000);
    }
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
}, 60_000);
