/** The verifier's `dpop` and `mtls` options: bad ones throw at construction, naming the option. */
import { ConfigError, createVerifier } from '@scopegate/core';
import { HS_SECRET } from './support/keys';
import { jwkThumbprint } from '../src/dpop-proof';

const base = { algorithms: ['HS256'] as const, secret: HS_SECRET };

test.each([
  ['dpop not an object', { dpop: true }, /dpop must be an object/],
  ['no origins', { dpop: {} }, /dpop.origins/],
  ['an origin with a path', { dpop: { origins: 'https://api.example.com/v1' } }, /dpop.origins: "https:\/\/api.example.com\/v1" is not an origin/],
  ['an origin with a query', { dpop: { origins: 'https://api.example.com/?x' } }, /not an origin/],
  ['an origin of another scheme', { dpop: { origins: 'ftp://api.example.com' } }, /not an origin/],
  ['a bare host', { dpop: { origins: ['api.example.com'] } }, /not an origin/],
  ['an empty list', { dpop: { origins: [] } }, /dpop.origins/],
  ['HS256 proofs', { dpop: { origins: 'https://a.example', algorithms: ['HS256'] } }, /"HS256" is not allowed for proofs/],
  ['none proofs', { dpop: { origins: 'https://a.example', algorithms: ['none'] } }, /"none" is not allowed/],
  ['no algorithms', { dpop: { origins: 'https://a.example', algorithms: [] } }, /dpop.algorithms/],
  ['maxAge 0', { dpop: { origins: 'https://a.example', maxAge: 0 } }, /dpop.maxAge/],
  ['clockTolerance -1', { dpop: { origins: 'https://a.example', clockTolerance: -1 } }, /dpop.clockTolerance/],
  ['required "yes"', { dpop: { origins: 'https://a.example', required: 'yes' } }, /dpop.required/],
  ['a replay store without use', { dpop: { origins: 'https://a.example', replay: {} } }, /dpop.replay/],
  ['a short nonce secret', { dpop: { origins: 'https://a.example', nonce: { secret: 'short' } } }, /dpop.nonce.secret/],
  ['an unknown dpop option', { dpop: { origins: 'https://a.example', htu: 'x' } }, /dpop.htu is not an option/],
  ['mtls not an object', { mtls: 'on' }, /mtls must be an object/],
  ['an unknown mtls option', { mtls: { header: 'x' } }, /mtls.header is not an option/],
  ['mtls.required "yes"', { mtls: { required: 'yes' } }, /mtls.required/],
])('%s → ConfigError', (_n, extra, message) => {
  expect(() => createVerifier({ ...base, ...(extra as object) })).toThrow(ConfigError);
  expect(() => createVerifier({ ...base, ...(extra as object) })).toThrow(message);
});

test('good options: the verifier says what it checks', () => {
  const v = createVerifier({ ...base, dpop: { origins: ['https://API.example.com:443/', 'http://localhost:8080'], algorithms: ['ES256'], nonce: { secret: 'x'.repeat(32) } }, mtls: {} });
  expect(v.dpop?.algorithms).toEqual(['ES256']);
  expect(v.dpop?.required).toBe(false);
  expect(v.dpop?.nonce()).toMatch(/^[A-Za-z0-9_-]{32}$/);
  expect(v.mtls).toBe(true);
  const off = createVerifier(base);
  expect(off.dpop).toBeNull();
  expect(off.mtls).toBe(false);
});

describe('the RFC 7638 thumbprint of a proof key', () => {
  test.each(['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'] as const)('%s: the same as jose calculateJwkThumbprint', async (alg) => {
    const { generateKeyPair, exportJWK, calculateJwkThumbprint } = await import('jose');
    const { publicKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), alg, use: 'sig', kid: 'k' };
    expect(jwkThumbprint(jwk)).toBe(await calculateJwkThumbprint(jwk));
  });

  test('the RFC 7638 §3.1 example', () => {
    const n = '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
    expect(jwkThumbprint({ kty: 'RSA', n, e: 'AQAB', alg: 'RS256', kid: '2011-04-29' })).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  test.each([[{ kty: 'oct', k: 'AAAA' }], [{ kty: 'EC', crv: 'P-256', x: 'a' }], [{ kty: 'RSA', n: 1, e: 'AQAB' }], [{}]])('refused: %j', (jwk) => {
    expect(jwkThumbprint(jwk as never)).toBeNull();
  });
});
