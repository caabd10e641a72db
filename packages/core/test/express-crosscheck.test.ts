/**
 * The table against a real Express 5 app on tricky paths: whenever a handler runs, the table must
 * have picked that handler's rule with the same params; when none runs, the table must not match.
 * (The full differential campaign builds on this harness.)
 */
import { compileRoutes, type RouteRule } from '@scopegate/core';
import { startExpress, type Harness } from './support/express-harness';

const rules: RouteRule[] = [
  { method: 'GET', path: '/users/:id', scopes: ['u.read'] },
  { method: 'GET', path: '/users/me', scopes: ['u.read'] },
  { method: ['PUT', 'PATCH'], path: '/users/:id', scopes: ['u.write'] },
  { method: 'GET', path: '/files/*path', scopes: ['f.read'] },
  { method: 'GET', path: '/a/:name.:ext', scopes: ['f.read'] },
  { method: 'DELETE', path: '/admin/:id', scopes: ['admin'] },
  { method: 'GET', path: '/docs{/:page}', public: true },
];

const targets = [
  '/users/42', '/users/me', '/USERS/42', '/users/42/', '/users/42//', '//users/42', '/users/a%2Fb',
  '/users/%2e%2e', '/users/..', '/users/x/../42', '/users/42;jsessionid=1', '/users/%00', '/users/%E0',
  '/users/%zz', '/%75sers/42', '/users/42?x=1', '/users/42?', '/files/a/b/c', '/files/a/', '/files/',
  '/files/%2F', '/a/x.y.z', '/a/.json', '/admin/1', '/ADMIN/1/', '/docs', '/docs/', '/docs/intro',
  '/docs/intro/x', '/users', '/users/42/x', '/Users/Me', '/users/%4D%45', '/files/..%2f..%2fetc',
  'http://example.test/users/42', '/users/42#frag',
];
const methods = ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'POST', 'OPTIONS'];

describe.each([
  { caseSensitive: false, strict: false },
  { caseSensitive: true, strict: false },
  { caseSensitive: false, strict: true },
])('Express app with %j', (options) => {
  let app: Harness;
  const table = compileRoutes(rules, options);
  beforeAll(async () => {
    app = await startExpress(rules, options);
  });
  afterAll(() => app.close());

  test.each(targets)('%s', async (target) => {
    for (const method of methods) {
      const outcome = await app.request(method, target);
      // Express matches its pathname: the target up to '?' (absolute-form: its path).
      const pathname = target.startsWith('http://') ? new URL(target).pathname : target.split(/[?#]/)[0]!;
      const found = table.lookup(method, pathname);
      const context = { method, target, status: outcome.status };
      if (outcome.rule !== null) {
        expect({ ...context, rule: found.kind === 'match' ? found.rule.index : found.kind }).toEqual({ ...context, rule: outcome.rule });
        if (found.kind === 'match' && method !== 'HEAD') expect({ ...found.params }).toEqual(outcome.params);
      } else {
        expect({ ...context, kind: found.kind }).toEqual({ ...context, kind: found.kind === 'match' ? 'not a match' : found.kind });
      }
    }
  });
});
