/** `profile: 'rfc9068'`: the JWT access-token profile (typ at+jwt, its required claims); ID tokens refused. */
import { ConfigError, createVerifier, UnauthorizedError, type VerifierOptions } from '@scopegate/core';
import { HS_SECRET, makeKey, sign, type TestKey } from './support/keys';

const ISS = 'https://as.example/';
let key: TestKey;
beforeAll(async () => {
  key = await makeKey('RS256', 'as-1');
});

const settle = <T>(p: Promise<T>) => p.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }));
const profiled = (o: Partial<VerifierOptions> = {}) =>
  createVerifier({ algorithms: ['RS256'], publicKey: key.publicPem, issuer: ISS, audience: 'https://api.example/', profile: 'rfc9068', ...o });
const claims = () => ({ iss: ISS, aud: 'https://api.example/', sub: 'user-1', client_id: 'client-1', jti: `j-${Math.random()}`, scope: 'users.read' });
/** `typ: null`: no typ header. */
const at = (payload: Record<string, unknown> = {}, typ: string | null = 'at+jwt') => sign(key, { ...claims(), ...payload }, typ === null ? {} : { typ });

async function refusedWith(p: Promise<unknown>, message: RegExp) {
  const r = await settle(p);
  const e = (r as { e: UnauthorizedError }).e;
  expect(e).toBeInstanceOf(UnauthorizedError);
  expect(e.status).toBe(401);
  expect(e.headers['WWW-Authenticate']).toContain('error="invalid_token"');
  expect(e.message).toMatch(message);
}

test('an RFC 9068 access token verifies; typ compares as a media type (any case, application/ optional)', async () => {
  const v = profiled();
  for (const typ of ['at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/At+Jwt']) {
    const t = await v.verify(await at({}, typ));
    expect([...t.scopes]).toEqual(['users.read']);
    expect(t.header.typ).toBe(typ);
  }
});

test('an ID token (typ JWT, or no typ) presented as an access token is refused', async () => {
  const v = profiled();
  await refusedWith(v.verify(await at({ nonce: 'n' }, 'JWT')), /"typ" header must be at\+jwt/);
  await refusedWith(v.verify(await at({}, null)), /"typ" header must be at\+jwt/);
  for (const typ of ['application/jwt', 'at+jwt2', 'xat+jwt', 'application/at+jwt; charset=x', 'dpop+jwt', 'text/at+jwt']) {
    await refusedWith(v.verify(await at({}, typ)), /"typ" header must be at\+jwt/);
  }
});

test.each(['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'])('the %s claim is required', async (claim) => {
  await refusedWith(profiled().verify(await at({ [claim]: undefined })), new RegExp(`"${claim}"`));
});

test.each(['sub', 'client_id', 'jti'])('%s must be a non-empty string', async (claim) => {
  await refusedWith(profiled().verify(await at({ [claim]: 42 })), new RegExp(`"${claim}" claim must be a non-empty string`));
  await refusedWith(profiled().verify(await at({ [claim]: '' })), new RegExp(`"${claim}" claim must be a non-empty string`));
});

test('issuer and audience are still checked', async () => {
  await refusedWith(profiled().verify(await at({ iss: 'https://evil.example/' })), /"iss" claim check failed/);
  await refusedWith(profiled().verify(await at({ aud: 'https://other.example/' })), /"aud" claim check failed/);
});

test('without the profile a typ JWT token verifies as before', async () => {
  const v = createVerifier({ algorithms: ['RS256'], publicKey: key.publicPem });
  await expect(v.verify(await at({}, 'JWT'))).resolves.toBeDefined();
});

test('per issuer: the profile applies to the entries that ask for it', async () => {
  const v = createVerifier({
    issuers: [
      { issuer: ISS, publicKey: key.publicPem, algorithms: ['RS256'], audience: 'https://api.example/', profile: 'rfc9068' },
      { issuer: 'legacy', secret: HS_SECRET, algorithms: ['HS256'] },
    ],
  });
  await refusedWith(v.verify(await at({}, 'JWT')), /"typ" header/);
  await expect(v.verify(await at({}, 'at+jwt'))).resolves.toBeDefined();
  await expect(v.verify(await sign(HS_SECRET, { iss: 'legacy' }, { typ: 'JWT' }))).resolves.toBeDefined();
});

describe('configuration', () => {
  const cases: [string, Partial<VerifierOptions> | Record<string, unknown>, RegExp][] = [
    ['unknown profile', { profile: 'rfc9069' }, /^profile must be "rfc9068"/],
    ['profile true', { profile: true }, /^profile must be "rfc9068"/],
    ['no issuer', { issuer: undefined }, /^profile "rfc9068" needs issuer/],
    ['no audience', { audience: undefined }, /^profile "rfc9068" needs audience/],
  ];
  test.each(cases)('%s → ConfigError naming the option', (_name, o, message) => {
    expect(() => profiled(o as Partial<VerifierOptions>)).toThrow(ConfigError);
    expect(() => profiled(o as Partial<VerifierOptions>)).toThrow(message);
  });

  test('in an issuers entry the message names the entry', () => {
    expect(() => createVerifier({ issuers: [{ issuer: ISS, publicKey: key.publicPem, algorithms: ['RS256'], profile: 'rfc9068' }] })).toThrow(
      /^issuers\[0\]\.profile "rfc9068" needs issuers\[0\]\.audience/,
    );
  });
});
