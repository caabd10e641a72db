/**
 * The data in @scopegate/dynamic equals Dynamic's documents, kept verbatim as fixtures:
 * - fixtures/dynamic-permissions-003.txt: the API token permissions page (scopes → endpoints);
 * - fixtures/dynamic-user-tokens-openapi-000.txt: the OpenAPI text of GET /user/tokens.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dynamicRoutes, dynamicScopeNames, dynamicScopes } from '@scopegate/dynamic';
import { parsePermissionsPage } from './support/permissions-page';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

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
