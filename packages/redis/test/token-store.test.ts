import { RedisRevocationList, RedisTokenStore, type StoredToken } from '@scopegate/redis';
import { startRedis, type RedisServer } from './support/redis-server';

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

test('records written on one instance are listed and revoked from another', async () => {
  const a = new RedisTokenStore(listA, { prefix: 's:' });
  const b = new RedisTokenStore(listB, { prefix: 's:' });
  await a.create(record('tok-000001', 'env-1', 'user-1'));
  await a.create(record('tok-000002', 'env-1', 'user-2'));
  await a.create(record('tok-000003', 'env-2', 'user-1', 200));
  expect((await b.listByEnvironment('env-1')).map((r) => r.id)).toEqual(['tok-000001', 'tok-000002']);
  expect((await b.listByCreator('user-1')).map((r) => r.id)).toEqual(['tok-000001', 'tok-000003']);
  expect(await b.revoke('tok-000001')).toBe(true);
  expect(await b.revoke('tok-000001')).toBe(false);
  expect(await a.get('tok-000001')).toBeNull();
  expect((await a.listByEnvironment('env-1')).map((r) => r.id)).toEqual(['tok-000002']);
  await new Promise((r) => setTimeout(r, 250));
  expect(await a.listByCreator('user-1')).toEqual([]); // the short-lived one expired
  expect(b.isRevoked('tok-000001')).toBe(true);
  expect(a.isRevoked('tok-000002')).toBe(false);
});
