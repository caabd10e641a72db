#!/usr/bin/env node
/** `npm start`: the gateway from environment and flags; the embedded demo when nothing is set. */
import pino from 'pino';
import { GatewayConfigError, helpText, HelpRequested, loadConfig } from './config';
import { banner, startGateway } from './run';

async function main(): Promise<void> {
  // Production unless told otherwise: Express answers the errors it handles itself with their
  // stack (and the install path) outside production. The gateway's and the demo's own error
  // handlers answer JSON already; this covers anything that still reaches Express's. Set before
  // any app is created: Express reads NODE_ENV when an app is made.
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
  const logger = pino({ level: config.logLevel });
  if (process.env.NODE_ENV !== 'production') {
    logger.warn({ nodeEnv: process.env.NODE_ENV }, 'NODE_ENV is not production: Express may answer errors it handles itself with a stack');
  }
  const gateway = await startGateway(config, logger);
  console.log(banner(gateway));

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    gateway.close().then(
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
