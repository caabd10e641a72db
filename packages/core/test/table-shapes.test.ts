/**
 * Property test on the lookup bench's table shapes (bench/lib/table-shapes.js): wide fan-outs of
 * names sharing a prefix, a suffix or a length, versioned and generated names, deep paths, params
 * at every level, mixed segments and wildcards, case-sensitive and strict tables, and specific
 * rules before the general ones containing them with other scopes (`/users/me` before
 * `/users/:id`, `readme.md` before `*path`, `summary.csv` before `:file.:ext`). On each, lookup
 * answers as Express's router would, modelled as in differential.test.ts: a first-match scan of
 * path-to-regexp 8 `match()` functions in rule order (GET handles HEAD; `sensitive`/`trailing`
 * from the table's options; a decode error in a matching route ends the scan in a 400). Requests
 * are the shape's own (hits early to late, near-misses, misses) and mutated variants of them:
 * re-cased, trailing slash added or cut, one character changed, one character percent-encoded
 * (or a malformed escape). FUZZ_RUNS raises the request count.
 */
import { match } from 'path-to-regexp';
import { compileRoutes, type RouteRule } from '@scopegate/core';
import { makeRandom } from './support/random';
import { SHAPE_NAMES, findMyWayPath, tableShape, type ShapeOptions, type TableShape } from './support/table-shapes';

/** Variants per request (besides the request itself). */
const VARIANTS = 3;
/** Requests from the generator per shape: 13 shapes × 64 × (1 + 3) ≈ 3,300 by default. */
const BASE = process.env.FUZZ_RUNS ? Math.max(8, Math.ceil(Number(process.env.FUZZ_RUNS) / SHAPE_NAMES.length / (1 + VARIANTS))) : 64;
/** At 10,000 rules, a few shapes and fewer requests: building 10,000 matchers is the cost. */
const BIG_SHAPES = ['shared-prefix', 'same-length', 'params', 'random-cs-strict', 'mixed-cs', 'specific-first'];
const BIG_BASE = process.env.FUZZ_RUNS ? BASE : 24;

/** `shadowing`: a later rule with other scopes matches too (the first one must win). */
type Expected = { index: number; params: Record<string, unknown> | 'bad-path'; shadowing?: boolean } | null;

function expressScan(rules: readonly RouteRule[], options: ShapeOptions) {
  const matchers = rules.map((rule) => match(rule.path, { sensitive: options.caseSensitive, trailing: !options.strict, end: true, decode: decodeURIComponent }));
  const methods = rules.map((rule) => [rule.method].flat().map((m) => m.toUpperCase()));
  return (method: string, path: string): Expected => {
    let errorFirst = false;
    for (let i = 0; i < rules.length; i++) {
      const handles = methods[i]!.includes(method) || (method === 'HEAD' && methods[i]!.includes('GET'));
      let m: ReturnType<(typeof matchers)[number]>;
      try {
        m = matchers[i]!(path);
      } catch {
        if (handles) return { index: i, params: 'bad-path' };
        errorFirst = true;
        continue;
      }
      if (m && handles) {
        const scopes = JSON.stringify(rules[i]!.scopes ?? null);
        const shadowing = rules.some((later, j) => {
          if (j <= i || JSON.stringify(later.scopes ?? null) === scopes) return false;
          if (!(methods[j]!.includes(method) || (method === 'HEAD' && methods[j]!.includes('GET')))) return false;
          try {
            return matchers[j]!(path) !== false;
          } catch {
            return false;
          }
        });
        return { index: i, params: { ...m.params }, shadowing };
      }
    }
    return errorFirst ? { index: -1, params: 'bad-path' } : null;
  };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~'.split('');

/** One variant of `path`: re-cased, trailing slash, one character changed, percent-encoded. */
function mutate(r: ReturnType<typeof makeRandom>, path: string): string {
  const at = () => r.int(1, Math.max(1, path.length - 1)); // never the leading slash
  switch (r.int(0, 6)) {
    case 0:
      return path.toUpperCase();
    case 1:
      return path.toLowerCase();
    case 2:
      return path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
    case 3:
    case 4: {
      const i = at();
      return path.slice(0, i) + r.pick(ALPHABET) + path.slice(i + 1);
    }
    case 5: {
      const i = at();
      const c = path[i] === '/' || path[i] === undefined ? 'a' : path[i]!;
      return path.slice(0, i) + `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` + path.slice(i + 1);
    }
    default: {
      // A malformed escape (a truncated UTF-8 sequence): a decode error where it lands in a param.
      const i = at();
      return path.slice(0, i) + r.pick(['%E0%A4', '%', '%zz']) + path.slice(i + 1);
    }
  }
}

function compare(shape: TableShape, seed: number) {
  const table = compileRoutes(shape.rules, shape.options);
  const scan = expressScan(shape.rules, shape.options);
  const r = makeRandom(seed);
  const disagreements: unknown[] = [];
  const count = { requests: 0, matched: 0, badPath: 0, noRoute: 0, firstOfOverlap: 0 };
  const check = (method: string, path: string) => {
    count.requests++;
    const expected = scan(method, path);
    const got = table.lookup(method, path);
    const want = expected === null ? 'no-route' : expected.params === 'bad-path' ? (expected.index < 0 ? 'no-route' : 'bad-path') : expected.index;
    const have = got.kind === 'match' ? got.rule.index : got.kind;
    if (want === 'no-route') count.noRoute++;
    else if (want === 'bad-path') count.badPath++;
    else count.matched++;
    if (expected?.shadowing) count.firstOfOverlap++;
    if (want !== have) disagreements.push({ method, path, expected: want, got: have });
    else if (got.kind === 'match' && expected && expected.params !== 'bad-path') {
      const params = { ...got.params };
      if (JSON.stringify(params) !== JSON.stringify(expected.params)) disagreements.push({ method, path, rule: have, params, expected: expected.params });
    }
  };
  for (const [method, path] of shape.requests) {
    check(method, path);
    for (let v = 0; v < VARIANTS; v++) check(method, mutate(r, path));
  }
  return { disagreements, count };
}

describe.each(SHAPE_NAMES.map((name) => [name]))('table shape %s', (name) => {
  test(`1,000 rules: ${BASE} requests and ${BASE * VARIANTS} variants answer as a first-match scan of path-to-regexp matchers`, () => {
    const shape = tableShape(name, 1000, { requests: BASE });
    expect(shape.rules).toHaveLength(1000);
    const { disagreements, count } = compare(shape, 0x5a9e + name.length);
    expect({ shape: name, disagreements: disagreements.length, first: disagreements.slice(0, 5) }).toEqual({ shape: name, disagreements: 0, first: [] });
    // Both sides of the compare are exercised: requests that reach a rule, and requests that do not.
    expect(count.requests).toBe(BASE * (1 + VARIANTS));
    expect(count.matched).toBeGreaterThan(count.requests / 8);
    expect(count.noRoute).toBeGreaterThan(count.requests / 10);
    // Where specific rules come first, requests a later rule with other scopes also matches go to the first.
    if (name === 'specific-first') expect(count.firstOfOverlap).toBeGreaterThan(count.requests / 20);
    if (process.env.FUZZ_RUNS) console.log(`table shape ${name}: ${JSON.stringify(count)}, 0 disagreements`);
  });

  if (BIG_SHAPES.includes(name)) {
    test(`10,000 rules: ${BIG_BASE} requests and ${BIG_BASE * VARIANTS} variants answer as the scan`, () => {
      const shape = tableShape(name, 10000, { requests: BIG_BASE });
      const { disagreements, count } = compare(shape, 0x10c0 + name.length);
      expect({ shape: name, disagreements: disagreements.length, first: disagreements.slice(0, 5) }).toEqual({ shape: name, disagreements: 0, first: [] });
      expect(count.matched).toBeGreaterThan(count.requests / 8);
    });
  }
});

test('shapes are deterministic, sized as asked, and expressible in find-my-way', () => {
  for (const name of SHAPE_NAMES) {
    const a = tableShape(name, 132);
    const b = tableShape(name, 132);
    expect(a).toEqual(b);
    expect(a.rules).toHaveLength(132);
    expect(a.requests).toHaveLength(64);
    expect(a.rules.filter((rule) => findMyWayPath(rule.path) === null).map((rule) => rule.path)).toEqual([]);
  }
  expect(findMyWayPath('/a/*rest')).toBe('/a/*');
  expect(findMyWayPath('/a{/b}')).toBeNull();
  expect(findMyWayPath('/*rest/edit')).toBeNull();
});
