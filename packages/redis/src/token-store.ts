/**
 * API token records on Redis, so every gateway instance lists and revokes the same tokens. The
 * same shape as the gateway's in-memory store (TokenStore); revocations go through the shared
 * RedisRevocationList (one atomic step: record, revoked set, publish), and `isRevoked` reads its
 * local mirror.
 *
 * A record is kept until its token's expiry plus the list's retainAfterExpiry, so a token a
 * verifier still accepts within its clock tolerance after `exp` can still be revoked; `get` and
 * the listings show only live tokens (neither revoked nor expired).
 */
import type { RedisRevocationList } from './revocation-list';
import type { RevokeOutcome } from './revoke-script';

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
      .set(this.#token(record.id), JSON.stringify(record), 'PXAT', record.expiresAt + this.#list.retainAfterExpiry)
      .zadd(`${this.#prefix}env:${record.projectEnvironmentId}`, score, record.id)
      .zadd(`${this.#prefix}creator:${record.createdBy.id}`, score, record.id)
      .exec();
  }

  /** A live token's record: null when there is none, or it is revoked or expired. */
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

  /**
   * Revoke a token for every instance, in one atomic step: `revoked` now, `already-revoked` (a
   * success too: retry a revocation that failed or whose answer was lost until it answers one of
   * these two), or `not-found` (no such token, expired, or — with `environmentId` — another
   * environment's). Rejects when Redis cannot be reached: nothing or everything was done then.
   *
   * @example
   * const outcome = await store.revoke(tokenId, { environmentId });
   * if (outcome === 'not-found') return res.status(404).end();
   * res.status(204).end(); // revoked now or before
   */
  revoke(id: string, options: { environmentId?: string } = {}): Promise<RevokeOutcome> {
    return this.#list.revokeRecord(this.#token(id), id, options);
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
