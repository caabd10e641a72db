/**
 * `@scopegate/core` declares the JOSE types its API names (JWTPayload, JWTHeaderParameters,
 * JSONWebKeySet, JWK, and the key lookup of a remote key set) itself, so that its declarations
 * never import jose (ESM-only: TS1479 in CommonJS apps under `module: node16`). They must stay
 * interchangeable with jose's: the type-level checks below fail `npm run typecheck` when one
 * drifts, and the test passes jose's own values through the verifier and back.
 */
import type * as jose from 'jose';
import { createVerifier, type JSONWebKeySet, type JWK, type JWTHeaderParameters, type JWTPayload, type VerifierOptions } from '@scopegate/core';
import type { KeyLookup, VerificationKey } from '../src/jose-types';

/** `true` when each type is assignable to the other. */
type Interchangeable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const interchangeable: {
  jwk: Interchangeable<JWK, jose.JWK>;
  keySet: Interchangeable<JSONWebKeySet, jose.JSONWebKeySet>;
  payload: Interchangeable<JWTPayload, jose.JWTPayload>;
  header: Interchangeable<JWTHeaderParameters, jose.JWTHeaderParameters>;
  keyLookup: Interchangeable<KeyLookup, jose.JWTVerifyGetKey>;
  key: [jose.CryptoKey | jose.KeyObject | jose.JWK | Uint8Array] extends [VerificationKey] ? true : false;
  /** Node's `JsonWebKey` (what `createPublicKey({ format: 'jwk' })` takes) accepts ours. */
  nodeJwk: [JWK] extends [import('node:crypto').JsonWebKey] ? true : false;
} = { jwk: true, keySet: true, payload: true, header: true, keyLookup: true, key: true, nodeJwk: true };

test('the declared JOSE types are interchangeable with jose 6 (checked by tsc)', () => {
  expect(Object.values(interchangeable).every((v) => v === true)).toBe(true);
});

test("jose's values go in and the verifier's come back out as jose's types", async () => {
  const { exportJWK, generateKeyPair, SignJWT } = await import('jose');
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk: jose.JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  const keySet: jose.JSONWebKeySet = { keys: [jwk] };
  const asOptions: VerifierOptions[] = [
    { algorithms: ['ES256'], publicKey: jwk },
    { algorithms: ['ES256'], jwks: keySet },
  ];
  const claims: jose.JWTPayload = { sub: 'u1', scope: 'a b', exp: Math.floor(Date.now() / 1000) + 60 };
  const token = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);
  for (const options of asOptions) {
    const verified = await createVerifier({ ...options, cache: false }).verify(token);
    const payload: jose.JWTPayload = verified.claims;
    const header: jose.JWTHeaderParameters = verified.header;
    expect(payload.sub).toBe('u1');
    expect(header).toMatchObject({ alg: 'ES256', kid: 'k1' });
    expect([...verified.scopes]).toEqual(['a', 'b']);
  }
});
