/**
 * A real RFC 7662 introspection endpoint on 127.0.0.1 (node:http) for tests: it checks the
 * request as an authorization server would (POST, form body, client authentication), records
 * every request it sees, answers from a table of active tokens, and can be told to answer
 * anything else (junk, redirects, errors) or nothing at all. Also: a TCP server that accepts
 * and never answers, and a URL where nothing listens.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

/** A request as the endpoint saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawBody: string;
  readonly form: URLSearchParams;
}

/**
 * What to answer instead of the default. `'stall'` answers nothing, ever; `'stall-body'` sends a
 * 200 JSON head and the first bytes of the body, then nothing.
 */
export type Reply = { status?: number; headers?: Record<string, string>; body?: string | Buffer } | 'stall' | 'stall-body';

/** Which client the endpoint accepts (and how it checks the request's authentication). */
export type ExpectedClient =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; clientSecret: string }
  | { method: 'bearer'; token: string }
  | null;

export interface IntrospectionServer {
  /** The endpoint URL (`http://127.0.0.1:<port>/introspect`). */
  readonly url: string;
  /** Every request that reached the endpoint path, in order. */
  readonly requests: SeenRequest[];
  /** Active tokens and their claims (answered with `active: true` added). */
  readonly tokens: Map<string, Record<string, unknown>>;
  /** The client the endpoint accepts; `null` accepts any. */
  client: ExpectedClient;
  /** When set, answers every request (after the client is authenticated). */
  reply: ((req: SeenRequest) => Reply) | null;
  /** Delay before each answer, ms. */
  delay: number;
  close(): Promise<void>;
}

const PATH = '/introspect';

/** RFC 6749 Appendix B decoding of one form-urlencoded value. */
export function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/** Whether the request authenticates `client` the way RFC 6749 §2.3.1 (or RFC 6750) says. */
function authenticated(req: SeenRequest, client: ExpectedClient): boolean {
  if (client === null) return true;
  const authorization = req.headers.authorization;
  if (client.method === 'bearer') return authorization === `Bearer ${client.token}` && !req.form.has('client_secret');
  if (client.method === 'client_secret_post') {
    return authorization === undefined && req.form.get('client_id') === client.clientId && req.form.get('client_secret') === client.clientSecret;
  }
  const m = /^Basic ([A-Za-z0-9+/]+=*)$/.exec(authorization ?? '');
  if (!m || req.form.has('client_secret')) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  try {
    return formDecode(decoded.slice(0, colon)) === client.clientId && formDecode(decoded.slice(colon + 1)) === client.clientSecret;
  } catch {
    return false;
  }
}

export async function startIntrospectionServer(client: ExpectedClient = null): Promise<IntrospectionServer> {
  const stalled: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      if (path !== PATH) return void res.writeHead(404).end();
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const seen: SeenRequest = { method: req.method ?? '', path, headers: req.headers, rawBody, form: new URLSearchParams(rawBody) };
      state.requests.push(seen);
      const send = () => {
        if (res.destroyed) return;
        if (seen.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
        if ((req.headers['content-type'] ?? '').split(';')[0] !== 'application/x-www-form-urlencoded') {
          return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_request"}');
        }
        if (!authenticated(seen, state.client)) {
          return void res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="introspect"' }).end('{"error":"invalid_client"}');
        }
        if (state.reply) {
          const r = state.reply(seen);
          if (r === 'stall') return void stalled.push(res);
          if (r === 'stall-body') {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.write('{"active":');
            return void stalled.push(res);
          }
          res.writeHead(r.status ?? 200, r.headers ?? { 'content-type': 'application/json' }).end(r.body ?? '');
          return;
        }
        const token = seen.form.get('token');
        const claims = token !== null ? state.tokens.get(token) : undefined;
        const body = claims ? { active: true, ...claims } : { active: false };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (state.delay > 0) setTimeout(send, state.delay);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const state: IntrospectionServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`,
    requests: [],
    tokens: new Map(),
    client,
    reply: null,
    delay: 0,
    close: async () => {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}

/** A TCP server on 127.0.0.1 that accepts connections and never writes a byte. */
export async function startSilentServer(): Promise<{ url: string; connections: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const state = {
    url: '',
    connections: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.resume(); // read and drop the request; answer nothing
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`;
  return state;
}

/** A loopback URL where nothing listens (a port that was just free): connections are refused. */
export async function deadUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}${PATH}`;
}

/** A random opaque token (token68, 32 bytes of entropy). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Settle a promise into a value or an error, for assertions on refusals. */
export const settle = <T>(p: Promise<T>) => p.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }));
