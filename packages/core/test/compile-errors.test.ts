import { compileRoutes, RouteConfigError, ScopeGateError, type RouteRule, type RouteConfigErrorCode } from '@scopegate/core';

const ok: RouteRule = { method: 'GET', path: '/ok', scopes: ['a'] };

type Case = [string, unknown[], object | undefined, RouteConfigErrorCode, RegExp];

const cases: Case[] = [
  ['bad pattern syntax', [ok, { method: 'GET', path: '/users/(', scopes: [] }], undefined, 'ERR_INVALID_PATTERN', /rule #1 \(GET "\/users\/\("\): invalid pattern: Unexpected \(/],
  ['unclosed group', [{ method: 'GET', path: '/a{/b', scopes: [] }], undefined, 'ERR_INVALID_PATTERN', /rule #0 .*expected }/],
  ['param without name', [{ method: 'GET', path: '/a/:', scopes: [] }], undefined, 'ERR_INVALID_PATTERN', /Missing parameter name/],
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
  ['ambiguous through HEAD served by GET', [{ method: 'GET', path: '/a/:id', scopes: ['a'] }, { method: 'HEAD', path: '/a/x', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /rule #1 \(HEAD/],
  ['ambiguous public vs scoped', [{ method: 'GET', path: '/docs/*rest', public: true }, { method: 'GET', path: '/docs/private', scopes: ['a'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /public vs a/],
  ['ambiguous through case folding', [{ method: 'GET', path: '/Admin', scopes: ['a'] }, { method: 'GET', path: '/admin/', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /rule #0/],
  ['ambiguous through the optional trailing slash', [{ method: 'GET', path: '/a', scopes: ['a'] }, { method: 'GET', path: '/a/', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /rule #0/],
  ['ambiguous optional group', [{ method: 'POST', path: '/a{/:b}', scopes: ['a'] }, { method: 'POST', path: '/a', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /rule #0/],
  ['ambiguous wildcard tail', [{ method: 'PUT', path: '/files/*path', scopes: ['a'] }, { method: 'PUT', path: '/files/:dir/:name', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /rule #0/],
  ['ambiguous mixed segment', [{ method: 'GET', path: '/f/:name.json', scopes: ['a'] }, { method: 'GET', path: '/f/report.json', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /rule #0/],
  ['ambiguous multi-method rule', [{ method: ['GET', 'DELETE'], path: '/x/:id', scopes: ['a'] }, { method: 'DELETE', path: '/x/me', scopes: ['b'] }], undefined, 'ERR_AMBIGUOUS_ROUTES', /rule #0 \(GET,DELETE/],
  ['option caseSensitive not boolean', [ok], { caseSensitive: 'yes' }, 'ERR_INVALID_OPTION', /caseSensitive must be a boolean/],
  ['option readAllScope invalid', [ok], { readAllScope: 'all read' }, 'ERR_INVALID_OPTION', /readAllScope/],
  ['option knownScopes a string', [ok], { knownScopes: 'a' }, 'ERR_INVALID_OPTION', /knownScopes/],
];

describe.each(cases)('%s', (_name, rules, options, code, message) => {
  test(`throws ${code} naming the rule`, () => {
    let error: unknown;
    try {
      compileRoutes(rules as RouteRule[], options as never);
    } catch (e) {
      error = e;
    }
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
];

describe.each(allowed)('compiles: %s', (_name, rules, options) => {
  test('no error', () => {
    expect(compileRoutes(rules, options).rules).toHaveLength(rules.length);
  });
});
