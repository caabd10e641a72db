/**
 * The demo issuer of `npm start`'s embedded mode: a fresh ES256 key, its public half served as a
 * JWKS on loopback (the gateway reads it through `jwksUri`, the real remote path), and `mint()`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/**
 * A sender constraint for a minted token (RFC 7800 `cnf`): `jkt`, the thumbprint of a DPoP key
 * (RFC 9449), or `x5t#S256`, that of a client certificate (RFC 8705).
 */
export type DemoConfirmation = { jkt: string } | { 'x5t#S256': string };

export interface DemoIssuer {
  /** `iss` of minted tokens. */
  readonly issuer: string;
  /** `aud` of minted tokens. */
  readonly audience: string;
  readonly jwksUrl: string;
  /**
   * Sign a token: `sub`, scopes, and optional `jti`, extra claims, lifetime (seconds, default
   * 3600) and `cnf` (a DPoP-bound or certificate-bound token).
   */
  mint(claims: { sub: string; scopes: readonly string[]; jti?: string; ttl?: number; extra?: Record<string, unknown>; cnf?: DemoConfirmation }): Promise<string>;
  close(): Promise<void>;
}

export async function startDemoIssuer(options: { host?: string; audience?: string } = {}): Promise<DemoIssuer> {
  const host = options.host ?? '127.0.0.1';
  const { privateKey, publicKey } = (await generateKeyPair('ES256')) as { privateKey: CryptoKey; publicKey: CryptoKey };
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const body = JSON.stringify({ keys: [jwk] });
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' }).end(body);
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not Found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const base = `http://${host}:${(server.address() as AddressInfo).port}`;
  const issuer = `${base}/`;
  const audience = options.audience ?? 'scopegate-demo';
  return {
    issuer,
    audience,
    jwksUrl: `${base}/.well-known/jwks.json`,
    mint: ({ sub, scopes, jti, ttl = 3600, extra = {}, cnf }) =>
      new SignJWT({ ...extra, scope: scopes.join(' '), ...(cnf !== undefined ? { cnf: confirmation(cnf) } : {}) })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(sub)
        .setJti(jti ?? randomUUID())
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
        .sign(privateKey),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A `cnf` claim with exactly one method, checked: a malformed one would mint a token no gate accepts, silently. */
function confirmation(cnf: DemoConfirmation): DemoConfirmation {
  const keys = cnf !== null && typeof cnf === 'object' ? Object.keys(cnf) : [];
  const value = keys.length === 1 ? (cnf as Record<string, unknown>)[keys[0]!] : undefined;
  if ((keys[0] !== 'jkt' && keys[0] !== 'x5t#S256') || typeof value !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
    throw new TypeError('cnf must be { jkt } or { "x5t#S256" }: one base64url SHA-256 thumbprint');
  }
  return { [keys[0]]: value } as DemoConfirmation;
}
