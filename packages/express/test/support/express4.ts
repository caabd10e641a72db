/**
 * Express 4 harness: the differential pair (a gated Express 4 app and its ungated twin, on
 * loopback) for rules written in Express 5 syntax, translated to what Express 4 accepts; random
 * tables of static, `:param`, `{/:param}` and `*name` segments; and the in-process measurement
 * of which patterns Express 4 routes as the gate's Express 5 semantics do (Express 4's own route
 * layers against `table.lookup`, over many request paths).
 *
 * Express 4 is the root dev dependency alias `express4` (`npm:express@^4.21.2`).
 */
import type http from 'node:http';
import type expressType from 'express';
import fc from 'fast-check';
import { compileRoutes, type CompileOptions, type RouteRule, type RouteTable } from '@scopegate/core';
import { makeRandom } from '../../../core/test/support/random';
import { appFor, listen, SCOPES, CLAIMS, type Pair } from './differential';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const express4 = require('express4') as typeof expressType;
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const EXPRESS4_VERSION = (require('express4/package.json') as { version: string }).version;

/**
 * How a rule's `/*name` is written for Express 4: `regexp` = `/:name(.+)` (a param with an
 * inline regexp: the same requests), `star` = Express 4's own bare `/*` (also an empty rest).
 */
export type WildcardSpelling = 'regexp' | 'star';

/** An Express 5 pattern of the shapes generated here, in Express 4 syntax. */
export function toExpress4(path: string, wildcard: WildcardSpelling = 'regexp'): string {
  const out = path.replace(/\{\/:(\w+)\}/g, '/:$1?').replace(/\/\*(\w+)$/, (_m, name: string) => (wildcard === 'regexp' ? `/:${name}(.+)` : '/*'));
  if (/[{}]|\*\w/.test(out)) throw new Error(`no Express 4 spelling for ${path}`);
  return out;
}

/** An Express 4 app serving the rules (translated), gated or not, marking which rule ran and its params. */
export function appFor4(rules: readonly RouteRule[], table: RouteTable, gate: boolean, wildcard: WildcardSpelling = 'regexp'): expressType.Express {
  return appFor(rules, table, gate, express4 as unknown as () => expressType.Express, (path) => toExpress4(path, wildcard));
}

export async function startPair4(rules: readonly RouteRule[], options: CompileOptions, wildcard: WildcardSpelling = 'regexp'): Promise<Pair> {
  const table = compileRoutes(rules, options);
  const gated = await listen(appFor4(rules, table, true, wildcard) as unknown as http.RequestListener);
  const twin = await listen(appFor4(rules, table, false, wildcard) as unknown as http.RequestListener);
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

// ---- random tables ------------------------------------------------------------------------

/** Static words: the differential suite's, and punctuation measured to route alike. */
export const WORDS4 = ['users', 'Users', 'items', 'a', 'b', 'me', 'v1', 'x.y', 'caf%C3%A9', 'a-b', 'a~b', 'a@b', 'a;b', 'a=b'];

const segment4Arb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...WORDS4).map((w) => ({ kind: 'static' as const, w })) },
  { weight: 3, arbitrary: fc.constant({ kind: 'param' as const, w: '' }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'optional' as const, w: '' }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'wildcard' as const, w: '' }) },
);

/** Params `:p0`… (bindable), optional params `{/:o0}`… and wildcards `*w0`… (never bound). */
const pattern4Arb = fc.array(segment4Arb, { minLength: 1, maxLength: 4 }).map((segs) => {
  let n = 0;
  let out = '';
  for (const s of segs) {
    if (s.kind === 'static') out += `/${s.w}`;
    else if (s.kind === 'param') out += `/:p${n++}`;
    else if (s.kind === 'optional') out += `{/:o${n++}}`;
    else {
      out += `/*w${n++}`;
      break;
    }
  }
  return out;
});

const hasParam = (path: string, name: string) => new RegExp(`:${name}(?![0-9])`).test(path);

const rule4Arb: fc.Arbitrary<RouteRule> = fc
  .record({
    path: pattern4Arb,
    method: fc.subarray(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'], { minLength: 1, maxLength: 2 }),
    scopes: fc.subarray([...SCOPES], { maxLength: 2 }),
    public: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
    bind: fc.array(fc.tuple(fc.constantFrom('p0', 'p1', 'p2'), fc.constantFrom(...CLAIMS)), { maxLength: 2 }),
  })
  .map((r) => {
    if (r.public) return { method: r.method, path: r.path, public: true };
    const bind = Object.fromEntries(r.bind.filter(([param]) => hasParam(r.path, param)));
    return { method: r.method, path: r.path, scopes: r.scopes, ...(Object.keys(bind).length ? { bind } : {}) };
  });

export const table4Arb = fc.record({
  rules: fc.array(rule4Arb, { minLength: 1, maxLength: 8 }),
  options: fc.record({
    caseSensitive: fc.boolean(),
    strict: fc.boolean(),
    bind: fc.option(fc.constantFrom(...CLAIMS).map((claim) => ({ p0: claim })), { nil: undefined }),
  }),
});

/**
 * Rules to draw requests from: each rule, and variants at its edges (optional params left out,
 * the wildcard's rest empty, the last segment dropped), with the rule's scopes.
 */
export function requestSources(rules: readonly RouteRule[]): RouteRule[] {
  const out: RouteRule[] = [];
  for (const rule of rules) {
    out.push(rule);
    const variants = [rule.path.replace(/\{\/:\w+\}/g, ''), rule.path.replace(/\/\*\w+$/, '/'), rule.path.replace(/\/[^/]*$/, '') || '/'];
    for (const path of new Set(variants)) if (path !== rule.path) out.push({ ...rule, path });
  }
  return out;
}

// ---- in-process measurement ----------------------------------------------------------------

/** A feature measured: a segment written for Express 5 (the rule) and for Express 4 (the app). */
export interface Feature {
  readonly name: string;
  /** The feature's segment (`n`: a fresh index for names): [Express 5, Express 4]. */
  readonly segment: (n: number, pick: <T>(list: readonly T[]) => T) => readonly [string, string];
  /** The feature must come last (wildcards). */
  readonly last?: boolean;
}

export const FEATURES: Record<string, Feature> = {
  base: { name: 'static text and :param', segment: () => ['', ''] },
  optional: { name: '{/:o} written /:o?', segment: (n) => [`{/:o${n}}`, `/:o${n}?`] },
  wildRegexp: { name: '/*w written /:w(.+)', segment: (n) => [`/*w${n}`, `/:w${n}(.+)`], last: true },
  wildStar: { name: "/*w written /* (Express 4's wildcard)", segment: (n) => [`/*w${n}`, '/*'], last: true },
  wildStarParam: { name: '/*w written /:w*', segment: (n) => [`/*w${n}`, `/:w${n}*`], last: true },
  wildCapture: { name: '/*w written /:w(*)', segment: (n) => [`/*w${n}`, `/:w${n}(*)`], last: true },
  mixed: { name: 'two params in a segment /:a.:b', segment: (n) => [`/:p${n}.:q${n}`, `/:p${n}.:q${n}`] },
  punctuation: {
    name: 'static text with " # % & \' , - . ; < = > @ _ ` ~',
    segment: (_n, pick) => {
      const w = `a${pick(['"', '#', '%25', '&', "'", ',', '-', '.', ';', '<', '=', '>', '@', '_', '`', '~'])}b`;
      return [`/${w}`, `/${w}`];
    },
  },
  regexpChars: {
    name: 'static text with $ ^ | * \\',
    segment: (_n, pick) => {
      const w = `a${pick(['$', '^', '|', '*', '\\'])}b`; // '\\' is one backslash: an escape in both, of the next character in Express 5, a regexp escape (\b) in Express 4
      return [`/${w}`, `/${w}`];
    },
  },
  nonAscii: {
    name: 'static text with raw non-ASCII (café, ſ, K)',
    segment: (_n, pick) => {
      const w = pick(['café', 'ſa', '\u212Aelvin', 'ÉTÉ']);
      return [`/${w}`, `/${w}`];
    },
  },
};

/** The project's seeded PRNG (mulberry32), with `int(n)` in [0, n): the measurement is the same on every run. */
export function prng(seed: number): { next: () => number; pick: <T>(list: readonly T[]) => T; int: (n: number) => number } {
  const r = makeRandom(seed);
  return { next: () => r.next(), int: (n) => r.int(0, n - 1), pick: (list) => r.pick(list) };
}

const FILLS = ['1', 'me', 'users', 'a', 'x.y', 'A%2FB', '%2e%2e', 'caf%C3%A9', 'Ab', '%E0%A4', 'q%00', '..', '.', 'a.b.c', 'a..', '%', 'a.', '.a', 'x%2Ey', 'A'];

function encodeAt(s: string, i: number): string {
  return s.slice(0, i) + '%' + s.charCodeAt(i).toString(16).toUpperCase().padStart(2, '0') + s.slice(i + 1);
}

/** A request pathname near a pattern: filled, at its edges, mutated (case, slashes, encodings, dots). */
function nearPath(pattern: string, r: ReturnType<typeof prng>): string {
  let path = pattern;
  if (r.next() < 0.2) path = path.replace(/\{\/:\w+\}/g, '');
  if (r.next() < 0.15) path = path.replace(/\/\*\w+$/, '/');
  path = path.replace(/[{}]/g, '').replace(/[:*][A-Za-z_]\w*/g, () => r.pick(FILLS));
  if (r.next() < 0.1) path = path.replace(/\/[^/]*$/, '');
  if (r.next() < 0.1) path += `/${r.pick(FILLS)}`;
  for (let j = r.int(3); j > 0; j--) {
    const i = path.length > 1 ? 1 + r.int(path.length - 1) : 0;
    const m = r.int(12);
    if (m === 0) path = path.toUpperCase();
    else if (m === 1) path = path.toLowerCase();
    else if (m === 2) path += '/';
    else if (m === 3) path = path.replace('/', '//');
    else if (m === 4) path = encodeAt(path, i);
    else if (m === 5) path = `${path.slice(0, i)}/./${path.slice(i)}`;
    else if (m === 6) path += '//';
    else if (m === 7) path += ';x=1';
    else if (m === 8) path = path.replace(/\//g, (s, k: number) => (k === i ? '%2F' : s));
    else if (m === 9) path = `${path.slice(0, i)}%25${path.slice(i)}`;
    else if (m === 10) path = `${path.slice(0, i)}.${path.slice(i)}`;
    else path = `${path.slice(0, i)}/${path.slice(i)}`;
  }
  return path.startsWith('/') ? path : `/${path}`;
}

interface Express4Layer {
  match(path: string): boolean;
  params: Record<string | number, string | undefined>;
  regexp: RegExp;
  keys: { name: string | number }[];
}

/** One request's outcome on one side: no match, malformed encoding (400), or a match with its named params. */
type Routed = { kind: 'no' } | { kind: 'bad' } | { kind: 'match'; params: Record<string, unknown> };

export interface Measurement {
  feature: string;
  caseSensitive: boolean;
  strict: boolean;
  patterns: number;
  requests: number;
  /** Requests where Express 4 and the gate route differently (match or not, 400 or not, a :param's value). */
  differ: number;
  /** Of those, how many are an empty `*` rest in Express 4 (`/files/` against `/files/*`). */
  emptyRest: number;
  /** Up to three examples per kind of difference. */
  examples: Map<string, string[]>;
}

/**
 * Express 4's own route layer against the table's lookup, for `patterns` random patterns with the
 * feature and `requests` request paths near each, under one pair of routing options.
 */
export function measure(key: keyof typeof FEATURES, options: { caseSensitive: boolean; strict: boolean }, patterns: number, requests: number, seed: number): Measurement {
  const feature = FEATURES[key]!;
  const r = prng(seed);
  const result: Measurement = { feature: feature.name, ...options, patterns: 0, requests: 0, differ: 0, emptyRest: 0, examples: new Map() };
  for (let t = 0; t < patterns; t++) {
    // 1–3 static / :param segments, the feature's segment among them (last for wildcards).
    const segs: (readonly [string, string])[] = [];
    let n = 0;
    for (let i = 1 + r.int(3); i > 0; i--) {
      if (r.next() < 0.55) {
        const w = r.pick(WORDS4);
        segs.push([`/${w}`, `/${w}`]);
      } else {
        segs.push([`/:p${n}`, `/:p${n}`]);
        n++;
      }
    }
    if (key !== 'base') {
      const seg = feature.segment(n++, r.pick);
      if (feature.last) segs.push(seg);
      else segs.splice(r.int(segs.length + 1), 0, seg);
    }
    const p5 = segs.map((s) => s[0]).join('');
    const p4 = segs.map((s) => s[1]).join('');
    let table: RouteTable;
    try {
      table = compileRoutes([{ method: 'GET', path: p5, scopes: [] }], options);
    } catch {
      continue; // not a valid Express 5 pattern (e.g. two params with no text between)
    }
    const app = express4();
    app.set('case sensitive routing', options.caseSensitive);
    app.set('strict routing', options.strict);
    app.get(p4, (_req, res) => void res.end());
    const layer = (app as unknown as { _router: { stack: (Express4Layer & { route?: unknown })[] } })._router.stack.find((l) => l.route)!;
    const star = layer.keys.findIndex((k) => k.name === 0);
    result.patterns++;
    for (let q = 0; q < requests; q++) {
      const path = nearPath(p5, r);
      result.requests++;
      let a: Routed;
      try {
        a = layer.match(path) ? { kind: 'match', params: { ...layer.params } } : { kind: 'no' };
      } catch {
        a = { kind: 'bad' };
      }
      const found = table.lookup('GET', path);
      const b: Routed = found.kind === 'match' ? { kind: 'match', params: found.params } : found.kind === 'bad-path' ? { kind: 'bad' } : { kind: 'no' };
      let why: string | null = null;
      if (a.kind !== b.kind) why = `Express 4 ${a.kind}, gate ${b.kind}`;
      else if (a.kind === 'match' && b.kind === 'match') {
        for (const [name, value] of Object.entries(b.params)) {
          if (typeof value === 'string' && a.params[name] !== value) {
            why = `:${name} is ${JSON.stringify(a.params[name])} in Express 4, ${JSON.stringify(value)} in the gate`;
            break;
          }
        }
      }
      if (why === null) continue;
      result.differ++;
      if (star >= 0 && layer.regexp.exec(path)?.[star + 1] === '') result.emptyRest++;
      const kind = why.replace(/"[^"]*"/g, '…');
      const list = result.examples.get(kind) ?? [];
      if (list.length < 3) list.push(`${p4} ${path}: ${why}`);
      result.examples.set(kind, list);
    }
  }
  return result;
}
