/**
 * Certificate-bound tokens (RFC 8705) through a real Express app on an HTTPS server that asks
 * for client certificates: the token's `cnf["x5t#S256"]` must be the thumbprint of the
 * certificate the client presented in the handshake; a certificate passed in a header counts only
 * when the app says where it comes from (`clientCertificate`).
 */
import https from 'node:https';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { certificateFromHeader, certificateThumbprint, createVerifier, type VerifierOptions } from '@scopegate/core';
import { scopeGate, type ScopeGateOptions } from '@scopegate/express';
import { makeKey, sign, type TestKey } from '../../core/test/support/keys';
import { makeCert, type TestCert } from '../../core/test/support/certs';

let issuer: TestKey;
let serverCert: TestCert;
let alice: TestCert;
let mallory: TestCert;
const ROUTES = [{ method: 'GET', path: '/data', scopes: ['data.read'] }];

beforeAll(async () => {
  issuer = await makeKey('ES256', 'issuer-1');
  serverCert = makeCert('127.0.0.1');
  alice = makeCert('alice');
  mallory = makeCert('mallory');
}, 60_000);

const verifierOptions = (mtls: VerifierOptions['mtls']): VerifierOptions => ({ algorithms: ['ES256'], jwks: { keys: [issuer.publicJwk] }, ...(mtls ? { mtls } : {}) });
const token = (cnf: Record<string, unknown> | null) => sign(issuer, { scope: 'data.read', ...(cnf ? { cnf } : {}) });

interface Server {
  url: string;
  close(): Promise<void>;
  runs: number;
}

async function start(tls: boolean, gate: Partial<ScopeGateOptions>): Promise<Server> {
  const state = { runs: 0 } as Server;
  const app = express();
  app.use(scopeGate({ routes: ROUTES, verifier: createVerifier(verifierOptions({})), ...gate }));
  app.get('/data', (_req, res) => {
    state.runs++;
    res.json({ ok: true });
  });
  const server = tls ? https.createServer({ cert: serverCert.cert, key: serverCert.key, requestCert: true, rejectUnauthorized: false }, app) : http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  });
}

function get(url: string, authorization: string, client?: TestCert, headers: Record<string, string> = {}): Promise<{ status: number; challenge: string | undefined }> {
  const lib = url.startsWith('https') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(`${url}/data`, {
      headers: { authorization, ...headers },
      ...(url.startsWith('https') ? { ca: serverCert.cert, cert: client?.cert, key: client?.key, agent: false } : {}),
    }, (res) => {
      res.resume().on('end', () => resolve({ status: res.statusCode!, challenge: res.headers['www-authenticate'] as string | undefined }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject).end();
  });
}

describe('over TLS, the handshake certificate', () => {
  let server: Server;
  beforeAll(async () => {
    server = await start(true, { verifier: createVerifier(verifierOptions({})) });
  });
  afterAll(() => server.close());

  test.each([
    ['the bound certificate', 200, (): TestCert | undefined => alice],
    ['another certificate', 401, (): TestCert | undefined => mallory],
    ['no certificate', 401, (): TestCert | undefined => undefined],
  ] as const)('a token bound to alice with %s → %d', async (_n, status, client) => {
    const before = server.runs;
    const res = await get(server.url, `Bearer ${await token({ 'x5t#S256': certificateThumbprint(alice.der) })}`, client());
    expect(res.status).toBe(status);
    expect(server.runs).toBe(before + (status === 200 ? 1 : 0));
    if (status === 401) expect(res.challenge).toMatch(/^Bearer realm="api", error="invalid_token"/);
  });

  test('an unbound token passes with or without a certificate (mtls not required)', async () => {
    expect((await get(server.url, `Bearer ${await token(null)}`, alice)).status).toBe(200);
    expect((await get(server.url, `Bearer ${await token(null)}`)).status).toBe(200);
  });

  test('a thumbprint of the certificate in another encoding (hex, base64 with padding) is not the bound one', async () => {
    const { createHash } = await import('node:crypto');
    for (const x5t of [createHash('sha256').update(alice.der).digest('hex'), createHash('sha256').update(alice.der).digest('base64')]) {
      expect((await get(server.url, `Bearer ${await token({ 'x5t#S256': x5t })}`, alice)).status).toBe(401);
    }
  });
});

test('mtls required: an unbound token is refused even with a certificate', async () => {
  const server = await start(true, { verifier: createVerifier(verifierOptions({ required: true })) });
  try {
    expect((await get(server.url, `Bearer ${await token(null)}`, alice)).status).toBe(401);
    expect((await get(server.url, `Bearer ${await token({ 'x5t#S256': certificateThumbprint(alice.der) })}`, alice)).status).toBe(200);
  } finally {
    await server.close();
  }
});

test('mtls off: a certificate-bound token is refused, even with its certificate', async () => {
  const server = await start(true, { verifier: createVerifier({ algorithms: ['ES256'], jwks: { keys: [issuer.publicJwk] } }) });
  try {
    const res = await get(server.url, `Bearer ${await token({ 'x5t#S256': certificateThumbprint(alice.der) })}`, alice);
    expect(res.status).toBe(401);
    expect(server.runs).toBe(0);
  } finally {
    await server.close();
  }
});

describe('behind a TLS-terminating proxy: the certificate from a header, only as the app says', () => {
  let server: Server;
  const escaped = () => encodeURIComponent(alice.cert);
  beforeAll(async () => {
    server = await start(false, {
      verifier: createVerifier(verifierOptions({})),
      // The app trusts its proxy on loopback only (a real app compares req.socket.remoteAddress with its proxy's).
      clientCertificate: (req) => (req.socket.remoteAddress === '127.0.0.1' ? (req.headers['x-client-cert'] as string | undefined) ?? null : null),
    });
  });
  afterAll(() => server.close());

  test.each([
    ['URL-encoded PEM (nginx $ssl_client_escaped_cert)', 200, (): string => escaped()],
    ['PEM with its newlines as spaces', 200, (): string => alice.cert.replace(/\n/g, ' ')],
    ['base64 DER', 200, (): string => Buffer.from(alice.der).toString('base64')],
    ["mallory's certificate", 401, (): string => encodeURIComponent(mallory.cert)],
    ['junk', 401, (): string => 'not a certificate'],
  ] as const)('%s → %d', async (_n, status, header) => {
    const res = await get(server.url, `Bearer ${await token({ 'x5t#S256': certificateThumbprint(alice.der) })}`, undefined, { 'x-client-cert': header() });
    expect(res.status).toBe(status);
  });

  test('certificateFromHeader reads the same DER from each form', () => {
    const want = Buffer.from(alice.der).toString('hex');
    for (const form of [alice.cert, encodeURIComponent(alice.cert), Buffer.from(alice.der).toString('base64')]) {
      expect(Buffer.from(certificateFromHeader(form)!).toString('hex')).toBe(want);
    }
    for (const junk of ['', 'x', '%E0%A4%A', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', 42]) expect(certificateFromHeader(junk)).toBeNull();
  });
});

test('the default reads no header: over plain HTTP a certificate header is ignored', async () => {
  const server = await start(false, { verifier: createVerifier(verifierOptions({})) });
  try {
    const res = await get(server.url, `Bearer ${await token({ 'x5t#S256': certificateThumbprint(alice.der) })}`, undefined, { 'x-client-cert': encodeURIComponent(alice.cert) });
    expect(res.status).toBe(401);
    expect(server.runs).toBe(0);
  } finally {
    await server.close();
  }
});
