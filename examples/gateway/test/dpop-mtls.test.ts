/**
 * Sender-constrained tokens through the gateway, over real sockets: DPoP (RFC 9449) and
 * certificate-bound tokens (RFC 8705). The upstream is a raw recorder: every refused request is
 * checked to have reached it not at all, every allowed one to carry exactly what was checked
 * (`Authorization: DPoP <token>` and the `DPoP` proof as received; never the client-certificate
 * header).
 *
 * - DPoP: allowed, replayed, wrong htm / htu, the Host header spoofed (htu is compared with the
 *   configured origins only), a bound token sent as Bearer, the nonce flow, an upgrade request;
 * - two gateway instances on one real redis-server: a proof used on A is refused on B; Redis cut
 *   (TCP relay) → 503 ERR_REPLAY_UNAVAILABLE, nothing forwarded, and back once Redis is;
 * - mTLS: an HTTPS gateway (throwaway CA, server and client certificates made with openssl),
 *   the matching certificate, another one, none, one that does not chain to TLS_CLIENT_CA;
 *   CLIENT_CERT_HEADER from a trusted peer (127.0.0.2) and from an untrusted one (127.0.0.1).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { dpopProof, makeProofKey, type ProofKey } from '../../../packages/express/test/support/dpop-attack-cases';
import { certificateThumbprint, compileRoutes, createVerifier, type VerifierOptions } from '@scopegate/core';
import { loadConfig } from '../src/config';
import { startDemoIssuer, type DemoConfirmation, type DemoIssuer } from '../src/demo/issuer';
import { compileTrustProxy } from '../src/forward-headers';
import { createMetrics } from '../src/metrics';
import { DEMO, startGateway, type RunningGateway } from '../src/run';
import { startTestGateway, type TestGateway } from './support/test-gateway';
import { headerValues, RawConnection, startRawUpstream, type RawUpstream } from './support/raw-upstream';
import { startRedis, type RedisServer } from '../../../packages/redis/test/support/redis-server';
import { startRelay, type Relay } from '../../../packages/redis/test/support/tcp-relay';

jest.setTimeout(30_000);

const ORIGIN = 'https://api.example.test';
const table = compileRoutes([
  { method: 'GET', path: '/things/:id', scopes: ['things.read'] },
  { method: 'POST', path: '/things', scopes: ['things.write'] },
  { method: 'GET', path: '/ws/:room', scopes: ['things.read'] },
]);

let issuer: DemoIssuer;
let upstream: RawUpstream;
let clientKey: ProofKey;
const dir = mkdtempSync(join(tmpdir(), 'gw-dpop-mtls-'));

beforeAll(async () => {
  issuer = await startDemoIssuer();
  upstream = await startRawUpstream();
  clientKey = await makeProofKey('ES256');
});

afterAll(async () => {
  await upstream?.close();
  await issuer?.close();
  rmSync(dir, { recursive: true, force: true });
});

const verifierOptions = (extra: Partial<VerifierOptions>): VerifierOptions => ({ algorithms: ['ES256'], jwksUri: issuer.jwksUrl, issuer: issuer.issuer, audience: issuer.audience, ...extra });
const mint = (scopes: string[], cnf?: DemoConfirmation, extra: Record<string, unknown> = {}) => issuer.mint({ sub: 'client-1', scopes, extra, ...(cnf ? { cnf } : {}) });

/** A DPoP proof of the client key for `htm` `htu`, bound to `token` (its `ath`). */
const proof = (htm: string, htu: string, token: string, extra: Record<string, unknown> = {}) => dpopProof(clientKey, htm, htu, token, extra);

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request over a fresh connection (HTTPS with `tls`), from `localAddress` (default 127.0.0.1); bounded. */
function call(port: number, method: string, path: string, headers: Record<string, string>, tls?: https.RequestOptions, localAddress = '127.0.0.1'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, method, path, headers, agent: false as const, localAddress, timeout: 5000 };
    const req = (tls ? https.request({ ...options, ...tls }) : http.request(options)).on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

/** What the upstream got of the requests sent since `before`. */
const receivedSince = (before: number) => upstream.received.slice(before);

describe('DPoP through the gateway', () => {
  let gw: TestGateway;
  const metrics = () => createMetrics(createVerifier(verifierOptions({})), null);
  let m: ReturnType<typeof metrics>;
  let bound: string;

  beforeAll(async () => {
    const verifier = createVerifier(verifierOptions({ dpop: { origins: ORIGIN } }));
    m = createMetrics(verifier, null);
    gw = await startTestGateway({ upstreamUrl: new URL(upstream.url), table, verifier, metrics: m, upgrade: ['websocket'] });
    bound = await mint(['things.read'], { jkt: clientKey.jkt });
  });
  afterAll(async () => {
    await gw?.stopServer();
    await gw?.gateway.close();
  });

  test('a DPoP-bound token with its proof passes; the upstream gets Authorization: DPoP and the proof as received', async () => {
    const before = upstream.received.length;
    const p = await proof('GET', `${ORIGIN}/things/1?q=1`, bound);
    const res = await call(gw.port, 'GET', '/things/1?q=1', { authorization: `dpop   ${bound}`, dpop: p });
    expect(res.status).toBe(200);
    expect(res.headers['dpop-nonce']).toBeUndefined(); // no nonces configured
    const [got, ...more] = receivedSince(before);
    expect(more).toHaveLength(0);
    expect(headerValues(got!.rawHeaders, 'authorization')).toEqual([`DPoP ${bound}`]);
    expect(headerValues(got!.rawHeaders, 'dpop')).toEqual([p]);
  });

  test('refused, and the upstream sees nothing: a replayed proof, wrong htm, wrong htu, the gateway\'s own address as htu, a bound token as Bearer', async () => {
    const p = await proof('GET', `${ORIGIN}/things/2`, bound);
    expect((await call(gw.port, 'GET', '/things/2', { authorization: `DPoP ${bound}`, dpop: p })).status).toBe(200);
    const before = upstream.received.length;
    const cases: [string, Record<string, string>, string][] = [
      ['replayed', { authorization: `DPoP ${bound}`, dpop: p }, 'invalid_dpop_proof'],
      ['htm POST for a GET', { authorization: `DPoP ${bound}`, dpop: await proof('POST', `${ORIGIN}/things/2`, bound) }, 'invalid_dpop_proof'],
      ['htu of another path', { authorization: `DPoP ${bound}`, dpop: await proof('GET', `${ORIGIN}/things/3`, bound) }, 'invalid_dpop_proof'],
      ['htu of the gateway\'s socket address, not a configured origin', { authorization: `DPoP ${bound}`, dpop: await proof('GET', `http://127.0.0.1:${gw.port}/things/2`, bound) }, 'invalid_dpop_proof'],
      ['no proof', { authorization: `DPoP ${bound}` }, 'invalid_dpop_proof'],
      ['a bound token with the Bearer scheme', { authorization: `Bearer ${bound}` }, 'invalid_token'],
    ];
    for (const [name, headers, error] of cases) {
      const res = await call(gw.port, 'GET', '/things/2', headers);
      expect({ name, status: res.status, error: /error="([a-z_]+)"/.exec(String(res.headers['www-authenticate']))?.[1] }).toEqual({ name, status: 401, error });
      // Both schemes are offered while bearer tokens are still accepted (DPOP=allowed).
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api".*DPoP realm="api".*algs="ES256 EdDSA PS256 RS256"/);
      expect(res.body).not.toContain(bound);
    }
    expect(receivedSince(before)).toHaveLength(0);
    const text = await m.registry.metrics();
    expect(text).toMatch(/scopegate_decisions_total\{reason="invalid-proof",status="401",mode="enforce"\} [5-9]/);
    expect(text).toMatch(/scopegate_decisions_total\{reason="invalid-token",status="401",mode="enforce"\} [1-9]/);
  });

  test('a spoofed Host header changes nothing: htu is compared with DPOP_ORIGINS only', async () => {
    const before = upstream.received.length;
    const spoofed = await call(gw.port, 'GET', '/things/4', { host: 'evil.example', authorization: `DPoP ${bound}`, dpop: await proof('GET', 'http://evil.example/things/4', bound) });
    expect(spoofed.status).toBe(401);
    expect(receivedSince(before)).toHaveLength(0);
    const real = await call(gw.port, 'GET', '/things/4', { host: 'evil.example', authorization: `DPoP ${bound}`, dpop: await proof('GET', `${ORIGIN}/things/4`, bound) });
    expect(real.status).toBe(200);
    expect(receivedSince(before)).toHaveLength(1);
  });

  test('a plain bearer token still passes (DPOP=allowed), forwarded as Bearer', async () => {
    const plain = await mint(['things.read']);
    const before = upstream.received.length;
    expect((await call(gw.port, 'GET', '/things/5', { authorization: `Bearer ${plain}` })).status).toBe(200);
    expect(headerValues(receivedSince(before)[0]!.rawHeaders, 'authorization')).toEqual([`Bearer ${plain}`]);
  });

  test('an upgrade request is gated on its proof too; the upstream gets Authorization: DPoP', async () => {
    const upgrade = async (extra: string[]) => {
      const conn = await RawConnection.open(gw.port);
      try {
        conn.write(['GET /ws/r1 HTTP/1.1', 'Host: api.example.test', 'Connection: Upgrade', 'Upgrade: websocket', ...extra, '', ''].join('\r\n'));
        const data = await conn.waitFor((d, closed) => d.includes('\r\n\r\n') || closed, 5000, 'an answer head');
        return data.toString('latin1');
      } finally {
        conn.destroy();
      }
    };
    const before = upstream.received.length;
    expect(await upgrade([`Authorization: Bearer ${bound}`])).toMatch(/^HTTP\/1\.1 401 /);
    expect(await upgrade([`Authorization: DPoP ${bound}`, `DPoP: ${await proof('GET', `${ORIGIN}/ws/r2`, bound)}`])).toMatch(/^HTTP\/1\.1 401 /);
    expect(receivedSince(before)).toHaveLength(0);
    expect(await upgrade([`Authorization: DPoP ${bound}`, `DPoP: ${await proof('GET', `${ORIGIN}/ws/r1`, bound)}`])).toMatch(/^HTTP\/1\.1 101 /);
    const got = receivedSince(before);
    expect(got).toHaveLength(1);
    expect(got[0]!.upgrade).toBe(true);
    expect(headerValues(got[0]!.rawHeaders, 'authorization')).toEqual([`DPoP ${bound}`]);
  });

  test('nonces: the first proof gets 401 use_dpop_nonce with DPoP-Nonce, the next one with it passes and is told the nonce again', async () => {
    const verifier = createVerifier(verifierOptions({ dpop: { origins: ORIGIN, required: true, nonce: { secret: 'n'.repeat(32) } } }));
    const nonced = await startTestGateway({ upstreamUrl: new URL(upstream.url), table, verifier, metrics: metrics() });
    try {
      const before = upstream.received.length;
      const first = await call(nonced.port, 'GET', '/things/6', { authorization: `DPoP ${bound}`, dpop: await proof('GET', `${ORIGIN}/things/6`, bound) });
      expect(first.status).toBe(401);
      // DPOP=required: the DPoP challenge alone.
      expect(first.headers['www-authenticate']).toMatch(/^DPoP realm="api", error="use_dpop_nonce"/);
      const nonce = first.headers['dpop-nonce'] as string;
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(receivedSince(before)).toHaveLength(0);
      const second = await call(nonced.port, 'GET', '/things/6', { authorization: `DPoP ${bound}`, dpop: await proof('GET', `${ORIGIN}/things/6`, bound, { nonce }) });
      expect(second.status).toBe(200);
      expect(second.headers['dpop-nonce']).toBe(nonce);
      expect(receivedSince(before)).toHaveLength(1);
      // DPOP=required: a plain bearer token is refused.
      expect((await call(nonced.port, 'GET', '/things/6', { authorization: `Bearer ${await mint(['things.read'])}` })).status).toBe(401);
      expect(receivedSince(before)).toHaveLength(1);
    } finally {
      await nonced.stopServer();
      await nonced.gateway.close();
    }
  });
});

describe('DPoP from the settings: default origins, and replays across instances sharing Redis', () => {
  let redis: RedisServer;
  let relay: Relay;
  const open: RunningGateway[] = [];
  const env = `/environments/${DEMO.environmentId}/users`;
  let bound: string;

  const start = async (vars: Record<string, string>) => {
    const gw = await startGateway(
      loadConfig({ PORT: '0', UPSTREAM_URL: upstream.url, JWKS_URL: issuer.jwksUrl, JWT_ALGORITHMS: 'ES256', JWT_ISSUER: issuer.issuer, JWT_AUDIENCE: issuer.audience, DPOP: 'allowed', ...vars }),
      pino({ level: 'silent' }),
    );
    open.push(gw);
    return gw;
  };
  const port = (gw: RunningGateway) => Number(new URL(gw.url).port);
  const send = async (gw: RunningGateway, htu: string, p?: string) =>
    call(port(gw), 'GET', env, { authorization: `DPoP ${bound}`, dpop: p ?? (await proof('GET', htu, bound)) });

  beforeAll(async () => {
    redis = await startRedis();
    relay = await startRelay(redis.port);
    bound = await mint(['environment.users.read'], { jkt: clientKey.jkt }, { environment_id: DEMO.environmentId });
  });
  afterAll(async () => {
    await Promise.all(open.map((gw) => gw.close(100)));
    await relay?.close();
    await redis?.destroy();
  });

  test('without DPOP_ORIGINS: the gateway\'s own URL and its localhost / 127.0.0.1 forms', async () => {
    const gw = await start({});
    const p = port(gw);
    expect(gw.dpopOrigins).toEqual([`http://127.0.0.1:${p}`, `http://localhost:${p}`]);
    expect((await send(gw, `http://127.0.0.1:${p}${env}`)).status).toBe(200);
    expect((await send(gw, `http://localhost:${p}${env}`)).status).toBe(200);
    expect((await send(gw, `https://127.0.0.1:${p}${env}`)).status).toBe(401);
  });

  test('a proof used on instance A is refused on instance B (one Redis); the upstream sees it once', async () => {
    const shared = { REDIS_URL: redis.url, DPOP_ORIGINS: ORIGIN };
    const [a, b] = [await start(shared), await start(shared)];
    const p = await proof('GET', `${ORIGIN}${env}`, bound);
    const before = upstream.received.length;
    expect((await send(a, '', p)).status).toBe(200);
    const onB = await send(b, '', p);
    expect(onB.status).toBe(401);
    expect(onB.headers['www-authenticate']).toContain('error="invalid_dpop_proof"');
    expect(JSON.parse(onB.body)).toEqual({ error: 'Invalid DPoP proof: proof already used' });
    expect((await send(a, '', p)).status).toBe(401);
    expect(receivedSince(before)).toHaveLength(1);
    // A fresh proof passes on B.
    expect((await send(b, `${ORIGIN}${env}`)).status).toBe(200);
  });

  test('Redis cut: 503 ERR_REPLAY_UNAVAILABLE, never forwarded; back to 200 once Redis is reachable', async () => {
    const gw = await start({ REDIS_URL: relay.url, DPOP_ORIGINS: ORIGIN });
    expect((await send(gw, `${ORIGIN}${env}`)).status).toBe(200);
    const before = upstream.received.length;
    relay.refuse();
    relay.cut();
    const cut = await send(gw, `${ORIGIN}${env}`);
    expect([cut.status, JSON.parse(cut.body), cut.headers['retry-after']]).toEqual([503, { error: 'DPoP replay check unavailable' }, '5']);
    expect(receivedSince(before)).toHaveLength(0);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/scopegate_decisions_total\{reason="replay-unavailable",status="503",mode="enforce"\} 1/);
    relay.restore();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while ((status = (await send(gw, `${ORIGIN}${env}`)).status) !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(status).toBe(200);
  });
});

describe('certificate-bound tokens (mTLS)', () => {
  /** PEM files made with openssl: a CA, the server (127.0.0.1), clients A and C of the CA, and B self-signed. */
  const pem: Record<string, string> = {};
  const path = (name: string) => join(dir, `${name}.pem`);
  const thumbprint = (name: string) => certificateThumbprint(new X509Certificate(pem[`${name}.crt`]!).raw);
  const client = (name: string): https.RequestOptions => ({ ca: pem['ca.crt'], cert: pem[`${name}.crt`], key: pem[`${name}.key`] });

  beforeAll(() => {
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 10_000 });
    const key = (name: string) => ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path(`${name}.key`));
    key('ca');
    ssl('req', '-x509', '-new', '-key', path('ca.key'), '-subj', '/CN=test-ca', '-days', '1', '-out', path('ca.crt'));
    const signed = (name: string, cn: string, ext?: string) => {
      key(name);
      ssl('req', '-new', '-key', path(`${name}.key`), '-subj', `/CN=${cn}`, '-out', path(`${name}.csr`));
      const extFile = join(dir, `${name}.ext`);
      writeFileSync(extFile, ext ?? 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
      ssl('x509', '-req', '-in', path(`${name}.csr`), '-CA', path('ca.crt'), '-CAkey', path('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', extFile, '-out', path(`${name}.crt`));
    };
    signed('server', '127.0.0.1', 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n');
    signed('a', 'client-a');
    signed('c', 'client-c');
    key('b');
    ssl('req', '-x509', '-new', '-key', path('b.key'), '-subj', '/CN=client-b', '-days', '1', '-out', path('b.crt'));
    for (const name of ['ca', 'server', 'a', 'b', 'c']) {
      pem[`${name}.crt`] = readFileSync(path(`${name}.crt`), 'utf8');
      pem[`${name}.key`] = readFileSync(path(`${name}.key`), 'utf8');
    }
  });

  test('HTTPS gateway: the matching client certificate passes; another one, or none, is refused and never forwarded', async () => {
    const verifier = createVerifier(verifierOptions({ mtls: {} }));
    const gw = await startTestGateway({ upstreamUrl: new URL(upstream.url), table, verifier }, { cert: pem['server.crt']!, key: pem['server.key']!, requestCert: true });
    try {
      const token = await mint(['things.read'], { 'x5t#S256': thumbprint('a') });
      const auth = { authorization: `Bearer ${token}` };
      const before = upstream.received.length;
      expect((await call(gw.port, 'GET', '/things/1', auth, client('c'))).status).toBe(401);
      expect((await call(gw.port, 'GET', '/things/1', auth, { ca: pem['ca.crt'] })).status).toBe(401);
      expect(receivedSince(before)).toHaveLength(0);
      // Self-signed B is fine here (no client CA): a token bound to B passes with B.
      expect((await call(gw.port, 'GET', '/things/1', { authorization: `Bearer ${await mint(['things.read'], { 'x5t#S256': thumbprint('b') })}` }, client('b'))).status).toBe(200);
      const ok = await call(gw.port, 'GET', '/things/1', auth, client('a'));
      expect(ok.status).toBe(200);
      const got = receivedSince(before);
      expect(got).toHaveLength(2);
      expect(headerValues(got[1]!.rawHeaders, 'authorization')).toEqual([`Bearer ${token}`]);
      expect(headerValues(got[1]!.rawHeaders, 'x-forwarded-proto')).toEqual(['https']);
      // A token without cnf still passes (mtls allowed), with or without a certificate.
      expect((await call(gw.port, 'GET', '/things/1', { authorization: `Bearer ${await mint(['things.read'])}` }, { ca: pem['ca.crt'] })).status).toBe(200);
    } finally {
      await gw.stopServer();
      await gw.gateway.close();
    }
  });

  test('from the settings: TLS_CERT / TLS_KEY / TLS_CLIENT_CA, MTLS=required; a certificate outside the CA counts as none; health, readiness and metrics over HTTPS', async () => {
    const gw = await startGateway(
      loadConfig({
        PORT: '0',
        UPSTREAM_URL: upstream.url,
        JWKS_URL: issuer.jwksUrl,
        JWT_ALGORITHMS: 'ES256',
        JWT_ISSUER: issuer.issuer,
        JWT_AUDIENCE: issuer.audience,
        ROUTES_FILE: (() => {
          const file = join(dir, 'routes.json');
          writeFileSync(file, JSON.stringify([{ method: 'GET', path: '/things/:id', scopes: ['things.read'] }]));
          return file;
        })(),
        MTLS: 'required',
        TLS_CERT: path('server.crt'),
        TLS_KEY: path('server.key'),
        TLS_CLIENT_CA: path('ca.crt'),
      }),
      pino({ level: 'silent' }),
    );
    try {
      expect(gw.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const port = Number(new URL(gw.url).port);
      const before = upstream.received.length;
      const toB = `Bearer ${await mint(['things.read'], { 'x5t#S256': thumbprint('b') })}`;
      expect((await call(port, 'GET', '/things/1', { authorization: toB }, client('b'))).status).toBe(401); // B does not chain to the CA
      expect((await call(port, 'GET', '/things/1', { authorization: `Bearer ${await mint(['things.read'])}` }, client('a'))).status).toBe(401); // required: bound tokens only
      expect(receivedSince(before)).toHaveLength(0);
      expect((await call(port, 'GET', '/things/1', { authorization: `Bearer ${await mint(['things.read'], { 'x5t#S256': thumbprint('a') })}` }, client('a'))).status).toBe(200);
      for (const p of ['/healthz', '/readyz', '/metrics']) expect({ p, status: (await call(port, 'GET', p, {}, { ca: pem['ca.crt'] })).status }).toEqual({ p, status: 200 });
    } finally {
      await gw.close(100);
    }
  });

  test('CLIENT_CERT_HEADER: read from a trusted peer (127.0.0.2) only, never forwarded', async () => {
    const verifier = createVerifier(verifierOptions({ mtls: {} }));
    const gw = await startTestGateway({ upstreamUrl: new URL(upstream.url), table, verifier, trustProxy: compileTrustProxy(['127.0.0.2']), clientCertificate: { header: 'x-client-cert' } });
    try {
      const token = await mint(['things.read'], { 'x5t#S256': thumbprint('a') });
      const headers = { authorization: `Bearer ${token}`, 'x-client-cert': encodeURIComponent(pem['a.crt']!) };
      const before = upstream.received.length;
      expect((await call(gw.port, 'GET', '/things/1', headers, undefined, '127.0.0.1')).status).toBe(401); // untrusted peer: no certificate
      expect((await call(gw.port, 'GET', '/things/1', { ...headers, 'x-client-cert': encodeURIComponent(pem['c.crt']!) }, undefined, '127.0.0.2')).status).toBe(401);
      expect(receivedSince(before)).toHaveLength(0);
      expect((await call(gw.port, 'GET', '/things/1', headers, undefined, '127.0.0.2')).status).toBe(200);
      // An untrusted peer's header on an allowed request (a token without cnf): not forwarded either.
      expect((await call(gw.port, 'GET', '/things/1', { authorization: `Bearer ${await mint(['things.read'])}`, 'x-client-cert': 'anything' }, undefined, '127.0.0.1')).status).toBe(200);
      const got = receivedSince(before);
      expect(got).toHaveLength(2);
      for (const g of got) expect(headerValues(g.rawHeaders, 'x-client-cert')).toEqual([]);
    } finally {
      await gw.stopServer();
      await gw.gateway.close();
    }
  });
});
