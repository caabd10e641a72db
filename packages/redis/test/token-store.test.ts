import Redis from 'ioredis';
import { RedisRevocationList, RedisTokenStore, type RevokeOutcome, type StoredToken } from '@scopegate/redis';
import { startRedis, type RedisServer } from './support/redis-server';
import { startRelay, type Relay } from './support/tcp-relay';
import { sleep, until } from './support/wait';

let redis: RedisServer;
let listA: RedisRevocationList;
let listB: RedisRevocationList;

beforeAll(async () => {
  redis = await startRedis();
  listA = await RedisRevocationList.connect({ redis: redis.url, prefix: 's:' });
  listB = await RedisRevocationList.connect({ redis: redis.url, prefix: 's:' });
});
afterAll(async () => {
  await listA.close();
  await listB.close();
  await redis.destroy();
});

const record = (id: string, env: string, user: string, ttl = 60_000): StoredToken => ({
  id,
  checksum: id.slice(-6),
  createdBy: { id: user },
  createdAt: new Date().toISOString(),
  projectEnvironmentId: env,
  scopes: ['environment.users.read'],
  expiresAt: Date.now() + ttl,
});

test('records written on one instance are listed and revoked from another; revoking again is a success; listings hide revoked tokens', async () => {
  const a = new RedisTokenStore(listA, { prefix: 's:' });
  const b = new RedisTokenStore(listB, { prefix: 's:' });
  await a.create(record('tok-000001', 'env-1', 'user-1'));
  await a.create(record('tok-000002', 'env-1', 'user-2'));
  await a.create(record('tok-000003', 'env-2', 'user-1', 200));
  expect((await b.listByEnvironment('env-1')).map((r) => r.id)).toEqual(['tok-000001', 'tok-000002']);
  expect((await b.listByCreator('user-1')).map((r) => r.id)).toEqual(['tok-000001', 'tok-000003']);
  expect(await b.revoke('tok-000001', { environmentId: 'env-2' })).toBe('not-found'); // another environment's
  expect(b.isRevoked('tok-000001')).toBe(false);
  expect(await b.revoke('tok-000001', { environmentId: 'env-1' })).toBe('revoked');
  expect(await a.revoke('tok-000001', { environmentId: 'env-1' })).toBe('already-revoked');
  expect(await a.revoke('tok-000001')).toBe('already-revoked');
  expect(await a.revoke('tok-nosuch')).toBe('not-found');
  expect(await a.get('tok-000001')).toBeNull();
  expect((await a.listByEnvironment('env-1')).map((r) => r.id)).toEqual(['tok-000002']);
  await new Promise((r) => setTimeout(r, 250));
  expect(await a.listByCreator('user-1')).toEqual([]); // the short-lived one expired
  expect(b.isRevoked('tok-000001')).toBe(true);
  expect(a.isRevoked('tok-000001')).toBe(true);
  expect(a.isRevoked('tok-000002')).toBe(false);
  // The record keeps every other field as written (its JSON is extended, not re-encoded).
  const raw = new Redis(redis.url);
  const stored = JSON.parse((await raw.get('s:token:tok-000001'))!) as StoredToken;
  raw.disconnect();
  expect(stored).toEqual({ ...record('tok-000001', 'env-1', 'user-1'), createdAt: stored.createdAt, expiresAt: stored.expiresAt, revokedAt: expect.any(Number) });
});

describe('revoke is one atomic step: interrupted at any of its commands, it is done or not done, never half; a retry answers revoked or already-revoked — never not-found — and the token is revoked on every instance', () => {
  // Each round interrupts the revocation at a later command naming the token (the record's
  // write, the set, the publish, …) until a round runs through uninterrupted. A non-atomic
  // revocation is left half done by some round: the record says revoked, the set does not hold
  // the id, the retry answers not-found (a 404) and the token keeps working.
  const interruptions = {
    // The instance revoking dies right after sending the command: nothing of it is resent.
    'the revoking instance dies': (dying: RedisRevocationList, _relay: Relay) => {
      void dying.close();
    },
    // Its connection is cut before Redis's answer arrives, and Redis is unreachable for 300 ms.
    'an outage before the answer': (_dying: RedisRevocationList, relay: Relay) => {
      relay.refuse();
      setTimeout(() => relay.restore(), 300);
      return 'cut-reply' as const;
    },
  };
  test.each(Object.keys(interruptions) as (keyof typeof interruptions)[])('%s', async (how) => {
    const prefix = how === 'the revoking instance dies' ? 'dies:' : 'outage:';
    const relay = await startRelay(redis.port);
    const observer = await RedisRevocationList.connect({ redis: redis.url, prefix });
    const survivor = new RedisTokenStore(observer, { prefix });
    const raw = new Redis(redis.url);
    const lists: RedisRevocationList[] = [];
    try {
      let interrupted = 0;
      for (let k = 1; k <= 10; k++) {
        const id = `tok-${prefix.slice(0, -1)}-${k}`;
        await survivor.create(record(id, 'env-1', 'user-1'));
        // commandTimeout 500: a handshake the outage cut leaves ioredis waiting out its INFO that
        // long (2 s by default), after the test too.
        const revoking = await RedisRevocationList.connect({ redis: relay.url, prefix, commandTimeout: 500 });
        lists.push(revoking);
        let hit = false;
        relay.when(
          new RegExp(id),
          () => {
            hit = true;
            return interruptions[how](revoking, relay);
          },
          k - 1,
        );
        const outcomes: (RevokeOutcome | 'rejected')[] = [await new RedisTokenStore(revoking, { prefix }).revoke(id, { environmentId: 'env-1' }).catch(() => 'rejected' as const)];
        relay.clearHooks();
        // Retried (from the survivor) until it answers.
        for (let attempt = 0; outcomes.at(-1) === 'rejected' && attempt < 30; attempt++) {
          await sleep(20);
          outcomes.push(await survivor.revoke(id, { environmentId: 'env-1' }).catch(() => 'rejected' as const));
        }
        await until(() => observer.isRevoked(id), 1000, `round ${k}: the revocation reaches the other instance`).catch(() => undefined);
        const stored = JSON.parse((await raw.get(`${prefix}token:${id}`)) ?? '{}') as StoredToken;
        expect({
          round: k,
          final: outcomes.at(-1),
          revokedElsewhere: observer.isRevoked(id),
          inSet: (await raw.zscore(`${prefix}revoked`, id)) !== null,
          recordRevoked: typeof stored.revokedAt === 'number',
          listed: (await survivor.listByEnvironment('env-1')).some((r) => r.id === id),
        }).toEqual({ round: k, final: hit ? expect.stringMatching(/^(revoked|already-revoked)$/) : 'revoked', revokedElsewhere: true, inSet: true, recordRevoked: true, listed: false });
        if (!hit) break;
        interrupted++;
      }
      expect(interrupted).toBeGreaterThanOrEqual(1);
    } finally {
      raw.disconnect();
      for (const l of lists) await l.close();
      await observer.close();
      await relay.close();
    }
  }, 30_000);
});

test('a record is kept retainAfterExpiry past its expiry: a token expired 1 s ago (a verifier may still accept it) can still be revoked; get and listings hide it', async () => {
  const a = new RedisTokenStore(listA, { prefix: 's:' });
  await a.create(record('tok-grace', 'env-g', 'user-g', -1000));
  expect(await a.get('tok-grace')).toBeNull();
  expect(await a.listByEnvironment('env-g')).toEqual([]);
  expect(await a.revoke('tok-grace', { environmentId: 'env-g' })).toBe('revoked');
  await until(() => listB.isRevoked('tok-grace'), 1000, 'the other instance sees it');
});
