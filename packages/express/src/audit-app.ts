/**
 * App coverage audit: compare what an Express 5 app serves with what a route table covers.
 *
 * It walks the app's router stack (routes, and routers mounted with a path prefix), builds one
 * sample path per route (params filled, optional groups taken) and asks the table about it, and
 * the other way round for each rule. Limits: routes added after the audit, Express sub-apps
 * mounted with `app.use(path, subApp)` (their stack is behind a closure: reported as skipped),
 * and RegExp paths (skipped) are not checked; a sample path proves coverage of that sample, so a
 * rule covering only part of a pattern (`/users/me` against `/users/:id`) shows as uncovered.
 * Each covered route is listed with the rule that answers it and the path params that rule binds
 * to token claims, mapped back to the app's own param names.
 */
import { METHODS } from 'node:http';
import { compile, match, parse, type Token } from 'path-to-regexp';
import { bindingsText, compileRoutes, type CompiledRule, type RouteRule, type RouteTable } from '@scopegate/core';

/** A route the app serves: its full pattern (mount prefixes joined) and methods (`*` = all). */
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

export interface AppAudit {
  /** Every route found, in registration order. */
  readonly routes: readonly AppRoute[];
  /** Every route and method a rule covers, in registration order, with the rule's claim bindings. */
  readonly covered: readonly CoveredRoute[];
  /** App routes no rule covers: denied by the gate, or exposed unchecked with `unmatched: 'next'`. */
  readonly uncovered: readonly { readonly path: string; readonly method: string; readonly exposed: boolean }[];
  /** Rules that match no route of the app (stale entries). */
  readonly stale: readonly CompiledRule[];
  /** Paths where the app and the table cover different methods. */
  readonly methodMismatch: readonly { readonly path: string; readonly appMethods: readonly string[]; readonly tableMethods: readonly string[] }[];
  /** What could not be walked (RegExp paths, mounted sub-apps). */
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
  /** Routing settings that differ between the app and the table. */
  readonly settings: readonly string[];
  /** Nothing uncovered, stale, mismatched or misconfigured. */
  readonly ok: boolean;
  /** A printable report. */
  toString(): string;
}

const CHECKED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

interface LayerLike {
  route?: { path?: unknown; methods?: Record<string, boolean> };
  handle?: { stack?: unknown; name?: string } & ((...args: never[]) => unknown);
  rawPath?: unknown;
  name?: string;
}

interface RouterLike {
  stack: LayerLike[];
  caseSensitive?: boolean;
  strict?: boolean;
}

/** An Express application or a Router. */
export type AuditTarget = { router?: RouterLike; get?: (setting: string) => unknown } | RouterLike;

/**
 * Audit an app against a table.
 *
 * @example
 * const report = auditApp(app, dynamicTable);
 * if (!report.ok) console.warn(report.toString());
 */
export function auditApp(app: AuditTarget, routes: RouteTable | readonly RouteRule[], options: { unmatched?: 'deny' | 'next' } = {}): AppAudit {
  const table = Array.isArray(routes) ? compileRoutes(routes as RouteRule[]) : (routes as RouteTable);
  const router: RouterLike | undefined = 'stack' in app ? (app as RouterLike) : (app as { router?: RouterLike }).router;
  if (!router || !Array.isArray(router.stack)) throw new TypeError('auditApp expects an Express 5 application or Router');

  const appSetting = (name: string, fallback: boolean | undefined): boolean => {
    const get = (app as { get?: (s: string) => unknown }).get;
    return typeof get === 'function' && !('stack' in app) ? Boolean(get.call(app, name)) : Boolean(fallback);
  };
  const caseSensitive = appSetting('case sensitive routing', router.caseSensitive);
  const strict = appSetting('strict routing', router.strict);
  const settings: string[] = [];
  if (caseSensitive !== table.options.caseSensitive) settings.push(`app "case sensitive routing" is ${caseSensitive}, table caseSensitive is ${table.options.caseSensitive}`);
  if (strict !== table.options.strict) settings.push(`app "strict routing" is ${strict}, table strict is ${table.options.strict}`);

  const found: AppRoute[] = [];
  const skipped: { path: string; reason: string }[] = [];
  walk(router, '', found, skipped);

  const matchers = found.map((r) => {
    try {
      return { route: r, test: match(r.path, { sensitive: caseSensitive, trailing: !strict }) };
    } catch {
      return { route: r, test: () => false as const };
    }
  });
  const appServes = (method: string, sample: string) => matchers.some(({ route, test }) => handles(route, method) && test(sample) !== false);

  const uncovered: { path: string; method: string; exposed: boolean }[] = [];
  const covered: CoveredRoute[] = [];
  const methodMismatch: { path: string; appMethods: string[]; tableMethods: string[] }[] = [];
  const compared = new Set<string>();
  for (const route of found) {
    const sample = samplePath(route.path);
    if (sample === null) {
      skipped.push({ path: route.path, reason: 'pattern path-to-regexp cannot parse' });
      continue;
    }
    const declared = route.methods.includes('*') ? CHECKED_METHODS.filter((m) => m !== 'HEAD') : route.methods.filter((m) => !(m === 'HEAD' && route.methods.includes('GET')));
    for (const method of declared) {
      const found = table.lookup(method, sample);
      if (found.kind === 'no-route') uncovered.push({ path: route.path, method, exposed: options.unmatched === 'next' });
      else if (found.kind === 'match') {
        const bindings = found.rule.bindings.map((b) => Object.freeze({ param: b.param, claim: b.claim, appParam: sampleParamName(route.path, found.params[b.param]) }));
        covered.push({ path: route.path, method, rule: found.rule, bindings });
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
    const sample = samplePath(rule.path);
    if (sample === null) return true;
    return !rule.methods.some((m) => appServes(m, sample));
  });

  const ok = !uncovered.length && !stale.length && !methodMismatch.length && !settings.length;
  const audit: AppAudit = {
    routes: found,
    covered,
    uncovered,
    stale,
    methodMismatch,
    skipped,
    settings,
    ok,
    toString: () => formatAudit(audit),
  };
  return audit;
}

function handles(route: AppRoute, method: string): boolean {
  return route.methods.includes('*') || route.methods.includes(method) || (method === 'HEAD' && route.methods.includes('GET'));
}

function joinPath(prefix: string, path: string): string {
  if (!prefix || prefix === '/') return path;
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === '/' ? base : base + path;
}

function walk(router: RouterLike, prefix: string, out: AppRoute[], skipped: { path: string; reason: string }[]): void {
  for (const layer of router.stack) {
    const raw = layer.rawPath ?? layer.route?.path;
    const paths = (Array.isArray(raw) ? raw.flat(Infinity) : [raw]) as unknown[];
    for (const p of paths) {
      if (layer.route) {
        if (typeof p !== 'string') {
          skipped.push({ path: `${prefix}${String(p)}`, reason: 'RegExp route path' });
          continue;
        }
        const declared = Object.keys(layer.route.methods ?? {});
        // app.all() registers every method (or `_all` in older routers): report it as `*`.
        const all = declared.includes('_all') || METHODS.every((m) => declared.includes(m.toLowerCase()));
        out.push({ path: joinPath(prefix, p), methods: all ? ['*'] : declared.map((m) => m.toUpperCase()) });
      } else if (layer.handle && Array.isArray(layer.handle.stack)) {
        if (typeof p !== 'string') {
          skipped.push({ path: `${prefix}${String(p)}`, reason: 'router mounted on a RegExp path' });
          continue;
        }
        walk(layer.handle as unknown as RouterLike, joinPath(prefix, p), out, skipped);
      } else if (layer.handle?.name === 'mounted_app') {
        skipped.push({ path: typeof p === 'string' ? joinPath(prefix, p) : String(p), reason: 'mounted Express sub-app (not walked: audit it on its own)' });
      }
    }
  }
}

/** The sample value of each param and wildcard of a pattern (`sample-1`…, in pattern order), or `null`. */
function sampleValues(pattern: string): Record<string, string> | null {
  try {
    const names: Record<string, string> = {};
    let n = 0;
    const collect = (tokens: readonly Token[]): void => {
      for (const t of tokens) {
        if (t.type === 'param') names[t.name] = `sample-${++n}`;
        else if (t.type === 'wildcard') names[t.name] = `sample-${++n}`; // one segment (encode: false takes a string)
        else if (t.type === 'group') collect(t.tokens);
      }
    };
    collect(parse(pattern).tokens);
    return names;
  } catch {
    return null;
  }
}

/** A concrete path for a pattern: params `sample-1`…, wildcards one segment, optional groups taken. */
export function samplePath(pattern: string): string | null {
  const names = sampleValues(pattern);
  if (names === null) return null;
  try {
    return compile(pattern, { encode: false })(names);
  } catch {
    return null;
  }
}

/** The app param whose sample value a rule's param captured, or `null` (fixed text, or more than one param). */
function sampleParamName(pattern: string, value: string | string[] | undefined): string | null {
  if (typeof value !== 'string') return null;
  const names = sampleValues(pattern) ?? {};
  for (const [name, sample] of Object.entries(names)) if (sample === value) return name;
  return null;
}

function formatAudit(a: AppAudit): string {
  const lines = [`App audit: ${a.routes.length} route(s) found, ${a.ok ? 'no gaps' : 'gaps found'}`];
  for (const s of a.settings) lines.push(`  settings   ${s}`);
  for (const u of a.uncovered) lines.push(`  uncovered  ${u.method} ${u.path}${u.exposed ? ' (EXPOSED: unmatched is "next")' : ' (denied by the gate)'}`);
  for (const m of a.methodMismatch) lines.push(`  methods    ${m.path}: app ${m.appMethods.join(',')} / table ${m.tableMethods.join(',')}`);
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
