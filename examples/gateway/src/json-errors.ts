/**
 * JSON error answers without stacks, for the gateway and the demo upstream.
 *
 * Why: Express's own error handler answers an HTML page holding the error's stack (and with it
 * the install path) unless NODE_ENV is production, and an error's message may quote the request
 * (a JSON parser's message quotes the body, which may hold a secret). So every error an app hands
 * to `next(err)` becomes `{"error": "<fixed text>"}`: a client error (4xx) keeps its status and
 * gets a fixed phrase for what was wrong, anything else is 500 "Internal Server Error". The
 * error's own message is never sent; it is logged for server errors only, with token-like text cut.
 */
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';

/** Fixed answers for the body parser's client errors (body-parser's `type`). */
const BODY_ERRORS = new Map<string, string>([
  ['entity.parse.failed', 'Malformed JSON body'],
  ['entity.too.large', 'Body too large'],
  ['entity.verify.failed', 'Body refused'],
  ['charset.unsupported', 'Unsupported charset'],
  ['encoding.unsupported', 'Unsupported Content-Encoding'],
  ['request.aborted', 'Request aborted'],
  ['request.size.invalid', 'Body length does not match Content-Length'],
]);

export interface ErrorAnswer {
  status: number;
  /** The body's `error`: a fixed text, never the error's message. */
  error: string;
}

interface ErrorFields {
  name?: unknown;
  message?: unknown;
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  code?: unknown;
}

const fields = (err: unknown): ErrorFields => (err !== null && typeof err === 'object' ? (err as ErrorFields) : {});

/** What to answer for an error: its 4xx status with a fixed text, or 500. */
export function errorAnswer(err: unknown): ErrorAnswer {
  const e = fields(err);
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (Number.isInteger(status) && status >= 400 && status <= 499) {
    const fixed = typeof e.type === 'string' ? BODY_ERRORS.get(e.type) : undefined;
    return { status, error: fixed ?? STATUS_CODES[status] ?? 'Bad Request' };
  }
  return { status: 500, error: 'Internal Server Error' };
}

/** Three dot-separated base64url runs: a JWT, or something shaped like one. Cut from logged messages. */
const TOKEN_LIKE = /[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*/g;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The loggable part of an error: name, type and code; the message only for server errors, cut to 200 characters. */
function describe(err: unknown, serverError: boolean): Record<string, unknown> {
  const e = fields(err);
  const out: Record<string, unknown> = { name: typeof e.name === 'string' ? e.name : typeof err };
  if (typeof e.type === 'string') out.type = e.type;
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  if (serverError && typeof e.message === 'string') out.message = e.message.replace(TOKEN_LIKE, '[redacted]').slice(0, 200);
  return out;
}

export interface JsonErrorHandlerOptions {
  logger: Logger;
  /** Names the app in the log lines, e.g. `'gateway'` or `'demo-upstream'`. */
  source: string;
}

/**
 * The last middleware of an app: answers `{"error": …}` (see `errorAnswer`) and logs the error,
 * server errors at error level, client errors at info. Never the token, the query or the body.
 * When the response has begun, nothing safe can be added: the connection is cut instead.
 *
 * @example
 * app.use(jsonErrorHandler({ logger, source: 'gateway' }));
 */
export function jsonErrorHandler(options: JsonErrorHandlerOptions): ErrorRequestHandler {
  const { logger, source } = options;
  return (err, req, res, _next) => {
    const answer = errorAnswer(err);
    const incomingId = req.get('x-request-id');
    const line = {
      source,
      ...(incomingId && REQUEST_ID.test(incomingId) ? { reqId: incomingId } : {}),
      method: req.method,
      path: req.originalUrl.split('?')[0],
      status: answer.status,
      err: describe(err, answer.status >= 500),
    };
    if (answer.status >= 500) logger.error(line, 'request failed');
    else logger.info(line, 'request refused: client error');
    if (res.headersSent) {
      req.socket.destroy();
      return;
    }
    // The failed handler may have set its own Content-Type (res.json keeps one already set).
    res.status(answer.status).set('Content-Type', 'application/json; charset=utf-8').json({ error: answer.error });
  };
}
