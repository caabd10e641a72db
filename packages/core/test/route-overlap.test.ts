/**
 * The overlap check's containment (route-overlap.ts): "is every path pattern A matches also
 * matched by pattern B?", which decides that a specific rule before a general one is allowed.
 * - Cases: plain segments, wildcards, optional groups (a union of forms), mixed segments, case
 *   folding, trailing slashes.
 * - Soundness, as a property: whenever containment is claimed, every sampled path the inner
 *   pattern matches (path-to-regexp, as Express) is matched by the outer one.
 * - Its shortcuts (plain segments, plain text) agree with the general automaton proof, and the
 *   shortcuts of the intersection test with the product automaton.
 */
import { match } from 'path-to-regexp';
import { flattenPattern, type FlatToken } from '../src/pattern';
import { alternativeWithin, automataIntersect, exactAbstraction, patternIncluded, patternsIntersect, toElements } from '../src/route-overlap';
import { resolveOptions } from '../src/rule-validation';
import { makeRandom, type Random } from './support/random';

const where = { index: 0, method: 'GET', path: '?' };
const forms = (path: string): FlatToken[][] => {
  const out: FlatToken[][] = [];
  flattenPattern(path, where, (tokens) => out.push(tokens));
  return out;
};
/** Every form of `inner` within the forms of `outer`. */
const within = (inner: string, outer: string, options = {}) => {
  const opts = resolveOptions(options);
  return forms(inner).every((a) => alternativeWithin(a, forms(outer), opts));
};

describe.each<[string, string, string, object, boolean]>([
  ['a static segment within a param', '/users/me', '/users/:id', {}, true],
  ['not the other way round', '/users/:id', '/users/me', {}, false],
  ['the same pattern under another param name', '/users/:id', '/users/:userId', {}, true],
  ['a param never holds an empty segment', '/users//x', '/users/:id/x', {}, false],
  ['another length', '/users/me/x', '/users/:id', {}, false],
  ['case folding', '/USERS/Me', '/users/:id', {}, true],
  ['case-sensitive', '/USERS/Me', '/users/:id', { caseSensitive: true }, false],
  ['a trailing slash taken twice', '/users/me/', '/users/:id', {}, false],
  ['…but not under strict routing', '/users/me/', '/users/:id/', { strict: true }, true],
  ['into a wildcard', '/files/a/b/c', '/files/*path', {}, true],
  ['a param into a wildcard', '/files/:dir/:name', '/files/*path', {}, true],
  ['a wildcard into a deeper one', '/files/a/*rest', '/files/*path', {}, true],
  ['a wildcard into a param', '/files/*path', '/files/:name', {}, false],
  ['a wildcard holds a leading slash', '/a/*w', '/a/:p/*rest', {}, false],
  ['plain text into a two-capture segment', '/f/report.pdf', '/f/:name.:ext', {}, true],
  ['…and its trailing-slash form', '/f/report.pdf', '/f/:name.:ext', { strict: true }, true],
  ['plain text not of that shape', '/f/report', '/f/:name.:ext', {}, false],
  ['a mixed segment into a param', '/f/:name.json', '/f/:file', {}, true],
  ['a param into a mixed segment', '/f/:file', '/f/:name.json', {}, false],
  ['not provable: a capture into a two-capture segment (kept as not contained)', '/f/:name.json', '/f/:base.:ext', {}, false],
  ['both optional forms into a param', '/users/me{/x}', '/users/:id{/:tab}', {}, true],
  ['one optional form outside', '/users/me{/x}', '/users/:id', {}, false],
  ['into the union of the outer forms only', '/a/', '/a{/*v}', {}, true],
  ['…which no single form contains', '/a/', '/a/*v', {}, false],
  ['an empty pattern', '', '{/:x}', {}, true],
])('%s: %j within %j', (_name, inner, outer, options, expected) => {
  test(`${expected}`, () => {
    expect(within(inner, outer, options)).toBe(expected);
  });
});

// ---- properties ----------------------------------------------------------------------------

const WORDS = ['a', 'b', 'me', 'Me', 'users', 'x.y', 'json', 'pdf', 'caf%C3%A9'];
const VALUES = ['a', 'b', 'me', 'ME', 'x.y', 'a.json', 'json', '.', '..', 'x', 'report.pdf', 'b.', '%2F', 'caf%C3%A9', 'users'];

/** A random pattern: static words, params, mixed segments, optional groups, a trailing wildcard. */
function randomPattern(r: Random, names = { n: 0 }): string {
  let out = '';
  for (let i = r.int(0, 3); i > 0; i--) {
    const kind = r.pick(['static', 'static', 'param', 'param', 'mixed', 'mixed-text', 'optional', 'optional-param']);
    if (kind === 'static') out += `/${r.pick(WORDS)}`;
    else if (kind === 'param') out += `/:p${names.n++}`;
    else if (kind === 'mixed') out += `/:p${names.n++}.:p${names.n++}`;
    else if (kind === 'mixed-text') out += `/:p${names.n++}.${r.pick(['json', 'pdf'])}`;
    else if (kind === 'optional') out += `{/${r.pick(WORDS)}}`;
    else out += `{/:p${names.n++}}`;
  }
  if (r.int(0, 4) === 0) out += `/*w${names.n++}`;
  if (r.int(0, 6) === 0) out += '/';
  return out;
}

/** A pattern likely contained in `pattern`: params and wildcards made words, groups settled. */
function narrower(r: Random, pattern: string): string {
  return pattern
    .replace(/\{([^}]*)\}/g, (_m, inner: string) => r.pick([inner, '', `{${inner}}`]))
    .replace(/\*w\d+/g, (m) => r.pick([m, 'me', 'a/b', `:q${r.int(0, 9)}`]))
    .replace(/:p\d+/g, (m) => r.pick([m, r.pick(WORDS)]))
    .replace(/[a-z]+/g, (w) => (r.int(0, 5) === 0 ? w.toUpperCase() : w));
}

/** Paths the pattern may match: its forms with captures filled, re-cased, slashes added. */
function samplePaths(r: Random, pattern: string, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let p = pattern
      .replace(/\{([^}]*)\}/g, (_m, inner: string) => (r.bool() ? inner : ''))
      .replace(/\*\w+/g, () => Array.from({ length: r.int(1, 3) }, () => r.pick([...VALUES, ''])).join('/') || 'z')
      .replace(/:\w+/g, () => r.pick(VALUES));
    if (r.int(0, 3) === 0) p = p.toUpperCase();
    if (r.int(0, 3) === 0) p += '/';
    out.push(p);
  }
  return out;
}

const RUNS = process.env.FUZZ_RUNS ? Math.ceil(Number(process.env.FUZZ_RUNS) / 10) : 2000;

test(`containment is sound: ${RUNS} random pairs, every sampled path of the inner pattern matched by the outer`, () => {
  const r = makeRandom(0xc0a7);
  let claimed = 0;
  let checkedPaths = 0;
  for (let run = 0; run < RUNS; run++) {
    const options = { caseSensitive: r.bool(), strict: r.bool() };
    const outer = randomPattern(r);
    const inner = r.int(0, 3) === 0 ? randomPattern(r, { n: 50 }) : narrower(r, outer);
    let innerForms: FlatToken[][];
    try {
      innerForms = forms(inner);
    } catch {
      continue; // a pattern path-to-regexp refuses
    }
    if (!innerForms.every((a) => alternativeWithin(a, forms(outer), resolveOptions(options)))) continue;
    claimed++;
    const m = { sensitive: options.caseSensitive, trailing: !options.strict, end: true, decode: false } as const;
    const matchInner = match(inner, m);
    const matchOuter = match(outer, m);
    for (const path of samplePaths(r, inner, 30)) {
      if (matchInner(path) === false) continue;
      checkedPaths++;
      expect({ inner, outer, options, path, outer_matches: matchOuter(path) !== false }).toEqual({ inner, outer, options, path, outer_matches: true });
    }
  }
  expect(claimed).toBeGreaterThan(RUNS / 5);
  expect(checkedPaths).toBeGreaterThan(RUNS);
  if (process.env.FUZZ_RUNS) console.log(`containment: ${RUNS} pairs, ${claimed} claimed contained, ${checkedPaths} sampled paths checked, 0 counterexamples`);
});

test('the shortcuts agree with the automata: containment (plain segments, plain text) and intersection', () => {
  const r = makeRandom(0x5407);
  let compared = 0;
  for (let run = 0; run < RUNS; run++) {
    const opts = resolveOptions({ caseSensitive: r.bool(), strict: r.bool() });
    const a = randomPattern(r);
    const b = r.bool() ? narrower(r, a) : randomPattern(r, { n: 50 });
    for (const x of forms(a)) {
      for (const y of forms(b)) {
        // Intersection: whatever the shortcut, the product automaton says the same.
        const fold = !opts.caseSensitive;
        expect({ x, y, opts, intersect: patternsIntersect(x, y, opts) }).toEqual({ x, y, opts, intersect: automataIntersect(toElements(x, fold), toElements(y, fold), !opts.strict) });
        // Containment against an exact outer form: the automaton's answer is exact, so must match.
        if (exactAbstraction(x)) {
          expect({ y, x, opts, within: alternativeWithin(y, [x], opts) }).toEqual({ y, x, opts, within: patternIncluded(y, [x], opts) });
        }
        compared++;
      }
    }
  }
  expect(compared).toBeGreaterThan(RUNS);
});
