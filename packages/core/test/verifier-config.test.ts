import { ConfigError, createVerifier, ScopeGateError, type VerifierOptions } from '@scopegate/core';
import { HS_SECRET, makeKey, type TestKey } from './support/keys';
import { thrownBy } from './support/thrown';

let rsa: TestKey;
let ec: TestKey;
beforeAll(async () => {
  rsa = await makeKey('RS256');
  ec = await makeKey('ES256');
});

const cases: [string, () => unknown, RegExp][] = [
  ['no algorithms', () => ({ secret: HS_SECRET }), /algorithms must be a non-empty array/],
  ['empty algorithms', () => ({ algorithms: [], secret: HS_SECRET }), /algorithms must be a non-empty array/],
  ['alg none', () => ({ algorithms: ['none'], secret: HS_SECRET }), /"none" is not allowed/],
  ['unknown alg', () => ({ algorithms: ['HS1'], secret: HS_SECRET }), /"HS1" is not allowed/],
  ['no key source', () => ({ algorithms: ['ES256'] }), /exactly one key source.*got none/],
  ['two key sources', () => ({ algorithms: ['ES256'], publicKey: ec.publicPem, jwksUri: 'https://x.test/jwks' }), /got publicKey, jwksUri/],
  ['secret with RS256', () => ({ algorithms: ['HS256', 'RS256'], secret: HS_SECRET }), /secret works with HS256\/HS384\/HS512 only/],
  ['short secret', () => ({ algorithms: ['HS256'], secret: 'short' }), /too short: HS256 needs at least 32 bytes/],
  ['HS512 secret of 32 bytes', () => ({ algorithms: ['HS512'], secret: 'x'.repeat(32) }), /needs at least 64 bytes/],
  ['HS256 with a public key', () => ({ algorithms: ['HS256'], publicKey: rsa.publicPem }), /HS256 needs a secret/],
  ['HS256 with a JWKS', () => ({ algorithms: ['RS256', 'HS256'], jwks: { keys: [rsa.publicJwk] } }), /HS256 needs a secret/],
  ['ES256 with an RSA key', () => ({ algorithms: ['ES256'], publicKey: rsa.publicPem }), /ES256 cannot be used with this rsa key/],
  ['ES384 with a P-256 key', () => ({ algorithms: ['ES384'], publicKey: ec.publicJwk }), /ES384 cannot be used with this ec key/],
  ['private PEM', () => ({ algorithms: ['RS256'], publicKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' }), /private key/],
  ['private JWK', () => ({ algorithms: ['ES256'], publicKey: { ...ec.publicJwk, d: 'secret' } }), /private or symmetric JWK/],
  ['garbage PEM', () => ({ algorithms: ['RS256'], publicKey: 'not a key' }), /not a valid PEM public key/],
  ['JWKS with a symmetric key', () => ({ algorithms: ['RS256'], jwks: { keys: [{ kty: 'oct', k: 'AAAA' }] } }), /private or symmetric key/],
  ['JWKS not a set', () => ({ algorithms: ['RS256'], jwks: { nope: true } }), /jwks must be a JSON Web Key Set/],
  ['relative jwksUri', () => ({ algorithms: ['RS256'], jwksUri: '/jwks.json' }), /jwksUri must be an absolute URL/],
  ['ftp jwksUri', () => ({ algorithms: ['RS256'], jwksUri: 'ftp://x.test/jwks' }), /http or https URL/],
  ['negative clockTolerance', () => ({ algorithms: ['HS256'], secret: HS_SECRET, clockTolerance: -1 }), /clockTolerance/],
  ['bad maxTokenAge', () => ({ algorithms: ['HS256'], secret: HS_SECRET, maxTokenAge: 'soon' }), /maxTokenAge/],
  ['bad cache', () => ({ algorithms: ['HS256'], secret: HS_SECRET, cache: { max: -1 } }), /cache must be false/],
  ['bad isRevoked', () => ({ algorithms: ['HS256'], secret: HS_SECRET, isRevoked: true }), /isRevoked must be a function/],
  ['empty scopeClaims', () => ({ algorithms: ['HS256'], secret: HS_SECRET, scopeClaims: [] }), /scopeClaims/],
  ['issuer not a string', () => ({ algorithms: ['HS256'], secret: HS_SECRET, issuer: 42 }), /issuer must be/],
];

describe.each(cases)('%s', (_name, make, message) => {
  test('throws ConfigError at construction', () => {
    const error = thrownBy(() => createVerifier(make() as VerifierOptions));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(ScopeGateError);
    expect((error as ConfigError).code).toBe('ERR_INVALID_OPTION');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(HS_SECRET);
  });
});

test('valid sources construct', () => {
  expect(() => createVerifier({ algorithms: ['HS256', 'HS384'], secret: 'y'.repeat(48) })).not.toThrow();
  expect(() => createVerifier({ algorithms: ['RS256', 'PS256'], publicKey: rsa.publicPem })).not.toThrow();
  expect(() => createVerifier({ algorithms: ['ES256'], publicKey: ec.publicJwk })).not.toThrow();
  expect(() => createVerifier({ algorithms: ['ES256', 'RS256'], jwks: { keys: [ec.publicJwk, rsa.publicJwk] } })).not.toThrow();
  expect(() => createVerifier({ algorithms: ['ES256'], jwksUri: 'https://issuer.test/jwks.json', maxTokenAge: '2h' })).not.toThrow();
});
