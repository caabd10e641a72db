/**
 * Where API token records live. The token service writes them; the gateway's verifier asks
 * `isRevoked` on every request. In-memory by default; a shared store (several gateway
 * instances) implements the same interface.
 */
import { ConfigError } from '@scopegate/core';
import type { DynamicScope } from '@scopegate/dynamic';

/** Who created a token (the seed's `TokenCreatedBy`). */
export interface TokenCreator {
  id: string;
  alias?: string;
  firstName?: string;
  lastName?: string;
  email?: string;
}

/** A stored token: the seed's `Token` fields plus what the store needs. Never the raw token. */
export interface TokenRecord {
  id: string;
  checksum: string;
  createdBy: TokenCreator;
  createdAt: string;
  note?: string;
  projectEnvironmentId: string;
  scopes: DynamicScope[];
  /** ms since the epoch: the token's `exp`. */
  expiresAt: number;
  /** ms since the epoch, once revoked. */
  revokedAt?: number;
}

/**
 * What `revoke` did. Revoking is idempotent: `already-revoked` is a success too, so a revocation
 * that failed, or whose answer was lost, can be retried until it answers one of the first two.
 */
export type RevokeOutcome = 'revoked' | 'already-revoked' | 'not-found';

export interface RevokeOptions {
  /**
   * Revoke only a token of this environment: another environment's is `not-found`. Checked in the
   * same step as the revocation, so nothing can change in between.
   */
  environmentId?: string;
}

export interface TokenStore {
  create(record: TokenRecord): Promise<void>;
  /** A live token (neither revoked nor expired); null otherwise. */
  get(id: string): Promise<TokenRecord | null>;
  /** Live (not revoked) tokens of an environment, oldest first. */
  listByEnvironment(environmentId: string): Promise<TokenRecord[]>;
  /** Live tokens created by a user, oldest first. */
  listByCreator(userId: string): Promise<TokenRecord[]>;
  /**
   * Revoke, in one atomic step: `revoked` now, `already-revoked` before (a success), or
   * `not-found` (no such token, expired, or another environment's when `environmentId` is given).
   * Rejects when the store cannot be reached; retrying is safe.
   */
  revoke(id: string, options?: RevokeOptions): Promise<RevokeOutcome>;
  /** Hot path (every request): is this token id revoked? */
  isRevoked(id: string): boolean | Promise<boolean>;
}

export interface MemoryTokenStoreOptions {
  /**
   * How long a record is kept after its token's expiry, ms (still revocable, and reported revoked
   * if it was). Default 60 000: a verifier accepts a token for its clock tolerance (5 s by
   * default) after `exp`, so a revocation must outlive `exp` at least that long.
   */
  retainAfterExpiry?: number;
}

/**
 * The default store: a Map in this process. Records (and their revocations) are dropped as they
 * are met once their token expired longer than `retainAfterExpiry` ago.
 *
 * @example
 * const store = new MemoryTokenStore();
 * await store.create(record);
 * await store.revoke(record.id, { environmentId: record.projectEnvironmentId }); // 'revoked'
 */
export class MemoryTokenStore implements TokenStore {
  readonly #records = new Map<string, TokenRecord>();
  /** Revoked id → until when it matters (expiry + retainAfterExpiry), ms since the epoch. */
  readonly #revoked = new Map<string, number>();
  readonly #retain: number;

  constructor(options: MemoryTokenStoreOptions = {}) {
    const retain = options.retainAfterExpiry ?? 60_000;
    if (typeof retain !== 'number' || !(retain >= 0) || !Number.isFinite(retain)) {
      throw new ConfigError(`MemoryTokenStore: retainAfterExpiry must be a non-negative finite number of ms (got ${String(retain)})`);
    }
    this.#retain = retain;
  }

  async create(record: TokenRecord): Promise<void> {
    this.#records.set(record.id, structuredClone(record));
  }

  async get(id: string): Promise<TokenRecord | null> {
    const r = this.#live(id);
    return r ? structuredClone(r) : null;
  }

  async listByEnvironment(environmentId: string): Promise<TokenRecord[]> {
    return this.#list((r) => r.projectEnvironmentId === environmentId);
  }

  async listByCreator(userId: string): Promise<TokenRecord[]> {
    return this.#list((r) => r.createdBy.id === userId);
  }

  async revoke(id: string, options: RevokeOptions = {}): Promise<RevokeOutcome> {
    const r = this.#kept(id);
    if (!r || (options.environmentId !== undefined && r.projectEnvironmentId !== options.environmentId)) return 'not-found';
    if (r.revokedAt !== undefined) return 'already-revoked';
    r.revokedAt = Date.now();
    this.#revoked.set(id, r.expiresAt + this.#retain);
    return 'revoked';
  }

  isRevoked(id: string): boolean {
    const until = this.#revoked.get(id);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#revoked.delete(id);
    return false;
  }

  /** A record still kept (live, revoked, or expired less than retainAfterExpiry ago). */
  #kept(id: string): TokenRecord | undefined {
    const r = this.#records.get(id);
    if (r && r.expiresAt + this.#retain <= Date.now()) {
      this.#records.delete(id);
      this.#revoked.delete(id);
      return undefined;
    }
    return r;
  }

  #live(id: string): TokenRecord | undefined {
    const r = this.#kept(id);
    return r && r.revokedAt === undefined && r.expiresAt > Date.now() ? r : undefined;
  }

  #list(keep: (r: TokenRecord) => boolean): TokenRecord[] {
    const out: TokenRecord[] = [];
    for (const id of [...this.#records.keys()]) {
      const r = this.#live(id);
      if (r && keep(r)) out.push(structuredClone(r));
    }
    return out;
  }
}
