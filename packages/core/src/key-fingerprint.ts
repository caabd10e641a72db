/**
 * A public key's identity, the same whether read from a JWK of a key set or from the key object
 * a verification used: node normalises both (`KeyObject#export({ format: 'jwk' })`), so an RSA
 * modulus written with a leading zero byte, or members in another order, compare equal. Used to
 * tell whether the key a cached token was verified with is still in the key set.
 */
import { createPublicKey, KeyObject, type JsonWebKey, type webcrypto } from 'node:crypto';

/** The fingerprint of a key object (a jose CryptoKey or a node KeyObject); `null` if it cannot be read. */
export function keyFingerprint(key: unknown): string | null {
  try {
    const object = key instanceof KeyObject ? key : KeyObject.from(key as webcrypto.CryptoKey);
    return fingerprintOf(object);
  } catch {
    return null;
  }
}

/** The fingerprint of a public JWK; `null` for one node cannot import (it cannot have verified anything). */
export function jwkFingerprint(jwk: object): string | null {
  try {
    return fingerprintOf(createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }));
  } catch {
    return null;
  }
}

function fingerprintOf(key: KeyObject): string {
  const j = key.export({ format: 'jwk' });
  return [j.kty, j.crv, j.x, j.y, j.n, j.e].map((v) => v ?? '').join('|');
}
