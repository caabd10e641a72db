import { compileRoutes, RouteConfigError, ScopeGateError, type RouteRule, type RouteConfigErrorCode } from '@scopegate/core';
import { thrownBy } from './support/thrown';

const ok: RouteRule = { method: 'GET', path: '/ok', scopes: ['a'] };

type Case = [string, unknown[], object | undefined, RouteConfigErrorCode, RegExp];

const cases: Case[] = [
  ['bad pattern syntax', [ok, { method: 'GET', path: '/users/(', scopes: [] }], undefined, 'ERR_INVALID_PATTERN', /rule #1 \(GET "\/users\/\("\): invalid pattern: Unexpected \(/],
  ['unclosed group', [{ method: 'GET', path: '/a{/b', scopes: [] }], undefined, 'ERR_INVALID_PATTERN', /rule #0 .*expected }/],
  ['param without name', [{ method: 'GET', path: '/a/:', scopes: [] }], undefined, 'ERR_INVALID_PATTERN', /Missing parameter name/],
  // Express 4 syntax: path-to-regexp's message, then the Express 5 spelling.
  ['Express 4 optional param', [{ method: 'GET', path: '/users/:id?', scopes: [] }], undefined, 'ERR_INVALID_PATTERN', /: Unexpected \? at index 10: .*\. Express 4 syntax: write "\/:id\?" as "\{\/:id\}" \(an optional param in Express 5\)$/],
  ['Express 4 bare wildcard', [{ method: 'GET', path: '/files/*', scopes: [] }], undefined, 'ERR_INVALID_PATTERN', /Express 4 syntax: write "\/files\/\*" as "\/files\/\*path"/],
  ['Express 4 inline regexp', [{ method: 'GET', path: '/:id(\\d+)', scopes: [] }], undefined, 'ERR_INVALID_PATTERN', /Express 4 syntax: write ":id\(\\d\+\)" as ":id" \(Express 5 takes no inline regexps/],
  ['two captures with no text between', [{ method: 'GET', path: '/:a:b', scopes: [] }], undefined, 'ERR_INVALID_PATTERN', /Missing text before "b"/],
  ['path not a string', [{ method: 'GET', path: 42, scopes: [] }], undefined, 'ERR_INVALID_PATTERN', /path must be a string/],
  ['empty method', [{ method: '', path: '/a', scopes: [] }], undefined, 'ERR_INVALID_METHOD', /rule #0 .*invalid method ""/],
  ['method with a space', [{ method: 'GE T', path: '/a', scopes: [] }], undefined, 'ERR_INVALID_METHOD', /invalid method "GE T"/],
  ['empty method list', [{ method: [], path: '/a', scopes: [] }], undefined, 'ERR_INVALID_METHOD', /method list is empty/],
  ['method listed twice', [{ method: ['get', 'GET'], path: '/a', scopes: [] }], undefined, 'ERR_INVALID_METHOD', /GET is listed twice/],
  ['duplicate method+path', [ok, { method: 'get', path: '/ok', scopes: ['a'] }], undefined, 'ERR_DUPLICATE_ROUTE', /rule #1 \(GET "\/ok"\): duplicates GET "\/ok" \(rule #0/],
  ['duplicate differing only in case', [ok, { method: 'GET', path: '/OK', scopes: ['b'] }], undefined, 'ERR_DUPLICATE_ROUTE', /rule #1/],
  ['unknown scope', [{ method: 'GET', path: '/a', scopes: ['nope'] }], { knownScopes: ['a'] }, 'ERR_UNKNOWN_SCOPE', /rule #0 \(GET "\/a"\): scope "nope" is not a known scope/],
  ['scope with a space', [{ method: 'GET', path: '/a', scopes: ['a b'] }], undefined, 'ERR_INVALID_SCOPE', /invalid scope "a b"/],
  ['empty scope', [{ method: 'GET', path: '/a', scopes: [''] }], undefined, 'ERR_INVALID_SCOPE', /invalid scope ""/],
  ['scopes not an array', [{ method: 'GET', path: '/a', scopes: 'a' }], undefined, 'ERR_INVALID_SCOPE', /scopes must be an array/],
  ['public with scopes', [{ method: 'GET', path: '/a', public: true, scopes: ['a'] }], undefined, 'ERR_PUBLIC_WITH_SCOPES', /rule #0 \(GET "\/a"\): a public rule cannot require scopes/],
  ['neither scopes nor public', [{ method: 'GET', path: '/a' }], undefined, 'ERR_NO_REQUIREMENT', /give scopes/],
  ['rule not an object', [null], undefined, 'ERR_INVALID_RULE', /rule #0/],
  ['ambiguous param vs static', [{ method: 'GET', path: '/waas/:walletId', scopes: ['a'] }, { method: 'GET', path: '/waas/policies', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /rule #0 \(GET "\/waas\/:walletId"\).*\(rule #1 \(GET "\/waas\/policies"\)\)/],
  // General before specific: the later rule is never reached. The message says so, and how to fix it.
  ['general before specific: /users/:id, then /users/me', [{ method: 'GET', path: '/users/:id', scopes: ['users.read'] }, { method: 'GET', path: '/users/me', scopes: ['profile'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /^rule #0 \(GET "\/users\/:id"\): matches every request a later rule matches, with different requirements \(users\.read vs profile\): the later rule could never be reached .*Put the more specific rule first .*\(rule #1 \(GET "\/users\/me"\)\)$/],
  ['general before specific through a wildcard', [{ method: 'GET', path: '/files/*path', scopes: ['a'] }, { method: 'GET', path: '/files/readme.md', public: true }], undefined, 'ERR_AMBIGUOUS_ROUTES', /could never be reached.*Put the more specific rule first/],
  ['the same pattern under other param names: the later one is never reached', [{ method: 'GET', path: '/users/:id', scopes: ['a'] }, { method: 'GET', path: '/users/:userId', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /could never be reached/],
  ['equal patterns for a shared method, even when the later rule has another method too', [{ method: 'GET', path: '/users/:id', scopes: ['a'] }, { method: ['GET', 'DELETE'], path: '/users/:userId', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /could never be reached/],
  ['general before specific, the specific one bound to a claim', [{ method: 'GET', path: '/t/:tenant/:page', scopes: ['a'] }, { method: 'GET', path: '/t/:tenant/home', scopes: ['a'], bind: { tenant: 'tid' } }], undefined, 'ERR_AMBIGUOUS_ROUTES', /\(a vs a, :tenant = claim tid\): the later rule could never be reached/],
  // Partial overlaps: each matches requests the other does not.
  ['partial overlap', [{ method: 'GET', path: '/a/:x/c', scopes: ['a'] }, { method: 'GET', path: '/a/b/:y', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /^rule #0 .*different requirements \(a vs b\), and neither pattern is contained in the other: Express would decide by registration order.*\/users\/me before \/users\/:id/],
  ['partial: an optional part of the earlier rule overlaps only in part', [{ method: 'GET', path: '/users/:id{/edit}', scopes: ['a'] }, { method: 'GET', path: '/users/me/:x', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /neither pattern is contained/],
  // Not provable (a later rule of two captures in one segment, an earlier one with a param): kept as an error.
  ['not proven contained: a param inside a two-capture segment', [{ method: 'GET', path: '/f/:name.json', scopes: ['a'] }, { method: 'GET', path: '/f/:base.:ext', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /neither pattern is contained/],
  ['ambiguous through HEAD served by GET', [{ method: 'GET', path: '/a/:id', scopes: ['a'] }, { method: 'HEAD', path: '/a/x', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /rule #1 \(HEAD/],
  ['ambiguous public vs scoped', [{ method: 'GET', path: '/docs/*rest', public: true }, { method: 'GET', path: '/docs/private', scopes: ['a'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /public vs a/],
  // Without strict routing Express strips a route's trailing slashes (/admin/ serves /admin):
  // these are one route, twice.
  ['duplicate through case folding and a trailing slash', [{ method: 'GET', path: '/Admin', scopes: ['a'] }, { method: 'GET', path: '/admin/', scopes: ['b'] }], undefined, 'ERR_DUPLICATE_ROUTE', /rule #1 .*duplicates GET "\/Admin"/],
  ['duplicate through a trailing slash', [{ method: 'GET', path: '/a', scopes: ['a'] }, { method: 'GET', path: '/a//', scopes: ['b'] }], undefined, 'ERR_DUPLICATE_ROUTE', /duplicates GET "\/a"/],
  ['general first through a trailing slash: /admin/ is /admin to Express', [{ method: 'GET', path: '/*rest', public: true }, { method: 'GET', path: '/admin/', scopes: ['admin'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /could never be reached/],
  ['ambiguous optional group', [{ method: 'POST', path: '/a{/:b}', scopes: ['a'] }, { method: 'POST', path: '/a', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /rule #0/],
  ['ambiguous wildcard tail', [{ method: 'PUT', path: '/files/*path', scopes: ['a'] }, { method: 'PUT', path: '/files/:dir/:name', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /rule #0/],
  ['ambiguous mixed segment', [{ method: 'GET', path: '/f/:name.json', scopes: ['a'] }, { method: 'GET', path: '/f/report.json', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /rule #0/],
  ['ambiguous multi-method rule', [{ method: ['GET', 'DELETE'], path: '/x/:id', scopes: ['a'] }, { method: 'DELETE', path: '/x/me', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /rule #0 \(GET,DELETE/],
  ['option caseSensitive not boolean', [ok], { caseSensitive: 'yes' }, 'ERR_INVALID_OPTION', /caseSensitive must be a boolean/],
  ['option readAllScope invalid', [ok], { readAllScope: 'all read' }, 'ERR_INVALID_OPTION', /readAllScope/],
  ['option knownScopes a string', [ok], { knownScopes: 'a' }, 'ERR_INVALID_OPTION', /knownScopes/],
  // Bindings: every one that could not hold on some request is refused at build time.
  ['bind a param the pattern lacks', [{ method: 'GET', path: '/t/:tenant', scopes: [], bind: { tenantId: 'tid' } }], undefined, 'ERR_INVALID_BINDING', /rule #0 \(GET "\/t\/:tenant"\): bind names :tenantId, which the pattern does not have/],
  ['bind on a public rule', [{ method: 'GET', path: '/t/:tenant', public: true, bind: { tenant: 'tid' } }], undefined, 'ERR_INVALID_BINDING', /rule #0 .*a public rule cannot bind/],
  ['bind a wildcard', [{ method: 'GET', path: '/t/*tenant', scopes: [], bind: { tenant: 'tid' } }], undefined, 'ERR_INVALID_BINDING', /binds \*tenant, a wildcard/],
  ['bind an optional param', [{ method: 'GET', path: '/t{/:tenant}', scopes: [], bind: { tenant: 'tid' } }], undefined, 'ERR_INVALID_BINDING', /:tenant, which is optional in this pattern/],
  ['table-wide bind of an optional param', [ok, { method: 'GET', path: '/t{/:tenant}/x', scopes: [] }], { bind: { tenant: 'tid' } }, 'ERR_INVALID_BINDING', /rule #1 .*the table-wide bind option binds :tenant, which is optional/],
  ['table-wide bind of a wildcard', [{ method: 'GET', path: '/t/*tenant', scopes: [] }], { bind: { tenant: 'tid' } }, 'ERR_INVALID_BINDING', /rule #0 .*the table-wide bind option binds \*tenant, a wildcard/],
  ['bind not an object', [{ method: 'GET', path: '/t/:tenant', scopes: [], bind: 'tid' }], undefined, 'ERR_INVALID_BINDING', /bind must be an object/],
  ['bind an array', [{ method: 'GET', path: '/t/:tenant', scopes: [], bind: ['tenant'] }], undefined, 'ERR_INVALID_BINDING', /bind must be an object/],
  ['bind to an empty claim name', [{ method: 'GET', path: '/t/:tenant', scopes: [], bind: { tenant: '' } }], undefined, 'ERR_INVALID_BINDING', /binds :tenant to an invalid claim name/],
  ['bind to a claim that is not a string', [{ method: 'GET', path: '/t/:tenant', scopes: [], bind: { tenant: true } }], undefined, 'ERR_INVALID_BINDING', /invalid claim name/],
  ['bind to a claim name with a control character', [{ method: 'GET', path: '/t/:tenant', scopes: [], bind: { tenant: 't\nid' } }], undefined, 'ERR_INVALID_BINDING', /invalid claim name/],
  ['option bind not an object', [ok], { bind: 'tenant' }, 'ERR_INVALID_OPTION', /option bind must be an object/],
  ['option bind to a bad claim', [ok], { bind: { tenant: 42 } }, 'ERR_INVALID_OPTION', /option bind binds :tenant to an invalid claim name/],
  ['ambiguous: same scopes, one bound', [{ method: 'GET', path: '/t/:tenant', scopes: ['a'], bind: { tenant: 'tid' } }, { method: 'GET', path: '/t/shared', scopes: ['a'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /a, :tenant = claim tid vs a\)/],
  ['ambiguous: the same binding on another segment of the path', [{ method: 'GET', path: '/a/:x/c', scopes: ['a'], bind: { x: 'tid' } }, { method: 'GET', path: '/a/b/:x', scopes: ['a'], bind: { x: 'tid' } }], undefined, 'ERR_AMBIGUOUS_ROUTES', /\(a, :x = claim tid in both, but a bound param is not the same part of the path in each\)/],
  // A name repeated in a pattern: a match keeps the last occurrence, so that one is what the binding reads.
  ['ambiguous: a repeated bound name reads its last segment', [{ method: 'GET', path: '/orgs/:tenant/:tenant', scopes: ['r'], bind: { tenant: 'tid' } }, { method: 'GET', path: '/orgs/:tenant/:report', scopes: ['r'], bind: { tenant: 'tid' } }], undefined, 'ERR_AMBIGUOUS_ROUTES', /not the same part of the path/],
  // …and in a mixed segment: the specific rule first is fine (see below), the other way round is not.
  ['ambiguous: a repeated bound name whose last occurrence is in a mixed segment, general first', [{ method: 'GET', path: '/a/:id/:file', scopes: ['r'], bind: { id: 'tid' } }, { method: 'GET', path: '/a/:id/:id.json', scopes: ['r'], bind: { id: 'tid' } }], undefined, 'ERR_AMBIGUOUS_ROUTES', /not the same part of the path in each\): the later rule could never be reached/],
  ['ambiguous: a bound param after a wildcard', [{ method: 'GET', path: '/f/*p/:x', scopes: ['a'], bind: { x: 'tid' } }, { method: 'GET', path: '/f/*q/:x', scopes: ['a'], bind: { x: 'tid' } }], undefined, 'ERR_AMBIGUOUS_ROUTES', /not the same part of the path/],
  ['ambiguous: same scopes, bound to other claims', [{ method: 'GET', path: '/t/:tenant', scopes: ['a'], bind: { tenant: 'tid' } }, { method: 'GET', path: '/t/:org', scopes: ['a'], bind: { org: 'org' } }], undefined, 'ERR_AMBIGUOUS_ROUTES', /:tenant = claim tid vs a, :org = claim org/],
];

describe.each(cases)('%s', (_name, rules, options, code, message) => {
  test(`throws ${code} naming the rule`, () => {
    const error = thrownBy(() => compileRoutes(rules as RouteRule[], options as never));
    expect(error).toBeInstanceOf(RouteConfigError);
    expect(error).toBeInstanceOf(ScopeGateError);
    expect((error as RouteConfigError).code).toBe(code);
    expect((error as Error).message).toMatch(message);
  });
});

type Allowed = [string, RouteRule[], object | undefined];
const allowed: Allowed[] = [
  ['same-scope overlap (the Dynamic waas case)', [{ method: 'GET', path: '/waas/:walletId', scopes: ['s'] }, { method: 'GET', path: '/waas/policies', scopes: ['s'] }], undefined],
  ['overlap on different methods', [{ method: 'GET', path: '/a/:id', scopes: ['a'] }, { method: 'POST', path: '/a/x', scopes: ['b'] }], undefined],
  ['different lengths', [{ method: 'GET', path: '/a/:id', scopes: ['a'] }, { method: 'GET', path: '/a/:id/b', scopes: ['b'] }], undefined],
  ['case-sensitive table keeps cases apart', [{ method: 'GET', path: '/Admin', scopes: ['a'] }, { method: 'GET', path: '/admin', scopes: ['b'] }], { caseSensitive: true }],
  ['strict table keeps the slash apart', [{ method: 'GET', path: '/a', scopes: ['a'] }, { method: 'GET', path: '/a/', scopes: ['b'] }], { strict: true }],
  ['disjoint suffixes', [{ method: 'GET', path: '/f/:name.json', scopes: ['a'] }, { method: 'GET', path: '/f/:name.xml', scopes: ['b'] }], undefined],
  ['a param never matches an empty segment', [{ method: 'GET', path: '/a/:x/b', scopes: ['a'] }, { method: 'GET', path: '/a//b', scopes: ['b'] }], undefined],
  ['scope order does not matter', [{ method: 'GET', path: '/a/:x', scopes: ['a', 'b'] }, { method: 'GET', path: '/a/y', scopes: ['b', 'a'] }], undefined],
  // Specific first: the earlier rule's pattern is contained in the later one's; it answers what both match.
  ['/users/me before /users/:id', [{ method: 'GET', path: '/users/me', scopes: ['profile'] }, { method: 'GET', path: '/users/:id', scopes: ['users.read'] }], undefined],
  ['specific first, case-folded', [{ method: 'GET', path: '/USERS/Me', scopes: ['profile'] }, { method: 'GET', path: '/users/:id', scopes: ['users.read'] }], undefined],
  ['specific first, strict', [{ method: 'GET', path: '/users/me/', scopes: ['profile'] }, { method: 'GET', path: '/users/:id/', scopes: ['users.read'] }], { strict: true }],
  ['a public rule before a scoped one', [{ method: 'GET', path: '/files/readme.md', public: true }, { method: 'GET', path: '/files/*path', scopes: ['files.read'] }], undefined],
  ['a chain: each rule contained in the next', [{ method: 'GET', path: '/a/b/c', scopes: ['1'] }, { method: 'GET', path: '/a/:x/c', scopes: ['2'] }, { method: 'GET', path: '/a/*rest', scopes: ['3'] }], undefined],
  ['plain text inside a two-capture segment', [{ method: 'GET', path: '/f/report.pdf', scopes: ['a'] }, { method: 'GET', path: '/f/:name.:ext', scopes: ['b'] }], undefined],
  ['a mixed segment inside a param', [{ method: 'GET', path: '/f/:name.json', scopes: ['a'] }, { method: 'GET', path: '/f/:file', scopes: ['b'] }], undefined],
  ['only the overlapping optional form must be contained', [{ method: 'GET', path: '/users/me{/x}', scopes: ['a'] }, { method: 'GET', path: '/users/:id', scopes: ['b'] }], undefined],
  ['a later rule with an optional group that contains the earlier one', [{ method: 'GET', path: '/docs/faq', scopes: ['a'] }, { method: 'GET', path: '/docs{/:page}', scopes: ['b'] }], undefined],
  // Without strict routing /a/ is read as /a (as Express reads it): the /a form of the later rule contains it.
  ['a trailing-slash rule before an optional group', [{ method: 'GET', path: '/a/', scopes: ['a'] }, { method: 'GET', path: '/a{/*v}', scopes: ['b'] }], undefined],
  ['different bindings, specific first', [{ method: 'GET', path: '/t/:tenant/x', scopes: ['a'], bind: { tenant: 'tid' } }, { method: 'GET', path: '/t/:tenant/:y', scopes: ['a'] }], undefined],
  ['a repeated bound name, specific first', [{ method: 'GET', path: '/a/:id/:id.json', scopes: ['r'], bind: { id: 'tid' } }, { method: 'GET', path: '/a/:id/:file', scopes: ['r'], bind: { id: 'tid' } }], undefined],
  ['a trailing-slash rule, specific first (read as /users/me)', [{ method: 'GET', path: '/users/me/', scopes: ['a'] }, { method: 'GET', path: '/users/:id', scopes: ['b'] }], undefined],
  ['contained for GET, other methods apart', [{ method: 'GET', path: '/users/me', scopes: ['a'] }, { method: ['GET', 'DELETE'], path: '/users/:id', scopes: ['b'] }], undefined],
];

describe.each(allowed)('compiles: %s', (_name, rules, options) => {
  test('no error', () => {
    expect(compileRoutes(rules, options).rules).toHaveLength(rules.length);
  });
});

test('specific first: the first rule answers what both match, the later one the rest', () => {
  const table = compileRoutes([
    { method: 'GET', path: '/users/me', scopes: ['profile'] },
    { method: 'GET', path: '/users/:id', scopes: ['users.read'] },
  ]);
  expect(table.match('GET', '/users/me')?.rule.index).toBe(0);
  expect(table.match('GET', '/USERS/ME/')?.rule.index).toBe(0);
  expect(table.match('HEAD', '/users/me')?.rule.index).toBe(0);
  expect(table.match('GET', '/users/42')).toMatchObject({ rule: { index: 1 }, params: { id: '42' } });
  expect(table.match('GET', '/users/me2')?.rule.index).toBe(1);
});

describe('bindings that compile', () => {
  test('a rule binds its own params; the table option binds every non-public rule with the param', () => {
    const table = compileRoutes(
      [
        { method: 'GET', path: '/t/:tenant/u/:user', scopes: ['a'], bind: { user: 'sub' } },
        { method: 'GET', path: '/t/:tenant/docs', public: true },
        { method: 'GET', path: '/t/:tenant/x', scopes: ['a'], bind: { tenant: 'org' } },
        { method: 'GET', path: '/t/:tenant/:file.:ext', scopes: ['a'] },
        { method: 'GET', path: '/free/:id', scopes: ['a'] },
      ],
      { bind: { tenant: 'tid' } },
    );
    expect(table.rules.map((r) => r.bindings)).toEqual([
      [{ param: 'tenant', claim: 'tid' }, { param: 'user', claim: 'sub' }],
      [],
      [{ param: 'tenant', claim: 'org' }],
      [{ param: 'tenant', claim: 'tid' }],
      [],
    ]);
    expect(Object.isFrozen(table.rules[0]!.bindings)).toBe(true);
    expect(Object.isFrozen(table.rules[0]!.bindings[0])).toBe(true);
    expect(table.toString()).toContain(':tenant = claim tid, :user = claim sub');
    expect(table.toString()).toMatch(/binds :tenant = claim tid/);
  });

  test('overlapping rules with the same scopes and bindings compile (harmless overlap)', () => {
    expect(() =>
      compileRoutes([
        { method: 'GET', path: '/t/:tenant/a', scopes: ['a'] },
        { method: 'GET', path: '/t/:tenant/:x', scopes: ['a'] },
      ], { bind: { tenant: 'tid' } }),
    ).not.toThrow();
  });

  test('the same claim bound on the same segment under different param names is the same requirement', () => {
    expect(() =>
      compileRoutes([
        { method: 'GET', path: '/t/:tenant/x', scopes: ['a'], bind: { tenant: 'tid' } },
        { method: 'GET', path: '/t/:org/:page', scopes: ['a'], bind: { org: 'tid' } },
      ]),
    ).not.toThrow();
  });

  test('a param named like an Object.prototype key binds as any other', () => {
    const table = compileRoutes([{ method: 'GET', path: '/t/:constructor', scopes: [], bind: { constructor: 'tid' } }]);
    expect(table.rules[0]!.bindings).toEqual([{ param: 'constructor', claim: 'tid' }]);
    expect(() => compileRoutes([{ method: 'GET', path: '/t/:id', scopes: [], bind: JSON.parse('{"__proto__": "tid"}') }])).toThrow(/bind names :__proto__, which the pattern does not have/);
  });
});

describe.each([
  ['/admin/', {}, { '/admin': true, '/admin/': true, '/admin//': false }],
  ['/admin//', {}, { '/admin': true, '/admin/': true, '/admin//': false }],
  ['/t/:id/', {}, { '/t/1': true, '/t/1/': true, '/t/1//': false }],
  ['//', {}, { '/': true, '//': false }],
  ['/admin/', { strict: true }, { '/admin': false, '/admin/': true, '/admin//': false }],
])('a rule path %j with options %j matches what Express 5 routes to it', (path, options, expected) => {
  test.each(Object.entries(expected))('%s → %s', (request, matches) => {
    const table = compileRoutes([{ method: 'GET', path, scopes: ['a'] }], options);
    expect(table.match('GET', request) !== null).toBe(matches);
  });
});
