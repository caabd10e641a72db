/**
 * The attack tables of @scopegate/express (token-attacks and binding-attacks) against the
 * gateway, in front of an ungated Express upstream with the same handlers. Each request is also
 * sent to the Express gate configured alike (the reference), over a raw socket both times, and
 * the gateway must answer as the gate does: the same status, the same RFC 6750 challenge, the
 * same body — unless its canonical-path firewall refuses the target (stricter by design), then
 * its own 400 naming the rule. Either way a refused request never reaches the upstream (nor,
 * so, a handler); a request let through reaches the handler of the same rule with the same
 * params as behind the gate, and bound params equal the token's claims.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { compileRoutes, createVerifier, type CompileOptions, type RouteRule, type VerifierOptions } from '@scopegate/core';
import { scopeGate } from '@scopegate/express';
import { createGatewayServer } from '../src/gateway';
import { checkTarget } from '../src/firewall';
import { HS_SECRET, sign } from '../../../packages/core/test/support/keys';
import { rawRequest, type RawResponse } from '../../../packages/express/test/support/raw-http';
import { authorizationHeaderLines, authorizationHeadersCases, TOKEN_ATTACK_ROUTES, TokenAttackKeys, tokenAttacks } from '../../../packages/express/test/support/token-attack-cases';
import { ACME, BINDING_ROUTE_OPTIONS, BINDING_ROUTES, BINDING_VERIFIER, bindingAttacks, bindingHandlers, BOUND_PARAMS, type HandlerRun } from '../../../packages/express/test/support/binding-attack-cases';

/** What reached an upstream: each request's id and its raw `Authorization` values. */
interface Received {
  id: string | undefined;
  authorization: string[];
}

/** An Express gate (the reference), and the gateway in front of an ungated upstream, with the same handlers. */
interface Setup {
  gate: http.Server;
  gateway: http.Server;
  upstream: http.Server;
  /** Requests the upstream received, whatever handler ran (recorded before Express routes them). */
  received: Received[];
  close(): Promise<void>;
}

async function listen(handler: http.RequestListener): Promise<http.Server> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function setup(rules: RouteRule[], options: CompileOptions, verifier: () => VerifierOptions, handlers: (app: express.Express) => void): Promise<Setup> {
  const reference = express();
  reference.use(scopeGate({ routes: rules, routeOptions: options, verifier: verifier() }));
  handlers(reference);
  const gate = await listen(reference);

  const received: Received[] = [];
  const app = express();
  app.use((req, _res, next) => {
    const authorization: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === 'authorization') authorization.push(req.rawHeaders[i + 1]!);
    received.push({ id: req.get('x-request-id'), authorization });
    next();
  });
  handlers(app);
  const upstream = await listen(app);

  const { server: gateway, gateway: listener } = createGatewayServer({
    upstreamUrl: new URL(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`),
    table: compileRoutes(rules, options),
    verifier: createVerifier(verifier()),
    logger: pino({ level: 'silent' }),
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  return {
    gate,
    gateway,
    upstream,
    received,
    close: async () => {
      await closeServer(gateway);
      await listener.close();
      await closeServer(upstream);
      await closeServer(gate);
    },
  };
}

async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** The header lines of a raw request, lower-cased names, as Node hands them to the gateway's firewall. */
function headersOf(lines: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines.split('\r\n').filter(Boolean)) {
    const i = line.indexOf(':');
    out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

/** Send the same raw request to the gate and to the gateway. */
async function both(s: Setup, method: string, target: string, headerLines: string): Promise<{ gate: RawResponse; gateway: RawResponse }> {
  const head = `${method} ${target} HTTP/1.1\r\nHost: app.test${headerLines ? `\r\n${headerLines}` : ''}`;
  const gate = await rawRequest(s.gate, head);
  const gateway = await rawRequest(s.gateway, head);
  return { gate, gateway };
}

/**
 * The gateway answered as the gate did, or refused a target its firewall refuses; returns
 * whether the firewall took it. A gateway answer always carries its request id.
 */
function expectAsGate(gate: RawResponse, gateway: RawResponse, target: string, headerLines: string): boolean {
  expect(gateway.headers['x-request-id']).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
  const verdict = checkTarget(target, headersOf(headerLines));
  if (verdict !== null) {
    // rawRequest reads bytes as latin1; the rule messages are UTF-8 (one has an en dash).
    expect({ status: gateway.status, body: JSON.parse(Buffer.from(gateway.body, 'latin1').toString('utf8')) }).toEqual({ status: 400, body: { error: verdict.message } });
    expect(gateway.headers['www-authenticate']).toBeUndefined();
    return true;
  }
  expect({ status: gateway.status, challenge: gateway.headers['www-authenticate'], body: gateway.body }).toEqual({
    status: gate.status,
    challenge: gate.headers['www-authenticate'],
    body: gate.body,
  });
  return false;
}

describe('token attacks through the gateway', () => {
  const keys = new TokenAttackKeys();
  let s: Setup;
  let handlerRuns = 0;
  beforeAll(async () => {
    await keys.init();
    s = await setup(TOKEN_ATTACK_ROUTES, {}, () => keys.verifierOptions(), (app) =>
      app.get('/data', (_req, res) => {
        handlerRuns++;
        res.json({ ok: true });
      }),
    );
  });
  afterAll(() => s.close());

  const authorization = (header: string | null) => (header === null ? '' : `Authorization: ${header}`);

  describe.each(tokenAttacks)('%s', (_name, makeHeader, status, code) => {
    test(`→ ${status}${code ? ` ${code}` : ''} as the gate answers, upstream not reached`, async () => {
      s.received.length = 0;
      const runs = handlerRuns;
      const header = await makeHeader(keys);
      const lines = authorization(header);
      const { gate, gateway } = await both(s, 'GET', '/data', lines);
      // The gate answers as the Express suite expects, and the gateway as the gate.
      expect(gate.status).toBe(status);
      expect(expectAsGate(gate, gateway, '/data', lines)).toBe(false);
      const challenge = gateway.headers['www-authenticate']!;
      expect(challenge).toMatch(/^Bearer realm="api"/);
      if (code) expect(challenge).toContain(`error="${code}"`);
      else expect(challenge).toBe('Bearer realm="api"');
      expect(Object.keys(JSON.parse(gateway.body))).toEqual(['error']);
      expect(s.received).toEqual([]);
      expect(handlerRuns).toBe(runs);
      // Nothing of the token comes back.
      if (header && header.length > 20) expect(JSON.stringify(gateway.headers) + gateway.body).not.toContain(header.slice(7, 40));
    });
  });

  test('positive control: a good token reaches the handler, forwarded as the one verified Bearer credential', async () => {
    s.received.length = 0;
    const runs = handlerRuns;
    const token = await keys.good();
    const lines = `Authorization: bearer  ${token}`;
    const { gate, gateway } = await both(s, 'GET', '/data', lines);
    expect(gate.status).toBe(200);
    expect(expectAsGate(gate, gateway, '/data', lines)).toBe(false);
    expect(JSON.parse(gateway.body)).toEqual({ ok: true });
    expect(handlerRuns).toBe(runs + 2); // once behind the gate, once behind the gateway
    expect(s.received).toEqual([{ id: gateway.headers['x-request-id'], authorization: [`Bearer ${token}`] }]);
  });

  test('token in the query string is ignored: 401 as the gate', async () => {
    s.received.length = 0;
    const { gate, gateway } = await both(s, 'GET', `/data?access_token=${await keys.good()}`, '');
    expect(gate.status).toBe(401);
    expect(expectAsGate(gate, gateway, '/data', '')).toBe(false);
    expect(s.received).toEqual([]);
  });

  test('duplicate Authorization headers → 400 invalid_request, as the gate', async () => {
    s.received.length = 0;
    const token = await keys.good();
    const lines = `Authorization: Bearer ${token}\r\nAuthorization: Bearer ${token}`;
    const { gate, gateway } = await both(s, 'GET', '/data', lines);
    expect(gate.status).toBe(400);
    expect(expectAsGate(gate, gateway, '/data', lines)).toBe(false);
    expect(gateway.headers['www-authenticate']).toContain('error="invalid_request"');
    expect(s.received).toEqual([]);
  });

  describe.each(authorizationHeadersCases)('Authorization headers: %s', (_name, names, status) => {
    test(`→ ${status} as the gate; only an allowed request reaches the upstream, with one Bearer credential`, async () => {
      s.received.length = 0;
      const token = await keys.good();
      const lines = authorizationHeaderLines(names, token);
      const { gate, gateway } = await both(s, 'GET', '/data', lines);
      expect(gate.status).toBe(status);
      expect(expectAsGate(gate, gateway, '/data', lines)).toBe(false);
      if (status === 400) {
        expect(gateway.headers['www-authenticate']).toContain('error="invalid_request"');
        expect(s.received).toEqual([]);
      } else {
        expect(s.received).toEqual([{ id: gateway.headers['x-request-id'], authorization: [`Bearer ${token}`] }]);
      }
    });
  });

  test('oversized header (> 16 KiB) is refused by Node before the gateway: 431, upstream not reached', async () => {
    s.received.length = 0;
    const runs = handlerRuns;
    const res = await rawRequest(s.gateway, `GET /data HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(17 * 1024)}`);
    expect(res.status).toBe(431);
    expect(s.received).toEqual([]);
    expect(handlerRuns).toBe(runs);
  });
});

describe('binding attacks through the gateway', () => {
  let s: Setup;
  const ran: HandlerRun[] = [];
  beforeAll(async () => {
    s = await setup(BINDING_ROUTES, BINDING_ROUTE_OPTIONS, () => BINDING_VERIFIER, (app) => bindingHandlers(app, ran));
  });
  afterAll(() => s.close());

  describe.each(bindingAttacks)('%s: %s %s', (_name, method, target, claims, status) => {
    test(`→ ${status} as the gate, or 400 from the firewall; no handler runs for a refusal`, async () => {
      const token = Object.keys(claims).length ? await sign(HS_SECRET, claims) : null;
      const lines = token ? `Authorization: Bearer ${token}` : '';
      ran.length = 0;
      const gateResponse = await rawRequest(s.gate, `${method} ${target} HTTP/1.1\r\nHost: app.test${lines ? `\r\n${lines}` : ''}`);
      expect(gateResponse.status).toBe(status);
      const behindGate = [...ran];
      ran.length = 0;
      s.received.length = 0;
      const gateway = await rawRequest(s.gateway, `${method} ${target} HTTP/1.1\r\nHost: app.test${lines ? `\r\n${lines}` : ''}`);
      const firewalled = expectAsGate(gateResponse, gateway, target, lines);
      if (firewalled || status !== 200) {
        expect(s.received).toEqual([]); // never forwarded
        expect(ran).toEqual([]); // so no handler ran
        return;
      }
      // Let through: the same handler, with the same params, as behind the gate…
      expect(s.received).toHaveLength(1);
      expect(ran).toHaveLength(1);
      expect(ran).toEqual(behindGate);
      // …and every bound param the handler saw equals the token's claim (or one of its values).
      const { params } = ran[0]!;
      for (const [param, claim] of BOUND_PARAMS) {
        if (params[param] === undefined || ran[0]!.rule === 'status') continue;
        const held = claims[claim];
        expect(Array.isArray(held) ? held : [held]).toContain(params[param]);
      }
    });
  });

  test('the firewall takes exactly the path-spelling attacks; the gate decides the rest', () => {
    const firewalled = bindingAttacks.filter(([, , target, claims]) => checkTarget(target, Object.keys(claims).length ? { authorization: 'Bearer x' } : {}) !== null).map(([name]) => name);
    expect(firewalled).toEqual([
      'tenant with an encoded slash and dot-dot',
      'dot-dot segments (Express does not resolve them)',
      'empty tenant segment',
      'double slash before the tenant',
      'matrix parameter',
      'NUL after the id',
      'the right tenant in a fragment',
      'absolute-form target for another tenant',
      'malformed encoding in the tenant',
      'an empty claim on a route with an empty segment',
      'own tenant, absolute-form',
    ]);
    // Of those, only the absolute-form one would have been let through by the gate: the firewall refuses it too.
    expect(bindingAttacks.filter(([name, , , , status]) => firewalled.includes(name) && status === 200).map(([name]) => name)).toEqual(['own tenant, absolute-form']);
  });

  test('a binding refusal: the gate\'s 403, seed body and challenge naming the binding, never the claim value', async () => {
    s.received.length = 0;
    const token = await sign(HS_SECRET, { ...ACME, tid: 'acme-private-id' });
    const res = await rawRequest(s.gateway, `GET /t/evil-target/items/1 HTTP/1.1\r\nHost: app.test\r\nAuthorization: Bearer ${token}`);
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ error: 'Access Forbidden' });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api", error="insufficient_scope", error_description="The token is not bound to this tenant (claim tid)"');
    expect(JSON.stringify(res.headers) + res.body).not.toContain('acme-private-id');
    expect(s.received).toEqual([]);
  });
});
