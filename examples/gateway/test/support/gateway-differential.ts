/**
 * The differential harness of @scopegate/express (packages/express/test/support/differential.ts)
 * with the gateway as the gated side: the gateway (the same compiled table, the Express gate's
 * verifier options) in front of an UNGATED Express app built exactly as the harness builds its
 * apps (`appFor(rules, table, false)`), and the ungated twin as before. The app behind the
 * gateway records the request id of every request that reaches it (before Express routes it), so
 * the harness can tell that a refused request never got there.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { compileRoutes, createVerifier, type CompileOptions, type RouteRule } from '@scopegate/core';
import { createGatewayServer, type Gateway } from '../../src/gateway';
import { checkTarget } from '../../src/firewall';
import { appFor, GATE_VERIFIER, listen, type Front, type Outcome, type Pair, type RequestSpec } from '../../../../packages/express/test/support/differential';

export interface GatewayPair extends Pair {
  /** The ungated app behind the gateway. */
  upstream: http.Server;
  gateway: Gateway;
  /** How checkOne tells the gateway's own answers and firewall from the app's. */
  front: Front;
  /** Request ids the app behind the gateway received. */
  received: Set<string>;
}

/** Lower-cased header names, as Node hands them to the gateway. */
const lowerCased = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

/** `pair.gated` is the gateway; `pair.twin` the harness's ungated twin. */
export async function startGatewayPair(rules: readonly RouteRule[], options: CompileOptions): Promise<GatewayPair> {
  const table = compileRoutes(rules, options);
  const received = new Set<string>();
  const app = appFor(rules, table, false);
  const upstream = await listen((req, res) => {
    const id = req.headers['x-request-id'];
    if (typeof id === 'string') received.add(id);
    app(req, res);
  });
  const twin = await listen(appFor(rules, table, false));
  const { port } = upstream.address() as AddressInfo;
  const { server: gated, gateway } = createGatewayServer({
    upstreamUrl: new URL(`http://127.0.0.1:${port}`),
    table,
    // The options the Express gate is given ({ algorithms: ['HS256'], secret: HS_SECRET, clockTolerance: 60 }).
    verifier: createVerifier(GATE_VERIFIER),
    logger: pino({ level: 'silent' }),
  });
  gated.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => gated.listen(0, '127.0.0.1', resolve));
  const idOf = (outcome: Outcome) => outcome.headers['x-request-id'];
  const front: Front = {
    // The app marks every answer `x-app: 1` (relayed by the gateway); the gateway marks all its
    // answers with `x-request-id`, so its own are those with the id and without the mark.
    ownAnswer: (outcome) => typeof idOf(outcome) === 'string' && outcome.headers['x-app'] === undefined,
    appReceived: (outcome) => {
      const id = idOf(outcome);
      return typeof id === 'string' && received.has(id);
    },
    firewallRefuses: (spec: RequestSpec) => checkTarget(spec.target, lowerCased(spec.headers)) !== null,
  };
  return {
    table,
    options,
    gated,
    twin,
    upstream,
    gateway,
    front,
    received,
    close: async () => {
      gated.closeAllConnections();
      await new Promise((r) => gated.close(r));
      await gateway.close();
      for (const s of [upstream, twin]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}
