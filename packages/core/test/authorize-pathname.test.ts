/**
 * authorizePathname is authorizeRequest without the request object: given the pathname that
 * authorizeRequest cuts from the request's path, it must answer exactly as authorizeRequest does,
 * for allowed requests (decision, rule, params, token) and refusals (status, code, headers).
 */
import {
  authorizePathname,
  authorizeRequest,
  compileRoutes,
  createVerifier,
  ScopeGateError,
  type Authorization,
  type AuthorizeOptions,
} from '@scopegate/core';
import { HS_SECRET, sign } from './support/keys';

const table = compileRoutes(
  [
    { method: 'GET', path: '/users/:id', scopes: ['users.read'] },
    { method: 'POST', path: '/users', scopes: ['users.write'] },
    { method: 'GET', path: '/health', public: true },
  ],
  { readAllScope: 'all.read' },
);
const verifier = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET });

/** What a caller can observe of either function's answer. */
async function outcome(run: () => Authorization | Promise<Authorization>): Promise<string> {
  try {
    const auth = await run();
    return JSON.stringify({ reason: auth.decision?.reason ?? null, rule: auth.rule?.path ?? null, params: { ...auth.params }, token: auth.rawToken, sub: auth.token?.claims.sub ?? null });
  } catch (e) {
    if (!(e instanceof ScopeGateError)) throw e;
    return `${e.status} ${e.code} ${JSON.stringify(e.headers)} ${e.message}`;
  }
}

let reader: string;
let all: string;
beforeAll(async () => {
  reader = await sign(HS_SECRET, { scope: 'users.read', sub: 'u1' });
  all = await sign(HS_SECRET, { scope: 'all.read', sub: 'u2' });
});

describe.each<[string, string, string, () => string | undefined, AuthorizeOptions]>([
  ['allowed by scope', 'GET', '/users/42', () => `Bearer ${reader}`, { realm: 'api' }],
  ['allowed by scope, query cut off', 'GET', '/users/4%202?x=1', () => `Bearer ${reader}`, { realm: 'api' }],
  ['allowed by the read-all scope', 'GET', '/users/7', () => `Bearer ${all}`, {}],
  ['HEAD served by GET', 'HEAD', '/users/7', () => `Bearer ${reader}`, {}],
  ['public, no token', 'GET', '/health', () => undefined, {}],
  ['public, bad token ignored', 'GET', '/health?probe', () => 'Bearer not.a.token', {}],
  ['no token', 'GET', '/users/1', () => undefined, { realm: 'api' }],
  ['malformed header', 'GET', '/users/1', () => 'Bearer', { realm: 'api' }],
  ['bad token', 'GET', '/users/1', () => 'Bearer e30.e30.AAAA', { realm: 'api' }],
  ['insufficient scope', 'POST', '/users', () => `Bearer ${reader}`, { realm: 'api' }],
  ['unknown route, denied', 'GET', '/nothing', () => `Bearer ${reader}`, {}],
  ['unknown route, passed by unmatched: next', 'GET', '/nothing?x', () => undefined, { unmatched: 'next' }],
  ['unknown route, passed by the deprecated unmatched: allow', 'GET', '/nothing?x', () => undefined, { unmatched: 'allow' }],
  ['malformed percent-encoding', 'GET', '/users/%E0%A4%A', () => `Bearer ${reader}`, {}],
])('%s', (_name, method, path, header, options) => {
  test('authorizePathname answers as authorizeRequest', async () => {
    const authorization = header();
    const pathname = path.split('?')[0]!;
    const expected = await outcome(() => authorizeRequest(verifier, table, { method, path, authorization }, options));
    expect(await outcome(() => authorizePathname(verifier, table, method, pathname, authorization, options))).toBe(expected);
    // And the cases differ: an allowed request names its rule, a refusal its status.
    expect(expected).toMatch(/^\{"reason"|^\d{3} ERR_/);
  });
});
