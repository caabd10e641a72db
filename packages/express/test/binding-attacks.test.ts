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

let server: http.Server;
const ran: { rule: string; params: Record<string, string> }[] = [];
const events: DecisionEvent[] = [];

beforeAll(async () => {
  const app = express();
  app.use(
    scopeGate({
      routes: [
        { method: 'GET', path: '/t/:tenant/items/:id', scopes: ['items.read'] },
        { method: 'DELETE', path: '/t/:tenant/items/:id', scopes: ['items.write'] },
        { method: 'GET', path: '/t/:tenant/files/:name.:ext', scopes: ['items.read'] },
        { method: 'GET', path: '/u/:userId/profile', scopes: [], bind: { userId: 'sub' } },
        { method: 'GET', path: '/status/:tenant', public: true },
      ],
      routeOptions: { bind: { tenant: 'tid' } },
      verifier: { algorithms: ['HS256'], secret: HS_SECRET },
      onDecision: (e) => events.push(e),
    }),
  );
  const handler = (rule: string): express.RequestHandler => (req, res) => {
    ran.push({ rule, params: { ...req.params } as Record<string, string> });
    res.json({ rule, params: req.params });
  };
  app.get('/t/:tenant/items/:id', handler('items.get'));
  app.delete('/t/:tenant/items/:id', handler('items.delete'));
  app.get('/t/:tenant/files/:name.:ext', handler('files.get'));
  app.get('/u/:userId/profile', handler('profile'));
  app.get('/status/:tenant', handler('status'));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const ACME = { tid: 'acme', scope: 'items.read items.write all.read' };

type Attack = [name: string, method: string, target: string, claims: Record<string, unknown>, status: number];

const attacks: Attack[] = [
  ['another tenant', 'GET', '/t/evil/items/1', ACME, 403],
  ['another tenant, DELETE', 'DELETE', '/t/evil/items/1', ACME, 403],
  ['another tenant, HEAD (served by GET)', 'HEAD', '/t/evil/items/1', ACME, 403],
  ['upper-cased tenant (the route folds case, the id does not)', 'GET', '/t/ACME/items/1', ACME, 403],
  ['tenant with an encoded slash and dot-dot', 'GET', '/t/acme%2F..%2Fevil/items/1', ACME, 403],
  ['dot-dot segments (Express does not resolve them)', 'GET', '/t/acme/../evil/items/1', ACME, 403],
  ['empty tenant segment', 'GET', '/t//items/1', ACME, 403],
  ['double slash before the tenant', 'GET', '//t/evil/items/1', ACME, 403],
  ['matrix parameter', 'GET', '/t/acme;x=1/items/1', ACME, 403],
  ['NUL after the id', 'GET', '/t/acme%00/items/1', ACME, 403],
  ['the right tenant in the query only', 'GET', '/t/evil/items/1?tenant=acme&tid=acme', ACME, 403],
  ['the right tenant in a fragment', 'GET', '/t/evil/items/1#/t/acme/items/1', ACME, 403],
  ['absolute-form target for another tenant', 'GET', 'http://app.test/t/evil/items/1', ACME, 403],
  ['mixed segment: another tenant', 'GET', '/t/evil/files/a.json', ACME, 403],
  ['malformed encoding in the tenant', 'GET', '/t/%E0%A4%A/items/1', ACME, 400],
  ['no tenant claim', 'GET', '/t/acme/items/1', { scope: 'items.read' }, 403],
  ['a tenant claim of another name', 'GET', '/t/acme/items/1', { tenant: 'acme', tenantId: 'acme', scope: 'items.read' }, 403],
  ['a numeric claim for a numeric id', 'GET', '/t/42/items/1', { tid: 42, scope: 'items.read' }, 403],
  ['an object claim', 'GET', '/t/acme/items/1', { tid: { toString: 'acme' }, scope: 'items.read' }, 403],
  ['an array claim with a non-string', 'GET', '/t/acme/items/1', { tid: ['acme', null], scope: 'items.read' }, 403],
  ['a claim smuggled under __proto__', 'GET', '/t/evil/items/1', { ...JSON.parse('{"__proto__": {"tid": "evil"}}'), scope: 'items.read' }, 403],
  ['a claim holding a wildcard', 'GET', '/t/evil/items/1', { tid: '*', scope: 'items.read' }, 403],
  ['a claim holding a pattern', 'GET', '/t/evil/items/1', { tid: '.*', scope: 'items.read' }, 403],
  ['an empty claim on a route with an empty segment', 'GET', '/t//items/1', { tid: '', scope: 'items.read' }, 403],
  ['someone else\'s profile', 'GET', '/u/user-2/profile', { sub: 'user-1' }, 403],
  // Allowed, for contrast: the handler must then see exactly the claimed value.
  ['own tenant', 'GET', '/t/acme/items/1', ACME, 200],
  ['own tenant, encoded', 'GET', '/t/%61%63%6D%65/items/1', ACME, 200],
  ['own tenant, trailing slash', 'GET', '/t/acme/items/1/', ACME, 200],
  ['own tenant, upper-cased static part', 'GET', '/T/acme/ITEMS/1', ACME, 200],
  ['own tenant, absolute-form', 'GET', 'http://app.test/t/acme/items/1', ACME, 200],
  ['own tenant, mixed segment', 'GET', '/t/acme/files/a.json', ACME, 200],
  ['one of several tenants', 'GET', '/t/beta/items/1', { tid: ['acme', 'beta'], scope: 'items.read' }, 200],
  ['own profile', 'GET', '/u/user-1/profile', { sub: 'user-1' }, 200],
  ['public status of any tenant, no token', 'GET', '/status/evil', {}, 200],
];

describe.each(attacks)('%s: %s %s', (_name, method, target, claims, status) => {
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
    for (const [param, claim] of [['tenant', 'tid'], ['userId', 'sub']] as const) {
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
