/**
 * Gateway configuration from the environment and command-line flags (a flag wins over its
 * variable), validated in full at start: every bad value gets its own message.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createSecureContext } from 'node:tls';
import { compileTrustProxy } from './forward-headers';
import {
  compileRoutes,
  ConfigError,
  createVerifier,
  protectedResourceMetadata,
  RouteConfigError,
  type CompileOptions,
  type DpopAlgorithm,
  type IntrospectionOptions,
  type IssuerOptions,
  type ReplayStore,
  type RouteRule,
  type RouteTable,
  type VerifierAlgorithm,
  type VerifierOptions,
} from '@scopegate/core';

/** A claim that may go unchecked, by explicit choice only (`ALLOW_UNCHECKED_CLAIMS`). */
export type UncheckedClaim = 'iss' | 'aud';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type KeySource =
  | { kind: 'jwks'; url: string }
  | { kind: 'publicKey'; pem: string }
  | { kind: 'secret'; secret: string };

/** Introspection settings (`INTROSPECTION_*`): the endpoint, client authentication, which tokens go there. */
export interface IntrospectionSettings {
  /** `INTROSPECTION_URL`. */
  url: string;
  /** `INTROSPECTION_AUTH` (default client_secret_basic) with `INTROSPECTION_CLIENT_ID`/`_SECRET`, or bearer with `INTROSPECTION_TOKEN`. Secrets: never logged. */
  clientAuth: IntrospectionOptions['clientAuth'];
  /** `INTROSPECTION_TOKENS`: opaque (default with a key source or ISSUERS_FILE) or all (default without). */
  tokens: 'opaque' | 'all';
}

export interface GatewayConfig {
  /** `PORT`, default 8080 (0: any free port). */
  port: number;
  /** `HOST`, default 127.0.0.1. */
  host: string;
  /** `UPSTREAM_URL`; null in embedded mode. */
  upstreamUrl: URL | null;
  /** One of `JWKS_URL` / `JWT_PUBLIC_KEY` / `JWT_SECRET`; null in embedded mode. */
  key: KeySource | null;
  /** `JWT_ALGORITHMS` (comma-separated); default from the key: HS256 for a secret, RS256,ES256 otherwise. */
  algorithms: VerifierAlgorithm[];
  /** `JWT_ISSUER` (comma-separated); undefined (not checked) only in embedded mode or when `uncheckedClaims` has `iss`. */
  issuer: string[] | undefined;
  /** `JWT_AUDIENCE` (comma-separated); undefined (not checked) only in embedded mode or when `uncheckedClaims` has `aud`. */
  audience: string[] | undefined;
  /**
   * `ALLOW_UNCHECKED_CLAIMS` (comma-separated `iss`, `aud`): with an upstream, the claims the
   * operator explicitly lets go unchecked; default none, so JWT_ISSUER and JWT_AUDIENCE are required.
   */
  uncheckedClaims: UncheckedClaim[];
  /**
   * `ROUTES_FILE`: a JSON rule list replacing Dynamic's table (no read-all scope unless the file
   * opts in: `{ "rules": [...], "options": { "readAllScope": "all.read" } }`); null: Dynamic's.
   */
  routes: RouteTable | null;
  routesFile: string | null;
  /** `LOG_LEVEL`, default info. */
  logLevel: LogLevel;
  /** `REDIS_URL`: shared token store and revocation list; null: in memory. */
  redisUrl: string | null;
  /** `REVOCATION_MAX_STALENESS`: ms a request may be decided on a revocation mirror cut off from Redis. Default 5000. */
  revocationMaxStaleness: number;
  /** `METRICS_PORT`: serve /metrics there instead of on the main port. */
  metricsPort: number | null;
  /** `GATE_MODE`: enforce (default) or report. */
  gateMode: 'enforce' | 'report';
  /** No upstream and no key configured: run the demo issuer and upstream in-process. */
  embedded: boolean;
  /** `TRUST_PROXY`: addresses, CIDRs or `loopback`/`linklocal`/`uniquelocal` whose forwarding headers are kept and appended to; default none. */
  trustProxy: string[];
  /** `ALLOW_UPGRADE`: `Upgrade` protocols forwarded after the gate allowed the request (e.g. `websocket`); default none (501). */
  upgrade: string[];
  /** `WORKERS`: gateway processes on the one port (node:cluster); default 1. */
  workers: number;
  /** `UPSTREAM_TIMEOUT`: ms allowed for the upstream's response head and between body chunks (504 past it); default 30000. */
  upstreamTimeout: number;
  /** `UPSTREAM_CONNECTIONS`: most connections to the upstream at once; default 128. */
  upstreamConnections: number;
  /**
   * `RESOURCE_URL`: this API's resource identifier (RFC 9728): the metadata is served at
   * `/.well-known/oauth-protected-resource` (plus its path) and named by 401 challenges; null: off.
   */
  resourceUrl: string | null;
  /** `AUTHORIZATION_SERVERS` (comma-separated issuer URLs); null: JWT_ISSUER's values (the demo issuer's in the demo). */
  authorizationServers: string[] | null;
  /**
   * `ISSUERS_FILE`: several issuers, each with its own key source, algorithms and audience
   * (instead of JWKS_URL / JWT_PUBLIC_KEY / JWT_SECRET / JWT_ISSUER / JWT_AUDIENCE / JWT_ALGORITHMS);
   * null or absent: the single issuer of those settings. May hold secrets: never logged.
   */
  issuers?: IssuerOptions[] | null;
  issuersFile?: string | null;
  /** `INTROSPECTION_URL` and friends: opaque (or all) tokens asked of an RFC 7662 endpoint; null or absent: off. */
  introspection?: IntrospectionSettings | null;
  /** `SCOPE_CLAIMS` (comma-separated claim names or dotted paths); null or absent: scope, scopes, scp. */
  scopeClaims?: string[] | null;
  /** `TOKEN_PROFILE`: rfc9068 (JWT access tokens, RFC 9068) for the single-issuer settings; null or absent: none. */
  profile?: 'rfc9068' | null;
  /** `DPOP` and `DPOP_*`: DPoP-bound tokens (RFC 9449); null or absent: off. */
  dpop?: DpopSettings | null;
  /** `MTLS`: certificate-bound tokens (RFC 8705); null or absent: off. */
  mtls?: { required: boolean } | null;
  /** `TLS_CERT` / `TLS_KEY` / `TLS_CLIENT_CA`: serve HTTPS (PEM text, read at start); null or absent: plain HTTP. Never logged. */
  tls?: TlsSettings | null;
  /** `CLIENT_CERT_HEADER` (lower-cased): the header a trusted proxy (TRUST_PROXY) puts the client certificate in; null or absent: none. */
  clientCertHeader?: string | null;
}

/** DPoP settings (`DPOP_*`). */
export interface DpopSettings {
  /** `DPOP`: allowed (bearer tokens pass too) or required (only DPoP-bound tokens). */
  mode: 'allowed' | 'required';
  /** `DPOP_ORIGINS`; null: the gateway's own URL(s), known once it listens (see defaultDpopOrigins). */
  origins: string[] | null;
  /** `DPOP_ALGORITHMS`; null: the library's default (ES256, EdDSA, PS256, RS256). */
  algorithms: DpopAlgorithm[] | null;
  /** `DPOP_MAX_AGE`, seconds; null: the library's default (300). */
  maxAge: number | null;
  /** `DPOP_NONCE_SECRET` (server nonces on); never logged. `DPOP_NONCE_ROTATION`, seconds (null: 300). */
  nonce: { secret: string; rotation: number | null } | null;
}

/** HTTPS settings: the PEM texts of `TLS_CERT`, `TLS_KEY` and `TLS_CLIENT_CA` (null: any client certificate is read, chained or not). */
export interface TlsSettings {
  cert: string;
  key: string;
  clientCa: string | null;
}

/** Every variable, its flag, and what it means: for `--help` and the README. */
export const SETTINGS = [
  ['PORT', '--port', 'port to listen on (default 8080; 0 = any free port)'],
  ['HOST', '--host', 'address to listen on (default 127.0.0.1)'],
  ['UPSTREAM_URL', '--upstream-url', 'http(s) URL of the API behind the gateway (default: the embedded demo)'],
  ['JWKS_URL', '--jwks-url', 'remote JSON Web Key Set of the token issuer'],
  ['JWT_PUBLIC_KEY', '--jwt-public-key', 'PEM public key, or a path to a PEM file'],
  ['JWT_SECRET', '--jwt-secret', 'HMAC secret (HS256/384/512), at least 32 bytes'],
  ['JWT_ALGORITHMS', '--jwt-algorithms', 'allowed algorithms, comma-separated (default HS256 with a secret, RS256,ES256 otherwise)'],
  ['JWT_ISSUER', '--jwt-issuer', 'expected iss, comma-separated (required with UPSTREAM_URL unless ALLOW_UNCHECKED_CLAIMS lists iss)'],
  ['JWT_AUDIENCE', '--jwt-audience', 'expected aud, comma-separated (required with UPSTREAM_URL unless ALLOW_UNCHECKED_CLAIMS lists aud)'],
  ['ALLOW_UNCHECKED_CLAIMS', '--allow-unchecked-claims', 'iss, aud or iss,aud: run with UPSTREAM_URL without checking that claim (then leave JWT_ISSUER / JWT_AUDIENCE unset); warned at start (default: none, both are checked)'],
  ['ROUTES_FILE', '--routes-file', 'JSON file with a rule list replacing Dynamic\'s table, or { "rules": [...], "options": {...} } (e.g. "readAllScope": "all.read" to opt in; none by default)'],
  ['LOG_LEVEL', '--log-level', 'fatal, error, warn, info, debug, trace or silent (default info)'],
  ['REDIS_URL', '--redis-url', 'redis:// URL: shared token store and instant revocation for several instances (default: in memory)'],
  ['REVOCATION_MAX_STALENESS', '--revocation-max-staleness', 'ms requests may be decided while cut off from Redis before they get 503 (default 5000)'],
  ['METRICS_PORT', '--metrics-port', 'serve GET /metrics on this port instead of the main one'],
  ['GATE_MODE', '--gate-mode', 'enforce (default) or report: decide and log, but let refused requests through'],
  ['TRUST_PROXY', '--trust-proxy', 'peers whose X-Forwarded-*/Forwarded headers are kept and appended to: addresses, CIDRs, loopback, linklocal, uniquelocal, comma-separated (default: none, client-sent ones are dropped)'],
  ['ALLOW_UPGRADE', '--allow-upgrade', 'websocket: forward WebSocket upgrades once the gate allowed the request (default: none, answered 501)'],
  ['WORKERS', '--workers', 'gateway processes sharing the port (node:cluster): a number, or auto for one per CPU (default 1)'],
  ['UPSTREAM_TIMEOUT', '--upstream-timeout', 'ms allowed for the upstream\'s response head and between its body chunks; 504 past it (default 30000)'],
  ['UPSTREAM_CONNECTIONS', '--upstream-connections', 'most connections to the upstream at once per process (default 128)'],
  ['RESOURCE_URL', '--resource-url', 'this API\'s public https URL (RFC 9728 resource identifier): serve /.well-known/oauth-protected-resource and name it in 401 challenges (default: off)'],
  ['AUTHORIZATION_SERVERS', '--authorization-servers', 'issuer URLs for the metadata\'s authorization_servers, comma-separated (default: JWT_ISSUER\'s values, or ISSUERS_FILE\'s issuers; with RESOURCE_URL only)'],
  ['ISSUERS_FILE', '--issuers-file', 'JSON file of several issuers, { "issuers": [{ "issuer", "algorithms", "jwksUri" | "publicKey" | "secret", "audience", "scopeClaims", "scopeMap", "profile", ... }] } or a bare array; instead of JWKS_URL/JWT_PUBLIC_KEY/JWT_SECRET/JWT_ISSUER/JWT_AUDIENCE/JWT_ALGORITHMS; each entry needs an audience unless ALLOW_UNCHECKED_CLAIMS lists aud'],
  ['INTROSPECTION_URL', '--introspection-url', 'RFC 7662 token introspection endpoint (https; http on loopback only) for opaque tokens; alone (no key source) every token is introspected (default: off)'],
  ['INTROSPECTION_AUTH', '--introspection-auth', 'client_secret_basic (default), client_secret_post or bearer: how the gateway authenticates to the introspection endpoint'],
  ['INTROSPECTION_CLIENT_ID', '--introspection-client-id', 'client id for client_secret_basic / client_secret_post'],
  ['INTROSPECTION_CLIENT_SECRET', '--introspection-client-secret', 'client secret for client_secret_basic / client_secret_post (never logged; prefer the variable to the flag)'],
  ['INTROSPECTION_TOKEN', '--introspection-token', 'bearer credential for INTROSPECTION_AUTH=bearer (never logged)'],
  ['INTROSPECTION_TOKENS', '--introspection-tokens', 'opaque (JWTs verified here; default with a key source or ISSUERS_FILE) or all (every token introspected; default without)'],
  ['SCOPE_CLAIMS', '--scope-claims', 'claims read for scopes, comma-separated names or dotted paths, e.g. permissions,realm_access.roles (default scope,scopes,scp; with ISSUERS_FILE the default for entries without scopeClaims)'],
  ['TOKEN_PROFILE', '--token-profile', 'rfc9068: enforce the JWT access-token profile (typ at+jwt; sub, client_id, jti, iat required) for the single issuer (per entry in ISSUERS_FILE: "profile") (default: none)'],
  ['DPOP', '--dpop', 'DPoP-bound tokens (RFC 9449): off, allowed (bearer tokens pass too) or required (default off; allowed in the embedded demo)'],
  ['DPOP_ORIGINS', '--dpop-origins', 'public origins of this API (https://api.example.com), comma-separated: a proof\'s htu must name one of them, never what the Host header says (default: the gateway\'s own URL, http(s)://HOST:PORT, plus its localhost and 127.0.0.1 forms on a loopback HOST; required with a wildcard HOST)'],
  ['DPOP_ALGORITHMS', '--dpop-algorithms', 'algorithms a DPoP proof may use, comma-separated, asymmetric only (default ES256,EdDSA,PS256,RS256)'],
  ['DPOP_MAX_AGE', '--dpop-max-age', 'seconds a DPoP proof is accepted after its iat (default 300)'],
  ['DPOP_NONCE_SECRET', '--dpop-nonce-secret', 'turns on server nonces (RFC 9449 §8): the secret they are derived from, at least 32 bytes, the same on every instance (never logged; prefer the variable to the flag) (default: no nonces)'],
  ['DPOP_NONCE_ROTATION', '--dpop-nonce-rotation', 'seconds between nonce changes; a nonce is accepted for one to two of them (default 300)'],
  ['MTLS', '--mtls', 'certificate-bound tokens (RFC 8705): off, allowed (other tokens pass too) or required (default off); needs TLS_CERT/TLS_KEY or CLIENT_CERT_HEADER'],
  ['TLS_CERT', '--tls-cert', 'PEM file of the server certificate (chain): serve HTTPS on PORT (with TLS_KEY)'],
  ['TLS_KEY', '--tls-key', 'PEM file of the server\'s private key (with TLS_CERT; never logged)'],
  ['TLS_CLIENT_CA', '--tls-client-ca', 'PEM file of the CA(s) client certificates must chain to; one that does not counts as no certificate (default: any certificate the client proves it holds)'],
  ['CLIENT_CERT_HEADER', '--client-cert-header', 'header a TLS-terminating proxy puts the client certificate in (PEM, URL-encoded PEM or base64 DER), read only from TRUST_PROXY peers and never forwarded (default: none)'],
] as const;

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const ALGORITHMS = new Set(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);
/** DPoP proof algorithms: asymmetric only (RFC 9449 §4.2). */
const DPOP_ALGORITHMS = new Set(['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512']);
/** Headers CLIENT_CERT_HEADER must not name: the gateway reads, sets or drops them for other reasons. */
const RESERVED_HEADERS = new Set(['authorization', 'dpop', 'host', 'connection', 'content-length', 'transfer-encoding', 'x-request-id', 'forwarded', 'expect', 'upgrade', 'cookie']);

/** Configuration problems, one message per bad value. */
export class GatewayConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'GatewayConfigError';
  }
}

/** `--help` was asked for. */
export class HelpRequested extends Error {}

/** Read `--flag value` and `--flag=value` into the variable names of SETTINGS. */
function parseFlags(argv: readonly string[], problems: string[]): Record<string, string> {
  const byFlag = new Map<string, string>(SETTINGS.map(([name, flag]) => [flag, name]));
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') throw new HelpRequested();
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const name = byFlag.get(flag);
    if (!name) {
      problems.push(`unknown argument ${JSON.stringify(arg)} (see --help)`);
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) problems.push(`${flag} needs a value`);
    else out[name] = value;
  }
  return out;
}

/**
 * The configuration, or `GatewayConfigError` listing every problem.
 *
 * @example
 * const config = loadConfig(process.env, process.argv.slice(2));
 */
export function loadConfig(env: Record<string, string | undefined>, argv: readonly string[] = []): GatewayConfig {
  const problems: string[] = [];
  const flags = parseFlags(argv, problems);
  const get = (name: string): string | undefined => {
    const v = flags[name] ?? env[name];
    return v === undefined || v === '' ? undefined : v;
  };

  let port = 8080;
  const portText = get('PORT');
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) problems.push(`PORT: must be an integer from 0 to 65535, got ${JSON.stringify(portText)}`);
  }
  const host = get('HOST') ?? '127.0.0.1';

  let upstreamUrl: URL | null = null;
  const upstreamText = get('UPSTREAM_URL');
  if (upstreamText !== undefined) {
    try {
      upstreamUrl = new URL(upstreamText);
      if (upstreamUrl.protocol !== 'http:' && upstreamUrl.protocol !== 'https:') throw new Error();
    } catch {
      upstreamUrl = null;
      problems.push(`UPSTREAM_URL: must be an http or https URL, got ${JSON.stringify(upstreamText)}`);
    }
  }

  const keyVars = (['JWKS_URL', 'JWT_PUBLIC_KEY', 'JWT_SECRET'] as const).filter((k) => get(k) !== undefined);
  let key: KeySource | null = null;
  if (keyVars.length > 1) problems.push(`${keyVars.join(', ')}: set only one of JWKS_URL, JWT_PUBLIC_KEY and JWT_SECRET`);
  else if (keyVars[0] === 'JWKS_URL') {
    const url = get('JWKS_URL')!;
    if (!/^https?:\/\/./.test(url)) problems.push(`JWKS_URL: must be an http or https URL`);
    else key = { kind: 'jwks', url };
  } else if (keyVars[0] === 'JWT_PUBLIC_KEY') {
    const value = get('JWT_PUBLIC_KEY')!;
    if (value.includes('-----BEGIN')) key = { kind: 'publicKey', pem: value.replace(/\\n/g, '\n') };
    else {
      try {
        key = { kind: 'publicKey', pem: readFileSync(value, 'utf8') };
      } catch {
        problems.push('JWT_PUBLIC_KEY: neither a PEM key nor a readable file');
      }
    }
  } else if (keyVars[0] === 'JWT_SECRET') {
    const secret = get('JWT_SECRET')!;
    if (Buffer.byteLength(secret) < 32) problems.push('JWT_SECRET: must be at least 32 bytes');
    else key = { kind: 'secret', secret };
  }

  const list = (name: string): string[] | undefined => {
    const v = get(name);
    return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean);
  };
  const uncheckedList = list('ALLOW_UNCHECKED_CLAIMS') ?? [];
  const uncheckedClaims = [...new Set(uncheckedList.filter((c): c is UncheckedClaim => c === 'iss' || c === 'aud'))];
  // Secrets given in any setting or file: scrubbed from every problem message, whatever said it.
  const secrets: string[] = [get('JWT_SECRET'), get('INTROSPECTION_CLIENT_SECRET'), get('INTROSPECTION_TOKEN'), get('DPOP_NONCE_SECRET')].filter((v): v is string => v !== undefined);

  // Several issuers from a file: each entry its own key source, algorithms and audience.
  const issuersFile = get('ISSUERS_FILE') ?? null;
  let issuers: IssuerOptions[] | null = null;
  if (issuersFile !== null) {
    const clash = SINGLE_ISSUER_SETTINGS.filter((k) => get(k) !== undefined);
    if (clash.length) problems.push(`ISSUERS_FILE: cannot be combined with ${clash.join(', ')}: give each issuer's key, issuer, audience and algorithms in the file`);
    const read = readIssuersFile(issuersFile);
    if ('problem' in read) problems.push(`ISSUERS_FILE: ${read.problem}`);
    else {
      issuers = read.issuers;
      for (const entry of issuers) {
        if (entry !== null && typeof entry === 'object' && typeof (entry as { secret?: unknown }).secret === 'string') secrets.push((entry as { secret: string }).secret);
      }
      if (!uncheckedClaims.includes('aud')) {
        issuers.forEach((entry, i) => {
          if (entry !== null && typeof entry === 'object' && !Array.isArray(entry) && entry.audience === undefined) {
            const name = typeof entry.issuer === 'string' ? ` (${JSON.stringify(entry.issuer)})` : '';
            problems.push(`ISSUERS_FILE: issuers[${i}]${name} has no "audience": tokens' aud would not be checked; add one, or set ALLOW_UNCHECKED_CLAIMS=aud (--allow-unchecked-claims aud) to accept tokens of any aud`);
          }
        });
      }
    }
    if (uncheckedClaims.includes('iss')) problems.push('ALLOW_UNCHECKED_CLAIMS: iss is always checked with ISSUERS_FILE (a token is verified by the entry its iss names): remove iss');
  }

  // Token introspection (RFC 7662): opaque tokens, or every token when there is no key source.
  const localJwts = keyVars.length > 0 || issuersFile !== null;
  const introspectionUrl = get('INTROSPECTION_URL');
  let introspection: IntrospectionSettings | null = null;
  if (introspectionUrl === undefined) {
    const orphans = INTROSPECTION_SETTINGS.filter((k) => get(k) !== undefined);
    if (orphans.length) problems.push(`${orphans.join(', ')}: ${orphans.length > 1 ? 'apply' : 'applies'} with INTROSPECTION_URL only`);
  } else {
    let urlOk = true;
    try {
      const u = new URL(introspectionUrl);
      if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username !== '' || u.password !== '') throw new Error();
    } catch {
      urlOk = false;
      // Not echoed: it may carry credentials.
      problems.push('INTROSPECTION_URL: must be an http or https URL without credentials in it (give them in INTROSPECTION_CLIENT_ID / INTROSPECTION_CLIENT_SECRET or INTROSPECTION_TOKEN)');
    }
    const method = get('INTROSPECTION_AUTH') ?? 'client_secret_basic';
    let clientAuth: IntrospectionSettings['clientAuth'] | null = null;
    if (method === 'bearer') {
      const token = get('INTROSPECTION_TOKEN');
      if (token === undefined) problems.push('INTROSPECTION_TOKEN: required with INTROSPECTION_AUTH=bearer');
      const extra = (['INTROSPECTION_CLIENT_ID', 'INTROSPECTION_CLIENT_SECRET'] as const).filter((k) => get(k) !== undefined);
      if (extra.length) problems.push(`${extra.join(', ')}: not used with INTROSPECTION_AUTH=bearer: remove ${extra.length > 1 ? 'them' : 'it'}`);
      if (token !== undefined) clientAuth = { method: 'bearer', token };
    } else if (method === 'client_secret_basic' || method === 'client_secret_post') {
      const clientId = get('INTROSPECTION_CLIENT_ID');
      const clientSecret = get('INTROSPECTION_CLIENT_SECRET');
      if (clientId === undefined) problems.push(`INTROSPECTION_CLIENT_ID: required with INTROSPECTION_URL (INTROSPECTION_AUTH=${method})`);
      if (clientSecret === undefined) problems.push(`INTROSPECTION_CLIENT_SECRET: required with INTROSPECTION_URL (INTROSPECTION_AUTH=${method})`);
      if (get('INTROSPECTION_TOKEN') !== undefined) problems.push('INTROSPECTION_TOKEN: applies with INTROSPECTION_AUTH=bearer only: remove it, or set INTROSPECTION_AUTH=bearer');
      if (clientId !== undefined && clientSecret !== undefined) clientAuth = { method, clientId, clientSecret };
    } else {
      problems.push('INTROSPECTION_AUTH: must be client_secret_basic, client_secret_post or bearer');
    }
    const tokensText = get('INTROSPECTION_TOKENS');
    const tokens = (tokensText ?? (localJwts ? 'opaque' : 'all')) as 'opaque' | 'all';
    if (tokens !== 'opaque' && tokens !== 'all') problems.push('INTROSPECTION_TOKENS: must be opaque or all');
    else if (tokens === 'all' && localJwts) {
      problems.push(`INTROSPECTION_TOKENS: all sends every token to the introspection endpoint, but ${issuersFile !== null ? 'ISSUERS_FILE' : keyVars.join(', ')} verifies JWTs here: remove one, or use opaque`);
    } else if (tokens === 'opaque' && !localJwts) {
      problems.push('INTROSPECTION_TOKENS: opaque verifies JWTs here, but there is no key source (JWKS_URL, JWT_PUBLIC_KEY, JWT_SECRET or ISSUERS_FILE): set one, or use all');
    }
    if (urlOk && clientAuth !== null) introspection = { url: introspectionUrl, clientAuth, tokens };
  }
  // Every token introspected: the endpoint says whether it is active; nothing here reads a JWT.
  const introspectionOnly = introspectionUrl !== undefined && !localJwts;

  const embedded = upstreamText === undefined && keyVars.length === 0 && issuersFile === null && introspectionUrl === undefined;
  if (!embedded && upstreamText === undefined) {
    problems.push(`UPSTREAM_URL: required when ${keyVars.length ? 'a key is' : issuersFile !== null ? 'ISSUERS_FILE is' : 'INTROSPECTION_URL is'} configured (leave both unset for the embedded demo)`);
  }
  if (!embedded && !localJwts && introspectionUrl === undefined) problems.push('JWKS_URL, JWT_PUBLIC_KEY or JWT_SECRET: one is required with UPSTREAM_URL (or ISSUERS_FILE, or INTROSPECTION_URL)');

  // Without iss and aud checks, any token the key signed is accepted: one minted by the same
  // issuer for another API, or by another tenant sharing the key. So with an upstream both are
  // required, unless the operator names the claim to leave unchecked: never a silent default.
  const issuer = list('JWT_ISSUER');
  const audience = list('JWT_AUDIENCE');
  const badUnchecked = uncheckedList.filter((c) => c !== 'iss' && c !== 'aud');
  if (badUnchecked.length) problems.push(`ALLOW_UNCHECKED_CLAIMS: only iss and aud may be listed, got ${badUnchecked.map((c) => JSON.stringify(c)).join(', ')}`);
  if (get('ALLOW_UNCHECKED_CLAIMS') !== undefined && uncheckedList.length === 0) problems.push('ALLOW_UNCHECKED_CLAIMS: must list iss, aud or both');
  if (embedded && uncheckedClaims.length) problems.push('ALLOW_UNCHECKED_CLAIMS: applies with UPSTREAM_URL only (the embedded demo always checks iss and aud)');
  if (introspectionOnly) {
    // Nothing here verifies a JWT: settings about JWTs would be silently ignored.
    const jwtOnly = (['JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_ALGORITHMS', 'ALLOW_UNCHECKED_CLAIMS', 'TOKEN_PROFILE'] as const).filter((k) => get(k) !== undefined);
    for (const k of jwtOnly) problems.push(`${k}: applies to JWTs verified here; with INTROSPECTION_URL and no key source every token is introspected (the endpoint decides): remove it`);
  } else if (issuersFile === null) {
    for (const [name, value, claim] of [['JWT_ISSUER', issuer, 'iss'], ['JWT_AUDIENCE', audience, 'aud']] as const) {
      if (value !== undefined && value.length === 0) problems.push(`${name}: must list at least one value`);
      if (embedded) continue;
      if (value === undefined && !uncheckedClaims.includes(claim)) {
        problems.push(`${name}: required with UPSTREAM_URL (tokens' ${claim} would not be checked); set it, or set ALLOW_UNCHECKED_CLAIMS=${claim} (--allow-unchecked-claims ${claim}) to accept tokens of any ${claim}`);
      }
      if (value !== undefined && uncheckedClaims.includes(claim)) problems.push(`ALLOW_UNCHECKED_CLAIMS: lists ${claim}, but ${name} is set: remove one`);
    }
  }

  let algorithms: VerifierAlgorithm[] = [];
  if (issuersFile === null && !introspectionOnly) {
    algorithms = (list('JWT_ALGORITHMS') ?? (key?.kind === 'secret' ? ['HS256'] : embedded ? ['ES256'] : ['RS256', 'ES256'])) as VerifierAlgorithm[];
    const badAlgs = algorithms.filter((a) => !ALGORITHMS.has(a));
    if (badAlgs.length) problems.push(`JWT_ALGORITHMS: unknown or disallowed ${badAlgs.join(', ')} (allowed: ${[...ALGORITHMS].join(', ')})`);
    if (algorithms.length === 0) {
      problems.push('JWT_ALGORITHMS: must list at least one algorithm');
      algorithms = [];
    }
  }

  const scopeClaims = list('SCOPE_CLAIMS') ?? null;
  if (scopeClaims !== null && scopeClaims.length === 0) problems.push('SCOPE_CLAIMS: must list at least one claim name or dotted path');
  if (scopeClaims !== null && embedded) problems.push('SCOPE_CLAIMS: applies with UPSTREAM_URL only (the embedded demo\'s tokens carry scope)');
  const profileText = get('TOKEN_PROFILE');
  let profile: 'rfc9068' | null = null;
  if (profileText !== undefined) {
    if (profileText !== 'rfc9068') problems.push('TOKEN_PROFILE: must be rfc9068');
    else if (issuersFile !== null) problems.push('TOKEN_PROFILE: with ISSUERS_FILE, give "profile": "rfc9068" in each entry it applies to');
    else if (embedded) problems.push('TOKEN_PROFILE: applies with UPSTREAM_URL only');
    else profile = 'rfc9068';
  }

  const logLevel = (get('LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LEVELS.has(logLevel)) problems.push(`LOG_LEVEL: must be one of ${[...LEVELS].join(', ')}, got ${JSON.stringify(logLevel)}`);

  const routesFile = get('ROUTES_FILE') ?? null;
  let routes: RouteTable | null = null;
  if (routesFile !== null) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(routesFile, 'utf8'));
      const { rules, options } = routesFileContent(parsed);
      routes = compileRoutes(rules, options);
    } catch (err) {
      const why = err instanceof RouteConfigError || err instanceof SyntaxError ? err.message : (err as Error).message;
      problems.push(`ROUTES_FILE: ${why}`);
    }
  }

  const redisUrl = get('REDIS_URL') ?? null;
  if (redisUrl !== null && !/^rediss?:\/\/./.test(redisUrl)) problems.push('REDIS_URL: must be a redis:// or rediss:// URL');
  const stalenessText = get('REVOCATION_MAX_STALENESS');
  const revocationMaxStaleness = stalenessText === undefined ? 5000 : Number(stalenessText);
  if (stalenessText !== undefined && !/^\d+$/.test(stalenessText)) problems.push('REVOCATION_MAX_STALENESS: must be a whole number of milliseconds');
  const metricsText = get('METRICS_PORT');
  const metricsPort = metricsText === undefined ? null : Number(metricsText);
  if (metricsText !== undefined && (!/^\d+$/.test(metricsText) || metricsPort! > 65535)) problems.push(`METRICS_PORT: must be an integer from 0 to 65535, got ${JSON.stringify(metricsText)}`);
  const gateMode = (get('GATE_MODE') ?? 'enforce') as 'enforce' | 'report';
  if (gateMode !== 'enforce' && gateMode !== 'report') problems.push(`GATE_MODE: must be enforce or report, got ${JSON.stringify(gateMode)}`);

  const trustProxy = list('TRUST_PROXY') ?? [];
  try {
    compileTrustProxy(trustProxy);
  } catch (err) {
    problems.push(`TRUST_PROXY: ${(err as Error).message}`);
  }
  const upgrade = (list('ALLOW_UPGRADE') ?? []).map((p) => p.toLowerCase());
  // WebSocket only: an h2c (HTTP/2) tunnel would carry requests the gate never sees.
  const badUpgrade = upgrade.filter((p) => p !== 'websocket');
  if (badUpgrade.length) problems.push(`ALLOW_UPGRADE: only websocket can be forwarded (an h2c tunnel would carry requests the gate never sees), got ${badUpgrade.map((p) => JSON.stringify(p)).join(', ')}`);
  const workersText = get('WORKERS');
  let workers = 1;
  if (workersText === 'auto') workers = availableParallelism();
  else if (workersText !== undefined) {
    workers = Number(workersText);
    if (!/^\d+$/.test(workersText) || workers < 1 || workers > 256) problems.push(`WORKERS: must be auto or a whole number from 1 to 256, got ${JSON.stringify(workersText)}`);
  }
  if (embedded && workers > 1) problems.push('WORKERS: the embedded demo runs in one process (its issuer, tokens and revocations live there); set UPSTREAM_URL and a key to run several');
  const whole = (name: string, fallback: number, max: number): number => {
    const text = get(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > max) problems.push(`${name}: must be a whole number from 1 to ${max}, got ${JSON.stringify(text)}`);
    return n;
  };
  const upstreamTimeout = whole('UPSTREAM_TIMEOUT', 30_000, 3_600_000);
  const upstreamConnections = whole('UPSTREAM_CONNECTIONS', 128, 65_536);

  // Sender-constrained tokens: DPoP (RFC 9449) and certificate-bound tokens (RFC 8705).
  const dpop = dpopSettings(get, list, embedded, host, problems);
  if (dpop !== null && workers > 1 && redisUrl === null && !embedded) {
    problems.push('DPOP: with WORKERS > 1 the used proofs must be shared (a proof used on one worker would pass on another): set REDIS_URL');
  }
  const tls = tlsSettings(get, problems);
  const mtlsText = get('MTLS') ?? 'off';
  let mtls: { required: boolean } | null = null;
  if (mtlsText !== 'off' && mtlsText !== 'allowed' && mtlsText !== 'required') problems.push(`MTLS: must be off, allowed or required, got ${JSON.stringify(mtlsText)}`);
  else if (mtlsText !== 'off') mtls = { required: mtlsText === 'required' };
  const certHeaderText = get('CLIENT_CERT_HEADER');
  let clientCertHeader: string | null = null;
  if (certHeaderText !== undefined) {
    const name = certHeaderText.trim().toLowerCase();
    if (!/^[a-z0-9!#$%&'*+.^`|~-]+$/.test(name)) problems.push('CLIENT_CERT_HEADER: must be a header name (letters, digits, -; no _, which the gateway never reads nor forwards)');
    else if (RESERVED_HEADERS.has(name) || name.startsWith('x-forwarded-') || name.startsWith('proxy-')) problems.push(`CLIENT_CERT_HEADER: ${name} is a header the gateway reads or sets itself: choose another (e.g. x-client-cert)`);
    else clientCertHeader = name;
    if (mtlsText === 'off') problems.push('CLIENT_CERT_HEADER: applies with MTLS=allowed or required only');
    if (trustProxy.length === 0) problems.push('CLIENT_CERT_HEADER: needs TRUST_PROXY: the header is read only from the proxy that terminates TLS (anyone else can write it)');
  }
  if (mtls !== null && tls === null && certHeaderText === undefined) {
    problems.push('MTLS: needs client certificates: set TLS_CERT and TLS_KEY (the gateway terminates TLS), or CLIENT_CERT_HEADER with TRUST_PROXY (a proxy in front does)');
  }
  if (tls?.clientCa && mtlsText === 'off') problems.push('TLS_CLIENT_CA: applies with MTLS=allowed or required only (client certificates are requested for certificate-bound tokens)');

  // RFC 9728 metadata: validated here as the document builder will (the table's scopes are added at start).
  const resourceUrl = get('RESOURCE_URL') ?? null;
  const authorizationServers = list('AUTHORIZATION_SERVERS') ?? null;
  if (resourceUrl === null && authorizationServers !== null) problems.push('AUTHORIZATION_SERVERS: applies with RESOURCE_URL only');
  if (resourceUrl !== null) {
    const issuerUrls = issuers?.map((e) => (e !== null && typeof e === 'object' ? e.issuer : undefined)).filter((i): i is string => typeof i === 'string');
    const servers = authorizationServers ?? (issuers !== null ? issuerUrls : issuer);
    if (authorizationServers !== null && authorizationServers.length === 0) problems.push('AUTHORIZATION_SERVERS: must list at least one issuer URL');
    else if (servers === undefined && !embedded) problems.push('AUTHORIZATION_SERVERS: required with RESOURCE_URL when JWT_ISSUER is not set');
    try {
      protectedResourceMetadata(compileRoutes([]), { resource: resourceUrl, ...(servers?.length ? { authorizationServers: servers } : {}) });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const name = /^resource\b/.test(err.message) ? 'RESOURCE_URL' : authorizationServers !== null ? 'AUTHORIZATION_SERVERS' : 'AUTHORIZATION_SERVERS (default: JWT_ISSUER)';
      problems.push(`${name}: ${err.message}`);
    }
  }

  const config: GatewayConfig = {
    port,
    host,
    upstreamUrl,
    key,
    algorithms,
    issuer,
    audience,
    uncheckedClaims,
    routes,
    routesFile,
    logLevel,
    embedded,
    redisUrl,
    revocationMaxStaleness,
    metricsPort,
    gateMode,
    trustProxy,
    upgrade,
    workers,
    upstreamTimeout,
    upstreamConnections,
    resourceUrl,
    authorizationServers,
    issuers,
    issuersFile,
    introspection,
    scopeClaims,
    profile,
    dpop,
    mtls,
    tls,
    clientCertHeader,
  };
  // The new verification settings are checked by building the verifier they describe (nothing
  // is fetched: remote key sets load on first use), so the gateway cannot start and then refuse.
  if (problems.length === 0 && !embedded && (issuers !== null || introspection !== null || scopeClaims !== null || profile !== null || dpop !== null || mtls !== null)) {
    try {
      createVerifier({ ...verifierOptions(config), ...senderOptions(config, ['https://placeholder.invalid']) });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(verifierProblem(config, err));
    }
  }
  if (problems.length) throw new GatewayConfigError(problems.map((p) => redact(p, secrets)));
  return config;
}

/** The single-issuer settings ISSUERS_FILE replaces. */
const SINGLE_ISSUER_SETTINGS = ['JWKS_URL', 'JWT_PUBLIC_KEY', 'JWT_SECRET', 'JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_ALGORITHMS'] as const;
/** The settings that mean something with INTROSPECTION_URL only. */
const INTROSPECTION_SETTINGS = ['INTROSPECTION_AUTH', 'INTROSPECTION_CLIENT_ID', 'INTROSPECTION_CLIENT_SECRET', 'INTROSPECTION_TOKEN', 'INTROSPECTION_TOKENS'] as const;

/** Every secret replaced, wherever a message may have picked one up. */
function redact(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const secret of secrets) if (secret.length >= 6) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * The issuers of an `ISSUERS_FILE`: `{ "issuers": [...] }` or a bare array. Entries are checked by
 * `createVerifier` (unknown keys, key sources, algorithms). A parse error says where, never what
 * (V8's message quotes the text around it, which may be a secret).
 */
export function readIssuersFile(path: string): { issuers: IssuerOptions[] } | { problem: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { problem: `cannot read ${JSON.stringify(path)}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message);
    return { problem: `not valid JSON${at ? ` (at character ${at[1]})` : ''}` };
  }
  const shape = 'expected { "issuers": [ { "issuer", "algorithms", "jwksUri" | "publicKey" | "secret", "audience", ... } ] } or a bare array of issuers';
  const list = Array.isArray(parsed) ? parsed : parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>).issuers : undefined;
  if (!Array.isArray(parsed) && parsed !== null && typeof parsed === 'object') {
    const unknownKeys = Object.keys(parsed).filter((k) => k !== 'issuers');
    if (unknownKeys.length) return { problem: `unknown key(s) ${unknownKeys.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}: ${shape}` };
  }
  if (!Array.isArray(list)) return { problem: shape };
  if (list.length === 0) return { problem: 'lists no issuer' };
  return { issuers: list as IssuerOptions[] };
}

/**
 * The verifier options of a configuration with an upstream (not the embedded demo), without
 * `isRevoked`: what `startGateway` builds, and what `loadConfig` checks by building it.
 */
export function verifierOptions(config: GatewayConfig): VerifierOptions {
  const options: VerifierOptions = {};
  if (config.issuers) options.issuers = config.issuers;
  else if (config.key) {
    const key = config.key;
    Object.assign(
      options,
      { algorithms: config.algorithms, issuer: config.issuer, audience: config.audience },
      key.kind === 'jwks' ? { jwksUri: key.url } : key.kind === 'publicKey' ? { publicKey: key.pem } : { secret: key.secret },
      config.profile ? { profile: config.profile } : {},
    );
  }
  if (config.scopeClaims) options.scopeClaims = config.scopeClaims;
  if (config.introspection) {
    const { url, clientAuth, tokens } = config.introspection;
    options.introspection = { url, clientAuth, tokens };
  }
  return options;
}

/** A `ConfigError` of `createVerifier`, named by the setting it is about. */
export function verifierProblem(config: GatewayConfig, err: ConfigError): string {
  const m = err.message;
  const setting = /^dpop\b/.test(m)
    ? /^dpop\.origins\b/.test(m)
      ? 'DPOP_ORIGINS'
      : /^dpop\.nonce\b/.test(m)
        ? 'DPOP_NONCE_SECRET / DPOP_NONCE_ROTATION'
        : 'DPOP'
    : /^mtls\b/.test(m)
      ? 'MTLS'
      : /^introspection\b/.test(m)
    ? 'INTROSPECTION_URL'
    : /^issuers\b/.test(m)
      ? 'ISSUERS_FILE'
      : /^scopeClaims\b/.test(m)
        ? 'SCOPE_CLAIMS'
        : /^profile\b/.test(m)
          ? 'TOKEN_PROFILE'
          : config.issuers
            ? 'ISSUERS_FILE'
            : 'JWKS_URL / JWT_PUBLIC_KEY / JWT_SECRET / JWT_ALGORITHMS';
  return `${setting}: ${m}`;
}

/** Compile options a routes file may set (`{ "rules": [...], "options": {...} }`), as the CLI reads them. */
const ROUTES_FILE_OPTIONS = new Set(['readAllScope', 'caseSensitive', 'strict', 'knownScopes', 'bind']);

/**
 * The rules and compile options of a routes file: a JSON array of rules, or
 * `{ "rules": [...], "options": { "readAllScope": "all.read", ... } }` (the format `scopegate
 * check --routes` reads, so both decide alike). Nothing is implied: no read-all scope unless the
 * file names one. Unknown keys are errors, so a misspelt option is not silently ignored; values
 * are checked by `compileRoutes`.
 */
export function routesFileContent(parsed: unknown): { rules: RouteRule[]; options: CompileOptions } {
  if (Array.isArray(parsed)) return { rules: parsed as RouteRule[], options: {} };
  const shape = 'expected a JSON array of rules, or { "rules": [...], "options": { "readAllScope": "all.read" } }';
  if (parsed === null || typeof parsed !== 'object') throw new Error(shape);
  const file = parsed as Record<string, unknown>;
  const unknownKeys = Object.keys(file).filter((k) => k !== 'rules' && k !== 'options');
  if (unknownKeys.length) {
    const hint = unknownKeys.some((k) => ROUTES_FILE_OPTIONS.has(k)) ? ' (compile options go under "options")' : '';
    throw new Error(`unknown key(s) ${unknownKeys.map((k) => JSON.stringify(k)).join(', ')}${hint}: ${shape}`);
  }
  if (!Array.isArray(file.rules)) throw new Error(shape);
  const options = file.options ?? {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new Error('"options" must be an object');
  const unknownOptions = Object.keys(options).filter((k) => !ROUTES_FILE_OPTIONS.has(k));
  if (unknownOptions.length) {
    throw new Error(`unknown option(s) ${unknownOptions.map((k) => JSON.stringify(k)).join(', ')} (allowed: ${[...ROUTES_FILE_OPTIONS].join(', ')})`);
  }
  return { rules: file.rules as RouteRule[], options: options as CompileOptions };
}

/** The `--help` text. */
export function helpText(): string {
  const width = Math.max(...SETTINGS.map(([n, f]) => `${n} / ${f}`.length));
  return [
    'scopegate example gateway: a scope-checked reverse proxy for Dynamic\'s API.',
    'With no UPSTREAM_URL and no key it runs a demo issuer and upstream in-process.',
    'With UPSTREAM_URL, JWT_ISSUER and JWT_AUDIENCE are required unless ALLOW_UNCHECKED_CLAIMS names the claim to leave unchecked.',
    'Several issuers: ISSUERS_FILE instead of JWKS_URL/JWT_PUBLIC_KEY/JWT_SECRET/JWT_ISSUER/JWT_AUDIENCE/JWT_ALGORITHMS (each entry with its audience).',
    'Opaque tokens: INTROSPECTION_URL (RFC 7662) with a client id and secret; without a key source every token is introspected.',
    'Sender-constrained tokens: DPOP (RFC 9449; the replay store is Redis with REDIS_URL, else memory) and MTLS (RFC 8705; TLS_CERT/TLS_KEY, or CLIENT_CERT_HEADER behind a trusted proxy).',
    'Secrets (JWT_SECRET, INTROSPECTION_CLIENT_SECRET, INTROSPECTION_TOKEN, DPOP_NONCE_SECRET, TLS_KEY\'s file, secrets in ISSUERS_FILE) are never logged: prefer variables to flags.',
    '',
    'Settings (environment variable / flag):',
    ...SETTINGS.map(([n, f, d]) => `  ${`${n} / ${f}`.padEnd(width)}  ${d}`),
  ].join('\n');
}

/** The settings that mean something with DPOP=allowed or required only. */
const DPOP_SETTINGS = ['DPOP_ORIGINS', 'DPOP_ALGORITHMS', 'DPOP_MAX_AGE', 'DPOP_NONCE_SECRET', 'DPOP_NONCE_ROTATION'] as const;

/** `DPOP` and `DPOP_*`, each bad value its own problem; null when DPoP is off. */
function dpopSettings(
  get: (name: string) => string | undefined,
  list: (name: string) => string[] | undefined,
  embedded: boolean,
  host: string,
  problems: string[],
): DpopSettings | null {
  const modeText = get('DPOP') ?? (embedded ? 'allowed' : 'off');
  if (modeText !== 'off' && modeText !== 'allowed' && modeText !== 'required') {
    problems.push(`DPOP: must be off, allowed or required, got ${JSON.stringify(modeText)}`);
    return null;
  }
  if (modeText === 'off') {
    const orphans = DPOP_SETTINGS.filter((k) => get(k) !== undefined);
    if (orphans.length) problems.push(`${orphans.join(', ')}: ${orphans.length > 1 ? 'apply' : 'applies'} with DPOP=allowed or required only`);
    return null;
  }
  let origins = list('DPOP_ORIGINS') ?? null;
  if (origins !== null) {
    if (origins.length === 0) problems.push('DPOP_ORIGINS: must list at least one origin (https://api.example.com)');
    for (const origin of origins) {
      // Checked as the library will check it, so the message is the library's.
      try {
        createVerifier({ secret: 'x'.repeat(32), algorithms: ['HS256'], dpop: { origins: origin } });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems.push(`DPOP_ORIGINS: ${JSON.stringify(origin.slice(0, 200))} is not an origin (scheme, host and port only, as https://api.example.com)`);
      }
    }
  } else if (isWildcard(host)) {
    problems.push(`DPOP_ORIGINS: required when HOST is ${host} (the public origin proofs name cannot be told from a wildcard address)`);
    origins = [];
  }
  const algorithms = (list('DPOP_ALGORITHMS') ?? null) as DpopAlgorithm[] | null;
  if (algorithms !== null) {
    const bad = algorithms.filter((a) => !DPOP_ALGORITHMS.has(a));
    if (bad.length) problems.push(`DPOP_ALGORITHMS: not allowed for proofs ${bad.map((a) => JSON.stringify(a.slice(0, 20))).join(', ')} (asymmetric only: ${[...DPOP_ALGORITHMS].join(', ')})`);
    if (algorithms.length === 0) problems.push('DPOP_ALGORITHMS: must list at least one algorithm');
  }
  const seconds = (name: string, max: number): number | null => {
    const text = get(name);
    if (text === undefined) return null;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > max) problems.push(`${name}: must be a whole number of seconds from 1 to ${max}, got ${JSON.stringify(text.slice(0, 40))}`);
    return n;
  };
  const maxAge = seconds('DPOP_MAX_AGE', 3600);
  const rotation = seconds('DPOP_NONCE_ROTATION', 86_400);
  const secret = get('DPOP_NONCE_SECRET');
  // Never echoed: the length only.
  if (secret !== undefined && Buffer.byteLength(secret) < 32) problems.push('DPOP_NONCE_SECRET: must be at least 32 bytes');
  if (secret === undefined && rotation !== null) problems.push('DPOP_NONCE_ROTATION: applies with DPOP_NONCE_SECRET only (nonces are off without it)');
  return { mode: modeText, origins, algorithms, maxAge, nonce: secret === undefined ? null : { secret, rotation } };
}

/** `0.0.0.0`, `::` and friends: every address, none of them the one clients use. */
const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::' || host === '[::]' || host === '::0' || host === '';

/** `TLS_CERT`, `TLS_KEY`, `TLS_CLIENT_CA`: read and checked together (a key that is not the certificate's is refused here). */
function tlsSettings(get: (name: string) => string | undefined, problems: string[]): TlsSettings | null {
  const read = (name: string): string | null => {
    const path = get(name);
    if (path === undefined) return null;
    try {
      const text = readFileSync(path, 'utf8');
      if (!text.includes('-----BEGIN')) throw new Error();
      return text;
    } catch {
      // The path only: never the file's content.
      problems.push(`${name}: not a readable PEM file (${JSON.stringify(path.slice(0, 200))})`);
      return '';
    }
  };
  const cert = read('TLS_CERT');
  const key = read('TLS_KEY');
  const clientCa = read('TLS_CLIENT_CA');
  if (cert === null && key === null) {
    if (clientCa !== null) problems.push('TLS_CLIENT_CA: applies with TLS_CERT and TLS_KEY only (the gateway then terminates TLS)');
    return null;
  }
  if (cert === null) problems.push('TLS_CERT: required with TLS_KEY');
  if (key === null) problems.push('TLS_KEY: required with TLS_CERT');
  if (!cert || !key || clientCa === '') return null;
  try {
    createSecureContext({ cert, key, ...(clientCa !== null ? { ca: clientCa } : {}) });
  } catch (err) {
    // OpenSSL's reason (e.g. "key values mismatch"), never the PEM text.
    const reason = String((err as { reason?: unknown }).reason ?? (err as Error).message).replace(/-----BEGIN[\s\S]*/, '').slice(0, 120);
    problems.push(`TLS_CERT / TLS_KEY${clientCa !== null ? ' / TLS_CLIENT_CA' : ''}: cannot be used together: ${reason}`);
    return null;
  }
  return { cert, key, clientCa };
}

/**
 * The gateway's own origins, the default of `DPOP_ORIGINS`: `scheme://HOST:PORT`, plus the
 * `localhost` and `127.0.0.1` forms on a loopback HOST (a client on this machine may use any).
 * Known once the gateway listens (PORT=0 picks the port then).
 */
export function defaultDpopOrigins(scheme: 'http' | 'https', host: string, port: number): string[] {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const hostPart = bare.includes(':') ? `[${bare}]` : bare;
  const out = [`${scheme}://${hostPart}:${port}`];
  const loopback = bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
  if (loopback) for (const h of ['localhost', '127.0.0.1']) if (h !== bare) out.push(`${scheme}://${h}:${port}`);
  return out;
}

/**
 * The verifier's `dpop` and `mtls` options of a configuration: `origins` as resolved (DPOP_ORIGINS
 * or the defaults), `replay` the shared store (RedisReplayStore with REDIS_URL; the library's
 * in-memory one otherwise).
 */
export function senderOptions(config: GatewayConfig, origins: readonly string[], replay?: ReplayStore): Pick<VerifierOptions, 'dpop' | 'mtls'> {
  const out: Pick<VerifierOptions, 'dpop' | 'mtls'> = {};
  const d = config.dpop;
  if (d) {
    out.dpop = {
      origins: d.origins ?? origins,
      required: d.mode === 'required',
      ...(d.algorithms ? { algorithms: d.algorithms } : {}),
      ...(d.maxAge !== null ? { maxAge: d.maxAge } : {}),
      ...(replay ? { replay } : {}),
      ...(d.nonce ? { nonce: { secret: d.nonce.secret, ...(d.nonce.rotation !== null ? { rotation: d.nonce.rotation } : {}) } } : {}),
    };
  }
  if (config.mtls) out.mtls = { required: config.mtls.required };
  return out;
}
