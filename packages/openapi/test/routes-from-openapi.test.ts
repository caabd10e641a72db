import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkScope, compileRoutes } from '@scopegate/core';
import { openApiPathToPattern, OpenApiError, renderScopeReference, routesFromOpenApi, type OpenApiDocument } from '@scopegate/openapi';

const seedFixture = readFileSync(join(__dirname, '../../dynamic/test/fixtures/dynamic-user-tokens-openapi-000.txt'), 'utf8');

/** The YAML inside the seed's code fence (after its documentation header). */
function seedYaml(): string {
  const lines = seedFixture.split('\n');
  const start = lines.findIndex((l) => l.startsWith('````yaml'));
  const end = lines.findIndex((l, i) => i > start && l.startsWith('````'));
  return lines.slice(start + 1, end).join('\n');
}

test('the seed (Dynamic GET /user/tokens) imports to exactly one authenticated, scope-free rule', () => {
  const { rules, warnings } = routesFromOpenApi(seedYaml());
  expect(warnings).toEqual([]);
  expect(rules).toEqual([{ method: 'GET', path: '/user/tokens', scopes: [], description: 'Get API tokens for the current user' }]);
  expect(compileRoutes(rules).match('GET', '/user/tokens')?.rule.anyOf).toEqual([[]]);
});

const base = (paths: Record<string, Record<string, unknown>>, extra: Partial<OpenApiDocument> = {}): OpenApiDocument => ({
  openapi: '3.1.0',
  security: [{ bearerAuth: ['default.scope'] }],
  components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, apiKey: { type: 'apiKey', in: 'header', name: 'x-key' } } },
  paths,
  ...extra,
});

test('security: document default, operation override, [] public, {} public, several → anyOf', () => {
  const { rules, warnings } = routesFromOpenApi(
    base({
      '/users/{userId}': {
        get: { summary: 'Get user' },
        put: { security: [{ bearerAuth: ['users.write'] }] },
        delete: { security: [{ bearerAuth: ['admin'] }, { bearerAuth: ['users.write', 'users.delete'] }] },
      },
      '/health': { get: { security: [] } },
      '/maybe': { get: { security: [{}, { bearerAuth: ['x'] }] } },
      '/me': { get: { security: [{ bearerAuth: [] }], operationId: 'getMe' } },
    }),
  );
  expect(warnings).toEqual([]);
  expect(rules).toEqual([
    { method: 'GET', path: '/users/:userId', scopes: ['default.scope'], description: 'Get user' },
    { method: 'PUT', path: '/users/:userId', scopes: ['users.write'] },
    { method: 'DELETE', path: '/users/:userId', anyOf: [['admin'], ['users.write', 'users.delete']] },
    { method: 'GET', path: '/health', public: true },
    { method: 'GET', path: '/maybe', public: true },
    { method: 'GET', path: '/me', scopes: [], description: 'getMe' },
  ]);
  expect(() => compileRoutes(rules)).not.toThrow();
});

test('unknown schemes, unresolvable refs and callbacks are reported with the operation location', () => {
  const { rules, warnings } = routesFromOpenApi(
    base(
      {
        '/keyed': { get: { security: [{ apiKey: [] }] } },
        '/mixed': { post: { security: [{ apiKey: [] }, { bearerAuth: ['m'] }], callbacks: { onEvent: {} } } },
        '/shared': { $ref: '#/components/pathItems/Shared' },
        '/remote': { $ref: 'https://example.test/items.yaml' },
      },
      { components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' }, apiKey: { type: 'apiKey' } }, pathItems: { Shared: { get: { summary: 'shared' } } } } },
    ),
  );
  expect(rules).toEqual([
    { method: 'POST', path: '/mixed', scopes: ['m'] },
    { method: 'GET', path: '/shared', scopes: ['default.scope'], description: 'shared' },
  ]);
  expect(warnings).toEqual([
    { location: 'GET /keyed', message: 'security requirement uses scheme(s) "apiKey" the gate does not check: that alternative is left out' },
    { location: 'GET /keyed', message: 'no security requirement the gate can check: operation left out (requests to it are denied)' },
    { location: 'POST /mixed', message: 'callbacks describe requests this API sends, not routes it serves: ignored' },
    { location: 'POST /mixed', message: 'security requirement uses scheme(s) "apiKey" the gate does not check: that alternative is left out' },
    { location: 'paths./remote', message: '$ref "https://example.test/items.yaml" cannot be resolved (only local #/components/pathItems/… refs are)' },
  ]);
});

test('OpenAPI 3.0 JSON text, server base path kept on request, another scheme name', () => {
  const text = JSON.stringify({
    openapi: '3.0.3',
    servers: [{ url: 'https://api.example.test/api/v0' }],
    components: { securitySchemes: { jwt: { type: 'http', scheme: 'bearer' } } },
    security: [{ jwt: ['read'] }],
    paths: { '/files/{name}.{ext}': { get: {} }, '/odd(path)': { get: {} } },
  });
  expect(routesFromOpenApi(text).rules.map((r) => r.path)).toEqual(['/files/:name.:ext', '/odd\\(path\\)']);
  expect(routesFromOpenApi(text, { basePath: 'keep' }).rules.map((r) => [r.path, r.scopes])).toEqual([
    ['/api/v0/files/:name.:ext', ['read']],
    ['/api/v0/odd\\(path\\)', ['read']],
  ]);
  const table = compileRoutes(routesFromOpenApi(text, { basePath: 'keep' }).rules);
  expect(table.match('GET', '/api/v0/files/report.pdf')?.params).toEqual({ name: 'report', ext: 'pdf' });
  expect(table.match('GET', '/api/v0/odd(path)')).not.toBeNull();
});

test.each([
  ['openapi: 3.1.0\npaths:\n  /a:\n    get: {\n', /^\d+:\d+: /],
  ['openapi: 2.0\n', /unsupported OpenAPI version/],
  ['[1, 2]', /not an OpenAPI document/],
  ['openapi: 3.0.0\nopenapi: 3.1.0\n', /^\d+:\d+: .*unique/i],
])('bad input %j → OpenApiError', (text, message) => {
  expect(() => routesFromOpenApi(text)).toThrow(OpenApiError);
  expect(() => routesFromOpenApi(text)).toThrow(message);
});

test.each([
  ['/users/{id}', '/users/:id'],
  ['/a/{b}/{c.d}', '/a/:b/:"c.d"'],
  ['/x:y', '/x\\:y'],
])('openApiPathToPattern(%j) = %j', (input, pattern) => {
  expect(openApiPathToPattern(input)).toBe(pattern);
});

describe("a table compiled from a user's spec has no read-all scope", () => {
  const spec = `openapi: 3.0.3
info: { title: Pets, version: '1' }
components:
  securitySchemes:
    petstore_auth: { type: oauth2, flows: { implicit: { authorizationUrl: 'https://auth.test/', scopes: { read:pets: read, write:pets: write } } } }
paths:
  /pets:
    get: { security: [{ petstore_auth: ['read:pets'] }] }
    post: { security: [{ petstore_auth: ['write:pets'] }] }
  /pets/mine:
    get: { security: [{ petstore_auth: [] }] }
  /pets/{petId}:
    get: { security: [{ petstore_auth: ['read:pets'] }] }
`;

  test('all.read, which the spec never mentions, grants nothing (scopegate check … --scopes all.read is DENIED)', () => {
    const { rules, warnings } = routesFromOpenApi(spec);
    expect(warnings).toEqual([]);
    const table = compileRoutes(rules);
    expect(table.options.readAllScope).toBeNull();
    for (const [method, path] of [['GET', '/pets'], ['HEAD', '/pets'], ['GET', '/pets/7'], ['POST', '/pets']]) {
      expect(checkScope(table, { method: method!, path: path! }, 'all.read').reason).toBe('insufficient-scope');
    }
    expect(checkScope(table, { method: 'GET', path: '/pets' }, 'read:pets').reason).toBe('scope');
    // A spec path listed before a templated one that contains it compiles (the first rule wins).
    expect(checkScope(table, { method: 'GET', path: '/pets/mine' }, '').reason).toBe('authenticated');
  });

  test('the scope reference has no read-all section', () => {
    const md = renderScopeReference(compileRoutes(routesFromOpenApi(spec).rules));
    expect(md).not.toContain('all.read');
    expect(md).not.toContain('Grants every GET');
  });
});

describe('concrete paths before templated ones, as OpenAPI matches them', () => {
  const doc = base({
    '/users/{userId}': { get: { security: [{ bearerAuth: ['users.read'] }] }, delete: { security: [{ bearerAuth: ['users.write'] }] } },
    '/health': { get: { security: [] } },
    '/users/me': { get: { security: [{ bearerAuth: [] }] } },
    '/users/{userId}/keys': { get: {} },
    '/users/me/keys': { get: { security: [{ bearerAuth: ['keys.self'] }] } },
    '/files/{name}.json': { get: {} },
    '/{kind}/{id}': { get: { security: [{ bearerAuth: ['any.read'] }] } },
  });

  test('each concrete path moves before the first templated path it instantiates; the rest keep the document order', () => {
    const { rules, warnings } = routesFromOpenApi(doc);
    expect(warnings).toEqual([]);
    expect(rules.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /users/me',
      'GET /users/:userId',
      'DELETE /users/:userId',
      'GET /health',
      'GET /users/me/keys',
      'GET /users/:userId/keys',
      'GET /files/:name.json',
      'GET /:kind/:id',
    ]);
  });

  test('the table compiles and the concrete path answers its own requests', () => {
    const table = compileRoutes(routesFromOpenApi(doc).rules);
    expect(checkScope(table, { method: 'GET', path: '/users/me' }, '').reason).toBe('authenticated');
    expect(checkScope(table, { method: 'GET', path: '/users/42' }, '').reason).toBe('insufficient-scope');
    expect(checkScope(table, { method: 'GET', path: '/users/me/keys' }, 'keys.self').reason).toBe('scope');
    expect(checkScope(table, { method: 'GET', path: '/users/42/keys' }, 'keys.self').reason).toBe('insufficient-scope');
  });

  test('a partial overlap keeps the document order and stays a compile error', () => {
    const { rules } = routesFromOpenApi(base({ '/a/{x}/c': { get: {} }, '/a/b/{y}': { get: { security: [{ bearerAuth: ['other'] }] } } }));
    expect(rules.map((r) => r.path)).toEqual(['/a/:x/c', '/a/b/:y']);
    expect(() => compileRoutes(rules)).toThrow(expect.objectContaining({ code: 'ERR_AMBIGUOUS_ROUTES' }));
  });
});
