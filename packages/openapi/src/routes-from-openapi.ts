/**
 * OpenAPI 3.0 / 3.1 → route rules: each operation becomes a rule whose requirement is read from
 * its security requirements (the operation's, else the document's).
 */
import { LineCounter, parseDocument } from 'yaml';
import type { RouteRule } from '@scopegate/core';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** A parsed OpenAPI document, as far as this package reads it. */
export interface OpenApiDocument {
  openapi?: string;
  servers?: { url?: string }[];
  security?: Record<string, string[]>[];
  paths?: Record<string, Record<string, unknown>>;
  components?: { securitySchemes?: Record<string, unknown>; pathItems?: Record<string, unknown> };
  [key: string]: unknown;
}

export interface ImportOptions {
  /** The security scheme that carries the bearer token. Default `'bearerAuth'`, or the document's only http-bearer / oauth2 / openIdConnect scheme. */
  scheme?: string;
  /** `'strip'`: paths as written in `paths`. `'keep'`: prefixed with the first server's base path. Default `'strip'`. */
  basePath?: 'strip' | 'keep';
}

/** Something the import could not express, with where it was found. */
export interface ImportWarning {
  /** `GET /path` or `paths./path`. */
  readonly location: string;
  readonly message: string;
}

export interface OpenApiImport {
  readonly rules: RouteRule[];
  readonly warnings: ImportWarning[];
}

/** Bad input: not a document, unparsable text. `location` is `line:column` for text. */
export class OpenApiError extends Error {
  constructor(message: string, readonly location?: string) {
    super(location ? `${location}: ${message}` : message);
    this.name = 'OpenApiError';
  }
}

/** Parse JSON or YAML text (YAML is a superset) into a document. Throws `OpenApiError` with the line and column. */
export function parseOpenApiText(text: string): OpenApiDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    throw new OpenApiError(e.message.split('\n')[0]!, pos ? `${pos.line}:${pos.col}` : undefined);
  }
  const value: unknown = doc.toJS();
  return asDocument(value);
}

function asDocument(value: unknown): OpenApiDocument {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new OpenApiError('not an OpenAPI document (expected an object)');
  const doc = value as OpenApiDocument;
  if (typeof doc.openapi !== 'string' || !/^3\.[01]\./.test(doc.openapi)) {
    throw new OpenApiError(`unsupported OpenAPI version ${JSON.stringify(doc.openapi ?? null)} (3.0.x and 3.1.x are)`);
  }
  if (doc.paths !== undefined && (typeof doc.paths !== 'object' || doc.paths === null)) throw new OpenApiError('paths must be an object');
  return doc;
}

/** `{param}` → `:param`, with path-to-regexp's special characters in literal text escaped. */
export function openApiPathToPattern(path: string): string {
  let out = '';
  const re = /\{([^}]+)\}/g;
  let last = 0;
  for (let m = re.exec(path); m; m = re.exec(path)) {
    out += escapeText(path.slice(last, m.index)) + ':' + paramName(m[1]!);
    last = m.index + m[0].length;
  }
  return out + escapeText(path.slice(last));
}

function escapeText(text: string): string {
  return text.replace(/[{}()[\]+?!:*\\]/g, '\\$&');
}

function paramName(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

/** The bearer scheme to read: the one asked for, else `bearerAuth`, else the only token scheme. */
function pickScheme(doc: OpenApiDocument, asked: string | undefined, warnings: ImportWarning[]): string {
  const schemes = doc.components?.securitySchemes ?? {};
  if (asked) {
    if (!(asked in schemes)) warnings.push({ location: 'components.securitySchemes', message: `scheme ${JSON.stringify(asked)} is not declared` });
    return asked;
  }
  if ('bearerAuth' in schemes) return 'bearerAuth';
  const tokenSchemes = Object.entries(schemes).filter(([, s]) => {
    const t = s as { type?: string; scheme?: string };
    return (t.type === 'http' && t.scheme?.toLowerCase() === 'bearer') || t.type === 'oauth2' || t.type === 'openIdConnect';
  });
  if (tokenSchemes.length === 1) return tokenSchemes[0]![0];
  return 'bearerAuth';
}

function basePathOf(doc: OpenApiDocument): string {
  const url = doc.servers?.[0]?.url;
  if (!url) return '';
  try {
    const path = new URL(url, 'http://base.invalid').pathname;
    return path === '/' ? '' : path.replace(/\/$/, '');
  } catch {
    return '';
  }
}

/**
 * Build route rules from an OpenAPI document (object, or JSON/YAML text). `security: []` → public;
 * `{ bearerAuth: [] }` → any authenticated caller; `{ bearerAuth: [a, b] }` → scopes a and b;
 * several requirement objects → `anyOf`; `x-scopegate-bindings: [{ param, claim, in: 'path' }]`
 * (as `openApiWithScopes` writes it) → `bind: { param: claim }`. What cannot be expressed is
 * reported in `warnings` and the operation left out (so the gate denies it).
 *
 * Rules come in the document's order, except that a concrete path comes before a templated one
 * that matches it (`/users/me` before `/users/{id}`, wherever the document lists them), as OpenAPI
 * matches paths: the table's first matching rule wins, so the concrete path's security applies to
 * its requests. Register the routes in that order in the app too (`auditApp` checks it).
 *
 * @example
 * const { rules, warnings } = routesFromOpenApi(readFileSync('openapi.yaml', 'utf8'));
 * const table = compileRoutes(rules); // no read-all scope: only the spec's own scopes grant anything
 */
export function routesFromOpenApi(input: OpenApiDocument | string, options: ImportOptions = {}): OpenApiImport {
  const doc = typeof input === 'string' ? parseOpenApiText(input) : asDocument(input);
  const warnings: ImportWarning[] = [];
  const rules: RouteRule[] = [];
  const scheme = pickScheme(doc, options.scheme, warnings);
  const prefix = options.basePath === 'keep' ? basePathOf(doc) : '';
  // Each path's rules, in concrete-before-templated order (see `concreteFirst`).
  const groups: { path: string; rules: RouteRule[] }[] = [];

  for (const [rawPath, rawItem] of Object.entries(doc.paths ?? {})) {
    let item = rawItem as Record<string, unknown> | undefined;
    const ref = item?.$ref;
    if (typeof ref === 'string') {
      const resolved = resolveLocalRef(doc, ref);
      if (!resolved) {
        warnings.push({ location: `paths.${rawPath}`, message: `$ref ${JSON.stringify(ref)} cannot be resolved (only local #/components/pathItems/… refs are)` });
        continue;
      }
      item = { ...resolved, ...Object.fromEntries(Object.entries(item!).filter(([k]) => k !== '$ref')) };
    }
    if (!item || typeof item !== 'object') continue;
    const path = prefix + openApiPathToPattern(rawPath);
    const group = { path: rawPath, rules: [] as RouteRule[] };
    concreteFirst(groups, group);
    for (const method of HTTP_METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op || typeof op !== 'object') continue;
      const location = `${method.toUpperCase()} ${rawPath}`;
      if (op.callbacks !== undefined) warnings.push({ location, message: 'callbacks describe requests this API sends, not routes it serves: ignored' });
      const security = (Array.isArray(op.security) ? op.security : doc.security ?? []) as Record<string, unknown>[];
      const description = typeof op.summary === 'string' ? op.summary : typeof op.operationId === 'string' ? op.operationId : undefined;
      const bind = readBindings(op['x-scopegate-bindings'], rawPath);
      if (typeof bind === 'string') {
        warnings.push({ location, message: `x-scopegate-bindings ${bind}: operation left out (requests to it are denied)` });
        continue;
      }
      const base = { method: method.toUpperCase(), path, ...(description ? { description } : {}), ...(bind ? { bind } : {}) };
      if (security.length === 0 || security.some((req) => req && typeof req === 'object' && Object.keys(req).length === 0)) {
        if (bind) {
          warnings.push({ location, message: 'x-scopegate-bindings on a public operation (no token is read): operation left out (requests to it are denied)' });
          continue;
        }
        group.rules.push({ ...base, public: true });
        continue;
      }
      const alternatives: string[][] = [];
      for (const req of security) {
        const names = Object.keys(req ?? {});
        const others = names.filter((n) => n !== scheme);
        if (others.length) {
          warnings.push({ location, message: `security requirement uses scheme(s) ${others.map((n) => JSON.stringify(n)).join(', ')} the gate does not check: that alternative is left out` });
          continue;
        }
        const scopes = (req as Record<string, unknown>)[scheme];
        if (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string')) {
          warnings.push({ location, message: `scopes of ${JSON.stringify(scheme)} must be an array of strings` });
          continue;
        }
        alternatives.push(scopes as string[]);
      }
      if (!alternatives.length) {
        warnings.push({ location, message: 'no security requirement the gate can check: operation left out (requests to it are denied)' });
        continue;
      }
      group.rules.push(alternatives.length === 1 ? { ...base, scopes: alternatives[0]! } : { ...base, anyOf: alternatives });
    }
  }
  for (const g of groups) rules.push(...g.rules);
  return { rules, warnings };
}

/**
 * Insert `group` before the first group whose path it is an instance of (see `instanceOf`), else
 * at the end. Keeps the invariant that no path comes after a templated path it instantiates:
 * anything more concrete than `group` is already before every path `group` instantiates.
 */
function concreteFirst(groups: { path: string }[], group: { path: string }): void {
  const at = groups.findIndex((g) => instanceOf(group.path, g.path));
  if (at === -1) groups.push(group);
  else groups.splice(at, 0, group);
}

/**
 * Is `path` a strictly more concrete form of `templated` (OpenAPI: "concrete paths are matched
 * before their templated counterparts")? As many segments; each of `templated`'s a whole
 * `{param}`, or the same text; and at least one `{param}` where `path` has something else.
 */
function instanceOf(path: string, templated: string): boolean {
  const a = path.split('/');
  const b = templated.split('/');
  if (a.length !== b.length) return false;
  let more = false;
  for (let i = 0; i < a.length; i++) {
    const whole = /^\{[^{}]+\}$/;
    if (whole.test(b[i]!)) {
      if (a[i] === '') return false;
      if (!whole.test(a[i]!)) more = true;
    } else if (a[i] !== b[i]) return false;
  }
  return more;
}

/**
 * `x-scopegate-bindings` as a rule's `bind` map: `undefined` when absent, a message (what is wrong)
 * when it cannot be honoured. Names only are read; a binding is never dropped silently.
 */
function readBindings(value: unknown, rawPath: string): Record<string, string> | undefined | string {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return 'must be an array of { param, claim, in: "path" }';
  const params = new Set([...rawPath.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!));
  const bind: Record<string, string> = Object.create(null);
  for (const [i, entry] of value.entries()) {
    const e = entry as { param?: unknown; claim?: unknown; in?: unknown; segment?: unknown } | null;
    if (!e || typeof e !== 'object' || typeof e.param !== 'string' || typeof e.claim !== 'string' || e.claim === '') return `[${i}] needs a string param and a non-empty string claim`;
    if (e.in !== undefined && e.in !== 'path') return `[${i}] binds a ${JSON.stringify(e.in)} parameter: only path parameters can be bound`;
    if (e.segment !== undefined) return `[${i}] binds ${JSON.stringify(e.segment)}, which is not one path parameter of this path`;
    if (!params.has(e.param)) return `[${i}] binds {${e.param}}, which this path does not have`;
    if (e.param in bind) return `[${i}] binds {${e.param}} twice`;
    bind[e.param] = e.claim;
  }
  return value.length ? { ...bind } : undefined;
}

function resolveLocalRef(doc: OpenApiDocument, ref: string): Record<string, unknown> | null {
  if (!ref.startsWith('#/')) return null;
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!node || typeof node !== 'object') return null;
    node = (node as Record<string, unknown>)[key];
  }
  return node && typeof node === 'object' ? (node as Record<string, unknown>) : null;
}
