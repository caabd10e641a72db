/**
 * A revocation list shared by every gateway instance through Redis, checked locally.
 *
 * Revoked token ids live in one sorted set (score = when the token itself expires, so entries
 * are dropped once the token could not be used anyway) and each revocation is published on a
 * channel. Every instance mirrors the set in memory: loaded at start, kept current by the
 * channel, reloaded after every reconnect (so a revocation written while an instance was cut off
 * is applied when it comes back). `isRevoked` never touches the network.
 *
 * The trade-off: while the subscription is down the mirror may miss revocations. For up to
 * `maxStaleness` (default 5 s) requests are still decided on it; after that, every check throws
 * RevocationUnavailableError (503) until the mirror is reloaded. A smaller bound refuses sooner
 * during a Redis outage; a larger one keeps serving longer on a possibly stale view.
 */
import Redis, { type RedisOptions } from 'ioredis';
import { RevocationUnavailableError } from '@scopegate/core';

export interface RevocationListOptions {
  /** A Redis URL (`redis://127.0.0.1:6379/0`) or ioredis options. */
  redis: string | RedisOptions;
  /** Key and channel prefix. Default `'scopegate:'`. */
  prefix?: string;
  /** How long requests may be decided on a mirror that cannot be kept current, ms. Default 5000. */
  maxStaleness?: number;
}

export interface RevocationListStats {
  /** Revoked ids in the mirror. */
  readonly size: number;
  /** How far behind the mirror may be, ms: 0 while subscribed, else the time since it was cut off. */
  readonly lagMs: number;
  readonly connected: boolean;
  /** Full loads of the mirror so far (the first, and one per reconnect). */
  readonly syncs: number;
}

const retry = (attempt: number): number => Math.min(50 * attempt, 1000);

export class RedisRevocationList {
  readonly #cmd: Redis;
  readonly #sub: Redis;
  readonly #key: string;
  readonly #channel: string;
  readonly #maxStaleness: number;
  /** Revoked id → when it stops mattering (the token's expiry), ms since the epoch. */
  readonly #mirror = new Map<string, number>();
  #inSync = false;
  #staleSince = Date.now();
  #syncs = 0;
  #closed = false;
  #resyncing = false;

  private constructor(options: RevocationListOptions) {
    const prefix = options.prefix ?? 'scopegate:';
    this.#key = `${prefix}revoked`;
    this.#channel = `${prefix}revocations`;
    this.#maxStaleness = options.maxStaleness ?? 5000;
    if (!(this.#maxStaleness >= 0)) throw new TypeError('maxStaleness must be a non-negative number of ms');
    // autoResubscribe off: ioredis would resubscribe on its own, without handling the rejection
    // when the connection drops again meanwhile (an unhandled rejection ends a Node process).
    // #resync subscribes again itself.
    const base: RedisOptions = { retryStrategy: retry, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true, autoResubscribe: false };
    this.#cmd = typeof options.redis === 'string' ? new Redis(options.redis, base) : new Redis({ ...base, ...options.redis });
    this.#sub = this.#cmd.duplicate();
    // Errors are states here (reported through stats and 503s), not crashes.
    this.#cmd.on('error', () => undefined);
    this.#sub.on('error', () => undefined);
    this.#sub.on('message', (_channel: string, message: string) => this.#apply(message));
    this.#sub.on('close', () => this.#lost());
    // Reconnected: subscribe (again; idempotent), then reload what was missed meanwhile. The two
    // connections come back on their own schedules, and the reload needs both: each one's
    // `ready` tries, and the one that finds the other still down leaves it to the other's.
    this.#sub.on('ready', () => this.#resync());
    this.#cmd.on('ready', () => this.#resync());
  }

  /**
   * Connect, subscribe and load the mirror. Rejects if Redis cannot be reached now.
   *
   * @example
   * const revocations = await RedisRevocationList.connect({ redis: process.env.REDIS_URL! });
   * createVerifier({ ..., isRevoked: (claims) => revocations.isRevoked(String(claims.jti)) });
   */
  static async connect(options: RevocationListOptions): Promise<RedisRevocationList> {
    const list = new RedisRevocationList(options);
    await Promise.all([list.#cmd.connect(), list.#sub.connect()]);
    await list.#sub.subscribe(list.#channel);
    await list.#sync();
    return list;
  }

  /** The revoked state of a token id, from the mirror. Throws RevocationUnavailableError when the mirror is too stale. */
  isRevoked(jti: string): boolean {
    const until = this.#mirror.get(jti);
    const now = Date.now();
    if (until !== undefined) {
      if (until > now) return true;
      this.#mirror.delete(jti); // the token has expired: it cannot be used anyway
    }
    if (!this.#inSync && now - this.#staleSince > this.#maxStaleness) throw new RevocationUnavailableError();
    return false;
  }

  /** Revoke a token id until `expiresAt` (ms since the epoch, the token's own expiry), for every instance. */
  async revoke(jti: string, expiresAt: number): Promise<void> {
    const now = Date.now();
    if (expiresAt <= now) return;
    await this.#cmd
      .multi()
      .zadd(this.#key, expiresAt, jti)
      .zremrangebyscore(this.#key, '-inf', now)
      .publish(this.#channel, `${expiresAt} ${jti}`)
      .exec();
    this.#mirror.set(jti, expiresAt);
  }

  get stats(): RevocationListStats {
    return {
      size: this.#mirror.size,
      lagMs: this.#inSync ? 0 : Date.now() - this.#staleSince,
      connected: this.#inSync,
      syncs: this.#syncs,
    };
  }

  /** Resolves once the command connection is up (after a restart of Redis, say); rejects after `timeoutMs`. */
  async whenReady(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#cmd.status !== 'ready') {
      if (Date.now() > deadline) throw new Error('Redis is not reachable');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The command connection, for stores sharing it. */
  get redis(): Redis {
    return this.#cmd;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#sub.disconnect();
    this.#cmd.disconnect();
  }

  #apply(message: string): void {
    const space = message.indexOf(' ');
    const until = Number(message.slice(0, space));
    if (space > 0 && until > Date.now()) this.#mirror.set(message.slice(space + 1), until);
  }

  /** Reload after a reconnect, once both connections are up; retried until it holds or the list is closed. */
  #resync(): void {
    if (this.#syncs === 0 || this.#closed || this.#resyncing) return;
    if (this.#sub.status !== 'ready' || this.#cmd.status !== 'ready') return; // the other one's `ready` will call again
    this.#resyncing = true;
    this.#sub
      .subscribe(this.#channel)
      .then(() => this.#sync())
      .then(
        () => {
          this.#resyncing = false;
        },
        () => {
          this.#resyncing = false;
          this.#lost();
          // Both were ready, yet it failed (a connection dropped again mid-way): try again soon,
          // whether or not another `ready` comes.
          if (!this.#closed) setTimeout(() => this.#resync(), 200).unref();
        },
      );
  }

  #lost(): void {
    if (this.#inSync) {
      this.#inSync = false;
      this.#staleSince = Date.now();
    }
  }

  async #sync(): Promise<void> {
    if (this.#closed) return;
    const now = Date.now();
    // Subscribed first, loaded second: nothing revoked in between can be missed. Union with
    // what the channel delivered meanwhile: a revocation is never taken back.
    const entries = await this.#cmd.zrangebyscore(this.#key, `(${now}`, '+inf', 'WITHSCORES');
    for (let i = 0; i < entries.length; i += 2) this.#mirror.set(entries[i]!, Number(entries[i + 1]));
    this.#syncs++;
    this.#inSync = this.#sub.status === 'ready';
  }
}
