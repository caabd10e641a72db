/** The verifier's `dpop` and `mtls` options: bad ones throw at construction, naming the option. */
import { ConfigError, createVerifier } from '@scopegate/core';
import { HS_SECRET } from './support/keys';

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
