/**
 * Every Dynamic route, on a concrete path with random param values: allowed with its own scope
 * (and its own environment), denied with each other scope alone, `all.read` allowed iff GET,
 * HEAD as GET, the Express variants (trailing slash, upper case, percent-encoding) decided as
 * Express would route them, and every route with `:environmentId` refused to a token of another
 * environment, whatever its scopes.
 */
import { match } from 'path-to-regexp';
import { checkScope } from '@scopegate/core';
import { DYNAMIC_ENVIRONMENT_CLAIM, dynamicRoutes, dynamicScopeNames, dynamicTable } from '@scopegate/dynamic';

let seed = 0xd1a;
const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const value = (): string => 'v' + Math.floor(random() * 36 ** 6).toString(36);

/** Fill each `:param` with a random value; returns the path and the values. */
function concrete(path: string): { path: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const filled = path.replace(/:(\w+)/g, (_m, name: string) => (params[name] = value()));
  return { path: filled, params };
}

/** Express's choice, modelled as its router does it: first route in order that matches and handles the method. */
const matchers = dynamicRoutes.map((r) => match(r.path, { sensitive: false, trailing: true, end: true, decode: decodeURIComponent }));
function expressRoute(method: string, path: string): number | null {
  const i = dynamicRoutes.findIndex((r, k) => (r.method === method || (method === 'HEAD' && r.method === 'GET')) && matchers[k]!(path));
  return i < 0 ? null : i;
}

const cases = dynamicRoutes.map((rule, index) => [`#${index} ${rule.method} ${rule.path}`, rule, index, concrete(rule.path)] as const);

/** A token's claims in the environment of `params` (none when the route names no environment). */
const claimsOf = (params: Record<string, string>) => (params.environmentId === undefined ? {} : { [DYNAMIC_ENVIRONMENT_CLAIM]: params.environmentId });

describe.each(cases)('%s', (_name, rule, index, { path, params }) => {
  const own = rule.scopes[0];
  const others = dynamicScopeNames.filter((s) => s !== own && s !== 'all.read');
  const claims = claimsOf(params);

  test('matches its own rule with the params decoded', () => {
    const d = checkScope(dynamicTable, { method: rule.method, path }, own ?? '', claims);
    expect(d.rule?.index).toBe(index);
    expect({ ...d.params }).toEqual(params);
    expect(d.allowed).toBe(true);
    expect(d.reason).toBe(own ? 'scope' : 'authenticated');
  });

  test('no token: unauthenticated', () => {
    expect(checkScope(dynamicTable, { method: rule.method, path }, null).reason).toBe('unauthenticated');
  });

  test('each other scope alone is denied (or enough, for the scope-free route)', () => {
    for (const scope of others) {
      const d = checkScope(dynamicTable, { method: rule.method, path }, scope, claims);
      expect({ scope, allowed: d.allowed }).toEqual({ scope, allowed: own === undefined });
      if (own) expect([...d.missing]).toEqual([own]);
    }
  });

  test('all.read is allowed iff the route is a GET', () => {
    const d = checkScope(dynamicTable, { method: rule.method, path }, 'all.read', claims);
    expect(d.allowed).toBe(rule.method === 'GET');
    if (own) expect(d.reason).toBe(rule.method === 'GET' ? 'read-all' : 'insufficient-scope');
  });

  test('HEAD behaves as GET', () => {
    const d = checkScope(dynamicTable, { method: 'HEAD', path }, own ?? '', claims);
    if (rule.method === 'GET') expect([d.rule?.index, d.allowed]).toEqual([index, true]);
    else expect(d.rule?.index ?? null).toBe(expressRoute('HEAD', path));
  });

  test('trailing slash, upper case and encoded param values route as in Express', () => {
    const variants = [path + '/', path.toUpperCase(), path.replace(/v([a-z0-9]+)/, '%76$1'), path + '//', path.replace('/', '//')];
    for (const variant of variants) {
      const d = checkScope(dynamicTable, { method: rule.method, path: variant }, own ?? '');
      expect({ variant, rule: d.rule?.index ?? null }).toEqual({ variant, rule: expressRoute(rule.method, variant) });
    }
    expect(checkScope(dynamicTable, { method: rule.method, path: path + '/' }, own ?? '').rule?.index).toBe(index);
    expect(checkScope(dynamicTable, { method: rule.method, path: path.toUpperCase() }, own ?? '').rule?.index).toBe(index);
    // Encoding a letter of a static segment is not the same route (Express matches the raw path).
    expect(checkScope(dynamicTable, { method: rule.method, path: path.replace(/\/([a-uw-z])/, (_m, c: string) => '/%' + c.charCodeAt(0).toString(16)) }, own ?? '').reason).toBe('no-route');
  });

  test('other methods: no-route unless Express would route them elsewhere', () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND']) {
      if (method === rule.method) continue;
      const d = checkScope(dynamicTable, { method, path }, 'all.read');
      expect({ method, rule: d.rule?.index ?? null }).toEqual({ method, rule: expressRoute(method, path) });
    }
  });
});

test.each([
  ['/', 'GET'],
  ['/environments', 'GET'],
  ['/environments/e1', 'GET'],
  ['/environments/e1/unknown', 'GET'],
  ['/environments/e1/tokens/t1/extra', 'DELETE'],
  ['/user/tokens', 'POST'],
  ['/users', 'GET'],
])('unknown route %s %s → no-route', (path, method) => {
  expect(checkScope(dynamicTable, { method, path }, 'all.read').reason).toBe('no-route');
});

test('the compiled table knows the 18 scopes and all.read', () => {
  expect(dynamicTable.rules).toHaveLength(132);
  expect(dynamicTable.options.readAllScope).toBe('all.read');
  expect([...dynamicTable.options.knownScopes!]).toEqual([...dynamicScopeNames]);
});

/** Every rule with `:environmentId`: a token of environment A never reaches environment B's data. */
const bound = cases.filter(([, rule]) => rule.path.includes(':environmentId'));

describe.each(bound)('%s: bound to the token\'s environment', (_name, rule, index, { path, params }) => {
  const own = rule.scopes[0]!;
  const envA = params.environmentId!;
  const envB = envA + 'b';
  const onB = path.replace(`/environments/${envA}`, `/environments/${envB}`);
  const scopeSets = rule.method === 'GET' ? [own, 'all.read', `${own} all.read`] : [own, `${own} all.read`];

  test.each(scopeSets)('a token of A holding %j: allowed on A, refused on B', (scopes) => {
    const a = checkScope(dynamicTable, { method: rule.method, path }, scopes, { [DYNAMIC_ENVIRONMENT_CLAIM]: envA });
    expect([a.allowed, a.rule?.index]).toEqual([true, index]);
    const b = checkScope(dynamicTable, { method: rule.method, path: onB }, scopes, { [DYNAMIC_ENVIRONMENT_CLAIM]: envA });
    expect([b.allowed, b.reason, b.rule?.index]).toEqual([false, 'binding-mismatch', index]);
    expect(b.binding).toEqual({ param: 'environmentId', claim: DYNAMIC_ENVIRONMENT_CLAIM });
  });

  test('the claim missing, of another type, or another spelling of the id: refused', () => {
    const refused = (claims: Record<string, unknown> | undefined, p = path) => checkScope(dynamicTable, { method: rule.method, path: p }, own, claims).reason;
    expect(refused(undefined)).toBe('binding-mismatch');
    expect(refused({})).toBe('binding-mismatch');
    expect(refused({ environmentId: envA, projectEnvironmentId: envA })).toBe('binding-mismatch'); // only the bound claim counts
    expect(refused({ [DYNAMIC_ENVIRONMENT_CLAIM]: null })).toBe('binding-mismatch');
    expect(refused({ [DYNAMIC_ENVIRONMENT_CLAIM]: { id: envA } })).toBe('binding-mismatch');
    expect(refused({ [DYNAMIC_ENVIRONMENT_CLAIM]: [envA, 7] })).toBe('binding-mismatch');
    expect(refused({ [DYNAMIC_ENVIRONMENT_CLAIM]: envA.toUpperCase() })).toBe('binding-mismatch');
    // Case-insensitive routing, case-sensitive ids: the upper-cased path is the same route, another id.
    expect(refused({ [DYNAMIC_ENVIRONMENT_CLAIM]: envA }, path.replace(envA, envA.toUpperCase()))).toBe('binding-mismatch');
  });

  test('an array claim passes on each environment it names, and only those', () => {
    const claims = { [DYNAMIC_ENVIRONMENT_CLAIM]: ['other', envA] };
    expect(checkScope(dynamicTable, { method: rule.method, path }, own, claims).allowed).toBe(true);
    expect(checkScope(dynamicTable, { method: rule.method, path: onB }, own, claims).reason).toBe('binding-mismatch');
  });

  test('a percent-encoded id is compared decoded, as the handler will see it', () => {
    const encoded = path.replace(`/environments/${envA}`, `/environments/%${envA.charCodeAt(0).toString(16)}${envA.slice(1)}`);
    expect(checkScope(dynamicTable, { method: rule.method, path: encoded }, own, { [DYNAMIC_ENVIRONMENT_CLAIM]: envA }).allowed).toBe(true);
    const encodedB = onB.replace(`/environments/${envB}`, `/environments/${envB.slice(0, -1)}%62`);
    expect(checkScope(dynamicTable, { method: rule.method, path: encodedB }, own, { [DYNAMIC_ENVIRONMENT_CLAIM]: envA }).reason).toBe('binding-mismatch');
  });
});

test('every rule with :environmentId is bound, and only those', () => {
  expect(bound.length).toBeGreaterThan(90);
  for (const rule of dynamicTable.rules) {
    expect({ path: rule.path, bindings: rule.bindings }).toEqual({
      path: rule.path,
      bindings: rule.path.includes(':environmentId') ? [{ param: 'environmentId', claim: 'environment_id' }] : [],
    });
  }
  expect({ ...dynamicTable.options.bind }).toEqual({ environmentId: 'environment_id' });
});
