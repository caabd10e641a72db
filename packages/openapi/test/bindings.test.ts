/** Claim bindings in the OpenAPI tools: the permission reference, `x-scopegate-bindings` out and back in. */
import { JSDOM } from 'jsdom';
import { checkScope, compileRoutes, type RouteTable } from '@scopegate/core';
import { dynamicRoutes, dynamicTable } from '@scopegate/dynamic';
import { openApiWithScopes, renderScopeReference, routesFromOpenApi, type OpenApiDocument } from '@scopegate/openapi';

type Operation = Record<string, unknown>;
const operations = (doc: OpenApiDocument) => doc.paths as Record<string, Record<string, Operation>>;

/** An OpenAPI document with one empty operation per rule of Dynamic's table (`:param` → `{param}`). */
function dynamicSpec(): OpenApiDocument {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const r of dynamicRoutes) (paths[r.path.replace(/:(\w+)/g, '{$1}')] ??= {})[r.method.toLowerCase()] = { summary: r.description };
  return { openapi: '3.1.0', paths };
}

describe('renderScopeReference', () => {
  const table = compileRoutes([
    { method: 'GET', path: '/t/:tenant/users/:user', scopes: ['users.read'], bind: { tenant: 'tid', user: 'sub' }, description: 'Get a user' },
    { method: 'GET', path: '/t/:tenant/report', scopes: ['users.read'], bind: { tenant: 'org' } },
    { method: 'GET', path: '/status', scopes: ['users.read'] },
  ]);

  test('Markdown: no table-wide line without the option; every binding of a row in its cell, an empty cell for none', () => {
    const md = renderScopeReference(table);
    expect(md).not.toContain('Bindings for the whole table');
    expect(md).toContain(
      [
        '## users.read',
        '',
        '| Method & Endpoint | Description | Bound to the token |',
        '| --- | --- | --- |',
        "| `GET /t/:tenant/users/:user` | Get a user | `:tenant` must equal the token's `tid` claim; `:user` must equal the token's `sub` claim |",
        "| `GET /t/:tenant/report` |  | `:tenant` must equal the token's `org` claim |",
        '| `GET /status` |  |  |',
      ].join('\n'),
    );
  });

  test('a rule overriding the table-wide claim shows its own claim; the header shows the table-wide one', () => {
    const md = renderScopeReference(compileRoutes([{ method: 'GET', path: '/e/:env', scopes: ['a'] }, { method: 'POST', path: '/e/:env', scopes: ['a'], bind: { env: 'admin_env' } }], { bind: { env: 'env_id' } }));
    expect(md).toContain("Bindings for the whole table (every endpoint with the param): `:env` must equal the token's `env_id` claim.");
    expect(md).toContain("| `GET /e/:env` |  | `:env` must equal the token's `env_id` claim |");
    expect(md).toContain("| `POST /e/:env` |  | `:env` must equal the token's `admin_env` claim |");
  });

  const odd = compileRoutes([{ method: 'GET', path: '/t/:"<p>"/x', scopes: ['s'], description: 'odd' }], { bind: { '<p>': 'a<b>&"c`|' } });

  test('Markdown: names with backticks and pipes stay inside their code spans and do not break the table', () => {
    const md = renderScopeReference(odd);
    expect(md).toContain("Bindings for the whole table (every endpoint with the param): `:<p>` must equal the token's ``a<b>&\"c`\\|`` claim.");
    const row = md.split('\n').find((l) => l.startsWith('| `GET'))!;
    // Three cells: the unescaped pipes are exactly the four cell borders.
    expect(row.split(/(?<!\\)\|/).length - 1).toBe(4);
  });

  test('HTML: every name escaped, in the header line and in the cells', () => {
    const page = renderScopeReference(odd, { format: 'html' });
    expect(page).not.toContain(':<p>');
    expect(page).not.toContain('a<b>');
    expect(page).toContain("<code>:&lt;p&gt;</code> must equal the token's <code>");
    expect(page).toContain('<code>a&lt;b&gt;&amp;&quot;c`|</code>');
    const dom = new JSDOM(page);
    const doc = dom.window.document;
    expect(doc.querySelector('p.bindings')!.textContent).toBe('Bindings for the whole table (every endpoint with the param): :<p> must equal the token\'s a<b>&"c`| claim.');
    expect(doc.querySelector('td.bindings')!.textContent).toBe(':<p> must equal the token\'s a<b>&"c`| claim');
    expect(doc.querySelectorAll('b')).toHaveLength(0); // no element made from a name
    dom.window.close();
  });
});

describe('openApiWithScopes: x-scopegate-bindings', () => {
  test('the Dynamic table: every operation with {environmentId} gets the extension, no other does', () => {
    const { document, missingInTable, missingInSpec } = openApiWithScopes(dynamicSpec(), dynamicTable);
    expect([missingInTable, missingInSpec]).toEqual([[], []]);
    let bound = 0;
    for (const [path, item] of Object.entries(operations(document))) {
      for (const [method, op] of Object.entries(item)) {
        const ext = op['x-scopegate-bindings'];
        if (path.includes('{environmentId}')) {
          expect([method, path, ext]).toEqual([method, path, [{ param: 'environmentId', claim: 'environment_id', in: 'path' }]]);
          bound++;
        } else expect([method, path, 'x-scopegate-bindings' in op]).toEqual([method, path, false]);
      }
    }
    expect(bound).toBe(dynamicRoutes.filter((r) => r.path.includes(':environmentId')).length);
    expect('x-scopegate-bindings' in operations(document)['/user/tokens']!.get!).toBe(false);
  });

  test("the spec's own param names; fixed text where the rule has a param; a stale extension removed", () => {
    const spec: OpenApiDocument = {
      openapi: '3.0.3',
      paths: {
        '/environments/{envId}/users': { get: {} },
        '/environments/prod/users': { post: {} },
        '/user/tokens': { get: { 'x-scopegate-bindings': [{ param: 'x', claim: 'y', in: 'path' }] } },
      },
    };
    const paths = operations(openApiWithScopes(spec, dynamicTable).document);
    expect(paths['/environments/{envId}/users']!.get!['x-scopegate-bindings']).toEqual([{ param: 'envId', claim: 'environment_id', in: 'path' }]);
    expect(paths['/environments/prod/users']!.post!['x-scopegate-bindings']).toEqual([{ param: 'environmentId', claim: 'environment_id', in: 'path', segment: 'prod' }]);
    expect('x-scopegate-bindings' in paths['/user/tokens']!.get!).toBe(false);
  });

  test('several bindings, in pattern order; several spec params in one bound segment', () => {
    const table = compileRoutes([
      { method: 'GET', path: '/t/:tenant/u/:user', scopes: [], bind: { user: 'sub', tenant: 'tid' } },
      { method: 'GET', path: '/f/:file', scopes: [], bind: { file: 'file_id' } },
    ]);
    const paths = operations(openApiWithScopes({ openapi: '3.1.0', paths: { '/t/{t}/u/{u}': { get: {} }, '/f/{name}.{ext}': { get: {} } } }, table).document);
    expect(paths['/t/{t}/u/{u}']!.get!['x-scopegate-bindings']).toEqual([
      { param: 't', claim: 'tid', in: 'path' },
      { param: 'u', claim: 'sub', in: 'path' },
    ]);
    expect(paths['/f/{name}.{ext}']!.get!['x-scopegate-bindings']).toEqual([{ param: 'file', claim: 'file_id', in: 'path', segment: '{name}.{ext}' }]);
  });
});

describe('routesFromOpenApi reads x-scopegate-bindings back', () => {
  const bindingsOf = (table: RouteTable) => table.rules.map((r) => `${r.methods.join()} ${r.path} ${r.bindings.map((b) => `${b.param}=${b.claim}`).join(',')}`);

  test('round trip: the Dynamic spec written by openApiWithScopes imports to the same bindings', () => {
    const { document } = openApiWithScopes(dynamicSpec(), dynamicTable);
    const { rules, warnings } = routesFromOpenApi(document);
    expect(warnings).toEqual([]);
    const imported = compileRoutes(rules);
    expect(bindingsOf(imported).sort()).toEqual(bindingsOf(dynamicTable).sort());
    const request = { method: 'GET', path: '/environments/e2/users' };
    expect(checkScope(imported, request, 'environment.users.read', { environment_id: 'e1' }).reason).toBe('binding-mismatch');
    expect(checkScope(imported, request, 'environment.users.read', { environment_id: 'e2' }).allowed).toBe(true);
  });

  test.each<[string, unknown, Operation, string]>([
    ['not an array', { param: 'id', claim: 'tid' }, {}, 'x-scopegate-bindings must be an array of { param, claim, in: "path" }'],
    ['a query parameter', [{ param: 'id', claim: 'tid', in: 'query' }], {}, 'x-scopegate-bindings [0] binds a "query" parameter: only path parameters can be bound'],
    ['a param the path lacks', [{ param: 'other', claim: 'tid', in: 'path' }], {}, 'x-scopegate-bindings [0] binds {other}, which this path does not have'],
    ['no claim', [{ param: 'id', in: 'path' }], {}, 'x-scopegate-bindings [0] needs a string param and a non-empty string claim'],
    ['twice', [{ param: 'id', claim: 'a' }, { param: 'id', claim: 'b' }], {}, 'x-scopegate-bindings [1] binds {id} twice'],
    ['a segment, not one param', [{ param: 'id', claim: 'tid', in: 'path', segment: 'prod' }], {}, 'x-scopegate-bindings [0] binds "prod", which is not one path parameter of this path'],
    ['on a public operation', [{ param: 'id', claim: 'tid', in: 'path' }], { security: [] }, 'x-scopegate-bindings on a public operation (no token is read)'],
  ])('%s: a warning, and the operation left out (denied), never imported unbound', (_name, ext, extra, message) => {
    const spec = { openapi: '3.1.0', security: [{ bearerAuth: ['r'] }], paths: { '/things/{id}': { get: { 'x-scopegate-bindings': ext, ...extra }, put: {} } } };
    const { rules, warnings } = routesFromOpenApi(spec);
    expect(rules.map((r) => r.method)).toEqual(['PUT']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.location).toBe('GET /things/{id}');
    expect(warnings[0]!.message).toContain(message);
    expect(warnings[0]!.message).toMatch(/operation left out \(requests to it are denied\)$/);
  });

  test('a valid extension becomes bind, and an empty one nothing', () => {
    const spec = { openapi: '3.1.0', security: [{ bearerAuth: ['r'] }], paths: { '/t/{t}/x/{id}': { get: { 'x-scopegate-bindings': [{ param: 't', claim: 'tid', in: 'path' }, { param: 'id', claim: 'sub' }] }, put: { 'x-scopegate-bindings': [] } } } };
    const { rules, warnings } = routesFromOpenApi(spec);
    expect(warnings).toEqual([]);
    expect(rules).toEqual([
      { method: 'GET', path: '/t/:t/x/:id', scopes: ['r'], bind: { t: 'tid', id: 'sub' } },
      { method: 'PUT', path: '/t/:t/x/:id', scopes: ['r'] },
    ]);
  });
});
