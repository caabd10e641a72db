/**
 * The gateway app: request id and access log → canonical-path firewall → /healthz, /readyz →
 * scopeGate → reverse proxy to the upstream. Only requests the gate allowed reach the proxy, and
 * they are forwarded with the target exactly as checked and the credentials exactly as verified
 * (`Authorization: Bearer <token>`, or none on a public rule).
 *
 * Every answer the gateway makes itself is JSON `{"error": …}` without a stack (see json-errors).
 * Upstream responses, errors included, are relayed as they are: a proxy cannot tell an API's
 * error body from a leaked one, so the upstream must not put stacks in its bodies (the demo
 * upstream answers JSON errors without them).
 */
import http from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import type { Logger } from 'pino';
import type { RouteTable, Verifier } from '@scopegate/core';
import { scopeGate, type DecisionEvent } from '@scopegate/express';
import { canonicalPathFirewall } from './firewall';
import { jsonErrorHandler } from './json-errors';
import type { GatewayMetrics } from './metrics';
import { readinessChecks } from './readiness';

export interface GatewayOptions {
  upstreamUrl: URL;
  table: RouteTable;
  verifier: Verifier;
  logger: Logger;
  /** Timeout of the upstream probe of /readyz, ms. Default 1000. */
  readyTimeout?: number;
  /**
   * How long /readyz reuses a check's result (upstream probe, key-set fetch), ms: calls within it
   * cause no new probe or fetch, and at most one of each is in flight at a time. Default 1000.
   */
  readyCacheMs?: number;
  /** Timeout of a proxied request, ms. Default 30000. */
  proxyTimeout?: number;
  /** `'report'`: decide and report, but let refused requests through. Default `'enforce'`. */
  mode?: 'enforce' | 'report';
  /** Metrics to record into; `GET /metrics` is served here when `serveMetrics` (default: when given). */
  metrics?: GatewayMetrics;
  serveMetrics?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

interface Tracked {
  requestId?: string;
  decision?: DecisionEvent;
  forwardedAt?: bigint;
}

/**
 * A request's gateway state lives in `res.locals`: Express makes it per request, as a
 * dictionary, so adding keys there is cheap. Why not properties on `req`: Express re-prototypes
 * every request object, and V8 then pays microseconds for each property added to it.
 */
const tracked = (req: Request): Tracked => req.res!.locals as Tracked;

/** The path part of a target, for logs: a query may carry secrets, so it is never logged. */
const pathOf = (url: string): string => url.split('?')[0]!;

export function createGatewayApp(options: GatewayOptions): express.Express {
  const { upstreamUrl, table, verifier, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // Request id (a well-formed incoming X-Request-Id is kept) and one access log line per request.
  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    const id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    tracked(req).requestId = id;
    req.headers['x-request-id'] = id;
    res.set('X-Request-Id', id);
    // Nothing is built for a log line the logger would drop (checked per request: pino's level
    // can change at run time).
    if (!logger.isLevelEnabled('info')) return next();
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const d = tracked(req).decision;
      logger.info(
        {
          reqId: id,
          method: req.method,
          path: pathOf(req.originalUrl),
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          ...(d ? { reason: d.reason, sub: d.sub } : {}),
        },
        'request',
      );
    });
    next();
  });

  app.use(
    canonicalPathFirewall({
      onRefuse: (rule, req) => logger.warn({ reqId: tracked(req).requestId, rule: rule.id, method: req.method }, 'firewall refused'),
    }),
  );

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  const metrics = options.metrics;
  if (metrics && options.serveMetrics !== false) app.get('/metrics', metricsHandler(metrics));
  const readiness = readinessChecks({ verifier, upstreamUrl, timeout: options.readyTimeout ?? 1000, reuseMs: options.readyCacheMs ?? 1000 });
  // Why the keys are not loaded, as the key set says it (a redirect, too large, a status, a
  // timeout: never key material), in the answer and once per new reason in the log.
  let keysReasonLogged: string | null = null;
  app.get('/readyz', async (_req, res) => {
    const { keys, upstream } = await readiness();
    const reason = keys ? null : (verifier.keySet?.stats.lastError ?? null);
    if (reason !== null && reason !== keysReasonLogged) logger.warn({ reason, url: redactedUrl(verifier.keySet!.url) }, 'key set not loaded');
    keysReasonLogged = reason;
    res.status(keys && upstream ? 200 : 503).json({
      status: keys && upstream ? 'ready' : 'not ready',
      checks: { keys, upstream },
      ...(reason !== null ? { reasons: { keys: reason } } : {}),
    });
  });

  app.use(
    scopeGate({
      routes: table,
      verifier,
      mode: options.mode ?? 'enforce',
      onDecision: (event, req) => {
        tracked(req).decision = event;
        metrics?.decision(event);
        const level = event.allowed ? 'debug' : 'info';
        if (logger.isLevelEnabled(level)) logger[level]({ reqId: tracked(req).requestId, ...event }, 'decision');
      },
    }),
  );

  app.use(forwardVerifiedAuthorization);

  // Keep upstream connections open: a new TCP connection per request would cap throughput.
  const agent = new (upstreamUrl.protocol === 'https:' ? https : http).Agent({ keepAlive: true, maxSockets: 256 });
  app.use(
    createProxyMiddleware<Request, Response>({
      target: upstreamUrl.href,
      agent,
      changeOrigin: true,
      xfwd: true,
      proxyTimeout: options.proxyTimeout ?? 30_000,
      timeout: options.proxyTimeout ?? 30_000,
      on: {
        proxyReq: (_proxyReq, req) => {
          tracked(req).forwardedAt = process.hrtime.bigint();
        },
        proxyRes: (proxyRes, req) => {
          const at = tracked(req).forwardedAt;
          if (metrics && at !== undefined) metrics.upstream(Number(process.hrtime.bigint() - at) / 1e9, proxyRes.statusCode ?? 0);
        },
        error: (err, req, res) => {
          logger.error({ reqId: tracked(req).requestId, err: (err as Error).message }, 'upstream error');
          if (res instanceof http.ServerResponse && !res.headersSent) {
            res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":"Bad Gateway"}');
          } else {
            res.destroy();
          }
        },
      },
    }),
  );
  // Errors of the gateway's own handlers (e.g. /metrics): JSON, never Express's HTML page.
  app.use(jsonErrorHandler({ logger, source: 'gateway' }));
  return app;
}

/**
 * The upstream gets the credentials the gate verified, in one spelling: `Bearer <token>` from
 * `req.auth.token`, whatever case and spacing the client used (the gate accepts `bearer`, several
 * spaces; an upstream may not). On a public rule the gate reads no token, so none is forwarded:
 * the client's header there is unchecked. Set on `req.headers`, which the proxy copies, rather
 * than in its proxyReq event, which http-proxy skips for requests with an `Expect` header.
 *
 * Only report mode lets a request through without `req.auth` (the gate refused it): nothing is
 * enforced there, so it goes on as the client sent it, as it would without the gateway.
 */
function forwardVerifiedAuthorization(req: Request, _res: Response, next: express.NextFunction): void {
  const auth = req.auth;
  if (auth) {
    if (auth.token !== null) req.headers.authorization = `Bearer ${auth.token}`;
    else delete req.headers.authorization;
  }
  next();
}

/** A URL for a log line: no credentials, no query (either may carry a secret). */
function redactedUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** `GET /metrics` in Prometheus text format. */
export function metricsHandler(metrics: GatewayMetrics): express.RequestHandler {
  return async (_req, res) => {
    const text = await metrics.registry.metrics();
    res.set('Content-Type', metrics.registry.contentType).send(text);
  };
}
