/**
 * Property test: a compiled table answers like Express's router, modelled here as Express does it:
 * a linear scan of path-to-regexp 8 `match()` functions in registration order, taking the first
 * route whose pattern matches and which handles the method (GET handles HEAD). Random tables and
 * requests from a seeded generator; FUZZ_RUNS raises the count (CI runs the bounded default).
 *
 * Rules carry random scopes, and half of them come with a specific rule before them whose
 * pattern is contained in theirs (`/users/me` before `/users/:id`: params made words, optional
 * groups taken or left out, wildcards made words, params or deeper wildcards, words re-cased),
 * with scopes of its own. Such a pair compiles (the first rule wins, as in Express); every
 * other overlap with different scopes is refused, and the generator then gives the later rule
 * the earlier one's scopes (and every rule sharing its scopes). So the tables hold every shape of overlap the compiler allows, and
 * the lookup must still pick the first matching rule: mixed segments `:a.:b`, optional groups,
 * wildcards, case folding, strict and non-strict trailing slashes.
 */
import { match } from 'path-to-regexp';
import { analyzeRoutes, compileRoutes, RouteConfigError, type CompileOptions, type RouteRule, type RouteTable } from '@scopegate/core';
import { makeRandom } from './support/random';

// FUZZ_RUNS counts requests (20 per random table), as in the Express differential test.
const RUNS = process.env.FUZZ_RUNS ? Math.ceil(Number(process.env.FUZZ_RUNS) / 20) : 300;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT'];
const SCOPES = ['s1', 's2', 's3'];
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

/** The parts of a pattern of `randomPattern`: `{/…}`, `/*wN`, `/:pN.…`, `/:pN`, `/word`. */
const PART = /\{\/[^}]+\}|\/\*w\d+|\/:p\d+\.[^/{]+|\/:p\d+|\/[^/{]*/g;

/** A pattern contained in `pattern` (when the table folds case, for re-cased words), or `pattern` itself. */
function specialise(r: ReturnType<typeof makeRandom>, pattern: string): string {
  return pattern.replace(PART, (part) => {
    if (part.startsWith('{')) return r.pick([part.slice(1, -1), '', part]);
    if (part.startsWith('/*')) return r.pick(['/me', `/:p9${part.slice(3)}`, `/a${part}`, '/me/edit', part]);
    if (/^\/:p\d+\./.test(part)) return r.pick(['/x.y', '/a.json', part.replace(/\.[^.]+$/, '.json'), part]);
    if (part.startsWith('/:')) return r.pick(['/me', '/users', '/x.y', part]);
    return r.int(0, 3) === 0 ? part.toUpperCase() : part;
  });
}

/**
 * Compile, resolving what the compiler refuses as a user would: a duplicate is dropped, and of an
 * ambiguous pair (partial, or general before specific) the later rule's scopes become the earlier's
 * (on every rule that has them).
 */
function compilable(rules: RouteRule[], options: CompileOptions): { rules: RouteRule[]; table: RouteTable } {
  let list = rules;
  for (let guard = 0; guard < 200; guard++) {
    try {
      return { rules: list, table: compileRoutes(list, options) };
    } catch (err) {
      if (!(err instanceof RouteConfigError) || !err.rule || !err.otherRule) throw err;
      const [a, b] = [err.rule.index, err.otherRule.index].sort((x, y) => x - y) as [number, number];
      if (err.code === 'ERR_DUPLICATE_ROUTE') list = list.filter((_, i) => i !== b);
      else if (err.code === 'ERR_AMBIGUOUS_ROUTES') {
        // Every rule requiring what b requires now requires a's (fewer distinct scopes each time: this ends).
        const [from, to] = [list[b]!.scopes![0], list[a]!.scopes!];
        list = list.map((rule) => (rule.scopes![0] === from ? { ...rule, scopes: to } : rule));
      }
      else throw err;
    }
  }
  throw new Error(`could not make the table compile: ${JSON.stringify(rules)}`);
}

function randomPath(r: ReturnType<typeof makeRandom>, pattern: string): string {
  // Start from the pattern with its captures filled in, then mutate.
  let p = pattern
    .replace(/[{}]/g, '')
    .replace(/[:*][pw]\d+/g, () => r.pick(WORDS.filter(Boolean)))
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
  /** Requests the earlier rule of a specific-first pair answered, though the later rule (other scopes) matches them too. */
  let specificFirst = 0;
  let pairs = 0;
  for (let run = 0; run < RUNS; run++) {
    const options = { caseSensitive: r.bool(), strict: r.bool() };
    const generated: RouteRule[] = [];
    for (let i = r.int(1, 6); i > 0; i--) {
      const path = randomPattern(r);
      const method = r.pick(METHODS);
      if (r.bool()) {
        const specific = specialise(r, path);
        if (specific !== path) generated.push({ method: r.int(0, 3) ? method : r.pick(METHODS), path: specific, scopes: [r.pick(SCOPES)] });
      }
      generated.push({ method, path, scopes: [r.pick(SCOPES)] });
    }
    const { rules, table } = compilable(generated, options);
    const scan = expressScan(rules, options);
    // The specific-first pairs the compiler allowed, with the later rule's matcher.
    const containing = new Map<number, ((method: string, path: string) => boolean)[]>();
    for (const f of analyzeRoutes(rules, options).findings) {
      if (f.kind !== 'contained') continue;
      pairs++;
      const later = rules[f.rules[1]!]!;
      const m = match(later.path, { sensitive: options.caseSensitive, trailing: !options.strict, end: true, decode: false });
      const list = containing.get(f.rules[0]!) ?? [];
      list.push((method, path) => (later.method === method || (method === 'HEAD' && later.method === 'GET')) && m(path) !== false);
      containing.set(f.rules[0]!, list);
    }
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
        if (containing.get(expected.index)?.some((later) => later(method, path))) specificFirst++;
        expect({ ...context, index: got.kind === 'match' ? got.rule.index : got.kind }).toEqual({ ...context, index: expected.index });
        expect(got.kind === 'match' && { ...got.params }).toEqual(expected.params);
      }
      compared++;
    }
  }
  expect(compared).toBe(RUNS * 20);
  expect(matched).toBeGreaterThan(compared / 10); // the generator does reach rules
  // …and specific-first pairs with different scopes, on requests both rules match.
  expect(pairs).toBeGreaterThan(RUNS / 10);
  expect(specificFirst).toBeGreaterThan(compared / 200);
  if (process.env.FUZZ_RUNS) {
    console.log(`core differential: ${compared} requests on ${RUNS} tables (${pairs} specific-first pairs), ${matched} matched a rule, ${specificFirst} of them a specific rule its later containing rule also matches, 0 disagreements`);
  }
}, Math.max(20_000, RUNS * 10));
