/**
 * Property test: a compiled table answers like Express's router, modelled here as Express does it:
 * a linear scan of path-to-regexp 8 `match()` functions in registration order, taking the first
 * route whose pattern matches and which handles the method (GET handles HEAD). Random tables and
 * requests from a seeded generator; FUZZ_RUNS raises the count (CI runs the bounded default).
 */
import { match } from 'path-to-regexp';
import { compileRoutes, type RouteRule } from '@scopegate/core';
import { makeRandom } from './support/random';

// FUZZ_RUNS counts requests (20 per random table), as in the Express differential test.
const RUNS = process.env.FUZZ_RUNS ? Math.ceil(Number(process.env.FUZZ_RUNS) / 20) : 300;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT'];
const WORDS = ['a', 'b', 'users', 'Users', 'x.y', 'caf%C3%A9', '', '-', '.'];

function randomPattern(r: ReturnType<typeof makeRandom>): string {
  const segs = r.int(0, 4);
  let out = '';
  let names = 0;
  for (let i = 0; i < segs; i++) {
    const kind = r.pick(['static', 'static', 'param', 'param', 'mixed', 'optional', 'wildcard']);
    if (kind === 'static') out += '/' + r.pick(['a', 'b', 'users', 'Users', 'x.y', 'v1']);
    else if (kind === 'param') out += `/:p${names++}`;
    else if (kind === 'mixed') out += `/:p${names++}.${r.pick([':p' + names++, 'json', 'x'])}`;
    else if (kind === 'optional') out += `{/${r.pick(['a', ':p' + names++])}}`;
    else {
      out += `/*w${names++}`;
      if (r.bool()) out += '/' + r.pick(['a', 'edit']);
      break;
    }
  }
  return out || '/';
}

function randomPath(r: ReturnType<typeof makeRandom>, pattern: string): string {
  // Start from the pattern with its captures filled in, then mutate.
  let p = pattern
    .replace(/[{}]/g, '')
    .replace(/[:*]p?w?\d+/g, () => r.pick(WORDS.filter(Boolean)))
    .replace(/\/\//g, '/');
  const mutation = r.int(0, 6);
  if (mutation === 0) p = p.toUpperCase();
  if (mutation === 1) p += '/';
  if (mutation === 2) p += '//';
  if (mutation === 3) p = p.replace('/', '//');
  if (mutation === 4) p += '/' + r.pick(WORDS);
  if (mutation === 5) p = p.replace(/a/g, '%61');
  if (mutation === 6 && p.length > 1) p = p.slice(0, r.int(1, p.length));
  return p;
}

function expressScan(rules: RouteRule[], options: { caseSensitive: boolean; strict: boolean }) {
  const matchers = rules.map((rule) =>
    match(rule.path, { sensitive: options.caseSensitive, trailing: !options.strict, end: true, decode: decodeURIComponent }),
  );
  // Express's router: a decode error in any route whose path matches is held, and no later
  // route matches (router 2.x `layerError`); the request ends in a 400. A table that picks the
  // same route or denies is right; `errorFirst` marks where Express errors before the route.
  return (method: string, path: string) => {
    let errorFirst = false;
    for (let i = 0; i < rules.length; i++) {
      const methods = [rules[i]!.method].flat();
      const handles = methods.includes(method) || (method === 'HEAD' && methods.includes('GET'));
      let m: ReturnType<(typeof matchers)[number]>;
      try {
        m = matchers[i]!(path);
      } catch {
        if (handles) return { index: i, params: 'bad-path' as const, errorFirst };
        errorFirst = true;
        continue;
      }
      if (m && handles) return { index: i, params: { ...m.params }, errorFirst };
    }
    return errorFirst ? { index: -1, params: 'bad-path' as const, errorFirst } : null;
  };
}

test(`${RUNS} random tables (${RUNS * 20} requests) agree with a first-match scan of path-to-regexp matchers`, () => {
  const r = makeRandom(0x5c09e);
  let compared = 0;
  let matched = 0;
  for (let run = 0; run < RUNS; run++) {
    const options = { caseSensitive: r.bool(), strict: r.bool() };
    const rules: RouteRule[] = [];
    const seen = new Set<string>();
    for (let i = r.int(1, 8); i > 0; i--) {
      const path = randomPattern(r);
      const method = r.pick(METHODS);
      const key = `${method} ${options.caseSensitive ? path : path.toUpperCase()}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rules.push({ method, path, scopes: ['same'] }); // equal scopes: overlaps are allowed
    }
    const table = compileRoutes(rules, options);
    const scan = expressScan(rules, options);
    for (let k = 0; k < 20; k++) {
      const rule = r.pick(rules);
      const path = randomPath(r, rule.path);
      const method = r.pick(METHODS);
      const expected = scan(method, path);
      const got = table.lookup(method, path);
      const context = { rules, options, method, path };
      if (expected === null) {
        expect({ ...context, got: got.kind }).toEqual({ ...context, got: 'no-route' });
      } else if (expected.params === 'bad-path') {
        // Express answers 400: the table must not hand the request to a rule.
        expect({ ...context, got: got.kind === 'match' ? got.rule.index : got.kind }).toEqual({
          ...context,
          got: expected.index < 0 ? 'no-route' : 'bad-path',
        });
      } else {
        matched++;
        expect({ ...context, index: got.kind === 'match' ? got.rule.index : got.kind }).toEqual({ ...context, index: expected.index });
        expect(got.kind === 'match' && { ...got.params }).toEqual(expected.params);
      }
      compared++;
    }
  }
  expect(compared).toBe(RUNS * 20);
  expect(matched).toBeGreaterThan(compared / 10); // the generator does reach rules
  if (process.env.FUZZ_RUNS) console.log(`core differential: ${compared} requests on ${RUNS} tables, ${matched} matched a rule, 0 disagreements`);
}, Math.max(20_000, RUNS * 10));
