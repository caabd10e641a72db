/**
 * The data in @scopegate/dynamic equals Dynamic's documents, kept verbatim as fixtures:
 * - fixtures/dynamic-permissions-003.txt: the API token permissions page (scopes → endpoints);
 * - fixtures/dynamic-user-tokens-openapi-000.txt: the OpenAPI text of GET /user/tokens.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dynamicRoutes, dynamicScopeNames, dynamicScopes } from '@scopegate/dynamic';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

interface Fact {
  scope: string;
  method: string;
  path: string;
  description: string;
}

/**
 * The page lists "METHOD /pathDescription" with nothing between path and description. The
 * description starts at the last capital letter of the first space-free run (paths are camelCase,
 * descriptions start with a capitalised word: "/signMessageDelegate sign message" splits as
 * "/signMessage" + "Delegate sign message").
 */
function parsePermissionsPage(text: string) {
  const scopes: { scope: string; description: string; group: string }[] = [];
  const facts: Fact[] = [];
  let group = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const endpoint = /^(GET|POST|PUT|PATCH|DELETE) (\/\S*)(.*)$/.exec(line);
    if (endpoint) {
      const [, method, head, tail] = endpoint as unknown as [string, string, string, string];
      let cut = head.length - 1;
      while (cut > 0 && !/[A-Z]/.test(head[cut]!)) cut--;
      facts.push({ scope: scopes[scopes.length - 1]!.scope, method, path: head.slice(0, cut), description: head.slice(cut) + tail });
    } else if (/^\S+ Permissions$|^.+\) Permissions$/.test(line)) group = line;
    else if (/^[a-z]+(\.[a-zA-Z]+)+$/.test(line)) scopes.push({ scope: line, description: '', group });
    else if (line.startsWith('Description: ')) scopes[scopes.length - 1]!.description = line.slice('Description: '.length);
  }
  return { scopes, facts };
}

function parseTokenScopesEnum(text: string): string[] {
  const block = /TokenScopes:\n(?:.*\n)*?\s+enum:\n((?:\s+- .*\n)+)/.exec(text);
  if (!block) throw new Error('TokenScopes enum not found in the fixture');
  return block[1]!.split('\n').filter(Boolean).map((l) => l.trim().slice(2));
}

const page = parsePermissionsPage(fixture('dynamic-permissions-003.txt'));
const enumScopes = parseTokenScopesEnum(fixture('dynamic-user-tokens-openapi-000.txt'));

test('the page has 131 endpoints over 13 scopes', () => {
  expect(page.facts).toHaveLength(131);
  expect(page.scopes).toHaveLength(13);
});

test('dynamicRoutes is the page, fact for fact, in order, then GET /user/tokens', () => {
  const data = dynamicRoutes.map((r) => ({ scope: r.scopes[0], method: r.method, path: r.path, description: r.description }));
  expect(data.slice(0, 131)).toEqual(page.facts);
  expect(data).toHaveLength(132);
});

test('GET /user/tokens is as in the OpenAPI text: bearer JWT, no scope', () => {
  const openapi = fixture('dynamic-user-tokens-openapi-000.txt');
  expect(openapi).toMatch(/\/user\/tokens:\n\s+get:/);
  expect(openapi).toMatch(/security:\n\s+- bearerAuth: \[\]\ncomponents:/);
  expect(openapi).toMatch(/summary: Get API tokens for the current user/);
  const last = dynamicRoutes[131]!;
  expect([last.method, last.path, [...last.scopes], last.description]).toEqual(['GET', '/user/tokens', [], 'Get API tokens for the current user']);
});

test('dynamicScopes is the TokenScopes enum (18, in order), with the page descriptions', () => {
  expect(enumScopes).toHaveLength(18);
  expect([...dynamicScopeNames]).toEqual(enumScopes);
  for (const info of dynamicScopes) {
    const onPage = page.scopes.find((s) => s.scope === info.scope);
    expect({ scope: info.scope, description: info.description, group: info.group }).toEqual({
      scope: info.scope,
      description: onPage?.description,
      group: onPage?.group,
    });
  }
});

test('five enum scopes grant no route of the table; every other one does', () => {
  const used = new Set(dynamicRoutes.flatMap((r) => r.scopes));
  expect(enumScopes.filter((s) => !used.has(s as never))).toEqual(['all.read', 'environment.events.write', 'gasless.read', 'gasless.write', 'flow.write']);
  expect([...used].every((s) => enumScopes.includes(s))).toBe(true);
});
