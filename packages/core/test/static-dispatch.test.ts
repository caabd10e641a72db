/**
 * The static-child dispatch (src/static-dispatch.ts): a few code units of a segment (after its
 * length, where a param child sits beside) pick one candidate child, confirmed by one native
 * compare (folded unit by unit, or on the path folded whole once a segment matched only folded).
 * These tables aim at what that can get wrong: names sharing long prefixes or suffixes, keys
 * differing only in their last (or first, or middle) character, keys of other lengths under a
 * node without a param child (the walk reads offsets that may lie past a short segment, or past
 * the path's end, and checks for the `/` after the candidate instead of searching for it), keys
 * that are prefixes of one another, case variants, keys told apart only by far-apart non-ASCII
 * units (a chain of leaves), letters beside caseless keys, and a static child beside a param.
 * Each table is checked, case-sensitive and not, strict and not, against a first-match scan of
 * path-to-regexp matchers (what Express's router does) on every name exactly, re-cased, with one
 * character changed at every position, cut, lengthened, with a slash inside, and with a trailing
 * slash.
 */
import { match } from 'path-to-regexp';
import { compileRoutes, type RouteRule } from '@scopegate/core';
import { foldChar } from '../src/case-fold';
import { buildFreeDispatch, type StaticEntry } from '../src/static-dispatch';
import { makeRandom } from './support/random';

const pad = (i: number, n = 4) => String(i).padStart(n, '0');
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const hex = (r: ReturnType<typeof makeRandom>, n: number) => range(n).map(() => '0123456789abcdef'[r.int(0, 15)]).join('');
const uuids = (() => {
  const r = makeRandom(0xd15);
  return range(60).map(() => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-8${hex(r, 3)}-${hex(r, 12)}`);
})();

const NAME_SETS: [string, string[]][] = [
  ['long shared prefix', range(60).map((i) => `tenant-account-region-${pad(i)}`)],
  ['long shared suffix', range(60).map((i) => `${pad(i)}-tenant-account-region`)],
  ['differing only in the last character', [...'abcdefghijklmnopqrstuvwxyz0123456789-._~'].map((c) => `segment-name-${c}`)],
  ['differing only in the first character', [...'abcdefghijklmnopqrstuvwxyz0123456789'].map((c) => `${c}-segment-name`)],
  ['one length, differing in the middle', range(40).map((i) => `cluster-${pad(i, 2)}-east`)],
  ['uuids', uuids],
  ['lengths one apart, sharing prefixes', ['i', 'it', 'ite', 'item', 'items', 'items2', 'items22', 'itemz', 'Item3']],
  ['a single name', ['only']],
  ['other lengths, two to a leaf', ['a', 'ab', 'bcd', 'bcde', 'cx', 'dxyz', 'e-long-name-here', 'f', 'fg', 'G', 'gh-', '0', '01']],
  ['case variants and caseless names', ['users', 'USERS2', 'Users3', 'uSeRs4', '0001', '0002', '-', '.', '42-42', 'a1', 'A2']],
  ['non-ASCII, told apart only by far-apart code units', ['x\u0100y', 'x\u4e00y', 'x\u00e9y', 'x\u00c9z', 'stra\u00dfe', '\u03a9mega', '\u01c5x', '\u212a', 'k\u017f', 'caf\u00e9']],
];

type Variant = (name: string, r: ReturnType<typeof makeRandom>) => string[];
const swapCase = (s: string) => s.replace(/[a-z]/gi, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
const VARIANTS: Variant[] = [
  (n) => [n, n.toUpperCase(), n.toLowerCase(), swapCase(n)],
  // One character changed at every position (to a digit, a letter in the other case, a non-ASCII one).
  (n, r) => range(n.length).map((i) => n.slice(0, i) + r.pick(['0', 'z', 'Z', '-', '\u00e9', '\u017f', n[i]!.toUpperCase()]) + n.slice(i + 1)),
  (n) => [n.slice(0, -1), n.slice(1), `${n}x`, `x${n}`, `${n}${n}`],
  // A slash inside: a segment as long as the keys that is not one segment.
  (n) => (n.length > 2 ? [`${n.slice(0, 1)}/${n.slice(2)}`, `${n.slice(0, -2)}/${n.slice(-1)}`] : []),
];

/** Where the names sit: [label, rules, prefix and suffix around a name in a request, method]. */
function tables(names: string[]): [string, RouteRule[], string, string, string][] {
  return [
    ['at the root, no param beside', names.map((n) => ({ method: 'GET', path: `/${n}/end`, scopes: ['s'] })), '/', '/end', 'GET'],
    [
      'under a static, a param beside',
      [...names.map((n) => ({ method: 'GET', path: `/pre/${n}`, scopes: ['s'] })), { method: 'GET', path: '/pre/:id', scopes: ['s'] }],
      '/pre/',
      '',
      'GET',
    ],
    ['under a param, at the end of the path', names.map((n) => ({ method: 'POST', path: `/p/:any/${n}`, scopes: ['s'] })), '/p/v/', '', 'POST'],
  ];
}

function firstMatch(rules: RouteRule[], caseSensitive: boolean, strict: boolean) {
  const matchers = rules.map((rule) => match(rule.path, { sensitive: caseSensitive, trailing: !strict, end: true, decode: decodeURIComponent }));
  return (method: string, path: string) => {
    for (let i = 0; i < rules.length; i++) {
      const handles = rules[i]!.method === method || (method === 'HEAD' && rules[i]!.method === 'GET');
      let m: ReturnType<(typeof matchers)[number]>;
      try {
        m = matchers[i]!(path);
      } catch {
        if (handles) return { index: i, params: 'bad-path' as const };
        continue;
      }
      if (m && handles) return { index: i, params: { ...m.params } };
    }
    return null;
  };
}

/** Case-insensitive tables refuse names equal when folded (duplicates): keep the first of each. */
function distinctFolded(names: string[]): string[] {
  const seen = new Set<string>();
  return names.filter((n) => {
    const key = [...n].map(foldChar).join('');
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

describe.each(NAME_SETS)('static dispatch: %s', (_label, allNames) => {
  describe.each([
    ['case-insensitive', false, false],
    ['case-insensitive, strict', false, true],
    ['case-sensitive', true, false],
    ['case-sensitive, strict', true, true],
  ])('%s', (_mode, caseSensitive, strict) => {
    const names = caseSensitive ? allNames : distinctFolded(allNames);
    test.each(tables(names))('%s: every name and its variants answer as a first-match scan', (_where, rules, before, after, method) => {
      const table = compileRoutes(rules, { caseSensitive, strict });
      const scan = firstMatch(rules, caseSensitive, strict);
      const r = makeRandom(0x5d + names.length);
      let matched = 0;
      let missed = 0;
      for (const name of names) {
        for (const variant of VARIANTS.flatMap((v) => v(name, r))) {
          for (const path of [`${before}${variant}${after}`, `${before}${variant}${after}/`]) {
            const expected = scan(method, path);
            const got = table.lookup(method, path);
            const context = { method, path };
            expect({ ...context, index: got.kind === 'match' ? got.rule.index : got.kind }).toEqual({ ...context, index: expected === null ? 'no-route' : expected.params === 'bad-path' ? 'bad-path' : expected.index });
            if (got.kind === 'match' && expected && expected.params !== 'bad-path') expect({ ...got.params }).toEqual(expected.params);
            if (got.kind === 'match') matched++;
            else missed++;
          }
        }
      }
      // Both sides of the compare are exercised.
      expect(matched).toBeGreaterThan(0);
      expect(missed).toBeGreaterThan(0);
    });
  });
});

describe('case folding of static segments, every UTF-16 code unit', () => {
  // Every code unit that folds (or lower-cases) to another, with what it folds to: one rule per
  // class of units equal when folded, and requests with each member of the class and the
  // neighbours. A leaf the dispatch thinks caseless, or a code unit it folds differently from the
  // RegExp `i` flag, shows up here as a disagreement with path-to-regexp.
  const units = new Set<number>();
  for (let c = 0; c < 0x10000; c++) {
    const ch = String.fromCharCode(c);
    const folded = foldChar(ch);
    if (folded !== ch || ch.toLowerCase() !== ch || ch.toUpperCase() !== ch) {
      units.add(c);
      units.add(folded.charCodeAt(0));
    }
  }
  // Not a pattern character, not a surrogate (a lone one is not a valid pattern character).
  const usable = [...units].filter((c) => (c > 0x7f || /[a-z]/i.test(String.fromCharCode(c))) && !(c >= 0xd800 && c <= 0xdfff)).sort((a, b) => a - b);
  const classes = new Map<string, number[]>();
  for (const c of usable) {
    const key = foldChar(String.fromCharCode(c));
    (classes.get(key) ?? classes.set(key, []).get(key)!).push(c);
  }
  const all = [...classes.values()];
  const CHUNK = 150;
  const chunks = range(Math.ceil(all.length / CHUNK)).map((i) => all.slice(i * CHUNK, (i + 1) * CHUNK));

  test.each(chunks.map((c, i) => [i, c] as const))('chunk %i: one-unit and three-unit names answer as path-to-regexp', (_i, chunk) => {
    for (const wrap of [(u: string) => u, (u: string) => `a${u}-`]) {
      const rules: RouteRule[] = chunk.map((members) => ({ method: 'GET', path: `/k/${wrap(String.fromCharCode(members[0]!))}`, scopes: ['s'] }));
      const table = compileRoutes(rules);
      const scan = firstMatch(rules, false, false);
      const requests = chunk.flatMap((members) => members.flatMap((c) => [c, c + 1, c - 1])).map((c) => `/k/${wrap(String.fromCharCode(c))}`);
      for (const path of requests) {
        const expected = scan('GET', path);
        const got = table.lookup('GET', path);
        const codes = [...path].map((ch) => ch.charCodeAt(0).toString(16));
        expect({ codes, index: got.kind === 'match' ? got.rule.index : got.kind }).toEqual({ codes, index: expected === null ? 'no-route' : expected.params === 'bad-path' ? 'bad-path' : expected.index });
      }
    }
  });

  test('the classes cover the tricky units', () => {
    // Non-ASCII units whose upper case is ASCII (never folded onto it), KELVIN SIGN, sigmas, ß.
    for (const c of [0x131, 0x17f, 0x212a, 0x3c2, 0x3c3, 0x3a3, 0xdf, 0x1c5]) expect(usable).toContain(c);
    expect(all.length).toBeGreaterThan(500);
  });
});

test('a re-cased request folds the path once and still answers each segment as the scan', () => {
  const rules: RouteRule[] = [
    { method: 'GET', path: '/Tenants/:id/Items/sub-A', scopes: ['a'] },
    { method: 'GET', path: '/tenants/:id/items/SUB-b', scopes: ['b'] },
    { method: 'GET', path: '/TENANTS/:id/ITEMS/0001', scopes: ['c'] },
  ];
  const table = compileRoutes(rules);
  const scan = firstMatch(rules, false, false);
  for (const path of ['/tenants/X/items/sub-a', '/TENANTS/x/ITEMS/SUB-A', '/tEnAnTs/Id/iTeMs/SuB-B', '/tenants/\u017f/items/0001', '/tenants/K/items/sub-\u212a', '/tenants/a/items/sub-\u0131', '/TENANTS/%C5%BF/ITEMS/0001']) {
    const expected = scan('GET', path);
    const got = table.lookup('GET', path);
    expect({ path, index: got.kind === 'match' ? got.rule.index : null, params: got.kind === 'match' ? { ...got.params } : null }).toEqual({ path, index: expected?.index ?? null, params: expected?.params ?? null });
  }
});

describe('buildFreeDispatch: one tree over keys of every length, or null', () => {
  const entries = (keys: string[]): StaticEntry<string>[] => keys.map((key) => ({ key, text: key, node: key }));
  test.each([
    ['as long, any number', ['aa', 'ab', 'ba', 'bb', 'cc'], true],
    ['other lengths, told apart inside the shortest', ['a', 'bcd', 'cx', 'dxyz'], true],
    ['two keys, one a prefix of the other', ['item', 'items'], true],
    ['keys each a prefix of the next: told apart where the shorter ends', ['i', 'it', 'ite', 'item', 'items'], true],
    ['as long, differing only in far-apart non-ASCII units', ['x\u0100', 'x\u4e00', 'x\u9000'], false],
    ['one key', ['only'], true],
  ])('%s', (_label, keys, built) => {
    const root = buildFreeDispatch(entries(keys), false);
    expect(root !== null).toBe(built);
  });
});
