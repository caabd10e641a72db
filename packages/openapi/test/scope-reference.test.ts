import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { compileRoutes } from '@scopegate/core';
import { dynamicScopes, dynamicTable } from '@scopegate/dynamic';
import { openApiWithScopes, renderScopeReference } from '@scopegate/openapi';
import { parsePermissionsPage, type Fact } from '../../dynamic/test/support/permissions-page';

const seed = parsePermissionsPage(readFileSync(join(__dirname, '../../dynamic/test/fixtures/dynamic-permissions-003.txt'), 'utf8'));

/** Read the rendered Markdown back into (scope, method, path, description) facts, and each row's binding cell. */
function parseMarkdown(md: string): { facts: Fact[]; groups: Map<string, string>; descriptions: Map<string, string>; bindings: string[] } {
  const facts: Fact[] = [];
  const bindings: string[] = [];
  const groups = new Map<string, string>();
  const descriptions = new Map<string, string>();
  let group = '';
  let scope = '';
  for (const line of md.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^## (.+)$/.exec(line))) group = m[1]!;
    else if ((m = /^### (.+)$/.exec(line))) {
      scope = m[1]!;
      groups.set(scope, group);
    } else if ((m = /^Description: (.*)$/.exec(line))) descriptions.set(scope, m[1]!);
    else if ((m = /^\| `(\S+) (\S+)` \| (.*?) \|(?: (.*) \|)?$/.exec(line))) {
      facts.push({ scope, method: m[1]!, path: m[2]!, description: m[3]!.replace(/\\\|/g, '|') });
      bindings.push(m[4] ?? '');
    }
  }
  return { facts, groups, descriptions, bindings };
}

test('Markdown reference of the Dynamic table reads back as the seed page, fact for fact', () => {
  const md = renderScopeReference(dynamicTable, { scopes: dynamicScopes, title: 'Dynamic API token scopes' });
  const back = parseMarkdown(md);
  const scoped = back.facts.filter((f) => f.scope.includes('.'));
  expect(scoped).toEqual(seed.facts); // same 131 facts, same order
  for (const s of seed.scopes) {
    expect([s.scope, back.descriptions.get(s.scope), back.groups.get(s.scope)]).toEqual([s.scope, s.description, s.group]);
  }
  // GET /user/tokens is listed for any authenticated caller; scopes with no route are listed too.
  expect(back.facts.filter((f) => !f.scope.includes('.'))).toEqual([{ scope: 'Any authenticated caller', method: 'GET', path: '/user/tokens', description: 'Get API tokens for the current user' }]);
  expect(md).toContain('## Other\n\n### Any authenticated caller');
  expect(md).toContain('| `GET /user/tokens` | Get API tokens for the current user |  |');
  expect(md).toContain('### gasless.read\n\nNo endpoint requires this scope.');
  // Bindings: the table-wide one under the title, each endpoint's in the third column.
  expect(md).toContain("# Dynamic API token scopes\n\nBindings for the whole table (every endpoint with the param): `:environmentId` must equal the token's `environment_id` claim.\n");
  expect(md).toContain('| Method & Endpoint | Description | Bound to the token |\n| --- | --- | --- |');
  const bound = "`:environmentId` must equal the token's `environment_id` claim";
  expect(back.bindings).toHaveLength(back.facts.length);
  back.facts.forEach((f, i) => expect([f.path, back.bindings[i]]).toEqual([f.path, f.path.includes(':environmentId') ? bound : '']));
  expect(back.bindings.filter((b) => b === bound).length).toBeGreaterThan(90);
  expect(md).toContain("### all.read\n\nGrants every GET (and HEAD) endpoint of this table. Bound params must still equal the token's claims.");
});

test('alternatives are listed under each scope with a note; a table without bindings has no binding column or line', () => {
  const table = compileRoutes([{ method: 'DELETE', path: '/x', anyOf: [['admin'], ['a', 'b']], description: 'Delete x' }]);
  const md = renderScopeReference(table);
  expect(md).not.toMatch(/Bound|Bindings|claim/);
  expect(md).toContain('## admin\n\n| Method & Endpoint | Description |\n| --- | --- |\n| `DELETE /x` | Delete x (or a + b) |\n');
  expect(md).toContain('## a\n\n| Method & Endpoint | Description |\n| --- | --- |\n| `DELETE /x` | Delete x (with b; or admin) |');
});

describe('HTML reference', () => {
  const html = renderScopeReference(dynamicTable, { scopes: dynamicScopes, format: 'html' });
  let dom: JSDOM;
  beforeEach(() => {
    dom = new JSDOM(html, { runScripts: 'dangerously' });
  });
  afterEach(() => dom.window.close());
  const visibleRows = () => [...dom.window.document.querySelectorAll('tbody tr')].filter((r) => !(r as HTMLElement).hidden && !(r.closest('section') as HTMLElement).hidden);
  const filter = (value: string) => {
    const input = dom.window.document.getElementById('filter') as HTMLInputElement;
    input.value = value;
    input.dispatchEvent(new dom.window.Event('input'));
  };

  test('one standalone page: no external assets', () => {
    expect(html).not.toMatch(/<link|<script src|<img|https?:\/\//);
    expect(visibleRows()).toHaveLength(132);
    expect(dom.window.document.getElementById('count')!.textContent).toBe('132 endpoints');
  });

  test('bindings: a line for the table-wide one, a column for each endpoint', () => {
    const doc = dom.window.document;
    expect(doc.querySelector('p.bindings')!.textContent).toBe("Bindings for the whole table (every endpoint with the param): :environmentId must equal the token's environment_id claim.");
    const rows = [...doc.querySelectorAll('tbody tr')];
    for (const row of rows) {
      const cell = row.querySelector('td.bindings')!;
      const bound = row.getAttribute('data-path')!.includes(':environmentId');
      expect([row.getAttribute('data-path'), cell.textContent]).toEqual([row.getAttribute('data-path'), bound ? ":environmentId must equal the token's environment_id claim" : '']);
      if (bound) expect([...cell.querySelectorAll('code')].map((c) => c.textContent)).toEqual([':environmentId', 'environment_id']);
    }
    expect([...doc.querySelectorAll('table')].every((t) => t.querySelectorAll('thead th').length === 3)).toBe(true);
  });

  test.each([
    ['environment.webhooks.write', 4],
    ['delete', 20],
    ['webhooks', 8],
    ['post /users', 8],
    ['GET analytics', 6],
    ['nothing-matches', 0],
    ['', 132],
  ])('filter %j shows %i endpoints', (query, count) => {
    filter(query);
    expect(visibleRows()).toHaveLength(count);
    expect(dom.window.document.getElementById('count')!.textContent).toBe(`${count} endpoint${count === 1 ? '' : 's'}`);
  });

  test('HTML-special characters are escaped', () => {
    const table = compileRoutes([{ method: 'GET', path: '/a', scopes: ['x'], description: '<script>alert(1)</script> & "q"' }]);
    const page = renderScopeReference(table, { format: 'html' });
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;');
  });
});

test('openApiWithScopes writes security from the table and reports both kinds of gaps', () => {
  const spec = {
    openapi: '3.0.1',
    paths: {
      '/environments/{environmentId}/users': { get: {}, post: {} },
      '/environments/{environmentId}/tokens/{tokenId}': { delete: {} },
      '/user/tokens': { get: {} },
      '/not/in/table': { get: {} },
    },
  };
  const { document, missingInTable, missingInSpec } = openApiWithScopes(spec, dynamicTable);
  const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
  expect(paths['/environments/{environmentId}/users']!.get!.security).toEqual([{ bearerAuth: ['environment.users.read'] }]);
  expect(paths['/environments/{environmentId}/users']!.post!['x-scopes']).toEqual([['environment.users.write']]);
  expect(paths['/environments/{environmentId}/tokens/{tokenId}']!.delete!.security).toEqual([{ bearerAuth: ['environment.apiTokens.write'] }]);
  expect(paths['/user/tokens']!.get!.security).toEqual([{ bearerAuth: [] }]);
  // Every operation with {environmentId} says it is bound to environment_id; /user/tokens says nothing.
  const bound = [{ param: 'environmentId', claim: 'environment_id', in: 'path' }];
  expect(paths['/environments/{environmentId}/users']!.get!['x-scopegate-bindings']).toEqual(bound);
  expect(paths['/environments/{environmentId}/users']!.post!['x-scopegate-bindings']).toEqual(bound);
  expect(paths['/environments/{environmentId}/tokens/{tokenId}']!.delete!['x-scopegate-bindings']).toEqual(bound);
  expect('x-scopegate-bindings' in paths['/user/tokens']!.get!).toBe(false);
  expect(missingInTable).toEqual(['GET /not/in/table']);
  expect(missingInSpec).toHaveLength(132 - 4);
  expect(document.components?.securitySchemes?.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  expect((spec.paths['/user/tokens'].get as Record<string, unknown>).security).toBeUndefined(); // input untouched
});
