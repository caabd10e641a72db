/**
 * The separate metrics server of `METRICS_PORT`: `GET /metrics` in Prometheus text format, a
 * JSON 404 for anything else, and a JSON 500 (the error's name logged, never its message) when
 * the registry fails. node:http, like the gateway: nothing to route but one path.
 */
import http from 'node:http';
import type { Logger } from 'pino';

/** Where the text comes from: this process's registry, or the primary's aggregate of all workers. */
export type MetricsSource = () => Promise<{ contentType: string; text: string }>;

const json = (res: http.ServerResponse, status: number, error: string) => {
  const body = JSON.stringify({ error });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
};

/** An unstarted server answering `GET /metrics` from `source`. */
export function metricsServer(source: MetricsSource, logger: Logger): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') return json(res, 404, 'Not Found');
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, 'Method Not Allowed');
    source().then(
      ({ contentType, text }) => void res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) }).end(text),
      (err: unknown) => {
        logger.error({ source: 'metrics', err: { name: (err as Error)?.name ?? typeof err } }, 'request failed');
        json(res, 500, 'Internal Server Error');
      },
    );
  });
}
