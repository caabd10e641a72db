/**
 * A real Express 5 app built from route rules (one handler per rule, registered in rule order,
 * each answering which rule ran), listening on loopback, and a raw HTTP client that sends the
 * request target byte for byte (no normalisation). Shared by the cross-check tests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { RouteRule } from '@scopegate/core';

export interface Outcome {
  status: number;
  /** Index of the rule whose handler ran, or null. */
  rule: number | null;
  params: Record<string, unknown> | null;
}

export interface Harness {
  request(method: string, target: string): Promise<Outcome>;
  close(): Promise<void>;
}

export async function startExpress(
  rules: readonly RouteRule[],
  options: { caseSensitive?: boolean; strict?: boolean } = {},
): Promise<Harness> {
  const app = express();
  app.set('case sensitive routing', options.caseSensitive ?? false);
  app.set('strict routing', options.strict ?? false);
  rules.forEach((rule, index) => {
    const route = app.route(rule.path);
    for (const method of [rule.method].flat()) {
      (route as unknown as Record<string, (h: express.RequestHandler) => void>)[method.toLowerCase()]!((req, res) => {
        res.set('x-rule', String(index)).json({ params: req.params });
      });
    }
  });
  app.use((err: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err.status ?? 500).end();
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  return {
    request: (method, target) =>
      new Promise<Outcome>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method, path: target, agent }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => {
            const header = res.headers['x-rule'];
            const ran = typeof header === 'string' ? Number(header) : null;
            resolve({
              status: res.statusCode ?? 0,
              rule: ran,
              params: ran !== null && body ? (JSON.parse(body) as { params: Record<string, unknown> }).params : null,
            });
          });
        });
        req.setTimeout(5000, () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
      }),
    close: async () => {
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
