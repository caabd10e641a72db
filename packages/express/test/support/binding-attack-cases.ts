/**
 * The binding attacks of binding-attacks.test.ts, as data: run against the Express gate there
 * and against the example gateway (examples/gateway/test/gateway-attacks.test.ts). A token of
 * tenant "acme" tries to reach another tenant's data through every spelling of the path and
 * every shape of claim it could carry; `:tenant` is bound to `tid` table-wide.
 */
import type express from 'express';
import type { CompileOptions, RouteRule, VerifierOptions } from '@scopegate/core';
import { HS_SECRET } from '../../../core/test/support/keys';

export const BINDING_ROUTES: RouteRule[] = [
  { method: 'GET', path: '/t/:tenant/items/:id', scopes: ['items.read'] },
  { method: 'DELETE', path: '/t/:tenant/items/:id', scopes: ['items.write'] },
  { method: 'GET', path: '/t/:tenant/files/:name.:ext', scopes: ['items.read'] },
  { method: 'GET', path: '/u/:userId/profile', scopes: [], bind: { userId: 'sub' } },
  { method: 'GET', path: '/status/:tenant', public: true },
];
export const BINDING_ROUTE_OPTIONS: CompileOptions = { bind: { tenant: 'tid' } };
export const BINDING_VERIFIER: VerifierOptions = { algorithms: ['HS256'], secret: HS_SECRET };

/** A handler run: which one, and the params Express gave it. */
export interface HandlerRun {
  rule: string;
  params: Record<string, string>;
}

/** The app's handlers, one per rule: each records its run in `ran` and answers `{ rule, params }`. */
export function bindingHandlers(app: express.Express, ran: HandlerRun[]): void {
  const handler = (rule: string): express.RequestHandler => (req, res) => {
    ran.push({ rule, params: { ...req.params } as Record<string, string> });
    res.json({ rule, params: req.params });
  };
  app.get('/t/:tenant/items/:id', handler('items.get'));
  app.delete('/t/:tenant/items/:id', handler('items.delete'));
  app.get('/t/:tenant/files/:name.:ext', handler('files.get'));
  app.get('/u/:userId/profile', handler('profile'));
  app.get('/status/:tenant', handler('status'));
}

/** The bound params and their claims, as the handlers' params are checked. */
export const BOUND_PARAMS = [['tenant', 'tid'], ['userId', 'sub']] as const;

export const ACME = { tid: 'acme', scope: 'items.read items.write all.read' };

/** [name, method, request target (sent raw), the token's claims (none: no token), expected status]. */
export type BindingAttack = [name: string, method: string, target: string, claims: Record<string, unknown>, status: number];

export const bindingAttacks: BindingAttack[] = [
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
