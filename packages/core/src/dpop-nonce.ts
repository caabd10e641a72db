/**
 * Server nonces for DPoP proofs (RFC 9449 §8): a nonce is an HMAC of the current period under a
 * shared secret, so every instance holding the secret (and a clock within a period of the
 * others) issues and accepts the same nonces without talking to each other. A nonce is accepted
 * during its own period and the next: from one to two `rotation` periods after it was issued.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError } from './errors';

/** Options of the verifier's `dpop.nonce`. */
export interface DpopNonceOptions {
  /** Shared by every instance that must accept each other's nonces; at least 32 bytes. */
  secret: string | Uint8Array;
  /** Length of a period, seconds: nonces change this often. Default 300. */
  rotation?: number;
}

/** Issues and checks nonces. */
export interface DpopNonces {
  /** The nonce of the current period. */
  current(now?: number): string;
  /** Is `nonce` this period's or the last one's? */
  accepts(nonce: unknown, now?: number): boolean;
}

export function createDpopNonces(options: DpopNonceOptions): DpopNonces {
  if (options === null || typeof options !== 'object') throw new ConfigError('dpop.nonce must be an object ({ secret, rotation? })');
  const secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
  if (!(secret instanceof Uint8Array) || secret.byteLength < 32) throw new ConfigError('dpop.nonce.secret must be a string or Uint8Array of at least 32 bytes');
  const rotation = options.rotation ?? 300;
  if (!(Number.isFinite(rotation) && rotation >= 1)) throw new ConfigError('dpop.nonce.rotation must be a number of seconds ≥ 1');
  const periodMs = rotation * 1000;
  // The last two periods' nonces, so a request costs a compare, not an HMAC.
  let period = NaN;
  let now0 = '';
  let before = '';
  const nonceOf = (p: number) => createHmac('sha256', secret).update(`scopegate DPoP nonce ${p}`).digest('base64url').slice(0, 32);
  const refresh = (now: number) => {
    const p = Math.floor(now / periodMs);
    if (p !== period) {
      before = p - 1 === period ? now0 : nonceOf(p - 1);
      now0 = nonceOf(p);
      period = p;
    }
  };
  return {
    current(now = Date.now()) {
      refresh(now);
      return now0;
    },
    accepts(nonce: unknown, now = Date.now()) {
      if (typeof nonce !== 'string' || nonce.length !== 32) return false;
      refresh(now);
      const given = Buffer.from(nonce);
      if (given.length !== 32) return false; // a non-ASCII string of 32 characters is longer in bytes
      return timingSafeEqual(given, Buffer.from(now0)) || timingSafeEqual(given, Buffer.from(before));
    },
  };
}
