/**
 * Where API token records live. The token service writes them; the gateway's verifier asks
 * `isRevoked` on every request. In-memory by default; a shared store (several gateway
 * instances) implements the same interface.
 */
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

export interface TokenStore {
  create(record: TokenRecord): Promise<void>;
  get(id: string): Promise<TokenRecord | null>;
  /** Live (not revoked) tokens of an environment, oldest first. */
  listByEnvironment(environmentId: string): Promise<TokenRecord[]>;
  /** Live tokens created by a user, oldest first. */
  listByCreator(userId: string): Promise<TokenRecord[]>;
  /** Revoke; false when there is no such live token. */
  revoke(id: string): Promise<boolean>;
  /** Hot path (every request): is this token id revoked? */
  isRevoked(id: string): boolean | Promise<boolean>;
}

/** The default store: a Map in this process. Expired records are dropped as they are met. */
export class MemoryTokenStore implements TokenStore {
  readonly #records = new Map<string, TokenRecord>();
  readonly #revoked = new Set<string>();

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

  async revoke(id: string): Promise<boolean> {
    const r = this.#live(id);
    if (!r) return false;
    r.revokedAt = Date.now();
    this.#revoked.add(id);
    return true;
  }

  isRevoked(id: string): boolean {
    return this.#revoked.has(id);
  }

  #live(id: string): TokenRecord | undefined {
    const r = this.#records.get(id);
    if (!r || r.revokedAt !== undefined) return undefined;
    if (r.expiresAt <= Date.now()) {
      this.#records.delete(id);
      return undefined;
    }
    return r;
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
