/**
 * Attacks on bindings over a real socket: a token of tenant "acme" tries to reach another
 * tenant's data through every spelling of the path and every shape of claim it could carry. A
 * handler that runs reports the params Express gave it; each must equal the token's claim.
 */
import http from 'node:http';
import express from 'express';
import { scopeGate, type DecisionEvent } from '@scopegate/express';
import { HS_SECRET, sign } from '../../core/test/support/keys';
import { rawRequest } from './support/raw-http';
import { BINDING_ROUTE_OPTIONS, BINDING_ROUTES, BINDING_VERIFIER, bindingAttacks, bindingHandlers, BOUND_PARAMS, type HandlerRun } from './support/binding-attack-cases';

let server: http.Server;
const ran: HandlerRun[] = [];
const events: DecisionEvent[] = [];

beforeAll(async () => {
  const app = express();
  app.use(
    scopeGate({
      routes: BINDING_ROUTES,
      routeOptions: BINDING_ROUTE_OPTIONS,
      verifier: BINDING_VERIFIER,
      onDecision: (e) => events.push(e),
    }),
  );
  bindingHandlers(app, ran);
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe.each(bindingAttacks)('%s: %s %s', (_name, method, target, claims, status) => {
  test(`→ ${status}`, async () => {
    ran.length = 0;
    events.length = 0;
    const token = Object.keys(claims).length ? await sign(HS_SECRET, claims) : null;
    const res = await rawRequest(server, `${method} ${target} HTTP/1.1\r\nHost: app.test${token ? `\r\nAuthorization: Bearer ${token}` : ''}`);
    expect(res.status).toBe(status);
    if (status !== 200) {
      expect(ran).toEqual([]); // no handler ran
      return;
    }
    // Every bound param the handler saw equals the token's claim (or one of its values).
    expect(ran).toHaveLength(1);
    const { params } = ran[0]!;
    for (const [param, claim] of BOUND_PARAMS) {
      if (params[param] === undefined || ran[0]!.rule === 'status') continue;
      const held = claims[claim];
      expect(Array.isArray(held) ? held : [held]).toContain(params[param]);
    }
  });
});

test('a binding refusal over the wire: 403, the seed body, a challenge naming the binding; the event names it, never a value', async () => {
  events.length = 0;
  const token = await sign(HS_SECRET, { tid: 'acme-private-id', scope: 'items.read', jti: 'j-77' });
  const res = await rawRequest(server, `GET /t/evil-target/items/1 HTTP/1.1\r\nHost: app.test\r\nAuthorization: Bearer ${token}`);
  expect(res.status).toBe(403);
  expect(JSON.parse(res.body.slice(res.body.indexOf('{')))).toEqual({ error: 'Access Forbidden' });
  expect(res.headers['www-authenticate']).toBe('Bearer realm="api", error="insufficient_scope", error_description="The token is not bound to this tenant (claim tid)"');
  expect(JSON.stringify(res.headers) + res.body).not.toContain('acme-private-id');
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ allowed: false, reason: 'binding-mismatch', status: 403, code: 'ERR_BINDING_MISMATCH', binding: { param: 'tenant', claim: 'tid' }, jti: 'j-77' });
  expect(JSON.stringify(events)).not.toContain('acme-private-id');
  expect(JSON.stringify(events)).not.toContain(token.split('.')[1]!);
});
