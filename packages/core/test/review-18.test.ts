/**
 * Review 18, in-process: the parts of sender-constrained tokens that need no socket. Tests that
 * exposed a hole assert the SAFE behaviour (they fail until fixed); the rest confirm a check held.
 */
import { createMemoryReplayStore, normalizeHttpUri } from '@scopegate/core';
import { jwkThumbprint } from '../src/dpop-proof';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

/** Best of three runs, ms. */
function timed(fn: () => unknown): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return best;
}

describe('fixed (was: normalizeHttpUri quadratic on a signed htu)', () => {
  // ABSOLUTE = /^(scheme):\/\/([^/?#]*)([^?#]*)(?:\?[^#]*)?(?:#.*)?$/ — the authority and path
  // groups overlap, and `#.*$` cannot match across a line break: every split is tried.
  test.each([
    ['a line break after a fragment', `https://${'a'.repeat(6000)}#\n`],
    ['a carriage return after a fragment', `https://${'a'.repeat(6000)}#\r`],
    ['U+2028 after a fragment', `https://${'a'.repeat(6000)}#\u2028`],
  ])('%s: refused in linear time (< 5 ms for 6000 characters)', (_n, uri) => {
    expect(normalizeHttpUri(uri)).toBeNull();
    expect(timed(() => normalizeHttpUri(uri))).toBeLessThan(5);
  });

  test('control: the same length without the line break is fast', () => {
    expect(timed(() => normalizeHttpUri(`https://${'a'.repeat(6000)}#x`))).toBeLessThan(5);
  });
});

describe('fixed (was: the memory replay store floor followed a client-chosen iat for every key)', () => {
  test('one key filling the store with proofs dated ahead makes another key\'s fresh proof "seen"', () => {
    const store = createMemoryReplayStore({ max: 10 });
    const nowS = Date.now() / 1000;
    const expires = Date.now() + 300_000;
    for (let i = 0; i < 11; i++) expect(store.use(`attacker-${i}`, nowS + 5 + i / 1000, expires, 'attacker-key')).toBe(true);
    // Never seen, issued now: another key's fresh proofs still pass; the flooder's forgotten ids stay refused.
    expect(store.use('victim-1', nowS, expires, 'victim-key')).toBe(true);
    expect(store.use('attacker-0', nowS + 5, expires, 'attacker-key')).toBe(false);
  });

  test('past max keys with floors, the oldest key floors fold into one: still no forgotten id passes again', () => {
    const store = createMemoryReplayStore({ max: 2 });
    const expires = Date.now() + 300_000;
    for (let i = 0; i < 8; i++) expect(store.use(`id-${i}`, 100 + i, expires, `key-${i}`)).toBe(true);
    for (let i = 0; i < 6; i++) expect(store.use(`id-${i}`, 100 + i, expires, `key-${i}`)).toBe(false);
    expect(store.use('id-8', 200, expires, 'key-8')).toBe(true);
  });
});

describe('held: memory replay store', () => {
  test('a forgotten live id is never accepted again; ids of other keys unaffected by one key', () => {
    const store = createMemoryReplayStore({ max: 2 });
    const exp = Date.now() + 60_000;
    expect(store.use('a', 100, exp)).toBe(true);
    expect(store.use('b', 101, exp)).toBe(true);
    expect(store.use('c', 102, exp)).toBe(true);
    expect(store.use('a', 100, exp)).toBe(false);
    expect(store.use('b', 101, exp)).toBe(false);
    expect(store.use('c', 102, exp)).toBe(false);
  });
});

describe('held: RFC 7638 thumbprints', () => {
  test.each(['ES256', 'RS256', 'EdDSA'] as const)('%s: the same as jose computes; members order and extra members do not matter', async (alg) => {
    const { publicKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = await exportJWK(publicKey);
    const expected = await calculateJwkThumbprint(jwk);
    expect(jwkThumbprint(jwk)).toBe(expected);
    expect(jwkThumbprint({ ...jwk, kid: 'x', use: 'sig', alg } as never)).toBe(expected);
  });

  test('odd members: null for missing, non-string or unknown kty; no exception', () => {
    for (const jwk of [{ kty: 'EC', crv: 'P-256', x: 'a' }, { kty: 'EC', crv: 'P-256', x: 'a', y: 1 }, { kty: 'oct', k: 'a' }, { kty: ['EC'] }, { kty: 'RSA', n: '', e: 'AQAB' }]) {
      expect(jwkThumbprint(jwk as never)).toBeNull();
    }
  });
});
