/** createIntrospector's options: bad input is a ConfigError at construction, naming the option, never echoing a secret. */
import { ConfigError, createIntrospector, IntrospectionUnavailableError, ScopeGateError, type IntrospectionOptions } from '@scopegate/core';
import { thrownBy } from './support/thrown';

const URL_OK = 'https://issuer.example/oauth2/introspect';
const BASIC = { method: 'client_secret_basic', clientId: 'api', clientSecret: 's3cr3t-value' } as const;

test('valid options build, for each client authentication method', () => {
  expect(createIntrospector({ url: URL_OK, clientAuth: BASIC }).stats).toEqual({ hits: 0, misses: 0, size: 0, requests: 0, failures: 0 });
  createIntrospector({ url: URL_OK, clientAuth: { method: 'client_secret_post', clientId: 'api', clientSecret: 'x' } });
  createIntrospector({ url: URL_OK, clientAuth: { method: 'bearer', token: 'abc.DEF-_~+/=' } });
  createIntrospector({
    url: URL_OK,
    clientAuth: BASIC,
    tokens: 'all',
    maxAge: 0,
    inactiveMaxAge: 0,
    maxEntries: 0,
    timeout: 1,
    maxBodyBytes: 1,
    allowInsecureHttp: false,
    tokenTypeHint: 'access_token',
  });
  // `method` may be left out when a client secret is given (client_secret_basic).
  createIntrospector({ url: URL_OK, clientAuth: { clientId: 'api', clientSecret: 'x' } as unknown as IntrospectionOptions['clientAuth'] });
});

test('http only on a loopback host, unless allowInsecureHttp', () => {
  for (const url of ['http://127.0.0.1:8080/introspect', 'http://localhost/introspect', 'http://[::1]:9/i', 'http://127.1.2.3/i']) {
    expect(() => createIntrospector({ url, clientAuth: BASIC })).not.toThrow();
  }
  expect(() => createIntrospector({ url: 'http://issuer.example/introspect', clientAuth: BASIC })).toThrow(/introspection\.url must be https/);
  expect(() => createIntrospector({ url: 'http://issuer.example/introspect', clientAuth: BASIC, allowInsecureHttp: true })).not.toThrow();
});

const bad: [string, unknown, RegExp][] = [
  ['options not an object', null, /introspection options must be an object/],
  ['unknown option (a typo)', { url: URL_OK, clientAuth: BASIC, maxage: 5 }, /introspection\.maxage is not an option/],
  ['url missing', { clientAuth: BASIC }, /introspection\.url must be a string/],
  ['url relative', { url: '/introspect', clientAuth: BASIC }, /introspection\.url must be an absolute URL/],
  ['url ftp', { url: 'ftp://issuer.example/i', clientAuth: BASIC }, /introspection\.url must be an http or https URL/],
  ['url with credentials', { url: 'https://api:s3cr3t-value@issuer.example/i', clientAuth: BASIC }, /introspection\.url must not hold credentials/],
  ['url http on a remote host', { url: 'http://10.0.0.1/i', clientAuth: BASIC }, /introspection\.url must be https/],
  ['allowInsecureHttp not a boolean', { url: URL_OK, clientAuth: BASIC, allowInsecureHttp: 'yes' }, /introspection\.allowInsecureHttp must be a boolean/],
  ['clientAuth missing', { url: URL_OK }, /introspection\.clientAuth must be an object/],
  ['clientAuth method unknown', { url: URL_OK, clientAuth: { method: 'private_key_jwt', clientId: 'a', clientSecret: 's3cr3t-value' } }, /introspection\.clientAuth\.method must be one of/],
  ['clientAuth method missing, no secret', { url: URL_OK, clientAuth: { clientId: 'a' } }, /introspection\.clientAuth\.method must be one of/],
  ['clientId empty', { url: URL_OK, clientAuth: { ...BASIC, clientId: '' } }, /introspection\.clientAuth\.clientId must be a non-empty string/],
  ['clientSecret missing', { url: URL_OK, clientAuth: { method: 'client_secret_post', clientId: 'a' } }, /introspection\.clientAuth\.clientSecret must be a non-empty string/],
  ['clientSecret not a string', { url: URL_OK, clientAuth: { ...BASIC, clientSecret: 42 } }, /introspection\.clientAuth\.clientSecret must be a non-empty string/],
  ['bearer without token', { url: URL_OK, clientAuth: { method: 'bearer' } }, /introspection\.clientAuth\.token must be a non-empty token68 string/],
  ['bearer token that would break the header', { url: URL_OK, clientAuth: { method: 'bearer', token: 's3cr3t-value\r\nX-Evil: 1' } }, /introspection\.clientAuth\.token must be a non-empty token68/],
  ['bearer with a client secret too', { url: URL_OK, clientAuth: { method: 'bearer', token: 'abc', clientSecret: 's3cr3t-value' } }, /introspection\.clientAuth\.clientSecret does not go with method bearer/],
  ['basic with a bearer token too', { url: URL_OK, clientAuth: { ...BASIC, token: 'abc' } }, /introspection\.clientAuth\.token does not go with method client_secret_basic/],
  ['tokens unknown', { url: URL_OK, clientAuth: BASIC, tokens: 'jwt' }, /introspection\.tokens must be 'opaque' or 'all'/],
  ['maxAge negative', { url: URL_OK, clientAuth: BASIC, maxAge: -1 }, /introspection\.maxAge must be a non-negative number of ms/],
  ['maxAge a string', { url: URL_OK, clientAuth: BASIC, maxAge: '60s' }, /introspection\.maxAge must be a non-negative number/],
  ['inactiveMaxAge NaN', { url: URL_OK, clientAuth: BASIC, inactiveMaxAge: NaN }, /introspection\.inactiveMaxAge must be a non-negative number/],
  ['maxEntries fractional', { url: URL_OK, clientAuth: BASIC, maxEntries: 1.5 }, /introspection\.maxEntries must be a non-negative integer/],
  ['timeout 0', { url: URL_OK, clientAuth: BASIC, timeout: 0 }, /introspection\.timeout must be a positive number of ms/],
  ['timeout beyond setTimeout', { url: URL_OK, clientAuth: BASIC, timeout: 2 ** 31 }, /introspection\.timeout must be a positive number/],
  ['maxBodyBytes 0', { url: URL_OK, clientAuth: BASIC, maxBodyBytes: 0 }, /introspection\.maxBodyBytes must be a positive integer/],
  ['tokenTypeHint empty', { url: URL_OK, clientAuth: BASIC, tokenTypeHint: '' }, /introspection\.tokenTypeHint must be a non-empty string/],
];

test.each(bad)('%s → ConfigError naming the option', (_name, options, message) => {
  const error = thrownBy(() => createIntrospector(options as IntrospectionOptions));
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).code).toBe('ERR_INVALID_OPTION');
  expect((error as ConfigError).message).toMatch(message);
  // No message echoes a credential (or the URL that held one).
  expect((error as ConfigError).message).not.toContain('s3cr3t-value');
});

test('IntrospectionUnavailableError: 503, ERR_INTROSPECTION_UNAVAILABLE, Retry-After: 5, a fixed message', () => {
  const cause = new Error('the introspection endpoint answered 500');
  const e = new IntrospectionUnavailableError(cause);
  expect(e).toBeInstanceOf(ScopeGateError);
  expect(e.name).toBe('IntrospectionUnavailableError');
  expect(e.code).toBe('ERR_INTROSPECTION_UNAVAILABLE');
  expect(e.status).toBe(503);
  expect(e.headers).toEqual({ 'Retry-After': '5' });
  expect(e.message).toBe('Token introspection unavailable');
  expect(e.cause).toBe(cause);
  expect(new IntrospectionUnavailableError().message).toBe('Token introspection unavailable');
});
