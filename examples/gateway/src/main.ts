#!/usr/bin/env node
/**
 * `npm start`: the gateway from environment and flags; the embedded demo when nothing is set.
 * With `WORKERS` > 1 this process is the cluster's primary and each worker runs it again.
 */
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { runCluster, workerRole } from './cluster';
import { GatewayConfigError, helpText, HelpRequested, loadConfig } from './config';
import { gatewayLogger } from './log';
import { banner, startGateway } from './run';

async function main(): Promise<void> {
  // Production unless told otherwise: Express (the demo upstream) answers the errors it handles
  // itself with their stack outside production. Set before any app is created.
  if (!process.env.NODE_ENV) process.env.NODE_ENV = 'production';
  let config;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(helpText());
      process.exit(0);
    }
    if (err instanceof GatewayConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = gatewayLogger(config.logLevel);
  if (process.env.NODE_ENV !== 'production' && !cluster.isWorker) {
    logger.warn({ nodeEnv: process.env.NODE_ENV }, 'NODE_ENV is not production: Express may answer errors it handles itself with a stack');
  }

  if (config.workers > 1 && cluster.isPrimary) {
    const stopAll = await runCluster(config, logger, {
      onListening: (url, metricsUrl) =>
        console.log([`scopegate gateway listening on ${url} (${config.workers} workers)`, `  health:  curl -i ${url}/healthz`, `  ready:   curl -i ${url}/readyz`, `  metrics: curl -s ${metricsUrl ?? `${url}/metrics`}`].join('\n')),
    });
    onStop(logger, stopAll);
    return;
  }

  const gateway = await startGateway(config, logger, cluster.isWorker ? workerRole() : undefined);
  if (!cluster.isWorker) console.log(banner(gateway));
  onStop(logger, () => gateway.close());
  // A worker whose primary is gone stops too.
  if (cluster.isWorker) process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

/** SIGTERM/SIGINT: stop accepting, finish in-flight requests, exit 0 (1 if stopping failed). */
function onStop(logger: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`gateway failed to start: ${(err as Error).message}`);
  process.exit(1);
});
