/**
 * path-to-regexp 8.4.2's own match cases (fixtures/path-to-regexp-match-cases.json, copied from
 * its src/cases.spec.ts MATCH_TESTS; the file's "source" field names the origin). Express 5 calls
 * match(pattern, { sensitive, trailing: !strict, end: true, decode }), so a table that routes
 * like Express must give the same answer for every case.
 */
import { match } from 'path-to-regexp';
import { compileRoutes } from '@scopegate/core';
import cases from './fixtures/path-to-regexp-match-cases.json';

interface MatchCase {
  input: string;
  expected: { params: Record<string, string | string[]> } | null;
}
interface MatchSet {
  path: string;
  options: { caseSensitive: boolean; strict: boolean };
  tests: MatchCase[];
}

const sets = (cases as { sets: MatchSet[] }).sets;

test('the fixture is the filtered 8.4.2 case list', () => {
  expect((cases as { source: string }).source).toMatch(/path-to-regexp 8\.4\.2/);
  expect(sets.length).toBeGreaterThan(60);
});

describe.each(sets.map((s) => [`${s.path} ${JSON.stringify(s.options)}`, s] as const))('%s', (_name, set) => {
  const table = compileRoutes([{ method: 'GET', path: set.path, scopes: [] }], set.options);
  const reference = match(set.path, {
    sensitive: set.options.caseSensitive,
    trailing: !set.options.strict,
    end: true,
    decode: decodeURIComponent,
  });

  test.each(set.tests.map((t) => [t.input, t] as const))('input %j', (_input, t) => {
    const got = table.match('GET', t.input);
    if (t.expected === null) {
      expect(got).toBeNull();
    } else {
      expect(got).not.toBeNull();
      expect({ ...got!.params }).toEqual(t.expected.params);
    }
    // The installed path-to-regexp agrees with the fixture, so the fixture is still the truth.
    const ref = reference(t.input);
    expect(ref === false ? null : { ...ref.params }).toEqual(t.expected && t.expected.params);
  });
});
