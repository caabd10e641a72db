/**
 * The Express adapter: a thin layer over `authorize` from @scopegate/core. It reads what Express
 * will route on (`req.method`, `req.path` where the gate is mounted, the `Authorization` header),
 * and either calls `next()` for an allowed request or answers with the error's status, headers
 * and `{ "error": … }` body. Nothing else ever reaches `next()`.
 */
import { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  allowedEvent,
  authorizationFromRawHeaders,
  authorizePathname,
  certificateFromHeader,
  compileRoutes,
  ConfigError,
  createVerifier,
  refusedEventIn,
  gateError,
  RESOURCE_METADATA_CACHE_CONTROL,
  resourceMetadataEndpoints,
  type Authorization,
  type AuthorizeOptions,
  type CompileOptions,
  type DecisionEvent,
  type RequestProof,
  type ResourceMetadataEndpointOptions,
  type RouteRule,
  type RouteTable,
  type Verifier,
  type VerifierOptions,
} from '@scopegate/core';
import type { ScopeGateAuth } from './request-auth';

/** Why the gate let a request through or stopped it (shared with every adapter: @scopegate/core's `gateReason`). */
export type { GateReason, DecisionEvent } from '@scopegate/core';

/** Options of `scopeGate`. */
export interface ScopeGateOptions {
  /** A compiled table, or rules to compile (with `routeOptions`). */
  routes: RouteTable | readonly RouteRule[];
  /** Compile options when `routes` is an array; match the app's `case sensitive routing` / `strict routing`. Default `{}`. */
  routeOptions?: CompileOptions;
  /** A verifier, or the options to create one. */
  verifier: Verifier | VerifierOptions;
  /** `'deny'`: requests no rule covers get 403 (after authentication). `'next'`: they pass unchecked — unsafe, opt-in. Default `'deny'`. */
  unmatched?: 'deny' | 'next';
  /** `realm` of the `WWW-Authenticate` challenges. Default `'api'`. */
  realm?: string;
  /** Called once per request with the decision (and the request, e.g. for its id); if it throws, the request is refused (500). Default: none. */
  onDecision?: (event: DecisionEvent, req: Request) => void;
  /** `'respond'`: the gate answers refusals itself. `'next'`: it calls `next(err)` with the `ScopeGateError` (status, headers) for your error handler. Default `'respond'`. */
  errors?: 'respond' | 'next';
  /**
   * `'enforce'`: refusals are answered. `'report'`: every request is decided, and `onDecision`
   * sees the refusals (with `mode: 'report'`), but refused requests go on to the app, without
   * `req.auth` — for turning the gate on over existing traffic. Default `'enforce'`.
   */
  mode?: 'enforce' | 'report';
  /**
   * OAuth 2.0 Protected Resource Metadata (RFC 9728): the gate answers `GET` and `HEAD` of
   * `/.well-known/oauth-protected-resource` (with the resource's path appended, if it has one,
   * and one per `paths` prefix) with the document, before any authentication, and every 401
   * challenge (and 403 `insufficient_scope`) carries `resource_metadata="…"`. The options of
   * `protectedResourceMetadata` plus `paths`; `scopes_supported` comes from the table. Mount the
   * gate at the app's root for the well-known paths to reach it. Default: none.
   */
  resourceMetadata?: ResourceMetadataEndpointOptions;
  /**
   * Where the client certificate of a certificate-bound token (the verifier's `mtls`) comes
   * from: a function of the request returning the certificate's DER bytes, or a PEM / base64
   * string (as a TLS-terminating proxy passes it in a header: read such a header only when the
   * request came from that proxy), or `null`. Default: the TLS socket's peer certificate
   * (`req.socket.getPeerCertificate().raw`; the handshake proved the client holds its key).
   */
  clientCertificate?: (req: Request) => Uint8Array | string | null | undefined;
}

/**
 * Express middleware (Express 5, and Express 4.21+) enforcing a route table's scopes on bearer
 * JWTs. Mount it before the routes it protects; it matches `req.path` as Express computes it
 * where the gate is mounted. The table routes with Express 5 semantics: under Express 4, write
 * the app's routes so that they match the same requests (see the README's Express 4 section).
 *
 * @example
 * import express from 'express';
 * import { scopeGate } from '@scopegate/express';
 * import { dynamicTable } from '@scopegate/dynamic';
 *
 * const app = express();
 * app.use(scopeGate({
 *   routes: dynamicTable,
 *   verifier: { algorithms: ['ES256'], jwksUri: 'https://issuer.example/.well-known/jwks.json', audience: 'api' },
 * }));
 * app.get('/environments/:environmentId/users', (req, res) => res.json({ caller: req.auth?.claims?.sub }));
 */
export function scopeGate(options: ScopeGateOptions): RequestHandler {
  if (options === null || typeof options !== 'object') throw new ConfigError('scopeGate options must be an object');
  const table = resolveTable(options);
  const verifier = resolveVerifier(options.verifier);
  const unmatched = options.unmatched ?? 'deny';
  if (unmatched !== 'deny' && unmatched !== 'next') throw new ConfigError(`unmatched must be 'deny' or 'next'`);
  const errorMode = options.errors ?? 'respond';
  if (errorMode !== 'respond' && errorMode !== 'next') throw new ConfigError(`errors must be 'respond' or 'next'`);
  const realm = options.realm ?? 'api';
  if (typeof realm !== 'string') throw new ConfigError('realm must be a string');
  const mode = options.mode ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'report') throw new ConfigError(`mode must be 'enforce' or 'report'`);
  const onDecision = options.onDecision;
  if (onDecision !== undefined && typeof onDecision !== 'function') throw new ConfigError('onDecision must be a function');
  const authorizeOptions: AuthorizeOptions = { realm, unmatched };
  const metadata = options.resourceMetadata === undefined ? null : resourceMetadataEndpoints(table, withSenderMetadata(options.resourceMetadata, verifier));
  // One options object per metadata URL, made once: the request path picks it.
  const optionsByUrl = new Map<string, AuthorizeOptions>(metadata?.urls.map((url) => [url, { realm, unmatched, resourceMetadata: url }]));
  const optionsFor = metadata === null ? null : (path: string) => optionsByUrl.get(metadata.metadataUrlFor(path))!;
  const clientCertificate = options.clientCertificate ?? socketCertificate;
  if (typeof clientCertificate !== 'function') throw new ConfigError('clientCertificate must be a function of the request');
  // Sender-constrained tokens need the request's target, DPoP header and certificate; built per request only then.
  const proofs = (verifier.dpop !== undefined && verifier.dpop !== null) || verifier.mtls === true;
  const dpopNonce = verifier.dpop?.nonce;

  /** The request passed: set req.auth and report. Throws if onDecision does. */
  function allow(req: Request, res: Response, slot: AuthSlot | null, path: string, auth: Authorization): void {
    const claims = auth.token?.claims ?? null;
    const value: ScopeGateAuth = {
      token: auth.rawToken,
      claims,
      scopes: auth.token?.scopes ?? EMPTY,
      rule: auth.rule,
      params: auth.params,
      verified: auth.token,
    };
    if (onDecision) onDecision(allowedEvent(req.method, path, auth, mode), req);
    setAuth(req, slot, value);
    // RFC 9449 §8.2: the next nonce to use, on answers to DPoP requests.
    if (auth.scheme === 'DPoP' && dpopNonce !== undefined) {
      const nonce = dpopNonce();
      if (nonce !== null) res.setHeader('DPoP-Nonce', nonce);
    }
  }

  /** The request was refused (or failed): report, then answer or hand the error on. */
  function refuse(req: Request, res: Response, next: NextFunction, path: string, err: unknown): void {
    const error = gateError(err);
    if (onDecision) {
      try {
        onDecision(refusedEventIn(table, req.method, path, error, mode), req);
      } catch {
        // Already refusing: a failing logger cannot change that.
      }
    }
    // Report mode: the refusal was decided and reported; the request goes on unauthenticated.
    if (mode === 'report') return next();
    if (errorMode === 'next') return next(error);
    res.status(error.status).set(error.headers).json({ error: error.message });
  }

  return function scopeGateMiddleware(req: Request, res: Response, next: NextFunction): void {
    // Where req.auth lives for this request, found once; cleared, so a refused request (report
    // mode) goes on without one, whatever an earlier middleware set.
    const slot = authSlot(req, res);
    if (slot === null) req.auth = undefined;
    else if (slot[AUTH] !== undefined) slot[AUTH] = undefined;
    const path = pathOf(req);
    if (metadata !== null && (req.method === 'GET' || req.method === 'HEAD')) {
      // RFC 9728 §3: public, answered before the table and before any token is read.
      const document = metadata.documents.get(path);
      if (document !== undefined) {
        res.status(200).set({ 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': RESOURCE_METADATA_CACHE_CONTROL, 'Access-Control-Allow-Origin': '*' }).send(document);
        return;
      }
    }
    let result: Authorization | Promise<Authorization>;
    try {
      result = authorizePathname(
        verifier,
        table,
        req.method,
        path,
        authorizationFromRawHeaders(req.rawHeaders, req.headers.authorization),
        optionsFor === null ? authorizeOptions : optionsFor(path),
        proofs ? new ExpressProof(req, clientCertificate) : undefined,
      );
    } catch (err) {
      return refuse(req, res, next, path, err);
    }
    if (!(result instanceof Promise)) {
      // Decided synchronously (the hot path: a cached token): no promise, no extra tick.
      try {
        allow(req, res, slot, path, result);
      } catch (err) {
        return refuse(req, res, next, path, err);
      }
      return next();
    }
    result.then(
      (auth) => {
        try {
          allow(req, res, slot, path, auth);
        } catch (err) {
          return refuse(req, res, next, path, err);
        }
        next();
      },
      (err: unknown) => refuse(req, res, next, path, err),
    )
      // Last guard: if answering itself failed, still answer, and never pass the request on.
      .catch(() => {
        if (!res.headersSent) res.status(500).json({ error: 'Internal Server Error' });
      });
  };
}

const EMPTY: ReadonlySet<string> = new Set();

/**
 * The metadata document says what the verifier checks (RFC 9728 §2): DPoP's proof algorithms and
 * whether only DPoP is accepted, and certificate-bound tokens — unless the options say otherwise.
 */
function withSenderMetadata(options: ResourceMetadataEndpointOptions, verifier: Verifier): ResourceMetadataEndpointOptions {
  if (options === null || typeof options !== 'object') return options;
  const dpop = verifier.dpop;
  return {
    ...(dpop ? { dpopSigningAlgValuesSupported: dpop.algorithms, dpopBoundAccessTokensRequired: dpop.required } : {}),
    ...(verifier.mtls === true ? { tlsClientCertificateBoundAccessTokens: true } : {}),
    ...options,
  };
}

/** What the core checks sender-constrained tokens against, read from the request when asked. */
class ExpressProof implements RequestProof {
  constructor(
    private readonly req: Request,
    private readonly read: (req: Request) => Uint8Array | string | null | undefined,
  ) {}
  /** The whole target as received, mount path included: DPoP's `htu` names it. */
  get target(): string {
    return this.req.originalUrl;
  }
  get dpop(): string | undefined {
    return this.req.headers.dpop as string | undefined;
  }
  certificate(): Uint8Array | null {
    const value = this.read(this.req);
    if (typeof value === 'string') return certificateFromHeader(value);
    return value instanceof Uint8Array && value.byteLength > 0 ? value : null;
  }
}

/** The TLS peer certificate's DER, or `null` (plain HTTP, or no certificate sent). */
function socketCertificate(req: Request): Uint8Array | null {
  const socket = req.socket as Partial<TLSSocket> | undefined;
  if (typeof socket?.getPeerCertificate !== 'function') return null;
  const cert = socket.getPeerCertificate(false);
  return cert && cert.raw instanceof Uint8Array && cert.raw.byteLength > 0 ? cert.raw : null;
}

function resolveTable(options: ScopeGateOptions): RouteTable {
  const routes = options.routes;
  if (Array.isArray(routes)) return compileRoutes(routes, options.routeOptions);
  if (routes && typeof (routes as RouteTable).lookup === 'function' && Array.isArray((routes as RouteTable).rules)) {
    if (options.routeOptions !== undefined) throw new ConfigError('routeOptions apply to an array of rules; this table is already compiled');
    return routes as RouteTable;
  }
  throw new ConfigError('routes must be a compiled RouteTable or an array of rules');
}

function resolveVerifier(verifier: Verifier | VerifierOptions): Verifier {
  if (verifier && typeof (verifier as Verifier).verify === 'function') return verifier as Verifier;
  if (verifier && typeof verifier === 'object') return createVerifier(verifier as VerifierOptions);
  throw new ConfigError('verifier must be a Verifier or verifier options');
}

/** Where `req.auth` is kept: `res.locals[AUTH]` (see authSlot). */
const AUTH = Symbol('scopegate.auth');
/** Request prototypes seen, and whether `auth` on them is our accessor. */
const prototypes = new WeakMap<object, boolean>();
/** The last of them: an app's requests all share one, so the WeakMap is rarely asked (this keeps that one prototype alive until another takes its place). */
let lastProto: object | null = null;
let lastOurs = false;
type AuthSlot = Record<PropertyKey, unknown>;

/**
 * Where this request's `req.auth` is kept: its `res.locals` (returned), or a plain property
 * (null). Express re-prototypes every request object (to `app.request`), and V8 then spends
 * microseconds on each property added to it: that add was half the gate's cost. So `auth` is an
 * accessor on the app's request prototype (Express's extension point), keeping the value in this
 * request's `res.locals`, a per-request dictionary where adding a key is cheap. Reading and
 * assigning `req.auth` work as before; `delete req.auth` does not clear it. A request that did
 * not come through an Express app, a prototype whose `auth` is someone else's, or a request that
 * already has its own `auth` get a plain property.
 */
function authSlot(req: Request, res: Response): AuthSlot | null {
  const locals = res.locals as AuthSlot | undefined;
  const proto = Object.getPrototypeOf(req) as object | null;
  if (locals === undefined || locals === null || proto === null || proto === IncomingMessage.prototype || proto === Object.prototype) return null;
  let ours = lastOurs;
  if (proto !== lastProto) {
    let seen = prototypes.get(proto);
    if (seen === undefined) prototypes.set(proto, (seen = exposeAuth(proto)));
    lastProto = proto;
    ours = lastOurs = seen;
  }
  return ours && !Object.prototype.hasOwnProperty.call(req, 'auth') ? locals : null;
}

function setAuth(req: Request, slot: AuthSlot | null, value: ScopeGateAuth): void {
  if (slot === null) req.auth = value;
  else slot[AUTH] = value;
}

/** Give a request prototype the `auth` accessor, unless it has an `auth` already. */
function exposeAuth(proto: object): boolean {
  if (Object.getOwnPropertyDescriptor(proto, 'auth') !== undefined) return false;
  Object.defineProperty(proto, 'auth', {
    configurable: true,
    enumerable: false,
    get(this: Request): ScopeGateAuth | undefined {
      return (this.res?.locals as Record<PropertyKey, ScopeGateAuth | undefined> | undefined)?.[AUTH];
    },
    set(this: Request, value: ScopeGateAuth | undefined) {
      const locals = this.res?.locals as Record<PropertyKey, unknown> | undefined;
      if (locals) locals[AUTH] = value;
      else Object.defineProperty(this, 'auth', { value, writable: true, enumerable: true, configurable: true });
    },
  });
  return true;
}

/**
 * `req.path` without calling its getter: Express's `req.path`, and the path its router matches,
 * are `parseurl(req).pathname`, and for a target that starts with `/` and holds no whitespace,
 * `#`, U+00A0 or U+FEFF, parseurl's fast parse makes that `req.url` up to the first `?`. The same
 * test here; any other target is left to `req.path` itself. Why: on the objects Express
 * re-prototypes per request, the getter costs more than the rest of the lookup (and one native
 * RegExp scan costs half a loop over the characters).
 */
const NOT_PLAIN_TARGET = /[\t\n\f\r #\u00a0\ufeff]/;
function pathOf(req: Request): string {
  const url = req.url;
  if (typeof url !== 'string' || url.charCodeAt(0) !== 0x2f /* / */ || NOT_PLAIN_TARGET.test(url)) return req.path;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
