/**
 * Route table → OpenAPI: write each operation's `security` (and `x-scopes` for readers) from the
 * rule the gate would apply to it, so the spec says what is enforced.
 */
import type { CompiledRule, RouteTable } from '@scopegate/core';
import { HTTP_METHODS, openApiPathToPattern, parseOpenApiText, type OpenApiDocument } from './routes-from-openapi';

export interface ScopedOpenApi {
  /** A copy of the document with `security` and `x-scopes` written on every operation the table covers. */
  readonly document: OpenApiDocument;
  /** Operations of the spec no rule covers (the gate denies them). */
  readonly missingInTable: readonly string[];
  /** Rules no operation of the spec matches. */
  readonly missingInSpec: readonly CompiledRule[];
}

/**
 * @example
 * const { document, missingInTable } = openApiWithScopes(spec, dynamicTable);
 */
export function openApiWithScopes(input: OpenApiDocument | string, table: RouteTable, options: { scheme?: string } = {}): ScopedOpenApi {
  const source = typeof input === 'string' ? parseOpenApiText(input) : input;
  const document = structuredClone(source) as OpenApiDocument;
  const scheme = options.scheme ?? 'bearerAuth';
  const missingInTable: string[] = [];
  const used = new Set<number>();

  for (const [rawPath, item] of Object.entries(document.paths ?? {})) {
    if (!item || typeof item !== 'object') continue;
    const sample = sampleOf(openApiPathToPattern(rawPath));
    for (const method of HTTP_METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op || typeof op !== 'object') continue;
      const found = table.lookup(method.toUpperCase(), sample);
      if (found.kind === 'no-route') {
        missingInTable.push(`${method.toUpperCase()} ${rawPath}`);
        continue;
      }
      const rule = found.rule;
      used.add(rule.index);
      op.security = rule.public ? [] : rule.anyOf.map((alt) => ({ [scheme]: [...alt] }));
      op['x-scopes'] = rule.public ? 'public' : rule.anyOf.map((alt) => [...alt]);
    }
  }
  const components = (document.components ??= {});
  const schemes = (components.securitySchemes ??= {});
  schemes[scheme] ??= { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' };
  return { document, missingInTable, missingInSpec: table.rules.filter((r) => !used.has(r.index)) };
}

/** A concrete path for a pattern made by `openApiPathToPattern`: each param becomes `sample`. */
function sampleOf(pattern: string): string {
  return pattern.replace(/\\(.)|:("[^"]+"|[A-Za-z_$][A-Za-z0-9_$]*)/g, (_m, escaped: string | undefined) => escaped ?? 'sample');
}
