/**
 * API token records on Redis, so every gateway instance lists and revokes the same tokens. The
 * same shape as the gateway's in-memory store (TokenStore); revocations go through the shared
 * RedisRevocationList, and `isRevoked` reads its local mirror.
 */
import type { RedisRevocationList } from './revocation-list';

/** A stored token (the seed's `Token` fields and what the store needs). Never the raw token. */
export interface StoredToken {
  id: string;
  checksum: string;
  createdBy: { id: string; alias?: string; firstName?: string; lastName?: string; email?: string };
  createdAt: string;
  note?: string;
  projectEnvironmentId: string;
  scopes: string[];
  /** ms since the epoch: the token's `exp`. */
  expiresAt: number;
  /** ms since the epoch, once revoked. */
  revokedAt?: number;
}

export class RedisTokenStore {
  readonly #list: RedisRevocationList;
  readonly #prefix: string;

  /**
   * @example
   * const revocations = await RedisRevocationList.connect({ redis: url });
   * const store = new RedisTokenStore(revocations);
   */
  constructor(revocations: RedisRevocationList, options: { prefix?: string } = {}) {
    this.#list = revocations;
    this.#prefix = options.prefix ?? 'scopegate:';
  }

  async create(record: StoredToken): Promise<void> {
    const r = this.#list.redis;
    const score = Date.parse(record.createdAt);
    await r
      .multi()
      .set(this.#token(record.id), JSON.stringify(record), 'PXAT', record.expiresAt)
      .zadd(`${this.#prefix}env:${record.projectEnvironmentId}`, score, record.id)
      .zadd(`${this.#prefix}creator:${record.createdBy.id}`, score, record.id)
      .exec();
  }

  async get(id: string): Promise<StoredToken | null> {
    const text = await this.#list.redis.get(this.#token(id));
    return live(text);
  }

  listByEnvironment(environmentId: string): Promise<StoredToken[]> {
    return this.#list_(`${this.#prefix}env:${environmentId}`);
  }

  listByCreator(userId: string): Promise<StoredToken[]> {
    return this.#list_(`${this.#prefix}creator:${userId}`);
  }

  async revoke(id: string): Promise<boolean> {
    const record = await this.get(id);
    if (!record) return false;
    record.revokedAt = Date.now();
    await this.#list.redis.set(this.#token(id), JSON.stringify(record), 'PXAT', record.expiresAt);
    await this.#list.revoke(id, record.expiresAt);
    return true;
  }

  isRevoked(id: string): boolean {
    return this.#list.isRevoked(id);
  }

  #token(id: string): string {
    return `${this.#prefix}token:${id}`;
  }

  async #list_(index: string): Promise<StoredToken[]> {
    const r = this.#list.redis;
    const ids = await r.zrange(index, 0, -1);
    if (!ids.length) return [];
    const texts = await r.mget(...ids.map((id) => this.#token(id)));
    const out: StoredToken[] = [];
    const gone: string[] = [];
    texts.forEach((text, i) => {
      const record = live(text);
      if (record) out.push(record);
      else if (text === null) gone.push(ids[i]!); // expired: drop it from the index too
    });
    if (gone.length) await r.zrem(index, ...gone);
    return out;
  }
}

function live(text: string | null): StoredToken | null {
  if (text === null) return null;
  const record = JSON.parse(text) as StoredToken;
  return record.revokedAt === undefined && record.expiresAt > Date.now() ? record : null;
}
