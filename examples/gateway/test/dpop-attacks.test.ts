/**
 * The DPoP attack table of @scopegate/express (support/dpop-attack-cases.ts) through the gateway,
 * over real sockets, in front of an upstream that records what reaches it: each attack refused
 * with the table's status and its error on the right challenge (or the canonical-path firewall's
 * 400, stricter by design), and never forwarded; each accepted spelling forwarded once, with
 * `Authorization: DPoP <token>` and the proof exactly as checked.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { compileRoutes, createVerifier } from '@scopegate/core';
import { createGatewayServer } from '../src/gateway';
import { challenges, DPOP_ROUTES, DpopKeys, dpopAccepted, dpopAttacks, send } from '../../../packages/express/test/support/dpop-attack-cases';

const keys = new DpopKeys();
const ALGS = 'algs="ES256 EdDSA PS256 RS256"';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  dpop: string | undefined;
}
const seen: Seen[] = [];
let firewalled = 0;
let upstream: http.Server;
let gateway: http.Server;
let close: () => Promise<void>;
let url: string;

beforeAll(async () => {
  await keys.init();
  upstream = http.createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, dpop: req.headers.dpop as string | undefined });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const created = createGatewayServer({
    upstreamUrl: new URL(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`),
    table: compileRoutes(DPOP_ROUTES),
    verifier: createVerifier(keys.verifierOptions()),
    logger: pino({ level: 'silent' }),
  });
  gateway = created.server;
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  close = async () => {
    gateway.closeAllConnections();
    await new Promise((resolve) => gateway.close(resolve));
    await created.gateway.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  };
});
afterAll(() => close());

describe.each(dpopAttacks)('%s', (_name, make, status, error, scheme) => {
  test(`→ ${status}${error ? ` ${error}` : ''} (or the firewall's 400), never forwarded`, async () => {
    const before = seen.length;
    const spec = await make(keys);
    const res = await send(url, spec);
    expect(seen.length).toBe(before);
    if (res.status === 400 && status !== 400) {
      // Only an encoded slash is the canonical-path firewall's to refuse before the gate.
      expect(spec.path).toMatch(/%2F/i);
      firewalled++;
      return;
    }
    expect(res.status).toBe(status);
    const by = challenges(res.headers['www-authenticate']);
    expect(Object.keys(by).sort()).toEqual(['Bearer', 'DPoP']);
    expect(by.DPoP).toContain(ALGS);
    if (error === null) expect(res.headers['www-authenticate']).not.toContain('error=');
    else {
      expect(by[scheme!]).toContain(`error="${error}"`);
      expect(by[scheme === 'DPoP' ? 'Bearer' : 'DPoP']).not.toContain('error=');
    }
    const answer = JSON.stringify(res.headers) + res.body;
    const token = spec.authorization?.split(' ')[1];
    if (token && token.length > 40) expect(answer).not.toContain(token.slice(0, 40));
  });
});

describe.each(dpopAccepted)('accepted: %s', (_name, make) => {
  test('→ 200, forwarded once with what was checked', async () => {
    const before = seen.length;
    const spec = await make(keys);
    const res = await send(url, spec);
    expect(res.status).toBe(200);
    expect(seen.length).toBe(before + 1);
    const got = seen[seen.length - 1]!;
    expect(got.url).toBe(spec.path ?? '/data');
    const [scheme, token] = spec.authorization!.split(' ');
    expect(got.authorization).toBe(`${scheme!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer'} ${token}`);
    expect(got.dpop).toBe(spec.dpop ?? undefined);
  });
});

test('a replayed proof through the gateway: forwarded once, then 401 invalid_dpop_proof', async () => {
  const token = await keys.token();
  const proof = await keys.proof(token);
  const before = seen.length;
  expect((await send(url, { authorization: `DPoP ${token}`, dpop: proof })).status).toBe(200);
  const again = await send(url, { authorization: `DPoP ${token}`, dpop: proof });
  expect(again.status).toBe(401);
  expect(challenges(again.headers['www-authenticate']).DPoP).toContain('error="invalid_dpop_proof"');
  expect(seen.length).toBe(before + 1);
});

test('the firewall answered for the encoded-slash cases only', () => {
  expect(firewalled).toBeLessThanOrEqual(1);
});
