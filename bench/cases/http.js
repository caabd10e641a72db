'use strict';
/**
 * HTTP end to end on loopback with autocannon: each server in its own process, the load
 * generator in this one, bounded duration. Same route, same ES256 token (verifiers cache it).
 */
const http = require('node:http');
const { fork } = require('node:child_process');
const path = require('node:path');
const autocannon = require('autocannon');

function startServer(mode, env) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, '..', 'servers', 'app.js'), [mode], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    const timer = setTimeout(() => reject(new Error(`${mode} did not start`)), 15_000);
    child.stdout.on('data', (d) => {
      const m = /READY (\d+)/.exec(String(d));
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) });
      }
    });
    child.once('exit', (code) => reject(new Error(`${mode} exited with ${code}`)));
  });
}

async function jwksServer(jose) {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256');
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const issuer = 'https://issuer.bench/';
  const audience = 'bench-api';
  const token = await new jose.SignJWT({ scope: 'environment.users.read' })
    .setProtectedHeader({ alg: 'ES256', kid: 'bench' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject('bench-user')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);
  return { url: `http://127.0.0.1:${server.address().port}/jwks.json`, issuer, audience, token, close: () => new Promise((r) => server.close(r)) };
}

async function load(port, token, duration) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/environments/env-1/users`,
    connections: 20,
    duration,
    headers: { authorization: `Bearer ${token}` },
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors, requests: result.requests.total };
}

async function run({ quick }) {
  const jose = require('jose');
  const keys = await jwksServer(jose);
  const env = { BENCH_JWKS_URL: keys.url, BENCH_ISSUER: keys.issuer, BENCH_AUDIENCE: keys.audience };
  const duration = quick ? 2 : 5;
  const rounds = quick ? 1 : 2;
  const upstream = await startServer('upstream', env);
  const modes = ['bare', 'noop', 'scopegate', 'auth0', 'proxy', 'gateway'];
  const servers = {};
  for (const mode of modes) servers[mode] = await startServer(mode, { ...env, BENCH_UPSTREAM: `http://127.0.0.1:${upstream.port}` });
  servers['upstream direct'] = upstream;
  const runs = Object.fromEntries(Object.keys(servers).map((m) => [m, []]));
  try {
    for (const mode of Object.keys(servers)) await load(servers[mode].port, keys.token, 1); // warm-up: JIT, key fetch, caches
    for (let r = 0; r < rounds; r++) {
      // Alternate the order each round so drift does not favour one case.
      const order = r % 2 === 0 ? Object.keys(servers) : Object.keys(servers).reverse();
      for (const mode of order) runs[mode].push(await load(servers[mode].port, keys.token, duration));
    }
  } finally {
    for (const s of Object.values(servers)) await s.stop();
    await keys.close();
  }
  const mean = (xs, k) => xs.reduce((a, x) => a + x[k], 0) / xs.length;
  return Object.fromEntries(
    Object.entries(runs).map(([mode, xs]) => [
      mode,
      { rps: mean(xs, 'rps'), p50: mean(xs, 'p50'), p99: mean(xs, 'p99'), non2xx: xs.reduce((a, x) => a + x.non2xx, 0), errors: xs.reduce((a, x) => a + x.errors, 0), requests: xs.reduce((a, x) => a + x.requests, 0) },
    ]),
  );
}

module.exports = { run };
