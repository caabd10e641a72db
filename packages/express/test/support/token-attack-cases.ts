/**
 * The token attacks of token-attacks.test.ts, as data: run against the Express gate there and
 * against the example gateway (examples/gateway/test/gateway-attacks.test.ts). One route,
 * `GET /data` needing `data.read`; tokens from an RSA and an EC key (plus a rogue key with the
 * RSA key's kid), checked for issuer, audience and revocation.
 */
import { base64url, CompactEncrypt, SignJWT } from 'jose';
import type { RouteRule, VerifierOptions } from '@scopegate/core';
import { makeKey, sign, type TestKey } from '../../../core/test/support/keys';

export const ISS = 'https://issuer.test/';
export const AUD = 'api';
export const TOKEN_ATTACK_ROUTES: RouteRule[] = [{ method: 'GET', path: '/data', scopes: ['data.read'] }];

/** The keys and revocation list the attacks and the verifier share; `init()` before use. */
export class TokenAttackKeys {
  rsa!: TestKey;
  ec!: TestKey;
  /** Same kid as `rsa`, another key. */
  rogue!: TestKey;
  readonly revoked = new Set<string>();

  async init(): Promise<void> {
    this.rsa = await makeKey('RS256', 'rsa-1');
    this.ec = await makeKey('ES256', 'ec-1');
    this.rogue = await makeKey('RS256', 'rsa-1'); // same kid, other key
  }

  /** The verifier the gate is given. */
  verifierOptions(): VerifierOptions {
    return {
      algorithms: ['RS256', 'ES256'],
      jwks: { keys: [this.rsa.publicJwk, this.ec.publicJwk] },
      issuer: ISS,
      audience: AUD,
      isRevoked: (claims) => this.revoked.has(claims.jti as string),
    };
  }

  /** A good token (EC unless `key`), with `payload` over the defaults. */
  readonly good = (payload: Record<string, unknown> = {}, key?: TestKey, header: Record<string, unknown> = {}): Promise<string> =>
    sign(key ?? this.ec, { iss: ISS, aud: AUD, scope: 'data.read', ...payload }, header);
}

const now = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => base64url.encode(typeof v === 'string' ? v : JSON.stringify(v));
const parts = (t: string) => t.split('.') as [string, string, string];

/** [name, the Authorization header (null: none), expected status, expected `error` of the challenge (null: none)]. */
export type TokenAttack = [name: string, authorization: (keys: TokenAttackKeys) => Promise<string | null>, status: number, code: string | null];

export const tokenAttacks: TokenAttack[] = [
  ['alg none, empty signature', async () => `Bearer ${b64({ alg: 'none' })}.${b64({ iss: ISS, aud: AUD, exp: now() + 60, scope: 'data.read' })}.`, 401, 'invalid_token'],
  ['alg none with a signature', async () => `Bearer ${b64({ alg: 'none' })}.${b64({ iss: ISS, aud: AUD, exp: now() + 60 })}.c2ln`, 401, 'invalid_token'],
  ['alg confusion: HS256 signed with the RSA public key', async (k) => {
    const jwt = await new SignJWT({ iss: ISS, aud: AUD, exp: now() + 60, scope: 'data.read' })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .sign(new TextEncoder().encode(k.rsa.publicPem));
    return `Bearer ${jwt}`;
  }, 401, 'invalid_token'],
  ['wrong key, same kid', async (k) => `Bearer ${await k.good({}, k.rogue)}`, 401, 'invalid_token'],
  ['tampered payload', async (k) => {
    const [h, , s] = parts(await k.good({ scope: 'nothing' }));
    return `Bearer ${h}.${b64({ iss: ISS, aud: AUD, exp: now() + 60, scope: 'data.read', sub: 'user-1' })}.${s}`;
  }, 401, 'invalid_token'],
  ['tampered header', async (k) => {
    const [, p, s] = parts(await k.good());
    return `Bearer ${b64({ alg: 'ES256', kid: 'ec-1', typ: 'JWT', x: 1 })}.${p}.${s}`;
  }, 401, 'invalid_token'],
  ['header alg swapped to RS256 on an ES256 signature', async (k) => {
    const [, p, s] = parts(await k.good());
    return `Bearer ${b64({ alg: 'RS256', kid: 'rsa-1' })}.${p}.${s}`;
  }, 401, 'invalid_token'],
  ['expired', async (k) => `Bearer ${await k.good({ exp: now() - 60, iat: now() - 120 })}`, 401, 'invalid_token'],
  ['not yet valid', async (k) => `Bearer ${await k.good({ nbf: now() + 600 })}`, 401, 'invalid_token'],
  ['no exp', async (k) => `Bearer ${await k.good({ exp: undefined })}`, 401, 'invalid_token'],
  ['iat in the future', async (k) => `Bearer ${await k.good({ iat: now() + 600 })}`, 401, 'invalid_token'],
  ['wrong iss', async (k) => `Bearer ${await k.good({ iss: 'https://evil.test/' })}`, 401, 'invalid_token'],
  ['wrong aud', async (k) => `Bearer ${await k.good({ aud: 'other' })}`, 401, 'invalid_token'],
  ['no aud', async (k) => `Bearer ${await k.good({ aud: undefined })}`, 401, 'invalid_token'],
  ['unknown kid', async (k) => `Bearer ${await k.good({}, k.ec, { kid: 'nope' })}`, 401, 'invalid_token'],
  ['crit header the verifier does not know', async (k) => {
    const jwt = await new SignJWT({ iss: ISS, aud: AUD, exp: now() + 60, scope: 'data.read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'ec-1', crit: ['x-ext'], 'x-ext': 1 })
      .sign(k.ec.privateKey, { crit: { 'x-ext': true } });
    return `Bearer ${jwt}`;
  }, 401, 'invalid_token'],
  ['JWE instead of JWS', async () => {
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ scope: 'data.read' })))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(new Uint8Array(32));
    return `Bearer ${jwe}`;
  }, 401, 'invalid_token'],
  ['two parts', async (k) => `Bearer ${parts(await k.good()).slice(0, 2).join('.')}`, 401, 'invalid_token'],
  ['four parts', async (k) => `Bearer ${await k.good()}.${b64('x')}`, 401, 'invalid_token'],
  ['bad base64url', async (k) => {
    const [h, p, s] = parts(await k.good());
    return `Bearer ${h}.${p.slice(0, 10)}+/+/${p.slice(10)}.${s}`;
  }, 401, 'invalid_token'],
  ['non-JSON payload', async (k) => {
    const [h, , s] = parts(await k.good());
    return `Bearer ${h}.${b64('not json')}.${s}`;
  }, 401, 'invalid_token'],
  ['token longer than maxTokenLength (8 KiB)', async (k) => `Bearer ${await k.good({ pad: 'x'.repeat(9000) })}`, 401, 'invalid_token'],
  ['scope claim of the wrong type', async (k) => `Bearer ${await k.good({ scope: 7 })}`, 401, 'invalid_token'],
  ['scope array with a non-string', async (k) => `Bearer ${await k.good({ scope: ['data.read', 1] })}`, 401, 'invalid_token'],
  ['revoked token', async (k) => {
    k.revoked.add('gone');
    return `Bearer ${await k.good({ jti: 'gone' })}`;
  }, 401, 'invalid_token'],
  ['Bearer with no token', async () => 'Bearer', 400, 'invalid_request'],
  ['Bearer with two tokens', async () => 'Bearer a b', 400, 'invalid_request'],
  ['Basic credentials', async () => 'Basic dXNlcjpwYXNz', 401, null],
  ['DPoP scheme', async (k) => `DPoP ${await k.good()}`, 401, null],
  ['no Authorization header', async () => null, 401, null],
  ['valid signature but missing scope', async (k) => `Bearer ${await k.good({ scope: 'other' })}`, 403, 'insufficient_scope'],
];

/** Several `Authorization` header lines (sent raw, so no client merges them): [name, header names, expected status]. */
export type AuthorizationHeadersCase = [name: string, names: string[], status: number];

export const authorizationHeadersCases: AuthorizationHeadersCase[] = [
  ['two, differently cased', ['authorization', 'AUTHORIZATION'], 400],
  ['three', ['Authorization', 'authorization', 'AuThOrIzAtIoN'], 400],
  ['one, upper case', ['AUTHORIZATION'], 200],
  ['one, among other 13-character names', ['Cache-Control', 'Authorization', 'If-None-Match'], 200],
];

/** The header lines of an `authorizationHeadersCases` case: each Authorization name with `Bearer <token>`, the others `no-cache`. */
export const authorizationHeaderLines = (names: readonly string[], token: string): string =>
  names.map((n) => (n.toLowerCase() === 'authorization' ? `${n}: Bearer ${token}` : `${n}: no-cache`)).join('\r\n');
