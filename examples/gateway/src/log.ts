/**
 * The gateway's logger: pino, JSON lines, written in batches.
 *
 * Why batched: the access log writes a line per request, and writing each line is a system call
 * per request (on a pipe to a log collector, one that can block). Lines are buffered up to 4 KiB
 * and written together, synchronously (measured here: cheaper per line than both a write per
 * line and pino's asynchronous mode, which hands every batch to libuv's thread pool), and never
 * held longer than `flushMs`, so a quiet gateway's lines still appear promptly; what is left is
 * written at exit. A process killed with SIGKILL may lose its last `flushMs` of lines.
 */
import pino, { type Logger } from 'pino';

export interface GatewayLoggerOptions {
  /** File descriptor or path. Default 1 (stdout). */
  dest?: number | string;
  /** Longest a line waits in the buffer, ms. Default 200. */
  flushMs?: number;
}

/**
 * @example
 * const logger = gatewayLogger('info');
 */
export function gatewayLogger(level: string, options: GatewayLoggerOptions = {}): Logger {
  const stream = pino.destination({ dest: options.dest ?? 1, sync: true, minLength: 4096 });
  let pending = false;
  const timer = setInterval(() => {
    if (!pending) return;
    pending = false;
    try {
      stream.flush();
    } catch {
      // Destroyed (closing): nothing left to flush.
    }
  }, options.flushMs ?? 200);
  timer.unref();
  // pino flushes a buffered synchronous stream on exit only if told to: 'exit' still may write.
  process.once('exit', () => {
    try {
      stream.flushSync();
    } catch {
      // Already closed.
    }
  });
  return pino({
    level,
    hooks: {
      streamWrite: (line) => {
        pending = true;
        return line;
      },
    },
  }, stream);
}
