/**
 * One HTTP request over a real loopback socket, the path sent exactly as written (so a
 * percent-encoded variant reaches the server as such), the JSON body parsed when there is one.
 */
import http from 'node:http';

export interface Sent {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body, or `undefined` for an empty one. */
  body: unknown;
}

export function send(baseUrl: string, method: string, path: string, options: { token?: string; body?: unknown; requestId?: string } = {}): Promise<Sent> {
  const base = new URL(baseUrl);
  if (base.hostname !== '127.0.0.1') throw new Error(`loopback only, got ${base.hostname}`);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.requestId !== undefined) headers['x-request-id'] = options.requestId;
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path, headers, timeout: 5000, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode!, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) });
        } catch (err) {
          reject(new Error(`${method} ${path}: not JSON (${res.statusCode}): ${text.slice(0, 200)}`, { cause: err }));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * The gate's challenge for a path param not bound to the token (Dynamic's `environmentId`), as
 * the embedded demo answers it: DPoP is on there (DPOP=allowed), so a `DPoP` challenge with the
 * proof algorithms follows the `Bearer` one that carries the error (RFC 9449 §7.1).
 */
export const ENVIRONMENT_BINDING_CHALLENGE =
  'Bearer realm="api", error="insufficient_scope", error_description="The token is not bound to this environmentId (claim environment_id)", DPoP realm="api", algs="ES256 EdDSA PS256 RS256"';

/** Percent-encode every character of `s` (`%62` for `b`): a variant of the same decoded value. */
export const encodeAll = (s: string): string => [...s].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');

/** Percent-encode only the first character, upper-case hex digits (`%37d8e…`). */
export const encodeFirst = (s: string): string => `%${s.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}${s.slice(1)}`;
