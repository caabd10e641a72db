/**
 * App coverage audit: compare what an Express app (5 or 4) serves with what a route table covers.
 *
 * It walks the app's router stack (routes, and routers mounted with a path prefix) and matches
 * with the app's own layers, as its router does: Express 5's layer matchers (path-to-regexp 8),
 * Express 4's layer regexps (path-to-regexp 0.1; a mount path is read back from its regexp when
 * it is static text and `:params`, else skipped). It builds one sample path per route (params
 * filled, optional parts taken) and asks the table about it, and the other way round for each
 * rule. It also replays the table's sample paths through the app's routes in registration order:
 * where the first route Express would run is not the route of the rule the gate checks (an app
 * registering `/users/:id` before `/users/me` when the table says `/users/me` first), the
 * request is checked against one rule's scopes and handled by another's route — an `order` error
 * (a route that only calls `next()` counts as the one that runs: the audit cannot tell).
 * Limits: routes added after the audit, Express sub-apps mounted with `app.use(path, subApp)`
 * (their stack is behind a closure: reported as skipped), and RegExp paths (skipped) are not
 * checked; a sample path proves coverage of that sample, so an app route that rules cover only
 * in part (`/users/:id` when the table has only `/users/me`) shows as uncovered. Each covered route is listed
 * with the rule that answers it and the path params that rule binds to token claims, mapped back
 * to the app's own param names.
 */
import { METHODS } from 'node:http';
import { compile, match, parse, type Token } from 'path-to-regexp';
import { bindingsText, compileRoutes, requirementText, type CompiledRule, type RouteRule, type RouteTable } from '@scopegate/core';

/** A route the app serves: its full pattern (mount prefixes joined, in the app's own syntax) and methods (`*` = all). */
export interface AppRoute {
  readonly path: string;
  readonly methods: readonly string[];
}

/** A path param the covering rule binds to a token claim, seen from the app's route. */
export interface AuditBinding {
  /** The rule's `:param`. */
  readonly param: string;
  /** The claim the param must equal. */
  readonly claim: string;
  /**
   * The app's param in that place (its name may differ from the rule's), or `null` when the app
   * has fixed text there (then only tokens whose claim is that text pass).
   */
  readonly appParam: string | null;
}

/** An app route and method a rule covers. */
export interface CoveredRoute {
  readonly path: string;
  readonly method: string;
  /** The rule the gate applies to it. */
  readonly rule: CompiledRule;
  /** What the rule binds (`[]` for none), in the rule's pattern order. */
  readonly bindings: readonly AuditBinding[];
}

/**
 * A request the gate checks against one rule while Express runs the handler of a route that
 * belongs to another rule (or to none): the app registers its routes in another order than the
 * table's (first rule wins, first registered route runs). A real bypass when the rules differ.
 */
export interface OrderProblem {
  readonly method: string;
  /** A request path that shows it (a sample of the rule's or a route's pattern). */
  readonly path: string;
  /** The rule the gate checks the request against (the table's first matching rule). */
  readonly rule: CompiledRule;
  /** The route Express runs: the first registered route that matches the request. */
  readonly runs: AppRoute;
  /** The rule covering `runs` (its own sample path), or `null`: no rule covers it, or it could not be sampled. */
  readonly runsRule: CompiledRule | null;
  /** The app's routes of `rule` that match the request too, registered after `runs` (never reached by it); `[]` if the app has none. */
  readonly shadowed: readonly AppRoute[];
}

/** An app route and method no rule covers. */
export interface UncoveredRoute {
  readonly path: string;
  readonly method: string;
  /** `unmatched: 'next'`: the gate lets these requests through unchecked. */
  readonly exposed: boolean;
  /**
   * The request path found uncovered, when it is not the route's main sample: Express 4's `*`
   * also matches an empty rest (`/files/*` serves `/files/`), which a rule's `*name` never does.
   */
  readonly sample?: string;
}

export interface AppAudit {
  /** Every route found, in registration order. */
  readonly routes: readonly AppRoute[];
  /** Every route and method a rule covers, in registration order, with the rule's claim bindings. */
  readonly covered: readonly CoveredRoute[];
  /** App routes no rule covers: denied by the gate, or exposed unchecked with `unmatched: 'next'`. */
  readonly uncovered: readonly UncoveredRoute[];
  /** Rules that match no route of the app (stale entries). */
  readonly stale: readonly CompiledRule[];
  /** Paths where the app and the table cover different methods. */
  readonly methodMismatch: readonly { readonly path: string; readonly appMethods: readonly string[]; readonly tableMethods: readonly string[] }[];
  /** Requests the gate checks against one rule and Express hands to another rule's route (registration order differs from the table's). */
  readonly order: readonly OrderProblem[];
  /** What could not be walked (RegExp paths, mounted sub-apps, Express 4 mount paths or patterns that cannot be read back). */
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
  /** Routing settings that differ between the app (or a mounted router) and the table. */
  readonly settings: readonly string[];
  /** Nothing uncovered, stale, mismatched, out of order or misconfigured, and nothing skipped (unread routes may shadow a rule). */
  readonly ok: boolean;
  /** A printable report. */
  toString(): string;
}

const CHECKED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** An Express 5 match function (router 2.x `layer.matchers`): the match, or false. */
type MatchFn = (path: string) => { path: string } | false;
/** Express 4's layer regexp, with its fast-path flags. */
type Express4RegExp = RegExp & { fast_slash?: boolean; fast_star?: boolean };

interface LayerLike {
  route?: { path?: unknown; methods?: Record<string, boolean> };
  handle?: { stack?: unknown; name?: string; caseSensitive?: unknown; strict?: unknown } & ((...args: never[]) => unknown);
  /** Express 5 (router 2.x): the path(s) as given, their matchers, and `slash` for a mount on `/`. */
  rawPath?: unknown;
  matchers?: unknown;
  slash?: unknown;
  /** Express 4: the compiled path and its keys. */
  regexp?: unknown;
  keys?: unknown;
  name?: string;
}

interface RouterLike {
  stack: LayerLike[];
  caseSensitive?: unknown;
  strict?: unknown;
}

/**
 * An Express application (5 or 4) or a Router. Typed loosely on purpose: Express 4's type
 * declarations give `app.router` another type, and the audit reads Express's internals itself.
 */
export type AuditTarget = { router?: unknown; _router?: unknown; get?: (setting: string) => unknown } | RouterLike;

/** A piece of an entry's path: a mount prefix or the route's own path, in its router's syntax. */
interface Piece {
  readonly pattern: string;
  readonly express4: boolean;
}

/** A mount on the way to a route: matches a prefix of the path (the matched text) or not (null). */
interface Mount {
  readonly match: (path: string) => string | null;
  /** Express 4 also lets a mount end before a `.`. */
  readonly dot: boolean;
}

/** A route path of the app, with the app's own matcher and a sample. */
interface Entry {
  readonly route: AppRoute;
  /** Does the route, through its mounts, match this full path? */
  readonly test: (path: string) => boolean;
  /** A path the route matches (checked with `test`), or null; `names`: the sample value of each app param. */
  sample: string | null;
  names: Record<string, string>;
  /** More paths the route matches where the table may differ (Express 4's `*` with an empty rest). */
  edges: string[];
  readonly pieces: readonly Piece[];
}

interface Walk {
  readonly entries: Entry[];
  readonly skipped: { path: string; reason: string }[];
  readonly settings: string[];
  readonly table: RouteTable;
}

/**
 * Audit an app against a table.
 *
 * @example
 * const report = auditApp(app, dynamicTable);
 * if (!report.ok) console.warn(report.toString());
 */
export function auditApp(app: AuditTarget, routes: RouteTable | readonly RouteRule[], options: { unmatched?: 'deny' | 'next' } = {}): AppAudit {
  const table = Array.isArray(routes) ? compileRoutes(routes as RouteRule[]) : (routes as RouteTable);
  const router = findRouter(app);

  const appGet = (app as { get?: (s: string) => unknown }).get;
  const appSetting = (name: string): boolean | undefined => (typeof appGet === 'function' && !isRouter(app) ? Boolean(appGet.call(app, name)) : undefined);
  // The router's own flags are what its routes were built with (Express reads the app settings
  // once, when it creates the router); an app without a router yet: its settings.
  const caseSensitive = flag(router?.caseSensitive) ?? appSetting('case sensitive routing') ?? false;
  const strict = flag(router?.strict) ?? appSetting('strict routing') ?? false;
  const settings: string[] = [];
  if (caseSensitive !== table.options.caseSensitive) settings.push(`app "case sensitive routing" is ${caseSensitive}, table caseSensitive is ${table.options.caseSensitive}`);
  if (strict !== table.options.strict) settings.push(`app "strict routing" is ${strict}, table strict is ${table.options.strict}`);

  const state: Walk = { entries: [], skipped: [], settings, table };
  if (router) walk(router, { caseSensitive, strict }, [], [], state);
  const { entries, skipped } = state;
  const found = entries.map((e) => e.route);

  const appServes = (method: string, sample: string) => entries.some((e) => handles(e.route, method) && e.test(sample));

  const uncovered: UncoveredRoute[] = [];
  const covered: CoveredRoute[] = [];
  const methodMismatch: { path: string; appMethods: string[]; tableMethods: string[] }[] = [];
  const compared = new Set<string>();
  for (const entry of entries) {
    const route = entry.route;
    const sample = entry.sample;
    if (sample === null) {
      skipped.push({
        path: route.path,
        reason: entry.pieces.some((p) => p.express4) ? 'Express 4 pattern with no sample path its own regexp accepts (inline regexp or unnamed group)' : 'pattern path-to-regexp cannot parse',
      });
      continue;
    }
    for (const method of declaredMethods(route)) {
      const found = table.lookup(method, sample);
      if (found.kind === 'no-route') uncovered.push({ path: route.path, method, exposed: options.unmatched === 'next' });
      else if (found.kind === 'match') {
        const bindings = found.rule.bindings.map((b) => Object.freeze({ param: b.param, claim: b.claim, appParam: sampleParamName(entry.names, found.params[b.param]) }));
        covered.push({ path: route.path, method, rule: found.rule, bindings });
      }
    }
    for (const edge of entry.edges) {
      for (const method of declaredMethods(route)) {
        if (table.lookup(method, edge).kind === 'no-route') uncovered.push({ path: route.path, method, exposed: options.unmatched === 'next', sample: edge });
      }
    }
    // Method coverage of this path, all routes and rules that match it taken together.
    if (compared.has(sample)) continue;
    compared.add(sample);
    // HEAD follows GET on both sides, so it is left out of the comparison.
    const appMethods = CHECKED_METHODS.filter((m) => m !== 'HEAD' && appServes(m, sample));
    const tableMethods = CHECKED_METHODS.filter((m) => m !== 'HEAD' && table.lookup(m, sample).kind !== 'no-route');
    if (tableMethods.length && appMethods.join() !== tableMethods.join()) methodMismatch.push({ path: route.path, appMethods, tableMethods });
  }

  const stale = table.rules.filter((rule) => {
    const samples = ruleSamples(rule.path);
    return !samples.some((sample) => rule.methods.some((m) => appServes(m, sample)));
  });

  const order = orderProblems(table, entries);

  // A skipped route was not checked at all, and may shadow a rule (a RegExp route registered
  // first): the audit cannot say ok while any is left unread.
  const ok = !uncovered.length && !stale.length && !methodMismatch.length && !order.length && !settings.length && !skipped.length;
  const audit: AppAudit = {
    routes: found,
    covered,
    uncovered,
    stale,
    methodMismatch,
    order,
    skipped,
    settings,
    ok,
    toString: () => formatAudit(audit),
  };
  return audit;
}

function isRouter(target: unknown): target is RouterLike {
  return (typeof target === 'function' || (typeof target === 'object' && target !== null)) && 'stack' in target && Array.isArray((target as RouterLike).stack);
}

const flag = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined);

/**
 * The router of an app or Router: Express 5's `app.router`, Express 4's `app._router` (its
 * `app.router` getter only throws "'app.router' is deprecated"), or the Router itself. `null`
 * for an Express 4 app with no route or middleware yet (it creates its router on first use).
 */
function findRouter(app: AuditTarget): RouterLike | null {
  const usage = 'auditApp expects an Express 5 or Express 4 application, or a Router';
  if (app === null || (typeof app !== 'object' && typeof app !== 'function')) throw new TypeError(usage);
  if (isRouter(app)) return app;
  const target = app as { _router?: unknown; lazyrouter?: unknown; router?: unknown };
  // Express 4: the router is `_router`, created by `lazyrouter()` on first use.
  if (typeof target.lazyrouter === 'function' || target._router !== undefined) {
    if (target._router === undefined || target._router === null) return null;
    if (isRouter(target._router)) return target._router;
    throw new TypeError(`${usage}: this app's _router has no layer stack to read`);
  }
  let router: unknown;
  try {
    router = target.router;
  } catch (err) {
    throw new TypeError(`${usage}: reading app.router threw (${String((err as Error)?.message ?? err).split('\n')[0]})`);
  }
  if (!isRouter(router)) throw new TypeError(usage);
  return router;
}

function handles(route: AppRoute, method: string): boolean {
  return route.methods.includes('*') || route.methods.includes(method) || (method === 'HEAD' && route.methods.includes('GET'));
}

/** The methods a route declares, for coverage: `*` as the checked methods, HEAD only where the route has no GET. */
function declaredMethods(route: AppRoute): string[] {
  return route.methods.includes('*') ? CHECKED_METHODS.filter((m) => m !== 'HEAD') : route.methods.filter((m) => !(m === 'HEAD' && route.methods.includes('GET')));
}

function joinPath(prefix: string, path: string): string {
  if (!prefix || prefix === '/') return path;
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === '/' ? base : base + path;
}

/** Express 4 keeps no path on its layers, only the regexp (and `route.path` for routes). */
const isExpress4Layer = (layer: LayerLike): boolean => layer.regexp instanceof RegExp && !Array.isArray(layer.matchers);

/** Does `path` pass the mounts and then `route` (on what is left, as the routers trim it)? */
function throughMounts(mounts: readonly Mount[], route: (path: string) => boolean, path: string): boolean {
  let rest = path;
  for (const mount of mounts) {
    const matched = mount.match(rest);
    if (matched === null) return false;
    if (matched.length === 0) continue;
    if (rest.slice(0, matched.length) !== matched) return false;
    const c = rest[matched.length];
    if (c !== undefined && c !== '/' && !(mount.dot && c === '.')) return false;
    rest = rest.slice(matched.length);
    if (rest[0] !== '/') rest = '/' + rest;
  }
  return route(rest);
}

/** A matcher that never throws (a param Express cannot decode is an error there, never a match here). */
function safe<T>(fn: (path: string) => T): (path: string) => T | false {
  return (path) => {
    try {
      return fn(path);
    } catch {
      return false;
    }
  };
}

function walk(router: RouterLike, flags: { caseSensitive: boolean; strict: boolean }, pieces: readonly Piece[], mounts: readonly Mount[], state: Walk): void {
  const prefix = pieces.map((p) => p.pattern).reduce(joinPath, '');
  for (const layer of router.stack) {
    const v4 = isExpress4Layer(layer);
    if (layer.route) {
      const raw = v4 ? layer.route.path : (layer.rawPath ?? layer.route.path);
      const paths = (Array.isArray(raw) ? raw.flat(Infinity) : [raw]) as unknown[];
      const declared = Object.keys(layer.route.methods ?? {});
      // app.all() registers every method (or `_all` in Express 4): report it as `*`.
      const all = declared.includes('_all') || METHODS.every((m) => declared.includes(m.toLowerCase()));
      const methods = all ? ['*'] : declared.map((m) => m.toUpperCase());
      paths.forEach((p, i) => {
        if (typeof p !== 'string') {
          state.skipped.push({ path: `${prefix}${String(p)}`, reason: 'RegExp route path' });
          return;
        }
        const own = v4 ? express4Matcher(layer.regexp as Express4RegExp) : express5Matcher(layer, i, p, { end: true, ...flags });
        const routePieces = [...pieces, { pattern: p, express4: v4 }];
        const entry: Entry = {
          route: { path: joinPath(prefix, p), methods },
          test: (path) => throughMounts(mounts, own, path),
          sample: null,
          names: {},
          edges: [],
          pieces: routePieces,
        };
        const sampled = sampleEntry(routePieces, entry.test);
        if (sampled) ({ sample: entry.sample, names: entry.names, edges: entry.edges } = sampled);
        state.entries.push(entry);
      });
    } else if (layer.handle && Array.isArray(layer.handle.stack)) {
      const sub = layer.handle as unknown as RouterLike;
      const subFlags = { caseSensitive: flag(sub.caseSensitive) ?? false, strict: flag(sub.strict) ?? false };
      const mountedPaths: { pattern: string; mount: Mount }[] = [];
      if (v4) {
        const pattern = express4MountPath(layer);
        if (pattern === null) {
          state.skipped.push({ path: `${prefix}${String(layer.regexp)}`, reason: 'router mounted on an Express 4 path auditApp cannot read back from its regexp (only static text and :params can be)' });
          continue;
        }
        const re = layer.regexp as Express4RegExp;
        const m = safe((path: string) => (re.fast_slash ? '' : (re.exec(path)?.[0] ?? null)));
        mountedPaths.push({ pattern, mount: { match: (path) => { const r = m(path); return typeof r === 'string' ? r : null; }, dot: true } });
      } else {
        const raw = layer.rawPath;
        const paths = (Array.isArray(raw) ? raw.flat(Infinity) : [raw]) as unknown[];
        paths.forEach((p, i) => {
          if (typeof p !== 'string') {
            state.skipped.push({ path: `${prefix}${String(p)}`, reason: 'router mounted on a RegExp path' });
            return;
          }
          const fn = layer.slash === true ? () => ({ path: '' }) : express5Matcher(layer, i, p, { end: false, caseSensitive: flags.caseSensitive, strict: false }, true);
          mountedPaths.push({ pattern: p, mount: { match: (path) => (fn(path) || null)?.path ?? null, dot: false } });
        });
      }
      for (const { pattern, mount } of mountedPaths) {
        const at = joinPath(prefix, pattern) || '/';
        if (subFlags.caseSensitive !== state.table.options.caseSensitive) state.settings.push(`router mounted at ${at}: caseSensitive is ${subFlags.caseSensitive}, table caseSensitive is ${state.table.options.caseSensitive}`);
        if (subFlags.strict !== state.table.options.strict) state.settings.push(`router mounted at ${at}: strict is ${subFlags.strict}, table strict is ${state.table.options.strict}`);
        walk(sub, subFlags, [...pieces, { pattern, express4: v4 }], [...mounts, mount], state);
      }
    } else if (layer.handle?.name === 'mounted_app') {
      const p = v4 ? express4MountPath(layer) : layer.rawPath;
      state.skipped.push({ path: typeof p === 'string' ? joinPath(prefix, p) : String(p ?? layer.regexp), reason: 'mounted Express sub-app (not walked: audit it on its own)' });
    }
  }
}

/** Express 4's own route test: its layer regexp (and the `*` fast path). */
function express4Matcher(re: Express4RegExp): (path: string) => boolean {
  return (path) => re.fast_star === true || re.fast_slash === true || re.exec(path) !== null;
}

/**
 * Express 5's own matcher of path `i` of a layer (router 2.x `layer.matchers`), or, for a
 * layer without one, path-to-regexp 8's `match` with the router's options.
 */
function express5Matcher(layer: LayerLike, i: number, path: string, opts: { end: boolean; caseSensitive: boolean; strict: boolean }): (p: string) => boolean;
function express5Matcher(layer: LayerLike, i: number, path: string, opts: { end: boolean; caseSensitive: boolean; strict: boolean }, withPath: true): (p: string) => { path: string } | false;
function express5Matcher(layer: LayerLike, i: number, path: string, opts: { end: boolean; caseSensitive: boolean; strict: boolean }, withPath = false): (p: string) => boolean | { path: string } | false {
  let fn: MatchFn | null = null;
  const own = Array.isArray(layer.matchers) ? (layer.matchers[i] as unknown) : undefined;
  if (typeof own === 'function') fn = own as MatchFn;
  else {
    try {
      // Router 2.x "loosens" non-strict paths: trailing slashes are dropped before compiling.
      const loose = opts.strict || path === '/' ? path : path.replace(/\/+$/, '');
      fn = match(loose, { sensitive: opts.caseSensitive, end: opts.end, trailing: !opts.strict }) as MatchFn;
    } catch {
      fn = null;
    }
  }
  const test = fn === null ? () => false as const : safe(fn);
  return withPath ? test : (p) => test(p) !== false;
}

/** The tail path-to-regexp 0.1 puts on a non-ending (mount) regexp. */
const EXPRESS4_MOUNT_TAIL = '\\/?(?=\\/|$)';
/** A `:param` in an Express 4 regexp: `(?:\/([^/]+?))` or, with no slash before it, `(?:([^/]+?))`. */
const EXPRESS4_PARAM = /^\(\?:(\\\/)?\(\[\^\\?\/\]\+\?\)\)/;

/**
 * The path an Express 4 router was mounted on, read back from its regexp (Express 4 keeps no
 * other trace of it): static text and `:params` only, else `null`. `''` for a mount on `/`.
 */
function express4MountPath(layer: LayerLike): string | null {
  const re = layer.regexp as Express4RegExp;
  if (re.fast_slash) return '';
  const keys = Array.isArray(layer.keys) ? (layer.keys as { name?: unknown }[]) : [];
  let s = re.source;
  if (!s.startsWith('^') || !s.endsWith(EXPRESS4_MOUNT_TAIL)) return null;
  s = s.slice(1, -EXPRESS4_MOUNT_TAIL.length);
  let out = '';
  let k = 0;
  for (let i = 0; i < s.length; ) {
    const rest = s.slice(i);
    const param = EXPRESS4_PARAM.exec(rest);
    if (param) {
      const name = keys[k++]?.name;
      if (typeof name !== 'string') return null;
      out += `${param[1] ? '/' : ''}:${name}`;
      i += param[0].length;
    } else if (rest[0] === '\\' && rest.length > 1 && !/[A-Za-z0-9]/.test(rest[1]!)) {
      out += rest[1];
      i += 2;
    } else if (/[A-Za-z0-9_~%@&',;=-]/.test(rest[0]!)) {
      out += rest[0];
      i += 1;
    } else return null;
  }
  return k === keys.length ? out : null;
}

/** path-to-regexp 0.1's tokens: an escape, a `:param` (with its slash, dot, capture, `*`, `?`), `.`, `*`, or `/(`. */
const EXPRESS4_TOKEN = /\\.|(\/)?(\.)?:(\w+)(\(.*?\))?(\*)?(\?)?|[.*]|\/\(/g;

/**
 * A sample of an Express 4 pattern: params and `*` filled (optional params taken), or null
 * (unnamed groups). `emptyStar`: `*` (and `:name(*)`) left empty instead, as Express 4 allows.
 */
function sampleExpress4(pattern: string, next: () => string, names: Record<string, string>, emptyStar = false): string | null {
  let out = '';
  let last = 0;
  let unnamed = 0;
  for (const m of pattern.matchAll(EXPRESS4_TOKEN)) {
    out += pattern.slice(last, m.index);
    last = m.index + m[0].length;
    const [token, slash, dot, name] = m;
    if (token[0] === '\\') out += token[1];
    else if (token === '.') out += '.';
    else if (token === '*') out += names[String(unnamed++)] = emptyStar ? '' : next();
    else if (token === '/(') return null;
    else out += `${slash ?? ''}${dot ? '.' : ''}${(names[name!] = emptyStar && m[4] === '(*)' ? '' : next())}`;
  }
  return out + pattern.slice(last);
}

/** Sample values of an Express 5 pattern's params and wildcards, in pattern order. */
function sampleExpress5(pattern: string, next: () => string, names: Record<string, string>): string | null {
  try {
    const own: Record<string, string> = {};
    const collect = (tokens: readonly Token[]): void => {
      for (const t of tokens) {
        if (t.type === 'param' || t.type === 'wildcard') own[t.name] = next(); // a wildcard: one segment (encode: false takes a string)
        else if (t.type === 'group') collect(t.tokens);
      }
    };
    collect(parse(pattern).tokens);
    Object.assign(names, own);
    return compile(pattern, { encode: false })(own);
  } catch {
    return null;
  }
}

/**
 * A sample path of a route through its mounts (each piece in its own router's syntax), checked
 * with the route's own matcher. Params are `sample-1`…; where Express 4 inline regexps refuse
 * those, digits are tried.
 */
function sampleEntry(pieces: readonly Piece[], test: (path: string) => boolean): { sample: string; names: Record<string, string>; edges: string[] } | null {
  const build = (style: 'word' | 'digits', emptyStar: boolean): { sample: string; names: Record<string, string> } | null => {
    let n = 0;
    const next = () => (style === 'word' ? `sample-${++n}` : String(++n));
    const names: Record<string, string> = {};
    let sample = '';
    for (const piece of pieces) {
      const part = piece.express4 ? sampleExpress4(piece.pattern, next, names, emptyStar) : sampleExpress5(piece.pattern, next, names);
      if (part === null) return null;
      sample = joinPath(sample, part);
    }
    return sample !== '' && test(sample) ? { sample, names } : null;
  };
  const express4 = pieces.some((p) => p.express4);
  for (const style of express4 ? (['word', 'digits'] as const) : (['word'] as const)) {
    const found = build(style, false);
    if (!found) continue;
    const edge = express4 ? build(style, true) : null;
    return { ...found, edges: edge && edge.sample !== found.sample ? [edge.sample] : [] };
  }
  return null;
}

/** A concrete path for a pattern: params `sample-1`…, wildcards one segment, optional groups taken. */
export function samplePath(pattern: string): string | null {
  let n = 0;
  return sampleExpress5(pattern, () => `sample-${++n}`, {});
}

/** A rule's sample paths: `samplePath`'s, and one with digits (for Express 4 routes such as `:id(\\d+)`). */
function ruleSamples(pattern: string): string[] {
  let n = 0;
  const digits = sampleExpress5(pattern, () => String(++n), {});
  const word = samplePath(pattern);
  return [...new Set([word, digits].filter((s): s is string => s !== null))];
}

/** The app param whose sample value a rule's param captured, or `null` (fixed text, or more than one param). */
function sampleParamName(names: Record<string, string>, value: string | string[] | undefined): string | null {
  if (typeof value !== 'string') return null;
  for (const [name, sample] of Object.entries(names)) if (sample === value) return name;
  return null;
}

/** Same requirement, so that which of the two the gate checks does not matter (rules with bindings never are: a bound param may sit elsewhere). */
function sameRequirement(a: CompiledRule, b: CompiledRule): boolean {
  if (a.bindings.length || b.bindings.length) return false;
  const key = (r: CompiledRule) => (r.public ? '\0public' : r.anyOf.map((alt) => [...alt].sort().join(' ')).sort().join('|'));
  return key(a) === key(b);
}

/**
 * Replay sample paths — each rule's, and each route's — through the app's routes in registration
 * order, as its router dispatches: where the first route that runs is not a route of the rule
 * the gate checks, and the two rules' requirements differ, the gate and the app disagree.
 */
function orderProblems(table: RouteTable, entries: readonly Entry[]): OrderProblem[] {
  const ruleOf = new Map<string, CompiledRule | null>();
  const ruleFor = (entry: Entry, index: number, method: string): CompiledRule | null => {
    const key = `${index} ${method}`;
    let rule = ruleOf.get(key);
    if (rule === undefined) {
      const found = entry.sample === null ? null : table.lookup(method, entry.sample);
      ruleOf.set(key, (rule = found?.kind === 'match' ? found.rule : null));
    }
    return rule;
  };
  const requests: [method: string, path: string][] = [];
  // HEAD too wherever GET is: Express hands a HEAD to the first route with a HEAD or a GET
  // handler, so an earlier route's explicit HEAD handler can take a later rule's HEAD requests.
  const withHead = (methods: readonly string[]): string[] => (methods.includes('GET') && !methods.includes('HEAD') ? [...methods, 'HEAD'] : [...methods]);
  for (const rule of table.rules) for (const sample of ruleSamples(rule.path)) for (const m of withHead(rule.methods)) requests.push([m, sample]);
  for (const entry of entries) for (const sample of entry.sample === null ? [] : [entry.sample, ...entry.edges]) for (const m of withHead(declaredMethods(entry.route))) requests.push([m, sample]);

  const problems: OrderProblem[] = [];
  const seen = new Set<string>();
  for (const [method, path] of requests) {
    const key = `${method} ${path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const found = table.lookup(method, path);
    if (found.kind !== 'match') continue;
    const at = entries.findIndex((e) => handles(e.route, method) && e.test(path));
    if (at < 0) continue;
    const runs = entries[at]!;
    const runsRule = ruleFor(runs, at, method);
    if (runsRule === found.rule) continue;
    const shadowed = entries
      .map((e, i) => [e, i] as const)
      .filter(([e, i]) => i > at && handles(e.route, method) && e.test(path) && ruleFor(e, i, method) === found.rule)
      .map(([e]) => e.route);
    if (runsRule !== null && sameRequirement(runsRule, found.rule)) continue;
    // A route that cannot be sampled may well be the rule's own: only sure when the rule's own route comes later.
    if (runsRule === null && runs.sample === null && !shadowed.length) continue;
    // One finding per rule and route; a HEAD that the same route takes through its GET handler is the GET's finding again.
    if (problems.some((p) => (p.method === method || (method === 'HEAD' && p.method === 'GET')) && p.rule === found.rule && p.runs === runs.route)) continue;
    problems.push(Object.freeze({ method, path, rule: found.rule, runs: runs.route, runsRule, shadowed: Object.freeze(shadowed) }));
  }
  return problems;
}

function orderText(o: OrderProblem): string {
  const runsWhat = o.runsRule ? `rule #${o.runsRule.index}: ${requirementText(o.runsRule)}` : 'no rule covers its own paths';
  const then = o.shadowed.length
    ? `, registered before ${o.shadowed.map((r) => r.path).join(' and ')}: register ${o.shadowed.length > 1 ? 'those' : 'that route'} first`
    : `; the app has no route of its own for rule #${o.rule.index}`;
  return `${o.method} ${o.path}: the gate checks rule #${o.rule.index} ${o.rule.path} (${requirementText(o.rule)}), but Express runs ${o.runs.path} (${runsWhat})${then}`;
}

function formatAudit(a: AppAudit): string {
  const lines = [`App audit: ${a.routes.length} route(s) found, ${a.ok ? 'no gaps' : 'gaps found'}`];
  for (const s of a.settings) lines.push(`  settings   ${s}`);
  for (const u of a.uncovered) lines.push(`  uncovered  ${u.method} ${u.path}${u.sample === undefined ? '' : ` at ${u.sample}`}${u.exposed ? ' (EXPOSED: unmatched is "next")' : ' (denied by the gate)'}`);
  for (const m of a.methodMismatch) lines.push(`  methods    ${m.path}: app ${m.appMethods.join(',')} / table ${m.tableMethods.join(',')}`);
  for (const o of a.order) lines.push(`  order      ${orderText(o)}`);
  for (const r of a.stale) lines.push(`  stale      rule #${r.index} ${r.methods.join(',')} ${r.path} matches no route of the app`);
  for (const s of a.skipped) lines.push(`  skipped    ${s.path}: ${s.reason}`);
  for (const c of a.covered) if (c.bindings.length) lines.push(`  bound      ${c.method} ${c.path} (rule #${c.rule.index}): ${bindingText(c.bindings)}`);
  return lines.join('\n');
}

/** `:environmentId = claim environment_id`, saying where the app's route differs from the rule. */
function bindingText(bindings: readonly AuditBinding[]): string {
  return bindings
    .map((b) => {
      const base = bindingsText([b]);
      if (b.appParam === null) return `${base} (fixed text in the app's path)`;
      return b.appParam === b.param ? base : `${base} (the app's :${b.appParam})`;
    })
    .join(', ');
}
