/**
 * The cache-hit path of authorize: a header whose token is cached skips the syntax scan. It must
 * answer exactly as the strict path does for every header, so each case is decided twice — by a
 * verifier that has the token cached and by one with no cache — and the outcomes compared.
 */
import fc from 'fast-check';
import { authorizeRequest, compileRoutes, createVerifier, ScopeGateError, type Verifier } from '@scopegate/core';
import { HS_SECRET, sign } from './support/keys';

const table = compileRoutes([{ method: 'GET', path: '/users/:id', scopes: ['users.read'] }]);

/** status + code of a refusal, or 'allowed' with the token read. */
async function outcome(verifier: Verifier, authorization: string | string[]): Promise<string> {
  try {
    const auth = await authorizeRequest(verifier, table, { method: 'GET', path: '/users/1', authorization }, { realm: 'api' });
    return `allowed ${auth.rawToken}`;
  } catch (e) {
    if (!(e instanceof ScopeGateError)) throw e;
    return `${e.status} ${e.code} ${JSON.stringify(e.headers)}`;
  }
}

let token: string;
let warm: Verifier;
const cold = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, cache: false });

beforeAll(async () => {
  token = await sign(HS_SECRET, { scope: 'users.read' });
  warm = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET });
  expect(await outcome(warm, `Bearer ${token}`)).toBe(`allowed ${token}`);
});

const variants = (token: string): [string, string | string[]][] => [
  ['exact', `Bearer ${token}`],
  ['lower-case scheme', `bearer ${token}`],
  ['upper-case scheme', `BEARER ${token}`],
  ['two spaces', `Bearer  ${token}`],
  ['trailing space', `Bearer ${token} `],
  ['tab', `Bearer\t${token}`],
  ['no-break space', `Bearer\u00a0${token}`],
  ['no space', `Bearer${token}`],
  ['another scheme of the same length', `Beares ${token}`],
  ['a shorter scheme', `Beare ${token}`],
  ['a non-ASCII letter in the scheme', `Bearér ${token}`],
  ['a letter whose upper case is outside ASCII', `Bearer\u017f${token}`],
  ['comma then more', `Bearer ${token}, Basic eA==`],
  ['a second header', [`Bearer ${token}`, `Bearer ${token}`]],
  ['one header in a list', [`Bearer ${token}`]],
  ['another scheme', `Basic ${token}`],
  ['a character outside token68', `Bearer ${token.slice(0, 20)}!${token.slice(21)}`],
  ['truncated', `Bearer ${token.slice(0, -1)}`],
  ['nothing after the scheme', 'Bearer '],
];

describe.each(variants('t').map(([name]) => name))('%s', (name) => {
  test('the cached path answers as the strict path', async () => {
    const header = variants(token).find(([n]) => n === name)![1];
    const expected = await outcome(cold, header);
    expect(await outcome(warm, header)).toBe(expected);
    expect(await outcome(warm, header)).toBe(expected); // and again, now that it may be cached
  });
});

test('random edits of a cached header: the cached path answers as the strict path', async () => {
  const runs = Number(process.env.FUZZ_RUNS ?? 300);
  const alphabet = fc.constantFrom(' ', '\t', ',', '=', '!', '.', '"', 'a', 'A', '~', '+', '/', '%', 'é', '\u0000');
  await fc.assert(
    fc.asyncProperty(fc.nat(), fc.boolean(), fc.nat(6), fc.array(alphabet, { minLength: 1, maxLength: 3 }), fc.boolean(), async (at, nearScheme, cut, chars, replace) => {
      const header = `Bearer ${token}`;
      // Half of the edits in or next to the scheme, where the cached path reads the header itself.
      const i = nearScheme ? at % 9 : at % (header.length + 1);
      const edited = header.slice(0, i) + chars.join('') + header.slice(replace ? Math.min(header.length, i + cut) : i);
      expect(await outcome(warm, edited)).toBe(await outcome(cold, edited));
    }),
    { numRuns: runs },
  );
});

test('a revoked token is refused on a cache hit, and the probe does not count a miss', async () => {
  let revoked = false;
  const v = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET, isRevoked: () => revoked });
  expect(await outcome(v, `Bearer ${token}`)).toBe(`allowed ${token}`);
  expect(v.cacheStats).toMatchObject({ hits: 0, misses: 1, size: 1 });
  expect(await outcome(v, `Bearer ${token}`)).toBe(`allowed ${token}`);
  expect(v.cacheStats).toMatchObject({ hits: 1, misses: 1 });
  revoked = true;
  expect(await outcome(v, `Bearer ${token}`)).toMatch(/^401 ERR_TOKEN_REVOKED .*invalid_token/);
  expect(v.checkCached!('not-cached')).toBeUndefined();
  expect(v.cacheStats.misses).toBe(1);
});
