/**
 * `WORKERS` > 1: that many gateway processes on one port (node:cluster; the primary accepts and
 * hands connections round-robin), and the primary keeping them: the start-up banner once every
 * worker listens, a worker that dies restarted, `/metrics` as the aggregate of all workers
 * (prom-client's AggregatorRegistry), and a graceful stop of all on SIGTERM/SIGINT.
 *
 * The primary runs no gateway itself: it holds no keys, no tokens and no upstream connection.
 */
import cluster, { type Worker } from 'node:cluster';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import type { GatewayConfig } from './config';
import { metricsServer, type MetricsSource } from './metrics-server';
import type { WorkerRole } from './run';

const ASK = 'scopegate:metrics?';
const ANSWER = 'scopegate:metrics';

interface MetricsAsk {
  type: typeof ASK;
  id: number;
}
interface MetricsAnswer {
  type: typeof ANSWER;
  id: number;
  contentType?: string;
  text?: string;
  failed?: boolean;
}

export interface ClusterOptions {
  /** Called once every worker listens, with the address they share. */
  onListening?: (url: string, metricsUrl: string | null) => void;
  /** How long workers may finish in-flight requests on stop, ms. Default 10000. */
  graceMs?: number;
}

/**
 * Run the primary: fork `config.workers` workers (each runs this program again and sees
 * `cluster.isWorker`), and resolve with a function that stops them all.
 *
 * @example
 * if (config.workers > 1 && cluster.isPrimary) await runCluster(config, logger, { onListening: (url) => console.log(url) });
 */
export async function runCluster(config: GatewayConfig, logger: Logger, options: ClusterOptions = {}): Promise<() => Promise<void>> {
  const graceMs = options.graceMs ?? 10_000;
  const aggregator = new AggregatorRegistry();
  const aggregate: MetricsSource = async () => ({ contentType: aggregator.contentType, text: await aggregator.clusterMetrics() });
  let stopping = false;
  let metrics: http.Server | null = null;

  const answerMetrics = (worker: Worker, message: unknown) => {
    const m = message as MetricsAsk | null;
    if (m === null || typeof m !== 'object' || m.type !== ASK || typeof m.id !== 'number') return;
    aggregate().then(
      ({ contentType, text }) => worker.isConnected() && worker.send({ type: ANSWER, id: m.id, contentType, text } satisfies MetricsAnswer),
      () => worker.isConnected() && worker.send({ type: ANSWER, id: m.id, failed: true } satisfies MetricsAnswer),
    );
  };

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', (message) => answerMetrics(worker, message));
    return worker;
  };

  // Start: every worker must come up; one that exits first fails the start (a bad port, say).
  const workers = Array.from({ length: config.workers }, fork);
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    let listening = 0;
    let first: AddressInfo | null = null;
    const onListening = (_w: Worker, a: AddressInfo) => {
      first ??= a;
      if (++listening === workers.length) done(null);
    };
    const onExit = (w: Worker, code: number | null) => done(new Error(`worker ${w.id} exited with ${code} before listening`));
    const done = (err: Error | null) => {
      cluster.off('listening', onListening);
      cluster.off('exit', onExit);
      if (err) reject(err);
      else resolve(first!);
    };
    cluster.on('listening', onListening);
    cluster.on('exit', onExit);
  }).catch(async (err: unknown) => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    throw err;
  });

  // A worker that dies after the start is replaced, at most once a second.
  let lastRestart = 0;
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.error({ worker: worker.id, code, signal }, 'worker exited; starting another');
    const wait = Math.max(0, lastRestart + 1000 - Date.now());
    lastRestart = Date.now() + wait;
    setTimeout(() => {
      if (!stopping) fork();
    }, wait).unref();
  });

  if (config.metricsPort !== null) {
    metrics = metricsServer(aggregate, logger);
    await new Promise<void>((resolve) => metrics!.listen(config.metricsPort!, config.host, resolve));
  }
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const metricsUrl = metrics ? `http://${host}:${(metrics.address() as AddressInfo).port}/metrics` : null;
  logger.info({ workers: workers.length, port: address.port }, 'workers listening');
  options.onListening?.(`${config.tls ? 'https' : 'http'}://${host}:${address.port}`, metricsUrl);

  let stopped: Promise<void> | null = null;
  return () => {
    stopped ??= (async () => {
      stopping = true;
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      await Promise.all(
        alive.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              const kill = setTimeout(() => w.process.kill('SIGKILL'), graceMs + 2000);
              w.once('exit', () => {
                clearTimeout(kill);
                resolve();
              });
              // Each worker stops itself: no new connections, in-flight requests finished.
              w.process.kill('SIGTERM');
            }),
        ),
      );
      if (metrics) await new Promise<void>((resolve) => metrics!.close(() => resolve()));
    })();
    return stopped;
  };
}

/**
 * A worker's side: its registry answers the primary's aggregation, and its `/metrics` asks the
 * primary for the aggregate (any worker may get the scrape; each alone knows only its share).
 */
export function workerRole(timeoutMs = 5000): WorkerRole {
  let next = 0;
  const waiting = new Map<number, (answer: MetricsAnswer) => void>();
  process.on('message', (message: unknown) => {
    const m = message as MetricsAnswer | null;
    if (m && typeof m === 'object' && m.type === ANSWER) waiting.get(m.id)?.(m);
  });
  // Concurrent scrapes share one ask: /metrics is anonymous, and each ask makes every worker answer.
  let inFlight: Promise<{ contentType: string; text: string }> | null = null;
  const ask = (): Promise<{ contentType: string; text: string }> =>
    new Promise((resolve, reject) => {
      // After the primary left (a worker finishing its requests), there is no one to ask:
      // process.send would raise an unhandled 'error' and kill the worker.
      if (!process.connected || !process.send) return reject(new Error('no primary'));
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the primary did not answer'));
      }, timeoutMs);
      waiting.set(id, (answer) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (answer.failed || answer.text === undefined) reject(new Error('aggregation failed'));
        else resolve({ contentType: answer.contentType ?? 'text/plain', text: answer.text });
      });
      process.send({ type: ASK, id } satisfies MetricsAsk, undefined, undefined, (err: Error | null) => {
        if (!err) return;
        clearTimeout(timer);
        waiting.delete(id);
        reject(err);
      });
    });
  return {
    metricsText: () => (inFlight ??= ask().finally(() => (inFlight = null))),
    registerMetrics: (registry) => {
      AggregatorRegistry.setRegistries([registry]);
      // prom-client answers the primary's requests only once an AggregatorRegistry was made in
      // this process (its constructor installs the worker's message listener).
      new AggregatorRegistry();
    },
  };
}
