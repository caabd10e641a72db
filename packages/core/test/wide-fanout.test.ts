/**
 * Nodes with many static children are found through a hash of a segment's length and three of
 * its characters (first, middle, last), so many keys share a hash on purpose here. Each table is
 * checked against a first-match scan of path-to-regexp matchers (what Express's router does), on
 * exact, case-changed, one-letter-off, encoded and non-ASCII segments.
 */
import { match } from 'path-to-regexp';
import { compileRoutes, type RouteRule } from '@scopegate/core';
import { makeRandom } from './support/random';

// Same length, first, middle and last character: `aXmYz` for many X and Y all hash alike.
const colliding = ['b', 'c', 'd', 'e', 'f', 'g'].flatMap((x) => ['h', 'i', 'j', 'k'].map((y) => `a${x}m${y}z`));
const others = ['users', 'Users2', 'wallets', 'w', 'ws', 'x.y', 'caf%C3%A9', 'straße', 'ÿes', 'Ωmega', 'ǅx', 'ß', 'K', 'long-segment-name-here', '-'];
const WORDS = [...colliding, ...others];

function tables(): [string, RouteRule[]][] {
  const top: RouteRule[] = WORDS.map((w) => ({ method: 'GET', path: `/${w}`, scopes: ['s'] }));
  const nested: RouteRule[] = WORDS.flatMap((w) => [
    { method: 'GET', path: `/pre/${w}/:id`, scopes: ['s'] },
    { method: 'POST', path: `/pre/:any/${w}`, scopes: ['s'] },
  ]);
  return [
    ['top level', top],
    ['under a static and a param', nested],
  ];
}

/** A segment near `word`: itself, re-cased, one character changed or dropped, encoded. */
function variant(r: ReturnType<typeof makeRandom>, word: string): string {
  switch (r.int(0, 6)) {
    case 0:
      return word;
    case 1:
      return word.toUpperCase();
    case 2:
      return word.toLowerCase();
    case 3: {
      const i = r.int(0, word.length - 1);
      return word.slice(0, i) + r.pick(['b', 'M', 'z', 'ß', '%41', 'k']) + word.slice(i + 1);
    }
    case 4:
      return word.slice(0, -1);
    case 5:
      return word.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`);
    default:
      return r.pick(WORDS);
  }
}

function firstMatch(rules: RouteRule[], caseSensitive: boolean) {
  const matchers = rules.map((rule) => match(rule.path, { sensitive: caseSensitive, trailing: true, end: true, decode: decodeURIComponent }));
  return (method: string, path: string) => {
    for (let i = 0; i < rules.length; i++) {
      const m = matchers[i]!(path);
      if (m && (rules[i]!.method === method || (method === 'HEAD' && rules[i]!.method === 'GET'))) return { index: i, params: { ...m.params } };
    }
    return null;
  };
}

const RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 3000;

describe.each(tables())('many static children, %s', (_name, rules) => {
  test.each([false, true])(`caseSensitive %s: ${RUNS} requests answer as a first-match scan`, (caseSensitive) => {
    const table = compileRoutes(rules, { caseSensitive });
    const scan = firstMatch(rules, caseSensitive);
    const r = makeRandom(caseSensitive ? 0xfa2 : 0xfa1);
    let matched = 0;
    for (let k = 0; k < RUNS; k++) {
      const rule = r.pick(rules);
      const path = rule.path.replace(/:\w+/g, () => r.pick(['7', 'x%2Fy', 'Ab'])).replace(/[^/]+/g, (seg) => (WORDS.includes(seg) ? variant(r, seg) : seg));
      const method = r.pick(['GET', 'HEAD', 'POST']);
      const expected = scan(method, path);
      const got = table.lookup(method, path);
      const context = { caseSensitive, method, path };
      expect({ ...context, index: got.kind === 'match' ? got.rule.index : null }).toEqual({ ...context, index: expected?.index ?? null });
      if (expected && got.kind === 'match') {
        matched++;
        expect({ ...got.params }).toEqual(expected.params);
      }
    }
    // The variants do reach rules, and do miss them: both sides of the compare are exercised.
    expect(matched).toBeGreaterThan(RUNS / 5);
    expect(matched).toBeLessThan(RUNS);
  });

  test('every word reaches its own rule, exactly and re-cased', () => {
    const table = compileRoutes(rules);
    const scan = firstMatch(rules, false);
    for (const rule of rules) {
      const path = rule.path.replace(/:\w+/g, 'v');
      for (const p of [path, path.toUpperCase(), path.toLowerCase()]) {
        const got = table.lookup(rule.method as string, p);
        const expected = scan(rule.method as string, p);
        expect({ p, index: got.kind === 'match' ? got.rule.index : null }).toEqual({ p, index: expected?.index ?? null });
      }
    }
  });
});
