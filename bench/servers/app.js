'use strict';
/**
 * One server of the HTTP benchmark, in its own process: `node app.js <mode>`. Prints
 * `READY <port>` when listening on 127.0.0.1. Keys and tokens come from the environment.
 */
const http = require('node:http');
const inspector = require('node:inspector');
const express = require('express');

const mode = process.argv[2];
const route = '/environments/:environmentId/users';
const handler = (req, res) => res.json({ users: [], env: req.params.environmentId });
const { BENCH_JWKS_URL: jwksUri, BENCH_ISSUER: issuer, BENCH_AUDIENCE: audience, BENCH_UPSTREAM: upstream } = process.env;

async function app() {
  const a = express();
  a.set('etag', false);
  if (mode === 'bare' || mode === 'upstream') {
    a.get(route, handler);
  } else if (mode === 'noop') {
    // Named: the benchmark finds it in CPU profiles, to take its cost from the gate's.
    a.use(function noopMiddleware(_req, _res, next) {
      next();
    });
    a.get(route, handler);
  } else if (mode === 'scopegate') {
    const { scopeGate } = require('@scopegate/express');
    const { dynamicTable } = require('@scopegate/dynamic');
    a.use(scopeGate({ routes: dynamicTable, verifier: { algorithms: ['ES256'], jwksUri, issuer, audience } }));
    a.get(route, handler);
  } else if (mode === 'auth0') {
    const { auth, requiredScopes } = require('express-oauth2-jwt-bearer');
    a.use(auth({ jwksUri, issuer, audience, tokenSigningAlg: 'ES256' }));
    a.get(route, requiredScopes('environment.users.read'), handler);
  } else if (mode === 'node-proxy') {
    // No framework at all: node:http in, node:http out over a keep-alive agent. A reference for
    // what the proxy hop itself costs here with Node's own client.
    const target = new URL(upstream);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    return (req, res) => {
      const headers = { ...req.headers, host: target.host };
      delete headers.connection;
      const out = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
      req.pipe(out);
    };
  } else if (mode === 'bare-proxy') {
    // The proxy floor: node:http in, an undici pool out (the gateway's own client, same pool
    // size), no gate, no logs, no metrics; only the headers undici refuses to send are dropped.
    const { Pool } = require('undici');
    const pool = new Pool(upstream, { connections: 128 });
    const DROP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'te', 'host']);
    return (req, res) => {
      const raw = req.rawHeaders;
      const headers = [];
      for (let i = 0; i < raw.length; i += 2) if (!DROP.has(raw[i].toLowerCase())) headers.push(raw[i], raw[i + 1]);
      pool.stream({ path: req.url, method: req.method, headers, body: req.headers['content-length'] || req.headers['transfer-encoding'] ? req : null }, ({ statusCode, headers: h }) => {
        delete h.connection;
        delete h['keep-alive'];
        delete h['transfer-encoding'];
        res.writeHead(statusCode, h);
        return res;
      }, (err) => {
        if (err) res.headersSent ? res.destroy() : res.writeHead(502).end();
      });
    };
  } else if (mode === 'gateway' || mode === 'gateway-quiet') {
    // The example gateway as `npm start` runs it: metrics recorded, and (`gateway`) its access
    // log at info with `npm start`'s logger, written to /dev/null; `gateway-quiet` logs nothing.
    const pino = require('pino');
    const { createVerifier } = require('@scopegate/core');
    const { dynamicTable } = require('@scopegate/dynamic');
    const { createGateway, createMetrics, gatewayLogger } = require('@scopegate/example-gateway');
    const verifier = createVerifier({ algorithms: ['ES256'], jwksUri, issuer, audience });
    return createGateway({
      upstreamUrl: new URL(upstream),
      table: dynamicTable,
      verifier,
      logger: mode === 'gateway' ? gatewayLogger('info', { dest: '/dev/null' }) : pino({ level: 'silent' }),
      metrics: createMetrics(verifier, null),
    });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  return a;
}

app().then((a) => {
  const server = http.createServer(a);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(`READY ${server.address().port}`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
  // CPU time used so far (µs, user + system), for the benchmark's CPU-per-request figures; and
  // profiles of a window the benchmark chooses (after warm-up), written to the file it names.
  let stopProfiling = null;
  process.on('message', (m) => {
    if (m === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send({ cpu: user + system });
    } else if (m?.profile === 'start') {
      startProfiling(m).then((stop) => ((stopProfiling = stop), process.send({ profiling: true })), () => process.send({ profiling: false }));
    } else if (m?.profile === 'stop') {
      stopProfiling(m.file).then(() => process.send({ profiled: true }), () => process.send({ profiled: false }));
    }
  });
});

/**
 * V8's CPU sampling profiler, and its allocation sampler keeping what has been collected since
 * (young garbage is the point: a middleware's allocations cost garbage collection, not live
 * memory). Resolves with the function that stops both and writes `{ cpu, heap }` to a file.
 */
async function startProfiling({ intervalUs, heapIntervalBytes }) {
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) => new Promise((ok, fail) => session.post(method, params, (err, res) => (err ? fail(err) : ok(res))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: intervalUs });
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: heapIntervalBytes, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  await post('Profiler.start');
  return async (file) => {
    const { profile: cpu } = await post('Profiler.stop');
    const { profile: heap } = await post('HeapProfiler.stopSampling');
    require('node:fs').writeFileSync(file, JSON.stringify({ cpu, heap }));
    session.disconnect();
  };
}
