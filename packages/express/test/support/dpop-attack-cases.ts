/**
 * DPoP (RFC 9449) attacks as data: run through a real Express app (dpop-attacks.test.ts) and
 * through the example gateway (examples/gateway/test/dpop-attacks.test.ts). Routes `GET /data`
 * (`data.read`) and `GET /items/:id` (`data.read`); the API's public origin is `ORIGIN`; tokens
 * signed by the issuer's EC key, bound (`cnf.jkt`) to the client's key.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { RouteRule, VerifierOptions } from '@scopegate/core';
import { makeKey, sign, type TestKey } from '../../../core/test/support/keys';

export const ORIGIN = 'https://api.example.com';
export const DPOP_ROUTES: RouteRule[] = [
  { method: 'GET', path: '/data', scopes: ['data.read'] },
  { method: 'GET', path: '/items/:id', scopes: ['data.read'] },
];

/** A client's proof key. */
export interface ProofKey {
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

export async function makeProofKey(alg: 'ES256' | 'RS256' | 'EdDSA' | 'PS256' = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

export const ath = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** A plain ES256 proof of `key` for `htm` `htu`, bound to `token` (its `ath`), with extra claims. */
export const dpopProof = (key: ProofKey, htm: string, htu: string, token: string, extra: Record<string, unknown> = {}): Promise<string> =>
  new SignJWT({ htm, htu, ath: ath(token), ...extra })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .setIssuedAt()
    .setJti(randomUUID())
    .sign(key.privateKey);
const now = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => base64url.encode(typeof v === 'string' ? v : JSON.stringify(v));

/** What a proof is made of; anything can be overridden, `undefined` drops a claim. */
export interface ProofSpec {
  key?: ProofKey;
  alg?: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  htm?: string;
  htu?: string;
  token?: string;
}

export class DpopKeys {
  issuer!: TestKey;
  client!: ProofKey;
  /** Another client's key (an attacker holding a proof key of their own). */
  other!: ProofKey;

  async init(): Promise<void> {
    this.issuer = await makeKey('ES256', 'issuer-1');
    this.client = await makeProofKey('ES256');
    this.other = await makeProofKey('ES256');
  }

  /** The verifier's options (DPoP allowed, not required), with `dpop` overrides. */
  verifierOptions(dpop: Partial<NonNullable<VerifierOptions['dpop']>> = {}, extra: Partial<VerifierOptions> = {}): VerifierOptions {
    return { algorithms: ['ES256'], jwks: { keys: [this.issuer.publicJwk] }, dpop: { origins: ORIGIN, ...dpop }, ...extra };
  }

  /** A token bound to the client's key (or `cnf` as given; `null`: unbound). */
  readonly token = (payload: Record<string, unknown> = {}, cnf: Record<string, unknown> | null = { jkt: this.client.jkt }): Promise<string> =>
    sign(this.issuer, { scope: 'data.read', ...(cnf === null ? {} : { cnf }), ...payload });

  /** A proof for `GET ORIGIN/data` of `token`, signed with the client's key, with overrides. */
  async proof(token: string, spec: ProofSpec = {}): Promise<string> {
    const key = spec.key ?? this.client;
    const claims: Record<string, unknown> = { jti: randomUUID(), htm: spec.htm ?? 'GET', htu: spec.htu ?? `${ORIGIN}/data`, iat: now(), ath: ath(spec.token ?? token), ...spec.claims };
    for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
    const header = { alg: spec.alg ?? 'ES256', typ: 'dpop+jwt', jwk: key.jwk, ...spec.header };
    for (const k of Object.keys(header)) if ((header as Record<string, unknown>)[k] === undefined) delete (header as Record<string, unknown>)[k];
    return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
  }
}

/** One request: the Authorization and DPoP headers (an array: several lines), and what else differs. */
export interface DpopRequestSpec {
  authorization: string | null;
  dpop: string | string[] | null;
  method?: 'GET' | 'HEAD';
  path?: string;
  /** Extra request headers (e.g. a spoofed Host). */
  headers?: Record<string, string>;
}

/** [name, the request, expected status, expected `error` (null: none), the scheme whose challenge carries it]. */
export type DpopAttack = [name: string, make: (k: DpopKeys) => Promise<DpopRequestSpec>, status: number, error: string | null, scheme: 'Bearer' | 'DPoP' | null];

const dpop = async (k: DpopKeys, spec: ProofSpec = {}, token?: string): Promise<DpopRequestSpec> => {
  const t = token ?? (await k.token());
  return { authorization: `DPoP ${t}`, dpop: await k.proof(t, spec) };
};

export const dpopAttacks: DpopAttack[] = [
  ['bound token as a Bearer token, with its proof', async (k) => {
    const t = await k.token();
    return { authorization: `Bearer ${t}`, dpop: await k.proof(t) };
  }, 401, 'invalid_token', 'Bearer'],
  ['bound token as a Bearer token, no proof', async (k) => ({ authorization: `Bearer ${await k.token()}`, dpop: null }), 401, 'invalid_token', 'Bearer'],
  ['DPoP scheme without a DPoP header', async (k) => ({ authorization: `DPoP ${await k.token()}`, dpop: null }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['two DPoP headers', async (k) => {
    const t = await k.token();
    return { authorization: `DPoP ${t}`, dpop: [await k.proof(t), await k.proof(t)] };
  }, 401, 'invalid_dpop_proof', 'DPoP'],
  ['proof with alg none', async (k) => {
    const t = await k.token();
    const claims = { jti: randomUUID(), htm: 'GET', htu: `${ORIGIN}/data`, iat: now(), ath: ath(t) };
    return { authorization: `DPoP ${t}`, dpop: `${b64({ alg: 'none', typ: 'dpop+jwt', jwk: k.client.jwk })}.${b64(claims)}.` };
  }, 401, 'invalid_dpop_proof', 'DPoP'],
  ['proof with HS256 (a MAC) keyed by an oct jwk', async (k) => {
    const t = await k.token();
    const secret = new Uint8Array(32).fill(7);
    const jwk = { kty: 'oct', k: base64url.encode(secret) };
    const proof = await new SignJWT({ jti: randomUUID(), htm: 'GET', htu: `${ORIGIN}/data`, iat: now(), ath: ath(t) })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk })
      .sign(secret);
    return { authorization: `DPoP ${t}`, dpop: proof };
  }, 401, 'invalid_dpop_proof', 'DPoP'],
  ['proof whose jwk is the private key', async (k) => {
    const t = await k.token();
    const priv = await exportJWK(k.client.privateKey);
    return { authorization: `DPoP ${t}`, dpop: await k.proof(t, { header: { jwk: priv } }) };
  }, 401, 'invalid_dpop_proof', 'DPoP'],
  ['proof typ JWT', async (k) => dpop(k, { header: { typ: 'JWT' } }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['proof signed by another key than its jwk', async (k) => {
    const t = await k.token();
    return { authorization: `DPoP ${t}`, dpop: await k.proof(t, { key: { ...k.other, jwk: k.client.jwk } }) };
  }, 401, 'invalid_dpop_proof', 'DPoP'],
  ["a valid proof by another key than the token's cnf.jkt", async (k) => dpop(k, { key: k.other }), 401, 'invalid_token', 'DPoP'],
  ['htm POST on a GET', async (k) => dpop(k, { htm: 'POST' }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['htm in lower case', async (k) => dpop(k, { htm: 'get' }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['HEAD request with a GET proof', async (k) => ({ ...(await dpop(k)), method: 'HEAD' }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['htu of another path', async (k) => dpop(k, { htu: `${ORIGIN}/items/1` }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['htu with another scheme', async (k) => dpop(k, { htu: 'http://api.example.com/data' }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['htu with another port', async (k) => dpop(k, { htu: 'https://api.example.com:8443/data' }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['htu of another host', async (k) => dpop(k, { htu: 'https://evil.example/data' }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['htu with userinfo', async (k) => dpop(k, { htu: 'https://me@api.example.com/data' }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['Host header spoofed to the proof\'s origin', async (k) => ({ ...(await dpop(k, { htu: 'https://evil.example/data' })), headers: { host: 'evil.example' } }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['X-Forwarded-Host and -Proto spoofed to the proof\'s origin', async (k) => ({ ...(await dpop(k, { htu: 'http://evil.example/data' })), headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' } }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['htu /items/a/b used for /items/a%2Fb', async (k) => ({ ...(await dpop(k, { htu: `${ORIGIN}/items/a/b` })), path: '/items/a%2Fb' }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['htu /items/a%2Fb used for /items/a/b', async (k) => ({ ...(await dpop(k, { htu: `${ORIGIN}/items/a%2Fb` })), path: '/items/a/b' }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['htu /data#/items/1 used for /items/1', async (k) => ({ ...(await dpop(k, { htu: `${ORIGIN}/data#/items/1` })), path: '/items/1' }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['iat 10 minutes old', async (k) => dpop(k, { claims: { iat: now() - 600 } }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['iat a minute in the future', async (k) => dpop(k, { claims: { iat: now() + 60 } }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['no jti', async (k) => dpop(k, { claims: { jti: undefined } }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['no ath', async (k) => dpop(k, { claims: { ath: undefined } }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['ath of another token', async (k) => dpop(k, { token: await k.token({ sub: 'someone-else' }) }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['proof that is not a JWS', async (k) => ({ authorization: `DPoP ${await k.token()}`, dpop: 'not-a-proof' }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['proof expired by its own exp', async (k) => dpop(k, { claims: { exp: now() - 30 } }), 401, 'invalid_dpop_proof', 'DPoP'],
  ['unbound token with the DPoP scheme and a valid proof', async (k) => dpop(k, {}, await k.token({}, null)), 401, 'invalid_token', 'DPoP'],
  ['token bound by a confirmation method not checked here (cnf.jwk)', async (k) => dpop(k, {}, await k.token({}, { jwk: k.client.jwk })), 401, 'invalid_token', 'DPoP'],
  ['unbound Bearer token sent with a DPoP header', async (k) => {
    const t = await k.token({}, null);
    return { authorization: `Bearer ${t}`, dpop: await k.proof(t) };
  }, 400, 'invalid_request', 'Bearer'],
  ['DPoP scheme with two tokens', async (k) => ({ authorization: `DPoP ${await k.token()} x`, dpop: null }), 400, 'invalid_request', 'DPoP'],
  ['no Authorization header', async () => ({ authorization: null, dpop: null }), 401, null, null],
  ['bound token with a valid proof but without the scope', async (k) => dpop(k, {}, await k.token({ scope: 'other' })), 403, 'insufficient_scope', 'DPoP'],
];

/** Proofs the gate must accept: the same request spelled in the ways RFC 3986 and RFC 9110 say are equal. */
export const dpopAccepted: [name: string, make: (k: DpopKeys) => Promise<DpopRequestSpec>][] = [
  ['positive control', (k) => dpop(k)],
  ['scheme in lower case (dpop)', async (k) => {
    const r = await dpop(k);
    return { ...r, authorization: r.authorization!.replace(/^DPoP/, 'dpop') };
  }],
  ['htu with a trailing ? (query ignored)', (k) => dpop(k, { htu: `${ORIGIN}/data?` })],
  ['htu with a query and a fragment', (k) => dpop(k, { htu: `${ORIGIN}/data?a=1#frag` })],
  ['htu with upper-case scheme and host and the default port', (k) => dpop(k, { htu: 'HTTPS://API.EXAMPLE.COM:443/data' })],
  ['htu percent-encoding an unreserved character', (k) => dpop(k, { htu: `${ORIGIN}/%64ata` })],
  ['request target with a query', async (k) => ({ ...(await dpop(k)), path: '/data?x=1' })],
  ['HEAD with a HEAD proof', async (k) => ({ ...(await dpop(k, { htm: 'HEAD' })), method: 'HEAD' })],
  ['an RS256 proof key', async (k) => {
    const key = await makeProofKey('RS256');
    const t = await k.token({}, { jkt: key.jkt });
    return { authorization: `DPoP ${t}`, dpop: await k.proof(t, { key, alg: 'RS256' }) };
  }],
  ['an EdDSA proof key', async (k) => {
    const key = await makeProofKey('EdDSA');
    const t = await k.token({}, { jkt: key.jkt });
    return { authorization: `DPoP ${t}`, dpop: await k.proof(t, { key, alg: 'EdDSA' }) };
  }],
  ['an unbound Bearer token (DPoP allowed, not required)', async (k) => ({ authorization: `Bearer ${await k.token({}, null)}`, dpop: null })],
];

/** Send a request spec over a socket (several DPoP values as several header lines). */
export function send(base: string, spec: DpopRequestSpec, prefix = ''): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const headers: http.OutgoingHttpHeaders = { ...spec.headers };
  if (spec.authorization !== null) headers.authorization = spec.authorization;
  if (spec.dpop !== null) headers.dpop = spec.dpop;
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${prefix}${spec.path ?? '/data'}`, { method: spec.method ?? 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject).end();
  });
}

/** The challenges of a `WWW-Authenticate` value by scheme. */
export function challenges(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  const starts = [...header.matchAll(/(?:^|, )(Bearer|DPoP)(?= |,|$)/g)];
  starts.forEach((m, i) => {
    const from = m.index! + m[0].length;
    const to = i + 1 < starts.length ? starts[i + 1]!.index! : header.length;
    out[m[1]!] = header.slice(from, to).trim();
  });
  return out;
}

