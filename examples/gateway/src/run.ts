/** Starting the gateway from a configuration: the embedded demo when nothing is configured. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigError, createVerifier, protectedResourceMetadata, resourceMetadataUrl, type RouteTable, type Verifier, type VerifierOptions } from '@scopegate/core';
import { DYNAMIC_ENVIRONMENT_CLAIM, dynamicTable } from '@scopegate/dynamic';
import { auditApp, type AppAudit } from '@scopegate/express';
import { RedisReplayStore, RedisRevocationList, RedisTokenStore } from '@scopegate/redis';
import { createMetrics, type GatewayMetrics } from './metrics';
import { defaultDpopOrigins, GatewayConfigError, senderOptions, verifierOptions, verifierProblem, type GatewayConfig } from './config';
import { createGateway, createServer, serveGateway, type GatewayTls } from './gateway';
import { compileTrustProxy } from './forward-headers';
import { metricsServer as createMetricsServer, type MetricsSource } from './metrics-server';
import { startDemoIssuer, type DemoConfirmation, type DemoIssuer } from './demo/issuer';
import { createDemoUpstreamApp, listenLoopback, type RunningServer } from './demo/upstream';
import { MemoryTokenStore, type TokenStore } from './token-store';

/** The demo's fixed identities, so the printed commands read well. */
export const DEMO = {
  /** The demo tokens' environment: each carries it as its `environment_id` claim. */
  environmentId: '7d8e9f10-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
  /** Another environment, which no demo token belongs to: the cross-environment examples. */
  otherEnvironmentId: 'b4e1c2d3-6f5a-4b7c-9d8e-1f2a3b4c5d6e',
  adminId: '0b6c3f52-8d3e-4a57-9a51-2f7f6d1c9e01',
  readerId: '5e2a9c71-3b4d-4f60-8a12-6c9d0e1f2a03',
} as const;

/** The printed demo tokens, all bound to `DEMO.environmentId` (claim `environment_id`). */
export interface DemoTokens {
  /** environment.apiTokens.read + environment.apiTokens.write + environment.users.read: it may mint tokens holding those (a subset) */
  admin: string;
  /** all.read */
  allRead: string;
  /** environment.users.read */
  usersRead: string;
  /** no scope at all */
  noScopes: string;
  /**
   * environment.users.read, bound to the demo DPoP key (`cnf.jkt`): usable only with
   * `Authorization: DPoP` and a proof signed by `dpopKeyFile`'s key. Absent when DPOP=off.
   */
  dpopUsersRead?: string;
  /** The demo DPoP key: a private JWK (ES256) in a temporary file (removed on close), for `scopegate dpop-proof --key`. */
  dpopKeyFile?: string;
}

export interface RunningGateway {
  /** Base URL, e.g. http://127.0.0.1:8080 (https:// with TLS_CERT) */
  readonly url: string;
  /** The origins DPoP proofs may name (DPOP_ORIGINS, or the defaults), when DPoP is on; else null. */
  readonly dpopOrigins: readonly string[] | null;
  readonly server: http.Server;
  readonly verifier: Verifier;
  readonly demo: { issuer: DemoIssuer; upstream: RunningServer; store: TokenStore; tokens: DemoTokens; audit: AppAudit } | null;
  /** The shared revocation list, when REDIS_URL is set. */
  readonly revocations: RedisRevocationList | null;
  readonly metrics: GatewayMetrics;
  /** The separate metrics server's URL, when METRICS_PORT is set. */
  readonly metricsUrl: string | null;
  /** Where the RFC 9728 metadata is published (RESOURCE_URL's well-known URL), when RESOURCE_URL is set. */
  readonly resourceMetadataUrl: string | null;
  /** Stop accepting, let in-flight requests finish (at most `graceMs`), close the demo servers. */
  close(graceMs?: number): Promise<void>;
}

/** How a worker of several serves `/metrics` (see cluster.ts); absent for a single process. */
export interface WorkerRole {
  /** The aggregate of every worker's metrics, asked of the primary. */
  metricsText: MetricsSource;
  /** Make this worker's registry the one the primary's aggregation reads. */
  registerMetrics(registry: Registry): void;
}

export async function startGateway(config: GatewayConfig, logger: Logger = pino({ level: config.logLevel }), worker?: WorkerRole): Promise<RunningGateway> {
  // Before anything is opened (Redis, servers): a refused configuration leaves nothing behind.
  if (!config.embedded) {
    // loadConfig refuses this; a configuration built by hand must not get past it either.
    const unchecked = uncheckedClaimsOf(config);
    const unallowed = unchecked.filter((c) => !config.uncheckedClaims?.includes(c));
    if (unallowed.length) {
      throw new GatewayConfigError(
        unallowed.map((c) =>
          config.issuers
            ? `ISSUERS_FILE: every issuer needs an "audience" unless ALLOW_UNCHECKED_CLAIMS lists ${c}`
            : `${c === 'iss' ? 'JWT_ISSUER' : 'JWT_AUDIENCE'}: required with UPSTREAM_URL unless ALLOW_UNCHECKED_CLAIMS lists ${c}`,
        ),
      );
    }
    if (unchecked.length) {
      logger.warn(
        { unchecked },
        `ALLOW_UNCHECKED_CLAIMS: tokens' ${unchecked.join(' and ')} ${unchecked.length > 1 ? 'are' : 'is'} NOT checked: any token the configured key signed is accepted, whoever it was issued by or for`,
      );
    }
    // Which issuers and which introspection endpoint: URLs only, never a key, secret or credential.
    logger.info(verificationSummary(config), 'token verification');
  }
  let demo: RunningGateway['demo'] = null;
  let demoDir: string | null = null;
  let verifier: Verifier;
  let baseOptions: VerifierOptions;
  let upstreamUrl: URL;
  const table: RouteTable = config.routes ?? dynamicTable;
  if (config.resourceUrl) {
    // As loadConfig does; before anything is opened (the demo issuer's URL is checked once known).
    const authorizationServers = config.authorizationServers ?? (config.embedded ? undefined : defaultAuthorizationServers(config));
    try {
      protectedResourceMetadata(table, { resource: config.resourceUrl, ...(authorizationServers ? { authorizationServers } : {}) });
    } catch (err) {
      throw err instanceof ConfigError ? new GatewayConfigError([`RESOURCE_URL / AUTHORIZATION_SERVERS: ${err.message}`]) : err;
    }
  }
  // Several instances share token records and revocations through Redis; one keeps them in memory.
  const revocations = config.redisUrl
    ? await RedisRevocationList.connect({ redis: config.redisUrl, maxStaleness: config.revocationMaxStaleness })
    : null;
  const sharedStore: TokenStore | null = revocations ? (new RedisTokenStore(revocations) as unknown as TokenStore) : null;
  if (revocations) logger.info({ maxStalenessMs: config.revocationMaxStaleness }, 'token store and revocations on Redis');
  // Used DPoP proofs: shared through Redis with REDIS_URL (a proof used on one instance is
  // refused on every other), else in this process's memory (loadConfig refuses WORKERS > 1 then).
  let replay: RedisReplayStore | null = null;
  if (config.dpop && config.redisUrl) {
    try {
      replay = await RedisReplayStore.connect({ redis: config.redisUrl });
    } catch (err) {
      if (revocations) await revocations.close();
      throw err;
    }
  }
  if (config.gateMode === 'report') {
    logger.warn('GATE_MODE=report: REPORT-ONLY MODE. The gate decides and logs every request but lets refused requests through. Nothing is enforced.');
  }

  if (config.embedded) {
    const issuer = await startDemoIssuer({ host: '127.0.0.1' });
    const store = sharedStore ?? new MemoryTokenStore();
    const upstreamApp = createDemoUpstreamApp({ issuer, store, logger: logger.child({ component: 'demo-upstream' }) });
    // The upstream is in-process here, so check that the table covers exactly what it serves.
    const audit = auditApp(upstreamApp, table);
    if (audit.ok) logger.info({ routes: audit.routes.length }, 'app audit: the table covers every upstream route');
    else logger.warn({ uncovered: audit.uncovered.length, stale: audit.stale.length, report: audit.toString() }, 'app audit found gaps');
    const upstream = await listenLoopback(upstreamApp);
    baseOptions = {
      algorithms: ['ES256'],
      jwksUri: issuer.jwksUrl,
      issuer: issuer.issuer,
      audience: issuer.audience,
      isRevoked: (claims) => typeof claims.jti === 'string' && store.isRevoked(claims.jti),
    };
    upstreamUrl = new URL(upstream.url);
    // Every demo token belongs to the demo environment, as Dynamic's tokens belong to one.
    const mint = (sub: string, scopes: string[], extra: Record<string, unknown> = {}, cnf?: DemoConfirmation) =>
      issuer.mint({ sub, scopes, ttl: 24 * 3600, extra: { ...extra, [DYNAMIC_ENVIRONMENT_CLAIM]: DEMO.environmentId }, ...(cnf ? { cnf } : {}) });
    const tokens: DemoTokens = {
      admin: await mint(DEMO.adminId, ['environment.apiTokens.read', 'environment.apiTokens.write', 'environment.users.read'], { alias: 'demo-admin', email: 'admin@demo.test' }),
      allRead: await mint(DEMO.readerId, ['all.read']),
      usersRead: await mint(DEMO.readerId, ['environment.users.read']),
      noScopes: await mint(DEMO.readerId, []),
    };
    if (config.dpop) {
      // A demo client's DPoP key, written where `scopegate dpop-proof --key` reads it, and a
      // token bound to it: the banner shows it pass with a proof and fail as a bearer token.
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const jkt = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
      demoDir = mkdtempSync(join(tmpdir(), 'scopegate-demo-'));
      tokens.dpopKeyFile = join(demoDir, 'dpop-key.json');
      writeFileSync(tokens.dpopKeyFile, `${JSON.stringify({ ...(await exportJWK(privateKey)), alg: 'ES256' })}\n`, { mode: 0o600 });
      tokens.dpopUsersRead = await mint(DEMO.readerId, ['environment.users.read'], {}, { jkt });
    }
    demo = { issuer, upstream, store, tokens, audit };
  } else {
    baseOptions = {
      ...verifierOptions(config),
      ...(sharedStore ? { isRevoked: (claims) => typeof claims.jti === 'string' && (sharedStore.isRevoked(claims.jti) as boolean) } : {}),
    };
    upstreamUrl = config.upstreamUrl!;
  }

  // Everything opened so far, closed again if the start fails from here on.
  const release = async () => {
    // The demo's private DPoP key first, synchronously: whatever fails below, it is not left behind.
    if (demoDir) rmSync(demoDir, { recursive: true, force: true });
    if (demo) await Promise.all([demo.upstream.close(), demo.issuer.close()]);
    if (replay) await replay.close();
    if (revocations) await revocations.close();
  };
  const tls: GatewayTls | undefined = config.tls
    ? { cert: config.tls.cert, key: config.tls.key, requestCert: config.mtls != null, ...(config.tls.clientCa !== null ? { clientCa: config.tls.clientCa } : {}) }
    : undefined;
  const server = createServer(tls);
  server.keepAliveTimeout = 5000;
  // Listen first: DPoP's default origins name the port, which PORT=0 picks only now. From the
  // listen callback to serveGateway below everything is synchronous, so no request can arrive
  // before the gateway handles it.
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await release();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const scheme = tls ? 'https' : 'http';
  const dpopOrigins = config.dpop ? (config.dpop.origins ?? defaultDpopOrigins(scheme, config.host, port)) : null;
  try {
    verifier = createVerifier({ ...baseOptions, ...senderOptions(config, dpopOrigins ?? [], replay ?? undefined) });
  } catch (err) {
    server.close();
    await release();
    throw err instanceof ConfigError ? new GatewayConfigError([verifierProblem(config, err)]) : err;
  }

  const metrics = createMetrics(verifier, revocations);
  worker?.registerMetrics(metrics.registry);
  const gateway = createGateway({
    upstreamUrl,
    table,
    verifier,
    logger,
    metrics,
    // Several workers: the primary serves METRICS_PORT; the main port's /metrics is the aggregate.
    serveMetrics: config.metricsPort === null,
    ...(worker ? { metricsText: worker.metricsText } : {}),
    mode: config.gateMode,
    trustProxy: compileTrustProxy(config.trustProxy),
    upgrade: config.upgrade,
    proxyTimeout: config.upstreamTimeout,
    upstreamConnections: config.upstreamConnections,
    ...(config.resourceUrl
      ? {
          resourceMetadata: {
            resource: config.resourceUrl,
            // Default: the issuers the verifier accepts (the demo issuer in the demo).
            authorizationServers: config.authorizationServers ?? (demo ? [demo.issuer.issuer] : defaultAuthorizationServers(config) ?? []),
          },
        }
      : {}),
    // Certificate-bound tokens: the TLS peer certificate (only one chaining to TLS_CLIENT_CA
    // when it is set), or CLIENT_CERT_HEADER from a TRUST_PROXY peer.
    clientCertificate: {
      tls: config.tls?.clientCa ? 'verified' : 'any',
      ...(config.clientCertHeader ? { header: config.clientCertHeader } : {}),
    },
  });
  serveGateway(server, gateway, config.upgrade.length > 0);
  if (config.dpop || config.mtls) {
    // Origins and modes only: never the nonce secret.
    logger.info(
      { dpop: config.dpop ? { mode: config.dpop.mode, origins: dpopOrigins, replay: replay ? 'redis' : 'memory', nonces: config.dpop.nonce !== null } : 'off', mtls: config.mtls ? { mode: config.mtls.required ? 'required' : 'allowed', from: [...(tls ? [config.tls?.clientCa ? 'tls (TLS_CLIENT_CA)' : 'tls'] : []), ...(config.clientCertHeader ? [`${config.clientCertHeader} from TRUST_PROXY`] : [])] } : 'off' },
      'sender-constrained tokens',
    );
  }
  let metricsServer: http.Server | null = null;
  if (config.metricsPort !== null && !worker) {
    metricsServer = createMetricsServer(async () => ({ contentType: metrics.registry.contentType, text: await metrics.registry.metrics() }), logger);
    await new Promise<void>((resolve) => metricsServer!.listen(config.metricsPort!, config.host, resolve));
  }

  let closing: Promise<void> | null = null;
  return {
    url: `${scheme}://${host}:${port}`,
    dpopOrigins,
    server,
    verifier,
    demo,
    revocations,
    metrics,
    metricsUrl: metricsServer ? `http://${host}:${(metricsServer.address() as AddressInfo).port}/metrics` : null,
    resourceMetadataUrl: config.resourceUrl ? resourceMetadataUrl(config.resourceUrl) : null,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            server.closeAllConnections();
            gateway.destroyTunnels();
          }, graceMs);
          force.unref();
          server.close(() => {
            clearTimeout(force);
            resolve();
          });
          server.closeIdleConnections();
        });
        await gateway.close();
        if (metricsServer) await new Promise<void>((resolve) => metricsServer!.close(() => resolve()));
        await release();
      })();
      return closing;
    },
  };
}

/** The claims this configuration leaves unchecked (issuer or audience unset). */
function uncheckedClaimsOf(config: GatewayConfig): ('iss' | 'aud')[] {
  const out: ('iss' | 'aud')[] = [];
  // Each entry names its issuer; its audience may be left out only by choice.
  if (config.issuers) return config.issuers.some((e) => e.audience === undefined) ? ['aud'] : [];
  // Every token introspected: the endpoint decides, no JWT is read here.
  if (!config.key && config.introspection) return [];
  if (config.issuer === undefined) out.push('iss');
  if (config.audience === undefined) out.push('aud');
  return out;
}

/** The issuer URLs tokens may come from: the metadata's default authorization servers. */
function defaultAuthorizationServers(config: GatewayConfig): string[] | undefined {
  return config.issuers ? config.issuers.map((e) => e.issuer) : config.issuer;
}

/** An endpoint URL for a log line: scheme, host and path only (no credentials, query or fragment). */
export function loggableUrl(text: string): string {
  try {
    const u = new URL(text);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** What the start-up log says about token verification: issuer URLs and the introspection endpoint, nothing secret. */
export function verificationSummary(config: GatewayConfig): { issuers: string[] | 'any'; keys: string; introspection: { url: string; tokens: string } | false } {
  const keys = config.issuers ? 'ISSUERS_FILE' : config.key ? ({ jwks: 'JWKS_URL', publicKey: 'JWT_PUBLIC_KEY', secret: 'JWT_SECRET' } as const)[config.key.kind] : 'none';
  const issuers = config.issuers ? config.issuers.map((e) => e.issuer) : config.key ? (config.issuer ?? 'any') : [];
  const intro = config.introspection;
  return { issuers, keys, introspection: intro ? { url: loggableUrl(intro.url), tokens: intro.tokens } : false };
}

/** The start-up text: where it listens and, for the demo, commands to paste (expected status first). */
export function banner(gw: RunningGateway): string {
  const lines = [
    `scopegate gateway listening on ${gw.url}`,
    `  health:  curl -i ${gw.url}/healthz`,
    `  ready:   curl -i ${gw.url}/readyz`,
    `  metrics: curl -s ${gw.metricsUrl ?? `${gw.url}/metrics`}`,
  ];
  if (gw.resourceMetadataUrl) lines.push(`  resource metadata (RFC 9728): curl -s ${gw.resourceMetadataUrl}`);
  if (!gw.demo) return lines.join('\n');
  const t = gw.demo.tokens;
  const env = `${gw.url}/environments/${DEMO.environmentId}`;
  const other = `${gw.url}/environments/${DEMO.otherEnvironmentId}`;
  const auth = (token: string) => ` -H 'Authorization: Bearer ${token}'`;
  const json = ` -H 'Content-Type: application/json' -d`;
  const tryIt: [string, string, string][] = [
    ['200', 'a users.read token reads users', `curl -i '${env}/users'${auth(t.usersRead)}`],
    ['200', 'all.read reads any GET route of its environment', `curl -i '${env}/webhooks'${auth(t.allRead)}`],
    ['201', 'the admin token creates an API token with a scope it holds (printed once)', `curl -i -X POST '${env}/tokens'${auth(t.admin)}${json} '{"note":"ci","scopes":["environment.users.read"]}'`],
    ['200', 'the admin token lists the environment\'s tokens', `curl -i '${env}/tokens'${auth(t.admin)}`],
    ['200', 'any authenticated caller lists its own tokens', `curl -i '${gw.url}/user/tokens'${auth(t.admin)}`],
    ['403', 'all.read cannot write', `curl -i -X DELETE '${env}/users/u-1'${auth(t.allRead)}`],
    ['403', 'a token with no scopes cannot read users', `curl -i '${env}/users'${auth(t.noScopes)}`],
    ['403', 'a token cannot reach another environment (environment_id is bound to the path)', `curl -i '${other}/users'${auth(t.usersRead)}`],
    ['403', 'the admin token cannot grant a scope it does not hold', `curl -i -X POST '${env}/tokens'${auth(t.admin)}${json} '{"scopes":["environment.users.write"]}'`],
  ];
  if (t.dpopUsersRead !== undefined && t.dpopKeyFile !== undefined) {
    // DPoP (RFC 9449): the token is bound to the demo key; each request needs a fresh proof
    // signed by it, naming the method and URL (the command substitution makes one per run).
    const users = `${env}/users`;
    const proof = `$(npx scopegate dpop-proof --key '${t.dpopKeyFile}' --method GET --url '${users}' --token ${t.dpopUsersRead})`;
    tryIt.push(
      ['200', 'a DPoP-bound token with a fresh proof of its key (a proof works once: run it again for a new one)', `curl -i '${users}' -H 'Authorization: DPoP ${t.dpopUsersRead}' -H "DPoP: ${proof}"`],
      ['401', 'the same DPoP-bound token as a bearer token', `curl -i '${users}'${auth(t.dpopUsersRead)}`],
    );
  }
  tryIt.push(
    ['401', 'no token', `curl -i '${env}/users'`],
    ['400', 'the firewall refuses encoded traversal', `curl -i '${env}/users/..%2F..%2Ftokens'${auth(t.usersRead)}`],
  );
  lines.push(
    '',
    'Embedded demo: a demo issuer (ES256, JWKS on loopback) and a demo upstream (Dynamic\'s token service + echo).',
    ...(t.dpopKeyFile !== undefined ? [`DPoP is on (allowed): the demo client's DPoP key (a private JWK) is in ${t.dpopKeyFile}; proofs may name ${(gw.dpopOrigins ?? []).join(', ')}.`] : []),
    `Demo tokens belong to environment ${DEMO.environmentId} (claim ${DYNAMIC_ENVIRONMENT_CLAIM}); ${DEMO.otherEnvironmentId} is another environment.`,
    'Try it (expected status first):',
  );
  for (const [status, what, cmd] of tryIt) lines.push(`# ${status} ${what}`, cmd);
  return lines.join('\n');
}
