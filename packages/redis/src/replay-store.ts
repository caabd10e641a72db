/**
 * A DPoP replay store (RFC 9449 §11.1) shared by every instance through Redis: a proof used on
 * one instance is refused on all of them.
 *
 * Each proof takes one atomic `SET <prefix><id> 1 NX PX <ms left>`: `OK` means the id was new
 * (it is kept until the proof falls out of the verifier's `iat` window, then Redis drops it);
 * no answer (`nil`) means it was used before. The key is the verifier's id (a fixed-length digest
 * of the proof key's thumbprint and the `jti`), the value `1`: no claim value is stored.
 *
 * Fail closed: a Redis error, a client that is not connected, or no answer within `timeout`
 * rejects with `ReplayUnavailableError` (the gate answers 503), never `true`. The expiry is sent
 * as milliseconds left (PX) rather than an absolute time (PXAT), so a Redis clock that differs
 * from this host's does not shorten it.
 */
import Redis, { type RedisOptions } from 'ioredis';
import { ConfigError, ReplayUnavailableError, type ReplayStore } from '@scopegate/core';

/** Options of `RedisReplayStore`. */
export interface RedisReplayStoreOptions {
  /**
   * A Redis URL (`redis://127.0.0.1:6379/0`) or ioredis options — the store opens and owns its
   * connection, and `close()` ends it — or an ioredis client to share (never closed by the store;
   * its own settings apply, the store's `timeout` still bounds every answer).
   */
  redis: string | RedisOptions | Redis;
  /** Key prefix. Default `'scopegate:dpop:'`. */
  prefix?: string;
  /**
   * How long an answer may take, ms, before `use` rejects with `ReplayUnavailableError` (503).
   * Default 500. On a connection the store owns, a timed-out command also drops the connection
   * (ioredis reconnects), so a half-open connection is not waited on again.
   */
  timeout?: number;
}

const OPTIONS = new Set(['redis', 'prefix', 'timeout']);
const MAX_ID_LENGTH = 512;
const retry = (attempt: number): number => Math.min(50 * attempt, 1000);

/** An ioredis client (Redis or Cluster), told apart from ioredis options by its methods. */
const isClient = (value: object): value is Redis => typeof (value as Redis).set === 'function' && typeof (value as Redis).status === 'string';

/**
 * A `ReplayStore` on Redis, for several instances behind one API: pass it as the verifier's
 * `dpop.replay`.
 *
 * @example
 * import { createVerifier } from '@scopegate/core';
 * import { RedisReplayStore } from '@scopegate/redis';
 *
 * const replay = await RedisReplayStore.connect({ redis: process.env.REDIS_URL!, timeout: 500 });
 * const verifier = createVerifier({
 *   algorithms: ['ES256'],
 *   jwksUri: 'https://issuer.example/.well-known/jwks.json',
 *   dpop: { origins: 'https://api.example.com', replay },
 * });
 * // on shutdown:
 * await replay.close();
 */
export class RedisReplayStore implements ReplayStore {
  readonly #redis: Redis;
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #timeout: number;
  readonly #connecting: Promise<void>;
  #closed = false;

  /**
   * Starts connecting (a URL or options) and answers at once: until the connection is up, `use`
   * rejects with `ReplayUnavailableError`. `RedisReplayStore.connect` waits for it instead.
   * Throws `ConfigError` on bad options.
   *
   * @example
   * const replay = new RedisReplayStore({ redis: revocations.redis, prefix: 'api:dpop:' }); // sharing a connection
   */
  constructor(options: RedisReplayStoreOptions) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ConfigError('RedisReplayStore: options must be an object ({ redis, prefix?, timeout? })');
    for (const k of Object.keys(options)) {
      if (!OPTIONS.has(k)) throw new ConfigError(`RedisReplayStore: ${/^[A-Za-z0-9_]{1,32}$/.test(k) ? k : '?'} is not an option (one of ${[...OPTIONS].join(', ')})`);
    }
    const redis = options.redis;
    if (typeof redis !== 'string' && (redis === null || typeof redis !== 'object' || Array.isArray(redis))) {
      throw new ConfigError('RedisReplayStore: redis must be a Redis URL, ioredis options or an ioredis client');
    }
    if (typeof redis === 'string' && !/^(rediss?:\/\/|\/)/i.test(redis)) throw new ConfigError('RedisReplayStore: redis must be a redis:// or rediss:// URL (or a Unix socket path)');
    const prefix = options.prefix ?? 'scopegate:dpop:';
    if (typeof prefix !== 'string' || prefix.length === 0) throw new ConfigError('RedisReplayStore: prefix must be a non-empty string');
    const timeout = options.timeout ?? 500;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      throw new ConfigError(`RedisReplayStore: timeout must be a positive finite number of ms (got ${typeof timeout === 'number' ? String(timeout) : typeof timeout})`);
    }
    this.#prefix = prefix;
    this.#timeout = timeout;
    if (typeof redis === 'object' && isClient(redis)) {
      this.#redis = redis;
      this.#owned = false;
      this.#connecting = Promise.resolve();
      return;
    }
    // As RedisRevocationList's connections: no offline queue (while disconnected a command
    // fails at once, so an outage answers 503 quickly instead of queueing requests until the
    // timeout), no retry of a command whose connection dropped (the SET may have been applied:
    // sent again it would answer "used"), no CLIENT SETINFO in the handshake, and no waiting
    // for the peer's close when a connection is dropped.
    const base: RedisOptions = {
      retryStrategy: retry,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      lazyConnect: true,
      commandTimeout: timeout,
      disableClientInfo: true,
      disconnectTimeout: 200,
    };
    this.#redis = typeof redis === 'string' ? new Redis(redis, base) : new Redis({ ...base, ...redis, lazyConnect: true });
    this.#owned = true;
    // Errors are states here (answered with 503s), not crashes.
    this.#redis.on('error', () => undefined);
    this.#connecting = this.#redis.connect();
    this.#connecting.catch(() => undefined); // ioredis keeps retrying; `connect` reports the first failure
  }

  /**
   * Create a store and wait for its connection: rejects (and closes it) when Redis cannot be
   * reached now. Throws `ConfigError` on bad options.
   *
   * @example
   * const replay = await RedisReplayStore.connect({ redis: 'redis://127.0.0.1:6379/0' });
   */
  static async connect(options: RedisReplayStoreOptions): Promise<RedisReplayStore> {
    const store = new RedisReplayStore(options);
    try {
      await store.#connecting;
      return store;
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  /**
   * Record a proof id until `expiresAt` (ms since the epoch): `true` the first time, `false` when
   * it was recorded before (by any instance). Rejects with `ReplayUnavailableError` when Redis
   * cannot answer within `timeout`. `iat` is not needed: Redis drops the id at `expiresAt`.
   *
   * @example
   * if (!(await replay.use(id, iat, expiresAt))) throw new Error('proof already used');
   */
  use(id: string, iat: number, expiresAt: number): Promise<boolean> {
    void iat;
    if (this.#closed) return Promise.reject(new ReplayUnavailableError(new Error('the replay store is closed')));
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH || typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
      return Promise.reject(new ReplayUnavailableError(new TypeError('use(id, iat, expiresAt): id must be a string of 1 to 512 characters and expiresAt a finite number')));
    }
    const redis = this.#redis;
    if (redis.status !== 'ready') return Promise.reject(new ReplayUnavailableError(new Error(`Redis is not connected (${redis.status})`)));
    const ms = Math.max(1, Math.ceil(expiresAt - Date.now()));
    return new Promise<boolean>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        // A connection that left a command unanswered this long is dropped (ioredis reconnects).
        if (this.#owned && redis.status === 'ready') redis.stream?.destroy();
        reject(new ReplayUnavailableError(new Error(`no answer from Redis within ${this.#timeout} ms`)));
      }, this.#timeout);
      redis.set(this.#prefix + id, '1', 'PX', ms, 'NX').then(
        (reply) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          // Only a plain OK is a first use; anything else (nil, or an unexpected reply) is not.
          resolve(reply === 'OK');
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(new ReplayUnavailableError(err));
        },
      );
    });
  }

  /** The connection: the store's own, or the client it was given. */
  get redis(): Redis {
    return this.#redis;
  }

  /** Ends the connection the store opened (a client it was given is left open). Idempotent; `use` rejects afterwards. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#owned) return;
    this.#redis.disconnect();
    // Not waiting for the peer to close its side (ioredis waits up to 2 s; a partition, forever).
    this.#redis.stream?.destroy();
  }
}
