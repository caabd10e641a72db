/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): the JSON document a protected resource
 * publishes about itself at `/.well-known/oauth-protected-resource…`, so that a client that got a
 * 401 can find out which authorization server to ask for a token, and for which scopes.
 *
 * - `protectedResourceMetadata(table, options)` builds the document (§2), `scopes_supported` from
 *   the table's rules;
 * - `resourceMetadataUrl(resource)` is where it is published (§3.1);
 * - `resourceMetadataEndpoints(table, options)` is what an adapter serves (the document for the
 *   resource and one per configured path prefix) and which URL each request's 401 challenge
 *   names (`resource_metadata`, §5.1).
 */
import { foldCase } from './case-fold';
import type { RouteTable } from './compile-routes';
import { ConfigError } from './errors';

/** The well-known path suffix of RFC 9728 §3. */
export const RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

/** Options of `protectedResourceMetadata`: the RFC 9728 §2 parameters, in camelCase. */
export interface ProtectedResourceMetadataOptions {
  /**
   * The resource identifier (`resource`, required): an `https` URL (`http` only on a loopback
   * host), without fragment, query or userinfo, written in canonical form (lower-case host, no
   * default port) — it is published exactly as written, and clients compare it exactly.
   */
  resource: string;
  /** Issuer identifiers of the authorization servers (`authorization_servers`): `https` URLs (`http` on loopback), no query or fragment. Default: left out. */
  authorizationServers?: readonly string[];
  /**
   * `scopes_supported` as given (order kept, duplicates dropped), instead of the table's scopes
   * (RFC 9728 §2: a resource MAY leave some out). Default: every scope the table's rules name,
   * and its `readAllScope`, sorted. An empty list leaves the parameter out.
   */
  scopesSupported?: readonly string[];
  /** `resource_name`: a human-readable name. */
  resourceName?: string;
  /** `resource_documentation`: URL of developer documentation. */
  resourceDocumentation?: string;
  /** `resource_policy_uri`: URL of the data-use policy. */
  resourcePolicyUri?: string;
  /** `resource_tos_uri`: URL of the terms of service. */
  resourceTosUri?: string;
  /** `jwks_uri`: URL of the resource's own JWK Set (keys it signs responses with), `https` (`http` on loopback). */
  jwksUri?: string;
  /** `resource_signing_alg_values_supported`: JWS algorithms the resource signs responses with (never `none`). Left out unless given. */
  resourceSigningAlgValuesSupported?: readonly string[];
  /** `tls_client_certificate_bound_access_tokens` (RFC 8705). Left out unless given. */
  tlsClientCertificateBoundAccessTokens?: boolean;
  /** `authorization_details_types_supported` (RFC 9396). */
  authorizationDetailsTypesSupported?: readonly string[];
  /**
   * DPoP (RFC 9449) is on: the JWS algorithms accepted for DPoP proofs
   * (`dpop_signing_alg_values_supported`, never `none`). `scopeGate` fills it in from its
   * verifier's `dpop.algorithms` when DPoP is on and this is not given. Default: left out.
   */
  dpopSigningAlgValuesSupported?: readonly string[];
  /** `dpop_bound_access_tokens_required`; only with `dpopSigningAlgValuesSupported`. */
  dpopBoundAccessTokensRequired?: boolean;
}

/** The RFC 9728 §2 document. Parameters without a value are left out (§3.2). */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers?: readonly string[];
  /** Always `['header']`: scopegate reads the token from the `Authorization` header only. */
  readonly bearer_methods_supported: readonly string[];
  readonly scopes_supported?: readonly string[];
  readonly resource_documentation?: string;
  readonly resource_name?: string;
  readonly resource_policy_uri?: string;
  readonly resource_tos_uri?: string;
  readonly jwks_uri?: string;
  readonly resource_signing_alg_values_supported?: readonly string[];
  readonly tls_client_certificate_bound_access_tokens?: boolean;
  readonly authorization_details_types_supported?: readonly string[];
  readonly dpop_signing_alg_values_supported?: readonly string[];
  readonly dpop_bound_access_tokens_required?: boolean;
}

const OPTION_NAMES = new Set<string>([
  'resource',
  'authorizationServers',
  'scopesSupported',
  'resourceName',
  'resourceDocumentation',
  'resourcePolicyUri',
  'resourceTosUri',
  'jwksUri',
  'resourceSigningAlgValuesSupported',
  'tlsClientCertificateBoundAccessTokens',
  'authorizationDetailsTypesSupported',
  'dpopSigningAlgValuesSupported',
  'dpopBoundAccessTokensRequired',
]);

/** RFC 6749 §3.3 scope-token: printable ASCII but space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** A JWS `alg` value (RFC 7518 names and registered others): printable ASCII, no space. */
const ALG = /^[\x21-\x7e]+$/;

/**
 * The RFC 9728 §2 protected resource metadata document for a route table: `resource`,
 * `authorization_servers`, `bearer_methods_supported` (`['header']`), `scopes_supported` (the
 * table's scopes, sorted, and its `readAllScope`), and the optional parameters given. Throws
 * `ConfigError` naming the option for a bad one. The result is frozen; serve it as
 * `JSON.stringify(document)` with `Content-Type: application/json`.
 *
 * @example
 * const doc = protectedResourceMetadata(table, {
 *   resource: 'https://api.example.com',
 *   authorizationServers: ['https://issuer.example.com'],
 * });
 * // { resource: 'https://api.example.com', authorization_servers: [...], bearer_methods_supported: ['header'], scopes_supported: [...] }
 */
export function protectedResourceMetadata(table: RouteTable, options: ProtectedResourceMetadataOptions): ProtectedResourceMetadata {
  if (options === null || typeof options !== 'object') throw new ConfigError('resource metadata options must be an object');
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key) && (options as unknown as Record<string, unknown>)[key] !== undefined) {
      throw new ConfigError(`resource metadata: unknown option ${JSON.stringify(key)} (allowed: ${[...OPTION_NAMES].join(', ')})`);
    }
  }
  if (!table || !Array.isArray(table.rules) || !table.options) throw new ConfigError('resource metadata: table must be a compiled RouteTable');
  checkResource(options.resource, 'resource');

  const doc: Record<string, unknown> = { resource: options.resource };
  const servers = urlList(options.authorizationServers, 'authorizationServers', true);
  if (servers) doc.authorization_servers = servers;
  doc.bearer_methods_supported = Object.freeze(['header']);
  const scopes = options.scopesSupported !== undefined ? givenScopes(options.scopesSupported) : tableScopes(table);
  if (scopes.length) doc.scopes_supported = Object.freeze(scopes);
  const documentation = url(options.resourceDocumentation, 'resourceDocumentation', false);
  if (documentation !== undefined) doc.resource_documentation = documentation;
  if (options.resourceName !== undefined) {
    if (typeof options.resourceName !== 'string' || options.resourceName.trim() === '') throw new ConfigError('resourceName must be a non-empty string');
    doc.resource_name = options.resourceName;
  }
  const policy = url(options.resourcePolicyUri, 'resourcePolicyUri', false);
  if (policy !== undefined) doc.resource_policy_uri = policy;
  const tos = url(options.resourceTosUri, 'resourceTosUri', false);
  if (tos !== undefined) doc.resource_tos_uri = tos;
  const jwks = url(options.jwksUri, 'jwksUri', true);
  if (jwks !== undefined) doc.jwks_uri = jwks;
  const signing = algList(options.resourceSigningAlgValuesSupported, 'resourceSigningAlgValuesSupported');
  if (signing) doc.resource_signing_alg_values_supported = signing;
  if (options.tlsClientCertificateBoundAccessTokens !== undefined) {
    doc.tls_client_certificate_bound_access_tokens = bool(options.tlsClientCertificateBoundAccessTokens, 'tlsClientCertificateBoundAccessTokens');
  }
  const details = stringList(options.authorizationDetailsTypesSupported, 'authorizationDetailsTypesSupported', (s) => s.trim() !== '');
  if (details) doc.authorization_details_types_supported = details;
  const dpop = algList(options.dpopSigningAlgValuesSupported, 'dpopSigningAlgValuesSupported');
  if (dpop) doc.dpop_signing_alg_values_supported = dpop;
  if (options.dpopBoundAccessTokensRequired !== undefined) {
    const required = bool(options.dpopBoundAccessTokensRequired, 'dpopBoundAccessTokensRequired');
    if (required && !dpop) throw new ConfigError('dpopBoundAccessTokensRequired: true needs dpopSigningAlgValuesSupported (the DPoP proof algorithms)');
    doc.dpop_bound_access_tokens_required = required;
  }
  return Object.freeze(doc) as unknown as ProtectedResourceMetadata;
}

/**
 * Where the metadata of `resource` is published (RFC 9728 §3.1): `/.well-known/oauth-protected-resource`
 * inserted between the host and the path (a lone `/` path is dropped first).
 * Throws `ConfigError` when `resource` is not a valid resource identifier.
 *
 * @example
 * resourceMetadataUrl('https://r.example/api'); // 'https://r.example/.well-known/oauth-protected-resource/api'
 * resourceMetadataUrl('https://r.example');     // 'https://r.example/.well-known/oauth-protected-resource'
 */
export function resourceMetadataUrl(resource: string): string {
  const url = checkResource(resource, 'resource');
  return `${url.origin}${RESOURCE_METADATA_PATH}${url.pathname === '/' ? '' : url.pathname}`;
}

/** Options of `resourceMetadataEndpoints`: the document's, and further protected resources by path prefix. */
export interface ResourceMetadataEndpointOptions extends ProtectedResourceMetadataOptions {
  /**
   * Path prefixes (`/mcp`, `/v2/files`) that are protected resources of their own on the same
   * origin: each gets a document (`resource` = origin + prefix, the rest as configured) at
   * `/.well-known/oauth-protected-resource<prefix>`, and 401s of requests under it name that
   * document. Default: none.
   */
  paths?: readonly string[];
}

/** What an adapter serves and names in its challenges. */
export interface ResourceMetadataEndpoints {
  /** Well-known path → JSON text of its document, for `GET`/`HEAD` at the resource's origin. */
  readonly documents: ReadonlyMap<string, string>;
  /** Every distinct `resource_metadata` URL `metadataUrlFor` may return. */
  readonly urls: readonly string[];
  /** The `resource_metadata` URL for a request path: the longest configured prefix it is under, else the resource's. */
  metadataUrlFor(path: string): string;
}

/** The `Cache-Control` adapters send with the document: public, an hour. */
export const RESOURCE_METADATA_CACHE_CONTROL = 'public, max-age=3600';

/**
 * The documents to serve and the challenge URL of each request, for `scopeGate`'s and the
 * gateway's `resourceMetadata` option. Throws `ConfigError` naming the bad option.
 *
 * @example
 * const endpoints = resourceMetadataEndpoints(table, { resource: 'https://api.example.com', authorizationServers: ['https://issuer.example.com'], paths: ['/mcp'] });
 * endpoints.documents.get('/.well-known/oauth-protected-resource/mcp'); // '{"resource":"https://api.example.com/mcp",…}'
 * endpoints.metadataUrlFor('/mcp/tools'); // 'https://api.example.com/.well-known/oauth-protected-resource/mcp'
 */
export function resourceMetadataEndpoints(table: RouteTable, options: ResourceMetadataEndpointOptions): ResourceMetadataEndpoints {
  if (options === null || typeof options !== 'object') throw new ConfigError('resourceMetadata must be an object');
  const { paths, ...documentOptions } = options;
  const base = protectedResourceMetadata(table, documentOptions);
  const baseUrl = resourceMetadataUrl(base.resource);
  const documents = new Map<string, string>([[new URL(baseUrl).pathname, JSON.stringify(base)]]);
  const prefixes: { prefix: string; url: string }[] = [];
  if (paths !== undefined) {
    if (!Array.isArray(paths)) throw new ConfigError('resourceMetadata.paths must be an array of path prefixes');
    const origin = new URL(base.resource).origin;
    for (const prefix of paths as unknown[]) {
      if (typeof prefix !== 'string' || !/^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/.test(prefix) || /\/\.\.?(\/|$)/.test(prefix)) {
        throw new ConfigError(`resourceMetadata.paths: ${JSON.stringify(prefix)} must be a path prefix like "/mcp" (starting with /, no trailing slash, query, fragment or dot segment)`);
      }
      const resource = origin + prefix;
      const metadataUrl = resourceMetadataUrl(resource);
      const path = new URL(metadataUrl).pathname;
      if (documents.has(path)) throw new ConfigError(`resourceMetadata.paths: ${JSON.stringify(prefix)} is listed twice, or is the resource's own path`);
      documents.set(path, JSON.stringify({ ...base, resource }));
      prefixes.push({ prefix, url: metadataUrl });
    }
  }
  const fold = !table.options.caseSensitive;
  // Longest first: a request under /a/b is /a/b's, not /a's.
  prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  return {
    documents,
    urls: Object.freeze([baseUrl, ...prefixes.map((p) => p.url)]),
    // Compared as the table compares paths: a case-insensitive table routes /MCP/tools to the
    // /mcp rules, so its challenge must name /mcp's document too.
    metadataUrlFor(path: string): string {
      const seen = fold ? foldCase(path) : path;
      for (const { prefix, url } of prefixes) {
        const p = fold ? foldCase(prefix) : prefix;
        if (seen.startsWith(p) && (seen.length === p.length || seen.charCodeAt(p.length) === 0x2f /* / */)) return url;
      }
      return baseUrl;
    },
  };
}

/** The table's scopes: every rule's alternatives, and the read-all scope; sorted, once each. */
function tableScopes(table: RouteTable): string[] {
  const all = new Set<string>();
  for (const rule of table.rules) {
    for (const s of rule.scopes) all.add(s);
    for (const alt of rule.anyOf) for (const s of alt) all.add(s);
  }
  if (table.options.readAllScope) all.add(table.options.readAllScope);
  return [...all].sort();
}

function givenScopes(value: readonly string[]): string[] {
  if (!Array.isArray(value)) throw new ConfigError('scopesSupported must be an array of scope names');
  for (const s of value as unknown[]) {
    if (typeof s !== 'string' || !SCOPE_TOKEN.test(s)) throw new ConfigError(`scopesSupported: ${JSON.stringify(s)} is not a scope name (RFC 6749 §3.3: printable ASCII without space, " or \\)`);
  }
  return [...new Set(value)];
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** A resource identifier (RFC 9728 §1.2): https (http on loopback), no fragment; here also no query or userinfo, canonical spelling. */
function checkResource(value: unknown, name: string): URL {
  if (typeof value !== 'string' || value === '') throw new ConfigError(`${name} must be the resource identifier, an https URL (e.g. "https://api.example.com")`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new ConfigError(`${name} must be an https URL (http only on a loopback host), got ${JSON.stringify(value)}`);
  }
  if (value.includes('#')) throw new ConfigError(`${name} must not have a fragment (RFC 9728 §1.2), got ${JSON.stringify(value)}`);
  if (value.includes('?')) throw new ConfigError(`${name} must not have a query (RFC 8707 §2), got ${JSON.stringify(value)}`);
  if (url.username !== '' || url.password !== '') throw new ConfigError(`${name} must not carry credentials`);
  // Published as written and compared exactly by clients: so written as a URL parser writes it.
  const canonical = url.pathname === '/' && !value.endsWith('/') ? url.href.slice(0, -1) : url.href;
  if (canonical !== value) throw new ConfigError(`${name} must be written in canonical form: ${JSON.stringify(canonical)}, not ${JSON.stringify(value)}`);
  return url;
}

/** An optional URL-valued option: absolute http(s) (`secure`: https, or http on loopback), no fragment. */
function url(value: unknown, name: string, secure: boolean): string | undefined {
  if (value === undefined) return undefined;
  let parsed: URL;
  try {
    if (typeof value !== 'string') throw new Error();
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, got ${JSON.stringify(value)}`);
  }
  const ok = parsed.protocol === 'https:' || (parsed.protocol === 'http:' && (!secure || isLoopback(parsed.hostname)));
  if (!ok) throw new ConfigError(`${name} must be an ${secure ? 'https URL (http only on a loopback host)' : 'http or https URL'}, got ${JSON.stringify(value)}`);
  if ((value as string).includes('#')) throw new ConfigError(`${name} must not have a fragment, got ${JSON.stringify(value)}`);
  return value as string;
}

/** Issuer identifiers (RFC 8414 §2): https (http on loopback), no query or fragment; at least one when given. */
function urlList(value: unknown, name: string, secure: boolean): readonly string[] | undefined {
  const list = stringList(value, name, () => true);
  if (!list) return undefined;
  for (const item of list) {
    url(item, name, secure);
    if (item.includes('?')) throw new ConfigError(`${name}: an issuer identifier has no query, got ${JSON.stringify(item)}`);
  }
  return list;
}

function algList(value: unknown, name: string): readonly string[] | undefined {
  const list = stringList(value, name, (s) => ALG.test(s));
  if (list?.some((a) => a.toLowerCase() === 'none')) throw new ConfigError(`${name} must not list "none"`);
  return list;
}

/** A non-empty array of strings passing `valid`, duplicates dropped, frozen; undefined when not given. */
function stringList(value: unknown, name: string, valid: (s: string) => boolean): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new ConfigError(`${name} must be an array of strings`);
  if (value.length === 0) throw new ConfigError(`${name} must list at least one value (or be left out)`);
  for (const item of value as unknown[]) {
    if (typeof item !== 'string' || item === '' || !valid(item)) throw new ConfigError(`${name}: ${JSON.stringify(item)} is not a valid value`);
  }
  return Object.freeze([...new Set(value as string[])]);
}

function bool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(`${name} must be true or false`);
  return value;
}
