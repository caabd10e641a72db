/**
 * Every Dynamic route, on a concrete path with random param values: allowed with its own scope,
 * denied with each other scope alone, `all.read` allowed iff GET, HEAD as GET, and the Express
 * variants (trailing slash, upper case, percent-encoding) decided as Express would route them.
 */
import { match } from 'path-to-regexp';
import { checkScope } from '@scopegate/core';
import { dynamicRoutes, dynamicScopeNames, dynamicTable } from '@scopegate/dynamic';

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

describe.each(cases)('%s', (_name, rule, index, { path, params }) => {
  const own = rule.scopes[0];
  const others = dynamicScopeNames.filter((s) => s !== own && s !== 'all.read');

  test('matches its own rule with the params decoded', () => {
    const d = checkScope(dynamicTable, { method: rule.method, path }, own ?? '');
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
      const d = checkScope(dynamicTable, { method: rule.method, path }, scope);
      expect({ scope, allowed: d.allowed }).toEqual({ scope, allowed: own === undefined });
      if (own) expect([...d.missing]).toEqual([own]);
    }
  });

  test('all.read is allowed iff the route is a GET', () => {
    const d = checkScope(dynamicTable, { method: rule.method, path }, 'all.read');
    expect(d.allowed).toBe(rule.method === 'GET');
    if (own) expect(d.reason).toBe(rule.method === 'GET' ? 'read-all' : 'insufficient-scope');
  });

  test('HEAD behaves as GET', () => {
    const d = checkScope(dynamicTable, { method: 'HEAD', path }, own ?? '');
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
