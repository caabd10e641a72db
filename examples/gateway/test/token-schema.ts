/**
 * The seed's `Token` / `TokensResponse` schemas (fixture copy of Dynamic's OpenAPI text in
 * packages/dynamic/test/fixtures), as a checker. The field lists are read from the fixture, so
 * the checker cannot drift from the document.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dynamicScopeNames } from '@scopegate/dynamic';

const seed = readFileSync(join(__dirname, '../../../packages/dynamic/test/fixtures/dynamic-user-tokens-openapi-000.txt'), 'utf8');

/** Property names and `required` list of a schema in the seed's components. */
function schemaFields(name: string): { properties: string[]; required: string[] } {
  const start = seed.indexOf(`\n    ${name}:\n`);
  if (start < 0) throw new Error(`schema ${name} not in the seed`);
  const body = seed.slice(start + 1).split('\n').slice(1);
  const end = body.findIndex((l) => /^ {4}\S/.test(l));
  const lines = body.slice(0, end < 0 ? undefined : end);
  const properties = lines.filter((l) => /^ {8}[A-Za-z]+:$/.test(l)).map((l) => l.trim().slice(0, -1));
  const r = lines.findIndex((l) => /^ {6}required:$/.test(l));
  const required = r < 0 ? [] : lines.slice(r + 1).filter((l) => /^ {8}- /.test(l)).map((l) => l.trim().slice(2));
  return { properties, required };
}

export const TOKEN_FIELDS = schemaFields('Token');
export const CREATOR_FIELDS = schemaFields('TokenCreatedBy');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Problems of `value` as a seed `Token` (empty when it conforms). */
export function tokenProblems(value: unknown): string[] {
  const out: string[] = [];
  if (!value || typeof value !== 'object') return ['not an object'];
  const t = value as Record<string, unknown>;
  for (const k of TOKEN_FIELDS.required) if (t[k] === undefined) out.push(`missing ${k}`);
  for (const k of Object.keys(t)) if (!TOKEN_FIELDS.properties.includes(k)) out.push(`unexpected ${k}`);
  if (typeof t.id !== 'string' || !UUID.test(t.id)) out.push('id is not a uuid');
  if (typeof t.checksum !== 'string' || t.checksum.length !== 6) out.push('checksum is not 6 characters');
  if (typeof t.createdAt !== 'string' || Number.isNaN(Date.parse(t.createdAt)) || !/T.*Z$/.test(t.createdAt)) out.push('createdAt is not date-time');
  if (t.note !== undefined && typeof t.note !== 'string') out.push('note is not a string');
  if (t.projectEnvironmentId !== undefined && (typeof t.projectEnvironmentId !== 'string' || !UUID.test(t.projectEnvironmentId))) out.push('projectEnvironmentId is not a uuid');
  const by = t.createdBy as Record<string, unknown> | undefined;
  if (!by || typeof by.id !== 'string' || !UUID.test(by.id)) out.push('createdBy.id is not a uuid');
  else for (const k of Object.keys(by)) if (!CREATOR_FIELDS.properties.includes(k) || typeof by[k] !== 'string') out.push(`createdBy.${k} unexpected`);
  if (t.scopes !== undefined && (!Array.isArray(t.scopes) || t.scopes.some((s) => !dynamicScopeNames.includes(s)))) out.push('scopes are not TokenScopes');
  return out;
}
