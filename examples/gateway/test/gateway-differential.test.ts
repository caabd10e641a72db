/**
 * The gateway decides exactly as the Express middleware: the differential properties of
 * packages/express/test/differential.test.ts, over the same random tables, requests and
 * Dynamic's table, with the gateway as the gated side (in front of an ungated Express app built
 * as the harness builds its apps) and the ungated twin as before:
 * 1. no bypass: a handler runs only for a token holding its rule's scopes (or public / all.read)
 *    and only if every param it binds, as Express handed it to the handler, equals the token's
 *    claim; the handler that runs is the one the twin runs;
 * 2. no false denial: a request the token may make reaches the handler Express dispatches it to;
 * 3. checkScope and table.match agree with the gateway.
 * The gateway's canonical-path firewall is stricter than the gate by design: a target it refuses
 * gets the gateway's own 400 and never reaches the app (checked by request id), and such a
 * refusal is exempt from 2 and 3 only.
 * CI runs a bounded count; FUZZ_RUNS=<requests> raises it (and prints the tallies).
 */
import fc from 'fast-check';
import { dynamicRoutes } from '@scopegate/dynamic';
import type { RouteRule } from '@scopegate/core';
import { checkOne, CLAIMS, closeAgent, DYNAMIC_SCOPE_SETS, expectSound, makeCompilable, newTally, RANDOM_SCOPE_SETS, requestArb, tableArb, type RequestSpec, type Tally } from '../../../packages/express/test/support/differential';
import { checkTarget } from '../src/firewall';
import { startGatewayPair } from './support/gateway-differential';

const TOTAL = Number(process.env.FUZZ_RUNS ?? 1500);
/** Per variant of Dynamic's table: 600 by default. */
const DYNAMIC = Math.ceil(TOTAL * 0.4);
const PER_TABLE = 50;
const SEED = process.env.FUZZ_SEED === undefined ? 20261122 : Number(process.env.FUZZ_SEED);
// The scope sets of the Express suite.
const RANDOM_SETS = RANDOM_SCOPE_SETS;
const DYNAMIC_SETS = DYNAMIC_SCOPE_SETS;
afterAll(() => closeAgent());

/**
 * The harness's requests, reweighted: about 4 in 5 of its targets are ones the firewall refuses
 * (its mutations are what the firewall exists for), which would leave few for the gate. Every
 * request the firewall passes is kept, and 1 in 4 of those it refuses, so about half the budget
 * is decided by the gate and the firewall is still exercised hundreds of times.
 */
const gatewayRequestArb = (rules: readonly RouteRule[], sets: readonly string[][], claims: readonly string[]): fc.Arbitrary<RequestSpec> =>
  fc
    .tuple(requestArb(rules, sets, claims), fc.nat(3))
    .filter(([spec, n]) => n === 0 || checkTarget(spec.target, spec.headers) === null)
    .map(([spec]) => spec);

function report(name: string, tally: Tally): void {
  if (process.env.FUZZ_RUNS) console.log(`gateway, ${name}: ${JSON.stringify(tally)}`);
}

/** Every outcome is reached, so the properties are exercised, not vacuous. */
function expectExercised(tally: Tally): void {
  expectSound(tally);
  expect(tally.refusedByFirewall).toBeGreaterThan(tally.requests / 20);
}

test(`random tables: ${TOTAL} requests through the gateway, no bypass, no false denial, checkScope agrees`, async () => {
  const tally = newTally();
  const tables = Math.max(1, Math.ceil(TOTAL / PER_TABLE));
  let received = 0;
  await fc.assert(
    fc.asyncProperty(
      tableArb.chain(({ rules, options }) => {
        const table = makeCompilable(rules, options);
        return fc.tuple(fc.constant(table), fc.constant(options), fc.array(gatewayRequestArb(table, RANDOM_SETS, CLAIMS), { minLength: PER_TABLE, maxLength: PER_TABLE }));
      }),
      async ([rules, options, requests]) => {
        const pair = await startGatewayPair(rules, options);
        try {
          for (const spec of requests) {
            const problems = await checkOne(pair, rules, spec, tally, pair.front);
            if (problems.length) throw new Error(`${problems.join('; ')}\n${JSON.stringify({ rules, options, spec })}`);
          }
        } finally {
          received += pair.received.size;
          await pair.close();
        }
      },
    ),
    { numRuns: tables, seed: SEED, endOnFailure: true },
  );
  report('random tables', tally);
  expect(tally.requests).toBe(tables * PER_TABLE);
  expectExercised(tally);
  // Only what the gateway forwarded reached the app: at least every handler run, never a firewalled request.
  expect(received).toBeGreaterThanOrEqual(tally.handlerRan);
  expect(received).toBeLessThanOrEqual(tally.requests - tally.refusedByFirewall - tally.refusedByGate - tally.refusedByParser);
}, Math.max(60_000, TOTAL * 30));

describe.each([
  { caseSensitive: false, strict: false },
  { caseSensitive: true, strict: true },
])('the Dynamic table through the gateway, %j', (options) => {
  test(`${DYNAMIC} requests`, async () => {
    const tally = newTally();
    const rules = dynamicRoutes as readonly RouteRule[];
    const pair = await startGatewayPair(rules, { ...options, readAllScope: 'all.read', bind: { environmentId: 'environment_id' } });
    let received: number;
    try {
      await fc.assert(
        fc.asyncProperty(gatewayRequestArb(rules, DYNAMIC_SETS, ['environment_id']), async (spec) => {
          const problems = await checkOne(pair, rules, spec, tally, pair.front);
          if (problems.length) throw new Error(`${problems.join('; ')}\n${JSON.stringify(spec)}`);
        }),
        { numRuns: DYNAMIC, seed: SEED, endOnFailure: true },
      );
    } finally {
      received = pair.received.size;
      await pair.close();
    }
    report(`dynamic ${JSON.stringify(options)}`, tally);
    expect(tally.requests).toBe(DYNAMIC);
    expectExercised(tally);
    expect(received).toBeGreaterThanOrEqual(tally.handlerRan);
    expect(received).toBeLessThanOrEqual(tally.requests - tally.refusedByFirewall - tally.refusedByGate - tally.refusedByParser);
  }, Math.max(60_000, TOTAL * 30));
});
