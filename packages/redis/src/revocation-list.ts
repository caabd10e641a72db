/**
 * A revocation list shared by every gateway instance through Redis, checked locally.
 *
 * Revoked token ids live in one sorted set (score = when the token itself expires) and each
 * revocation is published on a channel. Every instance mirrors the set in memory: loaded at start,
 * kept current by the channel, reloaded after every reconnect (so a revocation written while an
 * instance was cut off is applied when it comes back). `isRevoked` never touches the network.
 *
 * Ids are kept `retainAfterExpiry` (default 60 s) past the token's expiry, not dropped at it: a
 * verifier still accepts a token for its clock tolerance after `exp` (5 s by default), and the
 * instances' clocks differ a little.
 *
 * How current the mirror is: it is known complete up to the last moment Redis proved the
 * subscription alive — the sending of the last answered PING on the subscriber connection (one
 * every maxStaleness / 4, within 25 ms – 1 s) or the start of the last reload. A closed connection,
 * or a PING left unanswered for one interval (a partition: nothing closes), makes that moment
 * count: for up to `maxStaleness` (default 5 s) after it requests are still decided on the mirror;
 * after that, every check throws RevocationUnavailableError (503) until the mirror is reloaded. A
 * PING unanswered for two intervals, or any command timing out, drops that connection (ioredis
 * reconnects; the reload follows). A smaller bound refuses sooner during a Redis outage; a larger
 * one keeps serving longer on a possibly stale view.
 */
import Redis, { type RedisOptions } from 'ioredis';
import { ConfigError, RevocationUnavailableError } from '@scopegate/core';
import { defineRevoke, runRevoke, type RevokeOutcome } from './revoke-script';

export interface RevocationListOptions {
  /** A Redis URL (`redis://127.0.0.1:6379/0`) or ioredis options. */
  redis: string | RedisOptions;
  /** Key and channel prefix. Default `'scopegate:'`. */
  prefix?: string;
  /**
   * How long requests may be decided on a mirror that cannot be shown current, ms. Default 5000.
   * Measured from the last proof that it was current; with maxStaleness under 100 ms, a silent
   * partition is noticed within 50 ms, so the bound is then max(maxStaleness, 50 ms).
   */
  maxStaleness?: number;
  /**
   * How long a revoked id is kept after its token's expiry, ms. Default 60 000. It must cover the
   * verifier's `clockTolerance` (default 5 s) plus the clock skew between instances: until then a
   * verifier may still accept the token.
   */
  retainAfterExpiry?: number;
  /**
   * How long a command (a revocation, a reload) may take, ms, before it is rejected and its
   * connection dropped and reopened (a half-open connection would otherwise hang every later one
   * until TCP gives up, which takes minutes). Default 2000.
   */
  commandTimeout?: number;
}

export interface RevocationListStats {
  /** Revoked ids in the mirror. */
  readonly size: number;
  /** How far behind the mirror may be, ms: 0 while it is known current, else the time since it last was. */
  readonly lagMs: number;
  /** Subscribed and loaded (it may still be found stale when a PING goes unanswered). */
  readonly connected: boolean;
  /** Full loads of the mirror so far (the first, and one per reconnect). */
  readonly syncs: number;
}

const retry = (attempt: number): number => Math.min(50 * attempt, 1000);

const nonNegative = (value: unknown, name: string, fallback: number, finite: boolean): number => {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || (finite && !Number.isFinite(value))) {
    throw new ConfigError(`RedisRevocationList: ${name} must be a non-negative ${finite ? 'finite ' : ''}number of ms (got ${String(value)})`);
  }
  return value;
};

const timedOut = (err: unknown): boolean => err instanceof Error && err.message === 'Command timed out';

/** A PING in flight on the subscriber connection. */
interface Ping {
  readonly sentAt: number;
  readonly epoch: number;
}

export class RedisRevocationList {
  readonly #cmd: Redis;
  readonly #sub: Redis;
  readonly #key: string;
  readonly #channel: string;
  readonly #maxStaleness: number;
  readonly #retain: number;
  readonly #heartbeat: number;
  /** Revoked id → until when it matters (the token's expiry + retainAfterExpiry), ms since the epoch. */
  readonly #mirror = new Map<string, number>();
  /** Subscribed on the current subscriber connection, and loaded since. */
  #inSync = false;
  /** The mirror held every revocation made before this moment (ms since the epoch). */
  #currentAt = Date.now();
  /** Counts the subscriber connection's closes: a subscription made on an earlier one is gone. */
  #subEpoch = 0;
  #ping: Ping | null = null;
  #syncs = 0;
  #closed = false;
  #resyncing = false;
  #resyncFailures = 0;
  #resyncTimer: NodeJS.Timeout | null = null;
  readonly #heartbeatTimer: NodeJS.Timeout;

  private constructor(options: RevocationListOptions) {
    if (options === null || typeof options !== 'object') throw new ConfigError('RedisRevocationList: options must be an object');
    if (typeof options.redis !== 'string' && (options.redis === null || typeof options.redis !== 'object')) {
      throw new ConfigError('RedisRevocationList: redis must be a Redis URL or ioredis options');
    }
    const prefix = options.prefix ?? 'scopegate:';
    if (typeof prefix !== 'string') throw new ConfigError('RedisRevocationList: prefix must be a string');
    this.#key = `${prefix}revoked`;
    this.#channel = `${prefix}revocations`;
    this.#maxStaleness = nonNegative(options.maxStaleness, 'maxStaleness', 5000, false);
    this.#retain = nonNegative(options.retainAfterExpiry, 'retainAfterExpiry', 60_000, true);
    const commandTimeout = nonNegative(options.commandTimeout, 'commandTimeout', 2000, true);
    if (commandTimeout === 0) throw new ConfigError('RedisRevocationList: commandTimeout must be more than 0 ms');
    // A silent partition is noticed within two intervals (the next PING, then one interval
    // without its answer): half of maxStaleness at most, so the bound holds with room to spare.
    this.#heartbeat = Math.min(1000, Math.max(25, this.#maxStaleness / 4));
    // autoResubscribe off: ioredis would resubscribe on its own, without handling the rejection
    // when the connection drops again meanwhile (an unhandled rejection ends a Node process).
    // #resync subscribes again itself.
    // disableClientInfo: no CLIENT SETINFO in each handshake, so fewer commands a refused
    // connection leaves waiting out their timeout. disconnectTimeout: when a handshake fails
    // (its INFO timed out in a partition), ioredis ends the socket and reconnects only once the
    // peer has closed its side, or after this long (2 s by default); nothing here needs a
    // graceful close.
    const base: RedisOptions = {
      retryStrategy: retry,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
      autoResubscribe: false,
      commandTimeout,
      disableClientInfo: true,
      disconnectTimeout: 200,
    };
    this.#cmd = typeof options.redis === 'string' ? new Redis(options.redis, base) : new Redis({ ...base, ...options.redis });
    this.#sub = this.#cmd.duplicate();
    defineRevoke(this.#cmd);
    // Errors are states here (reported through stats and 503s), not crashes.
    this.#cmd.on('error', () => undefined);
    this.#sub.on('error', () => undefined);
    this.#sub.on('message', (_channel: string, message: string) => this.#apply(message));
    this.#sub.on('close', () => this.#lost());
    // Reconnected: subscribe (again), then reload what was missed meanwhile. The two connections
    // come back on their own schedules, and the reload needs both: each one's `ready` tries, and
    // the one that finds the other still down leaves it to the other's.
    this.#sub.on('ready', () => this.#resync());
    this.#cmd.on('ready', () => this.#resync());
    this.#heartbeatTimer = setInterval(() => this.#beat(), this.#heartbeat).unref();
  }

  /**
   * Connect, subscribe and load the mirror. Rejects if Redis cannot be reached now, and throws
   * ConfigError on bad options.
   *
   * @example
   * const revocations = await RedisRevocationList.connect({ redis: process.env.REDIS_URL!, maxStaleness: 5000 });
   * createVerifier({ ..., isRevoked: (claims) => revocations.isRevoked(String(claims.jti)) });
   */
  static async connect(options: RevocationListOptions): Promise<RedisRevocationList> {
    const list = new RedisRevocationList(options);
    try {
      await Promise.all([list.#cmd.connect(), list.#sub.connect()]);
      const epoch = list.#subEpoch;
      await list.#sub.subscribe(list.#channel);
      await list.#sync(epoch);
      if (!list.#inSync) list.#resync(); // the subscriber dropped meanwhile: its `ready` found #syncs at 0
      return list;
    } catch (err) {
      await list.close();
      throw err;
    }
  }

  /**
   * The revoked state of a token id, from the mirror. A revocation the mirror knows always
   * answers true; an unknown id answers false only while the mirror is current or stale for at
   * most `maxStaleness`, and throws RevocationUnavailableError after.
   *
   * @example
   * if (revocations.isRevoked(claims.jti)) throw new UnauthorizedError('ERR_TOKEN_REVOKED', 'Token revoked');
   */
  isRevoked(jti: string): boolean {
    const until = this.#mirror.get(jti);
    const now = Date.now();
    if (until !== undefined) {
      if (until > now) return true;
      this.#mirror.delete(jti); // expired longer ago than any verifier accepts: it cannot be used anyway
    }
    if (this.#lag(now) > this.#maxStaleness) throw new RevocationUnavailableError();
    return false;
  }

  /**
   * Revoke a token id until `expiresAt` (ms since the epoch, the token's own expiry) plus
   * retainAfterExpiry, for every instance: one atomic step on Redis, safe to retry.
   *
   * @example
   * await revocations.revoke(String(claims.jti), claims.exp! * 1000);
   */
  async revoke(jti: string, expiresAt: number): Promise<void> {
    const now = Date.now();
    if (expiresAt + this.#retain <= now) return;
    const { exp } = await this.#run({ id: jti, now, expiresAt });
    this.#remember(jti, exp + this.#retain);
  }

  /**
   * Revoke a stored token (RedisTokenStore's record at `recordKey`) in one atomic step: the
   * record's `revokedAt`, the id in the revoked set, the publish — all or nothing. With
   * `environmentId`, a record of another environment is `not-found`. Revoking again answers
   * `already-revoked`, so a revocation whose answer was lost can be retried until it holds.
   *
   * @example
   * const outcome = await revocations.revokeRecord('scopegate:token:abc', 'abc', { environmentId: 'env-1' });
   */
  async revokeRecord(recordKey: string, jti: string, options: { environmentId?: string } = {}): Promise<RevokeOutcome> {
    const { outcome, exp } = await this.#run({ id: jti, now: Date.now(), recordKey, environmentId: options.environmentId });
    if (outcome !== 'not-found') this.#remember(jti, exp + this.#retain);
    return outcome;
  }

  get stats(): RevocationListStats {
    return {
      size: this.#mirror.size,
      lagMs: this.#lag(Date.now()),
      connected: this.#inSync,
      syncs: this.#syncs,
    };
  }

  /** How long ids are kept after their token's expiry, ms (the `retainAfterExpiry` option). */
  get retainAfterExpiry(): number {
    return this.#retain;
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

  /** Disconnect both connections and stop the timers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeatTimer);
    if (this.#resyncTimer) clearTimeout(this.#resyncTimer);
    for (const connection of [this.#sub, this.#cmd]) {
      connection.disconnect();
      // Not waiting for the peer to close its side (ioredis waits up to 2 s; a partition, forever).
      connection.stream?.destroy();
    }
  }

  async #run(call: { id: string; now: number; expiresAt?: number; recordKey?: string; environmentId?: string | undefined }) {
    try {
      return await runRevoke(this.#cmd, {
        revokedKey: this.#key,
        channel: this.#channel,
        retainAfterExpiry: this.#retain,
        id: call.id,
        now: call.now,
        ...(call.expiresAt !== undefined ? { expiresAt: call.expiresAt } : {}),
        ...(call.recordKey !== undefined ? { recordKey: call.recordKey } : {}),
        ...(call.environmentId !== undefined ? { environmentId: call.environmentId } : {}),
      });
    } catch (err) {
      if (timedOut(err)) this.#kick(this.#cmd);
      throw err;
    }
  }

  #remember(jti: string, until: number): void {
    const known = this.#mirror.get(jti);
    if (until > Date.now() && (known === undefined || known < until)) this.#mirror.set(jti, until);
  }

  #apply(message: string): void {
    const space = message.indexOf(' ');
    if (space > 0) this.#remember(message.slice(space + 1), Number(message.slice(0, space)) + this.#retain);
  }

  /** How far behind the mirror may be, ms: 0 while known current. */
  #lag(now: number): number {
    const silent = this.#ping !== null && now - this.#ping.sentAt > this.#heartbeat;
    return this.#inSync && !silent ? 0 : Math.max(0, now - this.#currentAt);
  }

  /**
   * Every heartbeat interval: PING the subscriber connection. Its answer proves every message
   * published before it was sent has arrived (Redis answers a connection in order). A PING still
   * unanswered after two intervals means a silent connection: drop it.
   */
  #beat(): void {
    if (this.#closed || !this.#inSync) return;
    const ping = this.#ping;
    if (ping) {
      if (Date.now() - ping.sentAt > 2 * this.#heartbeat) {
        // After the I/O phase: an answer that arrived while this process was busy is read first.
        setImmediate(() => {
          if (this.#ping === ping && ping.epoch === this.#subEpoch) this.#kick(this.#sub);
        });
      }
      return;
    }
    const sent: Ping = { sentAt: Date.now(), epoch: this.#subEpoch };
    this.#ping = sent;
    this.#sub.ping().then(
      (reply: unknown) => {
        if (this.#ping === sent) this.#ping = null;
        if (sent.epoch !== this.#subEpoch || !this.#inSync) return;
        // A subscribed connection answers ['pong', '']; a plain 'PONG' means the subscription is gone.
        if (!Array.isArray(reply)) {
          this.#inSync = false;
          this.#resync();
          return;
        }
        if (sent.sentAt > this.#currentAt) this.#currentAt = sent.sentAt;
      },
      () => undefined, // closed or timed out: the close, or the next beat's kick, handles it
    );
  }

  /** Drop a connection that stopped answering; destroyed, not ended (ending waits for the peer's FIN, which a partition never delivers). ioredis reconnects. */
  #kick(connection: Redis): void {
    if (!this.#closed && connection.status === 'ready') connection.stream?.destroy();
  }

  /**
   * Subscribe and reload after a reconnect, once both connections are up. Retried (backing off
   * from 100 ms to 1 s) until it holds or the list is closed; run again when the subscriber
   * dropped while it ran, since that subscription is gone with its connection.
   */
  #resync(): void {
    if (this.#syncs === 0 || this.#closed || this.#inSync || this.#resyncing) return;
    if (this.#sub.status !== 'ready' || this.#cmd.status !== 'ready') return; // the other one's `ready` will call again
    this.#resyncing = true;
    this.#subscribeAndLoad(this.#subEpoch).then(
      () => {
        this.#resyncing = false;
        this.#resyncFailures = 0;
        if (!this.#inSync) this.#resync(); // the subscriber dropped meanwhile: that subscription is gone
      },
      () => {
        this.#resyncing = false;
        // A connection dropped or stalled mid-way: try again soon, whether or not another `ready` comes.
        const delay = Math.min(100 * 2 ** this.#resyncFailures++, 1000);
        if (this.#resyncTimer) clearTimeout(this.#resyncTimer);
        if (!this.#closed) {
          this.#resyncTimer = setTimeout(() => {
            this.#resyncTimer = null;
            this.#resync();
          }, delay).unref();
        }
      },
    );
  }

  /** One reload; a command that timed out drops its connection, whose `ready` then retries sooner. */
  async #subscribeAndLoad(epoch: number): Promise<void> {
    try {
      await this.#sub.subscribe(this.#channel);
    } catch (err) {
      if (timedOut(err)) this.#kick(this.#sub);
      throw err;
    }
    try {
      await this.#sync(epoch);
    } catch (err) {
      if (timedOut(err)) this.#kick(this.#cmd);
      throw err;
    }
  }

  #lost(): void {
    this.#subEpoch++;
    this.#ping = null;
    this.#inSync = false;
  }

  /** Load the set, having subscribed on the subscriber connection of `epoch` first. */
  async #sync(epoch: number): Promise<void> {
    if (this.#closed) return;
    const started = Date.now();
    // Subscribed first, loaded second: nothing revoked in between can be missed. Union with
    // what the channel delivered meanwhile: a revocation is never taken back.
    const entries = await this.#cmd.zrangebyscore(this.#key, `(${started - this.#retain}`, '+inf', 'WITHSCORES');
    for (let i = 0; i < entries.length; i += 2) this.#remember(entries[i]!, Number(entries[i + 1]) + this.#retain);
    this.#syncs++;
    if (epoch === this.#subEpoch && this.#sub.status === 'ready') {
      this.#inSync = true;
      this.#ping = null;
      if (started > this.#currentAt) this.#currentAt = started;
    }
  }
}
