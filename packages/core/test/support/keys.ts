/**
 * Real keys and tokens for tests, made with jose: one key pair per asymmetric algorithm, an HMAC
 * secret, a JWKS server on loopback that counts fetches and can fail or stall on demand.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';

export const ASYMMETRIC = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type AsymmetricAlg = (typeof ASYMMETRIC)[number];

export interface TestKey {
  alg: AsymmetricAlg;
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
  publicPem: string;
}

export async function makeKey(alg: AsymmetricAlg, kid = `${alg.toLowerCase()}-1`): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicKey, publicJwk, publicPem: await exportSPKI(publicKey) };
}

export const HS_SECRET = 'a-test-secret-that-is-at-least-32-bytes-long!';

/** Sign a token; `exp` one hour ahead unless the payload says otherwise (`exp: undefined` drops it). */
export async function sign(
  key: TestKey | string,
  payload: JWTPayload = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const body: JWTPayload = { iat: now, exp: now + 3600, sub: 'user-1', ...payload };
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  const jwt = new SignJWT(body);
  if (typeof key === 'string') {
    return jwt.setProtectedHeader({ alg: 'HS256', ...header }).sign(new TextEncoder().encode(key));
  }
  return jwt.setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}

export interface JwksServer {
  url: string;
  /** Number of requests served (or refused). */
  fetches: number;
  /** Keys served now. */
  keys: JWK[];
  /** 'ok', 'error' (500), or 'stall' (never answers). */
  mode: 'ok' | 'error' | 'stall';
  close(): Promise<void>;
}

let serverCount = 0;

/** A JWKS endpoint on 127.0.0.1 with a fresh path each time (so key-set caches never collide). */
export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  const path = `/jwks-${++serverCount}-${Date.now()}.json`;
  const stalled: http.ServerResponse[] = [];
  const state: JwksServer = {
    url: '',
    fetches: 0,
    keys,
    mode: 'ok',
    close: async () => {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    if (req.url !== path) return void res.writeHead(404).end();
    state.fetches++;
    if (state.mode === 'stall') return void stalled.push(res);
    if (state.mode === 'error') return void res.writeHead(500).end('down');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return state;
}
