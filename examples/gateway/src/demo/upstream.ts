/**
 * The demo upstream of `npm start`'s embedded mode: Dynamic's token endpoints implemented for
 * real (seed `GET /user/tokens` schema), and an echo for every other route of the table.
 *
 * Tokens are environment-bound: a caller mints, lists and deletes tokens only in its own
 * environment (its `environment_id` claim), grants only scopes it holds itself, and every minted
 * token carries `environment_id` of its environment, so the gate holds it to that environment.
 *
 * It trusts the gateway in front of it (it only decodes the already verified token to learn the
 * caller); a real upstream reachable other than through the gateway must verify tokens itself.
 *
 * Errors are answered as JSON `{"error": …}` without a stack: 400 "Malformed JSON body" for a
 * body that does not parse, 413 for one over 16 kB, 500 "Internal Server Error" when the store
 * fails (logged, without the token). The gateway relays upstream bodies as they are, so this is
 * where a stack would otherwise leak.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { decodeJwt, type JWTPayload } from 'jose';
import pino, { type Logger } from 'pino';
import { DYNAMIC_ENVIRONMENT_CLAIM, dynamicRoutes, dynamicScopeNames, type DynamicScope } from '@scopegate/dynamic';
import type { DemoIssuer } from './issuer';
import { inCallerEnvironment, scopesBeyondCaller } from './token-policy';
import type { TokenCreator, TokenRecord, TokenStore } from '../token-store';
import { jsonErrorHandler } from '../json-errors';

export interface DemoUpstreamOptions {
  issuer: DemoIssuer;
  store: TokenStore;
  /** Lifetime of minted API tokens, seconds. Default 7 days. */
  tokenTtl?: number;
  /** Where failed requests are logged (never the token or the body). Default: nowhere. */
  logger?: Logger;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const KNOWN = new Set<string>(dynamicScopeNames);
const TOKEN_PATHS = new Set(['/environments/:environmentId/tokens', '/environments/:environmentId/tokens/:tokenId', '/user/tokens']);

/** The seed's `Token` object for a record: never the raw token. */
export function tokenJson(r: TokenRecord) {
  return {
    id: r.id,
    checksum: r.checksum,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    ...(r.note !== undefined ? { note: r.note } : {}),
    projectEnvironmentId: r.projectEnvironmentId,
    projectEnvironment: { id: r.projectEnvironmentId },
    scopes: r.scopes,
  };
}

function caller(req: Request): JWTPayload | null {
  const m = /^Bearer (\S+)$/i.exec(req.get('authorization') ?? '');
  if (!m) return null;
  try {
    return decodeJwt(m[1]!);
  } catch {
    return null;
  }
}

function creator(claims: JWTPayload): TokenCreator {
  const out: TokenCreator = { id: String(claims.sub) };
  for (const k of ['alias', 'firstName', 'lastName', 'email'] as const) if (typeof claims[k] === 'string') out[k] = claims[k] as string;
  return out;
}

const fail = (res: Response, status: number, error: string) => void res.status(status).json({ error });

export function createDemoUpstreamApp(options: DemoUpstreamOptions): express.Express {
  const { issuer, store } = options;
  const ttl = options.tokenTtl ?? 7 * 24 * 3600;
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '16kb' }));

  const requireCaller = (req: Request, res: Response): JWTPayload | null => {
    const claims = caller(req);
    if (!claims || typeof claims.sub !== 'string') fail(res, 401, 'No jwt provided!');
    return claims && typeof claims.sub === 'string' ? claims : null;
  };

  /** The caller acts in its own environment only (the gate checks this too): 403 otherwise. */
  const requireOwnEnvironment = (claims: JWTPayload, environmentId: string, res: Response): boolean => {
    if (inCallerEnvironment(claims, environmentId)) return true;
    fail(res, 403, 'Access Forbidden');
    return false;
  };

  app.post('/environments/:environmentId/tokens', async (req, res) => {
    const claims = requireCaller(req, res);
    if (!claims) return;
    const environmentId = req.params.environmentId;
    if (!requireOwnEnvironment(claims, environmentId, res)) return;
    if (!UUID.test(environmentId)) return fail(res, 400, 'environmentId must be a uuid');
    const body: unknown = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return fail(res, 400, 'Body must be a JSON object: { "note"?: string, "scopes": TokenScopes[] }');
    const { note, scopes } = body as { note?: unknown; scopes?: unknown };
    if (note !== undefined && (typeof note !== 'string' || note.length > 255)) return fail(res, 400, 'note must be a string of at most 255 characters');
    if (!Array.isArray(scopes)) return fail(res, 400, 'scopes must be an array of TokenScopes');
    const unknown = scopes.filter((s) => typeof s !== 'string' || !KNOWN.has(s));
    if (unknown.length) return fail(res, 400, `Unknown scope(s): ${unknown.map((s) => JSON.stringify(s)).join(', ')}`);
    const granted = [...new Set(scopes as DynamicScope[])];
    // A token never holds more than its creator: no escalation through the token service.
    const beyond = scopesBeyondCaller(claims, granted);
    if (beyond.length) return fail(res, 403, `Cannot grant scope(s) the caller does not hold: ${beyond.map((s) => JSON.stringify(s)).join(', ')}`);
    // …nor outlives it: a short-lived token could otherwise mint itself a 7-day successor.
    const now = Math.floor(Date.now() / 1000);
    const life = typeof claims.exp === 'number' ? Math.min(ttl, Math.floor(claims.exp) - now) : ttl;
    if (!(life > 0)) return fail(res, 401, 'Token expired');
    const id = randomUUID();
    const rawToken = await issuer.mint({ sub: claims.sub!, scopes: granted, jti: id, ttl: life, extra: { [DYNAMIC_ENVIRONMENT_CLAIM]: environmentId } });
    const record: TokenRecord = {
      id,
      checksum: rawToken.slice(-6),
      createdBy: creator(claims),
      createdAt: new Date().toISOString(),
      ...(note !== undefined ? { note } : {}),
      projectEnvironmentId: environmentId,
      scopes: granted,
      expiresAt: (now + life) * 1000,
    };
    await store.create(record);
    res.status(201).json({ token: tokenJson(record), rawToken });
  });

  app.get('/environments/:environmentId/tokens', async (req, res) => {
    const claims = requireCaller(req, res);
    if (!claims || !requireOwnEnvironment(claims, req.params.environmentId, res)) return;
    res.json({ tokens: (await store.listByEnvironment(req.params.environmentId)).map(tokenJson) });
  });

  app.delete('/environments/:environmentId/tokens/:tokenId', async (req, res) => {
    const claims = requireCaller(req, res);
    if (!claims || !requireOwnEnvironment(claims, req.params.environmentId, res)) return;
    // Another environment's token is not found here, whoever asks: the store checks the
    // environment in the same atomic step as the revocation. Revoked now or before: 204 both, so
    // a DELETE that failed (a 5xx while the store was unreachable) can be retried until it holds.
    const outcome = await store.revoke(req.params.tokenId, { environmentId: req.params.environmentId });
    if (outcome === 'not-found') return fail(res, 404, 'Token not found');
    res.status(204).end();
  });

  app.get('/user/tokens', async (req, res) => {
    const claims = requireCaller(req, res);
    if (!claims) return;
    res.json({ tokens: (await store.listByCreator(claims.sub!)).map(tokenJson) });
  });

  // Echo for every other route of Dynamic's table.
  for (const rule of dynamicRoutes) {
    if (TOKEN_PATHS.has(rule.path)) continue;
    app[rule.method.toLowerCase() as 'get'](rule.path, (req, res) => {
      res.json({
        method: req.method,
        path: req.path,
        url: req.originalUrl,
        params: req.params,
        sub: caller(req)?.sub ?? null,
        route: rule.description,
        forwarded: { for: req.get('x-forwarded-for') ?? null, host: req.get('x-forwarded-host') ?? null, proto: req.get('x-forwarded-proto') ?? null },
        requestId: req.get('x-request-id') ?? null,
      });
    });
  }
  app.use((_req, res) => fail(res, 404, 'Not Found'));
  // Body parser errors and failing handlers (a store that throws): JSON without a stack.
  app.use(jsonErrorHandler({ logger: options.logger ?? pino({ level: 'silent' }), source: 'demo-upstream' }));
  return app;
}

export interface RunningServer {
  readonly url: string;
  readonly server: http.Server;
  close(): Promise<void>;
}

/** Listen on loopback, port chosen by the system. */
export async function listenLoopback(handler: http.RequestListener, host = '127.0.0.1'): Promise<RunningServer> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
