/**
 * A gateway for tests on 127.0.0.1: its access log captured as parsed lines, and every client
 * connection tracked — tunnels too, which a server's closeAllConnections does not reach.
 */
import type http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createGatewayServer, type Gateway, type GatewayOptions, type GatewayTls } from '../../src/gateway';

export type LogLine = Record<string, unknown>;

export interface TestGateway {
  port: number;
  server: http.Server;
  gateway: Gateway;
  /** The log lines so far (info and above), parsed. */
  lines: LogLine[];
  /** Every client connection, tunnels included. */
  sockets: Set<Socket>;
  /** Cut every connection and tunnel, then close the server (the upstream pool stays: `gateway.close()`). */
  stopServer(): Promise<void>;
}

/** `tls`: an HTTPS gateway (see createGatewayServer). */
export async function startTestGateway(options: Omit<GatewayOptions, 'logger'>, tls?: GatewayTls): Promise<TestGateway> {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  const { server, gateway } = createGatewayServer({ ...options, logger: pino({ level: 'info' }, sink) }, tls);
  const sockets = new Set<Socket>();
  // Over TLS, 'connection' gives the raw TCP socket: tracked all the same.
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    gateway,
    lines,
    sockets,
    async stopServer() {
      gateway.destroyTunnels();
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
