/**
 * Route table → OpenAPI: write each operation's `security` (and `x-scopes` for readers) from the
 * rule the gate would apply to it, and the path params it binds to token claims
 * (`x-scopegate-bindings`), so the spec says what is enforced.
 */
import type { CompiledRule, RouteTable } from '@scopegate/core';
import { HTTP_METHODS, openApiPathToPattern, parseOpenApiText, type OpenApiDocument } from './routes-from-openapi';

/** The extension naming an operation's path params bound to token claims. */
export const BINDINGS_EXTENSION = 'x-scopegate-bindings';

/** One entry of `x-scopegate-bindings`. */
export interface OpenApiBinding {
  /** The OpenAPI path parameter (the spec's name, which may differ from the rule's `:param`). */
  readonly param: string;
  /** The token claim it must equal (a string, or one of an array of strings). */
  readonly claim: string;
  readonly in: 'path';
  /**
   * Only when what the rule's param captures is not exactly one spec parameter: the spec's text
   * there, fixed text (`acme`: only tokens whose claim holds it pass) or several parameters
   * (`{a}.{b}`: the claim must equal the whole segment). `param` is then the rule's name.
   */
  readonly segment?: string;
}

export interface ScopedOpenApi {
  /**
   * A copy of the document with `security` and `x-scopes` written on every operation the table
   * covers, and `x-scopegate-bindings` on those whose rule binds params (removed from the others).
   */
  readonly document: OpenApiDocument;
  /** Operations of the spec no rule covers (the gate denies them). */
  readonly missingInTable: readonly string[];
  /** Rules no operation of the spec matches. */
  readonly missingInSpec: readonly CompiledRule[];
}

/**
 * Write the table's requirements into a copy of an OpenAPI document. Each covered operation gets
 * `security` (one requirement object per alternative, `[]` for public) and `x-scopes`; one whose
 * rule binds path params to claims also gets
 * `x-scopegate-bindings: [{ param, claim, in: 'path' }]` (`routesFromOpenApi` reads it back).
 *
 * @example
 * const { document, missingInTable } = openApiWithScopes(spec, dynamicTable);
 * document.paths['/environments/{environmentId}/users'].get['x-scopegate-bindings'];
 * // → [{ param: 'environmentId', claim: 'environment_id', in: 'path' }]
 */
export function openApiWithScopes(input: OpenApiDocument | string, table: RouteTable, options: { scheme?: string } = {}): ScopedOpenApi {
  const source = typeof input === 'string' ? parseOpenApiText(input) : input;
  const document = structuredClone(source) as OpenApiDocument;
  const scheme = options.scheme ?? 'bearerAuth';
  const missingInTable: string[] = [];
  const used = new Set<number>();

  for (const [rawPath, item] of Object.entries(document.paths ?? {})) {
    if (!item || typeof item !== 'object') continue;
    const { sample, names } = sampleOf(rawPath);
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
      if (rule.bindings.length) op[BINDINGS_EXTENSION] = bindingsOf(rule, found.kind === 'match' ? found.params : {}, names);
      else delete op[BINDINGS_EXTENSION]; // a stale one from an earlier run would claim a check the gate does not make
    }
  }
  const components = (document.components ??= {});
  const schemes = (components.securitySchemes ??= {});
  schemes[scheme] ??= { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' };
  return { document, missingInTable, missingInSpec: table.rules.filter((r) => !used.has(r.index)) };
}

/**
 * A concrete path for an OpenAPI path: each `{param}` becomes `sample-1`, `sample-2`… (through
 * `openApiPathToPattern`, so escapes read the same), and which spec param each sample stands for.
 */
function sampleOf(rawPath: string): { sample: string; names: Map<string, string> } {
  const specNames = [...rawPath.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const names = new Map<string, string>();
  let n = 0;
  const sample = openApiPathToPattern(rawPath).replace(/\\(.)|:("[^"]+"|[A-Za-z_$][A-Za-z0-9_$]*)/g, (_m, escaped: string | undefined) => {
    if (escaped !== undefined) return escaped;
    const value = `sample-${++n}`;
    names.set(value, specNames[n - 1]!);
    return value;
  });
  return { sample, names };
}

/** The rule's bindings as the spec names them: each bound param mapped back to the spec's `{param}`. */
function bindingsOf(rule: CompiledRule, params: Readonly<Record<string, string | string[]>>, names: ReadonlyMap<string, string>): OpenApiBinding[] {
  return rule.bindings.map((b) => {
    const value = params[b.param];
    const specName = typeof value === 'string' ? names.get(value) : undefined;
    if (specName !== undefined) return { param: specName, claim: b.claim, in: 'path' };
    // Fixed text, or several spec params in one segment: say what the spec has there.
    const text = (Array.isArray(value) ? value.join('/') : (value ?? '')).replace(/sample-\d+/g, (s) => (names.has(s) ? `{${names.get(s)}}` : s));
    return { param: b.param, claim: b.claim, in: 'path', segment: text };
  });
}
