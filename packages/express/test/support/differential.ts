/**
 * Differential harness: the same rules served by two real Express 5 apps on loopback, one behind
 * `scopeGate` (gated) and one without (twin), so a request shows both what the gate did and which
 * handler Express would have run, with the params Express gave it. Requests go out byte for byte
 * through a keep-alive agent. Rules may bind params to claims; tokens carry random claims.
 *
 * The gated side may also be something in front of an ungated app (a `Front`, such as the
 * example gateway, whose harness lives with it): `checkOne` then tells the front's own answers
 * from the app's, and its stricter target firewall from the gate.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import fc from 'fast-check';
import { match } from 'path-to-regexp';
import { analyzeRoutes, checkScope, compileRoutes, RouteConfigError, type CompileOptions, type RouteRule, type RouteTable, type VerifierOptions } from '@scopegate/core';
import { scopeGate } from '@scopegate/express';
import { dynamicScopeNames } from '@scopegate/dynamic';
import { HS_SECRET } from '../../../core/test/support/keys';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const parseurl = require('parseurl') as (req: { url: string }) => { pathname: string | null } | undefined;

export const SCOPES = ['s1', 's2', 's3'] as const;
/** Scope sets of random tokens: every subset of s1..s3 and all.read. */
export const RANDOM_SCOPE_SETS: readonly string[][] = subsets([...SCOPES, 'all.read']);
/** Scope sets for Dynamic's table: each scope alone, some pairs, all of them but all.read, and none. */
export const DYNAMIC_SCOPE_SETS: readonly string[][] = [
  ...dynamicScopeNames.map((s) => [s]),
  ...dynamicScopeNames.slice(1).map((s, i) => [s, dynamicScopeNames[(i + 5) % dynamicScopeNames.length]!]).filter(([a, b]) => a !== b),
  [...dynamicScopeNames].filter((s) => s !== 'all.read'),
  [],
];

export interface Outcome {
  status: number;
  /** The app answered (not Node's parser). */
  app: boolean;
  /** Index of the rule whose handler ran. */
  rule: number | null;
  /** The gate let it through (handler ran, or Express found no route / errored after the gate). */
  passed: boolean;
  /** The params Express gave the handler that ran (`req.params`), or null. */
  params: Record<string, string | string[]> | null;
  /** The response headers (empty when the server refused the bytes). */
  headers: http.IncomingHttpHeaders;
}

/**
 * A server in front of an ungated app (e.g. a gateway): it answers some requests itself
 * (firewall, gate) and forwards the rest, the app's answer relayed.
 */
export interface Front {
  /** Did the front make this answer itself (the app did not answer it)? */
  ownAnswer(outcome: Outcome): boolean;
  /** Did the app behind the front receive the request this answer belongs to (whatever handler ran)? */
  appReceived(outcome: Outcome): boolean;
  /** Does the front's firewall refuse this request before the gate (with 400)? Stricter than the gate by design. */
  firewallRefuses(spec: RequestSpec): boolean;
}

export interface Pair {
  table: RouteTable;
  options: CompileOptions;
  gated: http.Server;
  twin: http.Server;
  close(): Promise<void>;
}

/** The gated app's verifier options (a front in the gated app's place must verify as it does). */
export const GATE_VERIFIER: VerifierOptions = { algorithms: ['HS256'], secret: HS_SECRET, clockTolerance: 60 };

/**
 * An app serving the rules, gated or not, marking which rule ran and its params. `make` builds
 * the app (Express 5 by default; the Express 4 harness passes Express 4) and `routePath` spells
 * each rule's pattern for it.
 */
export function appFor(rules: readonly RouteRule[], table: RouteTable, gate: boolean, make: () => express.Express = express, routePath: (path: string) => string = (p) => p): express.Express {
  const app = make();
  app.set('case sensitive routing', table.options.caseSensitive);
  app.set('strict routing', table.options.strict);
  app.use((_req, res, next) => {
    res.set('x-app', '1');
    next();
  });
  if (gate) app.use(scopeGate({ routes: table, verifier: GATE_VERIFIER }));
  rules.forEach((rule, index) => {
    const route = app.route(routePath(rule.path));
    for (const m of [rule.method].flat()) {
      (route as unknown as Record<string, (h: express.RequestHandler) => void>)[m.toLowerCase()]!((req, res) => {
        res.set('x-rule', String(index)).set('x-params', encodeURIComponent(JSON.stringify(req.params))).end();
      });
    }
  });
  app.use((_req, res) => void res.status(404).set('x-fallthrough', '1').end());
  app.use((err: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err.status ?? 500).set('x-router-error', '1').end();
  });
  return app;
}

export async function listen(app: http.RequestListener): Promise<http.Server> {
  const server = http.createServer(app);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

export async function startPair(rules: readonly RouteRule[], options: CompileOptions): Promise<Pair> {
  const table = compileRoutes(rules, options);
  const gated = await listen(appFor(rules, table, true));
  const twin = await listen(appFor(rules, table, false));
  return {
    table,
    options,
    gated,
    twin,
    close: async () => {
      for (const s of [gated, twin]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}

/** The keep-alive agent of `send` (so a front's tests can send through the same one). */
export const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
export const closeAgent = () => agent.destroy();

export function send(server: http.Server, method: string, target: string, headers: Record<string, string>): Promise<Outcome> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        const rule = res.headers['x-rule'];
        const params = res.headers['x-params'];
        resolve({
          status: res.statusCode!,
          app: res.headers['x-app'] === '1',
          rule: typeof rule === 'string' ? Number(rule) : null,
          passed: typeof rule === 'string' || res.headers['x-fallthrough'] === '1' || res.headers['x-router-error'] === '1',
          params: typeof params === 'string' ? (JSON.parse(decodeURIComponent(params)) as Record<string, string | string[]>) : null,
          headers: res.headers,
        });
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server refused the bytes outright (parser error, connection reset): no handler ran.
      if (err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_METHOD') resolve({ status: 0, app: false, rule: null, passed: false, params: null, headers: {} });
      else reject(err);
    });
    req.end();
  });
}

/** The pathname Express routes on (`req.path`): parseurl, as Express's router calls it. */
export function expressPathname(target: string): string | null {
  try {
    return parseurl({ url: target })?.pathname ?? null;
  } catch {
    return null;
  }
}

/**
 * Make a random rule set compile: equalise requirements of ambiguous pairs (partial overlaps, and
 * a general rule before a specific one), drop duplicates, and drop the later of two ambiguous
 * rules whose scopes are equal already (their bindings differ). A specific rule before a general
 * one containing it compiles as it is, whatever the two require: it stays, requirements apart.
 */
export function makeCompilable(rules: RouteRule[], options: CompileOptions): RouteRule[] {
  let list = rules.map((r) => ({ ...r }));
  const key = (r: RouteRule) => (r.public ? 'public' : [...(r.scopes ?? [])].sort().join(' '));
  const requirement = (r: RouteRule) => (r.public ? { public: true, scopes: undefined, bind: undefined } : { public: undefined, scopes: r.scopes });
  for (let guard = 0; guard < 500; guard++) {
    try {
      compileRoutes(list, options);
      return list;
    } catch (err) {
      if (!(err instanceof RouteConfigError) || !err.rule || !err.otherRule) throw err;
      const [a, b] = [err.rule.index, err.otherRule.index].sort((x, y) => x - y) as [number, number];
      if (err.code === 'ERR_DUPLICATE_ROUTE') list = list.filter((_, i) => i !== b);
      else if (err.code === 'ERR_AMBIGUOUS_ROUTES' && key(list[a]!) === key(list[b]!)) list = list.filter((_, i) => i !== b);
      else if (err.code === 'ERR_AMBIGUOUS_ROUTES') {
        // Merge the two requirement groups: every rule requiring what b requires now requires a's.
        const from = key(list[b]!);
        const to = requirement(list[a]!);
        list = list.map((r) => (key(r) === from ? { ...r, ...to } : r));
      } else throw err;
    }
  }
  throw new Error('could not make the table compile');
}

// ---- generators -------------------------------------------------------------------------

const WORDS = ['users', 'Users', 'items', 'a', 'b', 'me', 'v1', 'x.y', 'caf%C3%A9'];

const segmentArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...WORDS).map((w) => ({ kind: 'static' as const, w })) },
  { weight: 3, arbitrary: fc.constant({ kind: 'param' as const, w: '' }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'mixed' as const, w: '' }) },
  { weight: 1, arbitrary: fc.constantFrom('a', 'b').map((w) => ({ kind: 'optional' as const, w })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'wildcard' as const, w: '' }) },
);

const patternArb = fc.array(segmentArb, { minLength: 1, maxLength: 4 }).map((segs) => {
  let n = 0;
  let out = '';
  for (const s of segs) {
    if (s.kind === 'static') out += `/${s.w}`;
    else if (s.kind === 'param') out += `/:p${n++}`;
    else if (s.kind === 'mixed') out += `/:p${n++}.:p${n++}`;
    else if (s.kind === 'optional') out += `{/${s.w}}`;
    else {
      out += `/*w${n++}`;
      break;
    }
  }
  return out;
});

/** Claims random tokens carry and rules bind to. */
export const CLAIMS = ['c0', 'c1'] as const;
/** Does the pattern have `:name` (params here are never optional, never wildcards)? */
const hasParam = (path: string, name: string) => new RegExp(`:${name}(?![0-9])`).test(path);

const ruleArb: fc.Arbitrary<RouteRule> = fc.record({
  path: patternArb,
  method: fc.subarray(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'], { minLength: 1, maxLength: 2 }),
  scopes: fc.subarray([...SCOPES], { maxLength: 2 }),
  public: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
  // A rule's own bindings: some of its first params, each to a random claim.
  bind: fc.array(fc.tuple(fc.constantFrom('p0', 'p1', 'p2'), fc.constantFrom(...CLAIMS)), { maxLength: 2 }),
}).map((r) => {
  if (r.public) return { method: r.method, path: r.path, public: true };
  const bind = Object.fromEntries(r.bind.filter(([param]) => hasParam(r.path, param)));
  return { method: r.method, path: r.path, scopes: r.scopes, ...(Object.keys(bind).length ? { bind } : {}) };
});

/** The parts of a generated pattern: `/word`, `/:pN`, `/:pN.:pM`, `{/w}`, `/*wN`. */
const PART = /\{\/\w+\}|\/\*\w+|\/:p\d+\.:p\d+|\/:p\d+|\/[^/{]*/g;

/**
 * A pattern contained in `path` (every request it matches, `path` matches too, with the table's
 * case folding where a word is re-cased), or `path` itself when the picks change nothing: params
 * become words (`/users/:p0` → `/users/me`), a mixed segment plain text, an optional group taken
 * or left out, a wildcard a word, a param, a deeper wildcard or two words. Some of these are
 * contained only when the table folds case, or cannot be proven contained (a param left in a
 * mixed segment): `makeCompilable` then equalises the pair's requirements, as for any ambiguity.
 */
export function specialise(path: string, picks: readonly number[]): string {
  let i = 0;
  return path.replace(PART, (part) => {
    const k = picks[i++ % picks.length]!;
    if (part.startsWith('{')) return [part.slice(1, -1), '', part][k % 3]!;
    if (part.startsWith('/*')) return ['/me', `/:s${part.slice(3)}`, `/a${part}`, '/me/edit', part][k % 5]!;
    if (/^\/:p\d+\.:p\d+$/.test(part)) return ['/x.y', part.replace(/\.:p\d+$/, '.json'), '/a.b', part][k % 4]!;
    if (part.startsWith('/:')) return ['/me', `/${WORDS[k % WORDS.length]}`, part][k % 3]!;
    return k % 4 === 0 ? part.toUpperCase() : part;
  });
}

/**
 * Two rules, the specific one first (its pattern `specialise`d from the general one's), with
 * requirements of their own: the `/users/me` before `/users/:id` shape, which compiles whatever
 * the requirements when the first is contained in the second. Usually the same methods.
 */
const specificFirstArb: fc.Arbitrary<RouteRule[]> = fc
  .record({ general: ruleArb, specific: ruleArb, picks: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }), sameMethods: fc.integer({ min: 0, max: 3 }).map((n) => n > 0) })
  .map(({ general, specific, picks, sameMethods }) => {
    const path = specialise(general.path, picks);
    if (path === general.path) return [general];
    const bind = specific.bind && Object.fromEntries(Object.entries(specific.bind).filter(([param]) => hasParam(path, param)));
    const { bind: _dropped, ...rest } = specific;
    const first: RouteRule = { ...rest, path, method: sameMethods ? general.method : specific.method, ...(bind && Object.keys(bind).length ? { bind } : {}) };
    return [first, general];
  });

export const tableArb = fc.record({
  // Rules, and pairs of a specific rule before a general one that contains it.
  rules: fc
    .array(fc.oneof({ weight: 3, arbitrary: ruleArb.map((r) => [r]) }, { weight: 2, arbitrary: specificFirstArb }), { minLength: 1, maxLength: 6 })
    .map((groups) => groups.flat().slice(0, 10)),
  options: fc.record({
    caseSensitive: fc.boolean(),
    strict: fc.boolean(),
    // Half the tables bind :p0 table-wide, as dynamicTable binds :environmentId.
    bind: fc.option(fc.constantFrom(...CLAIMS).map((claim) => ({ p0: claim })), { nil: undefined }),
    // Half opt in to a read-all scope; in the others, a token's all.read must grant nothing.
    readAllScope: fc.option(fc.constant('all.read'), { nil: undefined, freq: 1 }),
  }),
});

/** One request: method, target and headers, built from a rule path and mutated. */
export interface RequestSpec {
  method: string;
  target: string;
  headers: Record<string, string>;
  /** The token's scopes, or null for no token. */
  scopes: string[] | null;
  /** The token's other claims (null for no token). */
  claims: Record<string, unknown> | null;
}

const fillArb = fc.constantFrom('1', 'me', 'users', 'a', 'x.y', 'A%2FB', '%2e%2e', 'caf%C3%A9', 'Ab', '%E0%A4', 'q%00', '..');

function encodeAt(s: string, i: number): string {
  const code = s.charCodeAt(i);
  return s.slice(0, i) + '%' + code.toString(16).toUpperCase().padStart(2, '0') + s.slice(i + 1);
}

const b64url = (text: string) => Buffer.from(text).toString('base64url');
const HS256_HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
const signed = new Map<string, string>();
/**
 * An HS256 token for `scopes` and `claims`, signed synchronously (the generators are synchronous)
 * with node:crypto, and remembered: the gate verifies it with jose like any other.
 */
export function tokenWith(scopes: readonly string[], claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ ...claims, scope: scopes.join(' '), sub: 'user-1', iat: now, exp: now + 24 * 3600 });
  let token = signed.get(body);
  if (token === undefined) {
    const input = `${HS256_HEADER}.${b64url(body)}`;
    token = `${input}.${createHmac('sha256', HS_SECRET).update(input).digest('base64url')}`;
    signed.set(body, token);
  }
  return token;
}

/**
 * A claim's value in a random token: a value a param can decode to (so bindings are met often
 * enough to matter), one in another case or still encoded, an array, or a wrong type.
 */
const claimValueArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('1', 'me', 'users', 'a', 'x.y', 'A/B', '..', 'café', 'Ab', 'q\u0000') },
  { weight: 2, arbitrary: fc.constantFrom('ab', 'AB', 'A%2FB', 'caf%C3%A9', 'Users', '') },
  { weight: 2, arbitrary: fc.array(fc.constantFrom('1', 'me', 'a', 'A/B', 'café', 'zz'), { minLength: 0, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(1, null, true, { v: 'a' }, ['a', 1], ['me', null]) },
);
/** Random claims: each claim present or not. */
export const claimsArb = (names: readonly string[]): fc.Arbitrary<Record<string, unknown>> =>
  fc.tuple(...names.map((name) => fc.option(claimValueArb.map((v) => [name, v] as const), { nil: null, freq: 4 }))).map((entries) =>
    Object.fromEntries(entries.filter((e): e is readonly [string, unknown] => e !== null)),
  );

/** Every subset of a list. */
export function subsets(list: readonly string[]): string[][] {
  return Array.from({ length: 1 << list.length }, (_, mask) => list.filter((_, i) => mask & (1 << i)));
}

/**
 * Random requests for a table's rules. `claimNames`: the claims tokens may carry; two times in
 * three they name the path's own param values, so bound routes are reached as well as refused.
 */
export function requestArb(rules: readonly RouteRule[], scopeSets: readonly string[][], claimNames: readonly string[]): fc.Arbitrary<RequestSpec> {
  return fc
    .record({
      claims: claimsArb(claimNames),
      matching: fc.integer({ min: 0, max: 2 }).map((n) => n < 2),
      rule: fc.constantFrom(...rules),
      fills: fc.array(fillArb, { minLength: 8, maxLength: 8 }),
      mutations: fc.array(fc.integer({ min: 0, max: 13 }), { maxLength: 3 }),
      at: fc.nat(),
      method: fc.oneof(fc.constant(''), fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'PURGE', 'get')),
      scopes: fc.option(fc.constantFrom(...scopeSets), { nil: null, freq: 6 }),
      override: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
      own: fc.integer({ min: 0, max: 2 }).map((n) => n === 0),
    })
    .map(({ rule, fills, mutations, at, method, scopes: drawn, override, own, claims: drawnClaims, matching }) => {
      // A third of the time the token holds exactly the rule's own scopes.
      const scopes = own ? [...(rule.scopes ?? [])] : drawn;
      let k = 0;
      const filled: Record<string, string> = {};
      let path = rule.path.replace(/[{}]/g, '').replace(/[:*]([A-Za-z_]\w*)/g, (_m, name: string) => (filled[name] = fills[k++ % fills.length]!));
      // Two times in three every claim names a value of the path, decoded as the handler sees it.
      const claims = { ...drawnClaims };
      if (matching) {
        const values = Object.values(filled).map((v) => safeDecode(v));
        claimNames.forEach((name, i) => {
          if (values.length) claims[name] = values[i % values.length];
        });
      }
      for (const m of mutations) {
        const i = path.length > 1 ? 1 + (at % (path.length - 1)) : 0;
        if (m === 0) path = path.toUpperCase();
        else if (m === 1) path = path.toLowerCase();
        else if (m === 2) path += '/';
        else if (m === 3) path = path.replace('/', '//');
        else if (m === 4) path = encodeAt(path, i);
        else if (m === 5) path = path.slice(0, i) + '/./' + path.slice(i);
        else if (m === 6) path = path.slice(0, i) + '/../' + path.slice(i);
        else if (m === 7) path += ';x=1';
        else if (m === 8) path += '?q=1&r=%2F';
        else if (m === 9) path += '#frag';
        else if (m === 10) path = `http://h.test${path}`;
        else if (m === 11) path = path.replace(/\//g, (s, j: number) => (j === i ? '%2F' : s));
        else if (m === 12) path = path.slice(0, i) + '\\' + path.slice(i);
        else if (m === 13) path = path.slice(0, i) + '%25' + path.slice(i);
      }
      const methods = [rule.method].flat();
      const headers: Record<string, string> = {};
      if (scopes) headers.authorization = `Bearer ${tokenWith(scopes, claims)}`;
      if (override) headers['x-http-method-override'] = 'DELETE';
      return { method: method || methods[at % methods.length]!, target: path.startsWith('/') || path.startsWith('http') ? path : `/${path}`, headers, scopes, claims: scopes ? claims : null };
    });
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

// ---- the properties ---------------------------------------------------------------------

export interface Tally {
  requests: number;
  handlerRan: number;
  refusedByGate: number;
  refusedByParser: number;
  /** A front's firewall refused the target (before the gate; always 0 without a front). */
  refusedByFirewall: number;
  bypasses: number;
  falseDenials: number;
  disagreements: number;
  /** A handler of a rule with bindings ran (so the binding property was exercised). */
  boundHandlerRan: number;
  /** The gate refused a request for a binding. */
  refusedForBinding: number;
  /**
   * A handler ran for a rule that comes before a later rule containing it with other
   * requirements (`/users/me` before `/users/:id`), on a request the later rule matches too: the
   * first rule won, as in Express.
   */
  specificFirstRan: number;
}

/**
 * No bypass, no false denial, no disagreement — and every outcome reached (handlers ran, the
 * gate refused, bound routes both ran and were refused for their bindings), so the properties
 * are exercised, not vacuous.
 */
export function expectSound(tally: Tally): void {
  expect(tally.bypasses + tally.falseDenials + tally.disagreements).toBe(0);
  expect(tally.handlerRan).toBeGreaterThan(tally.requests / 20);
  expect(tally.refusedByGate).toBeGreaterThan(tally.requests / 20);
  expect(tally.boundHandlerRan).toBeGreaterThan(tally.requests / 100);
  expect(tally.refusedForBinding).toBeGreaterThan(tally.requests / 100);
}

export const newTally = (): Tally => ({ requests: 0, handlerRan: 0, refusedByGate: 0, refusedByParser: 0, refusedByFirewall: 0, bypasses: 0, falseDenials: 0, disagreements: 0, boundHandlerRan: 0, refusedForBinding: 0, specificFirstRan: 0 });

type Matcher = { later: number; matches: (pathname: string) => boolean; handles: (method: string) => boolean };
const specificFirstCache = new WeakMap<readonly RouteRule[], Map<number, Matcher[]>>();
/** For each rule that comes first in a `contained` pair (as analyzeRoutes reports it), the later rules that contain it. */
function specificFirstPairs(rules: readonly RouteRule[], options: CompileOptions): Map<number, Matcher[]> {
  let pairs = specificFirstCache.get(rules);
  if (pairs) return pairs;
  pairs = new Map();
  for (const f of analyzeRoutes(rules, options).findings) {
    if (f.kind !== 'contained') continue;
    const [first, later] = f.rules as [number, number];
    const m = match(rules[later]!.path, { sensitive: options.caseSensitive ?? false, trailing: !(options.strict ?? false), end: true, decode: false });
    const methods = [rules[later]!.method].flat().map((x) => x.toUpperCase());
    const list = pairs.get(first) ?? [];
    list.push({ later, matches: (p) => m(p) !== false, handles: (x) => methods.includes(x) || (x === 'HEAD' && methods.includes('GET')) });
    pairs.set(first, list);
  }
  specificFirstCache.set(rules, pairs);
  return pairs;
}

/**
 * The scopes part: what the token may do. A read-all scope grants GET and HEAD only where the
 * table opted in (`readAllScope`); elsewhere `all.read` is a scope like any other, which no rule
 * here requires: it grants nothing.
 */
function scopesSatisfied(rule: RouteRule, method: string, scopes: string[] | null, readAllScope: string | null): boolean {
  if (rule.public) return true;
  if (scopes === null) return false;
  if ((rule.scopes ?? []).every((s) => scopes.includes(s))) return true;
  return readAllScope !== null && scopes.includes(readAllScope) && (method === 'GET' || method === 'HEAD');
}

/** The params a rule binds, modelled from the rule and the table option: its own, then the table's where the pattern has the param. */
export function boundParams(rule: RouteRule, options: CompileOptions): [string, string][] {
  if (rule.public) return [];
  const out = new Map<string, string>(Object.entries(options.bind ?? {}).filter(([param]) => hasParam(rule.path, param)));
  for (const [param, claim] of Object.entries(rule.bind ?? {})) out.set(param, claim);
  return [...out];
}

/** The bindings part, on the params Express really gave the handler: whose data. */
function bindingsSatisfied(rule: RouteRule, options: CompileOptions, params: Record<string, string | string[]> | null, claims: Record<string, unknown> | null): boolean {
  return boundParams(rule, options).every(([param, claim]) => {
    const value = params?.[param];
    const held = claims?.[claim];
    if (typeof value !== 'string') return false;
    if (typeof held === 'string') return held === value;
    return Array.isArray(held) && held.every((h) => typeof h === 'string') && held.includes(value);
  });
}

/**
 * Send one request to both apps and check the properties; returns the violations. With `front`,
 * `pair.gated` is that front (in front of an ungated app): an answer it made itself counts as the
 * app's (not the parser's) but never as passed, and a target its firewall refuses must get its
 * own 400 without reaching the app; such a refusal is tallied apart and is exempt from the
 * no-false-denial and checkScope properties. Every other property holds unchanged.
 */
export async function checkOne(pair: Pair, rules: readonly RouteRule[], spec: RequestSpec, tally: Tally, front?: Front): Promise<string[]> {
  const options = pair.options;
  const satisfied = (rule: RouteRule, method: string, params: Record<string, string | string[]> | null) =>
    scopesSatisfied(rule, method, spec.scopes, options.readAllScope ?? null) && (rule.public || bindingsSatisfied(rule, options, params, spec.claims));
  const [sent, twin] = await Promise.all([send(pair.gated, spec.method, spec.target, spec.headers), send(pair.twin, spec.method, spec.target, spec.headers)]);
  const problems: string[] = [];
  tally.requests++;
  const own = front !== undefined && sent.status !== 0 && front.ownAnswer(sent);
  const gated: Outcome = own ? { ...sent, app: true, passed: false } : sent;
  if (front !== undefined && gated.app) {
    if (own && front.appReceived(gated)) problems.push(`the front answered ${gated.status} itself to a request the app received`);
    if (front.firewallRefuses(spec)) {
      tally.refusedByFirewall++;
      // Stricter than the gate by design, but it must refuse, itself, before anything runs.
      if (gated.rule !== null || gated.passed || front.appReceived(gated)) problems.push(`the firewall refuses this target, yet the app received it (rule ${gated.rule}, status ${gated.status})`);
      if (!own || gated.status !== 400) problems.push(`the firewall refuses this target, yet the answer was ${gated.status}${own ? '' : ' from the app'}`);
      return problems;
    }
  }
  if (!gated.app) {
    tally.refusedByParser++;
    if (twin.rule !== null) problems.push(`the parser refused the gated request but the twin ran rule #${twin.rule}`);
    return problems;
  }
  if (gated.rule !== null) tally.handlerRan++;
  else if (!gated.passed) tally.refusedByGate++;
  if (gated.rule !== null && boundParams(rules[gated.rule]!, options).length) tally.boundHandlerRan++;
  if (gated.rule !== null) {
    const pathname = expressPathname(spec.target);
    const later = specificFirstPairs(rules, options).get(gated.rule) ?? [];
    if (pathname !== null && later.some((l) => l.handles(spec.method.toUpperCase()) && l.matches(pathname))) tally.specificFirstRan++;
  }

  // 1. No bypass: a handler that ran was the token's to reach — its scopes, and every param it
  //    binds, as Express handed it to the handler, equal to the token's claim.
  if (gated.rule !== null && !satisfied(rules[gated.rule]!, spec.method.toUpperCase(), gated.params)) {
    tally.bypasses++;
    problems.push(`bypass: rule #${gated.rule} ran without its scopes or bindings (params ${JSON.stringify(gated.params)})`);
  }
  if (gated.rule !== null && gated.rule !== twin.rule) problems.push(`the gated app ran rule #${gated.rule}, the twin #${twin.rule}`);
  // A front forwards the target as the twin got it: the app behind it sees the same params.
  if (front !== undefined && gated.rule !== null && gated.rule === twin.rule && JSON.stringify(gated.params) !== JSON.stringify(twin.params)) {
    problems.push(`rule #${gated.rule} ran with params ${JSON.stringify(gated.params)} behind the front, ${JSON.stringify(twin.params)} in the twin`);
  }
  // 2. No false denial: what the token may reach, it reaches.
  if (twin.rule !== null && satisfied(rules[twin.rule]!, spec.method.toUpperCase(), twin.params) && gated.rule !== twin.rule) {
    tally.falseDenials++;
    problems.push(`false denial: the token may reach rule #${twin.rule} but the gate answered ${gated.status}`);
  }
  // 3. checkScope and table.match agree with the middleware.
  const pathname = expressPathname(spec.target);
  if (pathname !== null) {
    const decision = checkScope(pair.table, { method: spec.method, path: pathname }, spec.scopes, spec.claims);
    if (decision.reason === 'binding-mismatch') tally.refusedForBinding++;
    if (decision.allowed !== gated.passed) {
      tally.disagreements++;
      problems.push(`checkScope says ${decision.reason} (${decision.allowed}), the middleware ${gated.passed ? 'passed' : `refused with ${gated.status}`}`);
    }
    if (gated.rule !== null) {
      const found = pair.table.lookup(spec.method, pathname);
      if (found.kind !== 'match' || found.rule.index !== gated.rule) {
        tally.disagreements++;
        problems.push(`table.match gives ${found.kind === 'match' ? `#${found.rule.index}` : found.kind}, the handler of #${gated.rule} ran`);
      }
    }
  }
  return problems;
}
