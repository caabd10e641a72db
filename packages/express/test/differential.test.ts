/**
 * The gate decides on what Express routes, as properties over random tables and requests sent to
 * real Express 5 apps (one gated, one twin without the gate). Rules bind random params to
 * claims (their own `bind` and a table-wide one); tokens carry random claims.
 * 1. no bypass: a handler runs only for a token holding its rule's scopes (or public, or all.read
 *    on GET/HEAD where the table opted in with `readAllScope`: half the random tables do, and in
 *    the others all.read grants nothing) and only if every param it binds, as Express handed it
 *    to the handler, equals the token's claim (a string, or one of an array of strings);
 * 2. no false denial: a request the token may make reaches the handler Express dispatches it to;
 * 3. checkScope and table.match agree with the middleware.
 * Random tables hold pairs of a specific rule before a general one containing it, with
 * requirements of their own (`/users/me` before `/users/:id`): the first rule wins, as in Express.
 * CI runs a bounded count; FUZZ_RUNS=<requests> npm run fuzz runs a long campaign.
 */
import fc from 'fast-check';
import { dynamicRoutes } from '@scopegate/dynamic';
import { checkScope, type RouteRule } from '@scopegate/core';
import { checkOne, CLAIMS, closeAgent, DYNAMIC_SCOPE_SETS, expectSound, expressPathname, makeCompilable, newTally, RANDOM_SCOPE_SETS, requestArb, startPair, tableArb, tokenWith, type Tally } from './support/differential';

const TOTAL = Number(process.env.FUZZ_RUNS ?? 3000);
const PER_TABLE = 50;
const SEED = process.env.FUZZ_SEED === undefined ? 20261122 : Number(process.env.FUZZ_SEED);
// Random tables: every subset of s1..s3 and all.read. Dynamic: each scope alone, some pairs,
// all of them, all.read, and none.
const RANDOM_SETS = RANDOM_SCOPE_SETS;
const DYNAMIC_SETS = DYNAMIC_SCOPE_SETS;
afterAll(() => closeAgent());

function report(name: string, tally: Tally): void {
  if (process.env.FUZZ_RUNS) console.log(`${name}: ${JSON.stringify(tally)}`);
}

test(`random tables: ${TOTAL} requests, no bypass, no false denial, checkScope agrees`, async () => {
  const tally = newTally();
  const tables = Math.max(1, Math.ceil(TOTAL / PER_TABLE));
  // GET/HEAD requests with all.read refused for want of scopes on a table that did not opt in.
  let undeclaredReadAllRefused = 0;
  await fc.assert(
    fc.asyncProperty(
      tableArb.chain(({ rules, options }) => {
        const table = makeCompilable(rules, options);
        return fc.tuple(fc.constant(table), fc.constant(options), fc.array(requestArb(table, RANDOM_SETS, CLAIMS), { minLength: PER_TABLE, maxLength: PER_TABLE }));
      }),
      async ([rules, options, requests]) => {
        const pair = await startPair(rules, options);
        try {
          for (const spec of requests) {
            const problems = await checkOne(pair, rules, spec, tally);
            if (problems.length) throw new Error(`${problems.join('; ')}\n${JSON.stringify({ rules, options, spec })}`);
          }
          if (options.readAllScope === undefined) {
            // The table never declared all.read: on every GET rule that needs scopes, a token
            // holding only all.read (and the claims its bindings want) reaches nothing.
            for (const rule of rules) {
              if (rule.public || !(rule.scopes ?? []).length || ![rule.method].flat().includes('GET')) continue;
              const target = rule.path.replace(/[{}]/g, '').replace(/[:*]([A-Za-z_]\w*)/g, '1') || '/';
              const claims = Object.fromEntries(CLAIMS.map((c) => [c, '1']));
              const spec = { method: 'GET', target, headers: { authorization: `Bearer ${tokenWith(['all.read'], claims)}` }, scopes: ['all.read'], claims };
              const problems = await checkOne(pair, rules, spec, tally);
              if (problems.length) throw new Error(`${problems.join('; ')}\n${JSON.stringify({ rules, options, spec })}`);
              const pathname = expressPathname(target);
              if (pathname !== null && checkScope(pair.table, { method: 'GET', path: pathname }, spec.scopes, claims).reason === 'insufficient-scope') undeclaredReadAllRefused++;
            }
          }
        } finally {
          await pair.close();
        }
      },
    ),
    { numRuns: tables, seed: SEED, endOnFailure: true },
  );
  report('random tables', tally);
  expect(tally.requests).toBeGreaterThanOrEqual(tables * PER_TABLE);
  expectSound(tally);
  // Specific-first pairs with different requirements are reached on the requests both match.
  expect(tally.specificFirstRan).toBeGreaterThan(tally.requests / 100);
  // A token's all.read, on a table that never declared it, is refused (no bypass checked it granted nothing).
  expect(undeclaredReadAllRefused).toBeGreaterThan(tables / 10);
  if (process.env.FUZZ_RUNS) console.log(`random tables: ${undeclaredReadAllRefused} GET requests with an undeclared all.read refused`);
}, Math.max(60_000, TOTAL * 20));

describe.each([
  { caseSensitive: false, strict: false },
  { caseSensitive: true, strict: true },
])('the Dynamic table, %j', (options) => {
  test(`${Math.ceil(TOTAL / 2)} requests`, async () => {
    const tally = newTally();
    const rules = dynamicRoutes as readonly RouteRule[];
    const pair = await startPair(rules, { ...options, readAllScope: 'all.read', bind: { environmentId: 'environment_id' } });
    try {
      await fc.assert(
        fc.asyncProperty(requestArb(rules, DYNAMIC_SETS, ['environment_id']), async (spec) => {
          const problems = await checkOne(pair, rules, spec, tally);
          if (problems.length) throw new Error(problems.join('; '));
        }),
        { numRuns: Math.ceil(TOTAL / 2), seed: SEED, endOnFailure: true },
      );
    } finally {
      await pair.close();
    }
    report(`dynamic ${JSON.stringify(options)}`, tally);
    expectSound(tally);
  }, Math.max(60_000, TOTAL * 20));
});
