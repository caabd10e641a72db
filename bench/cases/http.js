'use strict';
/**
 * HTTP end to end on loopback with autocannon: each server in its own process, the load
 * generator in this one, bounded duration. Same route, same ES256 token (verifiers cache it).
 */
const http = require('node:http');
const { execFileSync, fork } = require('node:child_process');
const os = require('node:os');
const fs = require('node:fs');
const path = require('node:path');
const autocannon = require('autocannon');
const { middlewareShare, allocationShare } = require('../lib/profile-share');

/**
 * Pin a process (all its threads) to CPUs with taskset, when there is more than one CPU and
 * taskset exists; returns whether it did. The load generator gets CPU 0, the servers the rest,
 * so the generator never takes CPU time from the server it measures.
 */
function pin(pid, cpus) {
  if (process.env.BENCH_NO_PIN || os.cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const SERVER_CPUS = () => `1-${os.cpus().length - 1}`;

/** Start a server process (bench/servers/app.js), pinned to the server CPUs. */
function startServer(mode, env) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, '..', 'servers', 'app.js'), [SERVER[mode] ?? mode], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    const timer = setTimeout(() => reject(new Error(`${mode} did not start`)), 15_000);
    child.stdout.on('data', (d) => {
      const m = /READY (\d+)/.exec(String(d));
      if (m) {
        clearTimeout(timer);
        pin(child.pid, SERVER_CPUS());
        resolve({
          port: Number(m[1]),
          stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }),
          /** CPU µs the server process has used so far. */
          cpu: () => new Promise((r) => { child.once('message', (msg) => r(msg.cpu)); child.send('cpu'); }),
          /** Start V8's sampling profiler in the server (resolves once it runs). */
          startProfile: (intervalUs, heapIntervalBytes) => new Promise((r, j) => { child.once('message', (msg) => (msg.profiling ? r() : j(new Error(`${mode}: profiler did not start`)))); child.send({ profile: 'start', intervalUs, heapIntervalBytes }); }),
          /** Stop it, the profile written to `file`. */
          stopProfile: (file) => new Promise((r, j) => { child.once('message', (msg) => (msg.profiled ? r() : j(new Error(`${mode}: no profile`)))); child.send({ profile: 'stop', file }); }),
        });
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
  // The environment the load's path names: dynamicTable binds :environmentId to this claim.
  const token = await new jose.SignJWT({ scope: 'environment.users.read', environment_id: 'env-1' })
    .setProtectedHeader({ alg: 'ES256', kid: 'bench' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject('bench-user')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);
  return { url: `http://127.0.0.1:${server.address().port}/jwks.json`, issuer, audience, token, close: () => new Promise((r) => server.close(r)) };
}

/** One bounded load; also the server's CPU time per request (its own process only). */
async function load(server, token, duration) {
  const cpuBefore = await server.cpu();
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}/environments/env-1/users`,
    connections: 20,
    duration,
    headers: { authorization: `Bearer ${token}` },
  });
  const cpuUs = ((await server.cpu()) - cpuBefore) / Math.max(1, result.requests.total);
  return { rps: result.requests.average, cpuUs, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors, requests: result.requests.total };
}

/**
 * Seconds of load before a server is measured. Traced with --trace-opt/--trace-deopt under this
 * load, V8 still optimizes and deoptimizes these apps for 6 to 7 seconds after they start
 * (hundreds of functions in the first second, dozens a second after that), and compiling takes
 * CPU from the requests; after that it is all but quiet. A 1-second warm-up measured the apps
 * mid-compilation, and the scopeGate app, with more code, paid more for it.
 */
const WARM_SECONDS = 7;

/** The comparisons reported: [case, peer]. Each is a ratio of two loads run next to each other. */
const PAIRS = [
  ['noop again', 'noop'],
  ['scopegate', 'noop'],
  ['scopegate', 'auth0'],
  ['gateway', 'upstream direct'],
  ['bare-proxy', 'upstream direct'],
  ['node-proxy', 'upstream direct'],
  ['gateway', 'bare-proxy'],
  ['gateway-quiet', 'bare-proxy'],
];
/** Visiting order within a round: each pair's members adjacent, so drift hits both alike. */
const ORDER = ['noop again', 'noop', 'scopegate', 'auth0', 'bare', 'upstream direct', 'gateway', 'bare-proxy', 'gateway-quiet', 'node-proxy'];
/** The app (bench/servers/app.js mode) behind each name; `noop again` is a second no-op app, an A/A check. */
const SERVER = { 'noop again': 'noop', 'upstream direct': 'upstream' };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * The scopeGate app and the no-op app once more, each profiled by V8 under load after warm-up:
 * the middleware's own share of its server's busy time (samples in it, minus what it calls
 * through the router's `next`), the share spent collecting garbage, and the middleware's share
 * of the bytes allocated. Numerators and denominators come from the same instants, so a busy
 * neighbour slows both alike. The gate's extra cost over the no-op app is the difference of the
 * middleware shares plus its part of garbage collection (GC share × its share of allocations:
 * young-generation collections come as often as bytes are allocated); 1 − extra bounds what the
 * scopeGate app can reach against the no-op app.
 */
async function profileMiddleware(env, token, { warm, seconds, rounds }) {
  // BENCH_KEEP_PROFILES=<dir>: the profiles are left there (cpu and heap per app and round), to read the frames.
  const keep = process.env.BENCH_KEEP_PROFILES;
  const dir = keep ? (fs.mkdirSync(keep, { recursive: true }), keep) : fs.mkdtempSync(path.join(os.tmpdir(), 'scopegate-bench-'));
  const apps = { scopegate: 'scopeGateMiddleware', noop: 'noopMiddleware' };
  // The rest of the app: Express's router and what it calls after the middleware's next().
  const rest = (frame) => frame.url.includes('/node_modules/router/');
  const runs = { scopegate: [], noop: [] };
  try {
    for (let r = 0; r < rounds; r++) {
      for (const mode of r % 2 === 0 ? ['scopegate', 'noop'] : ['noop', 'scopegate']) {
        const server = await startServer(mode, env);
        try {
          await load(server, token, warm);
          const file = path.join(dir, `${mode}-${r}.json`);
          await server.startProfile(200, 4096);
          await load(server, token, seconds);
          await server.stopProfile(file);
          const { cpu, heap } = JSON.parse(fs.readFileSync(file, 'utf8'));
          const time = middlewareShare(cpu, apps[mode], rest);
          const bytes = allocationShare(heap, apps[mode], rest);
          runs[mode].push({ ...time, allocShare: bytes.share, gcPart: time.gcShare * bytes.share });
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
  const summary = (xs) => ({
    share: median(xs.map((x) => x.share)),
    gcShare: median(xs.map((x) => x.gcShare)),
    allocShare: median(xs.map((x) => x.allocShare)),
    gcPart: median(xs.map((x) => x.gcPart)),
    busyMs: xs.reduce((a, x) => a + x.busyMs, 0),
  });
  const extra = runs.scopegate.map((g, i) => g.share + g.gcPart - (runs.noop[i].share + runs.noop[i].gcPart));
  return { gate: summary(runs.scopegate), noop: summary(runs.noop), extra: median(extra), extraMin: Math.min(...extra), extraMax: Math.max(...extra), rounds };
}

/** `modes`: a subset of ORDER (e.g. to rerun one pair); default all. */
async function run({ quick, modes = ORDER, rounds: roundsOption }) {
  const order = ORDER.filter((m) => modes.includes(m));
  const unknown = modes.filter((m) => !ORDER.includes(m));
  if (unknown.length) throw new Error(`unknown HTTP modes ${unknown.join(', ')} (known: ${ORDER.join(', ')})`);
  const pinned = pin(process.pid, '0');
  const jose = require('jose');
  const keys = await jwksServer(jose);
  const env = { BENCH_JWKS_URL: keys.url, BENCH_ISSUER: keys.issuer, BENCH_AUDIENCE: keys.audience };
  // A few rounds, each on freshly started servers warmed until V8 is done optimizing them (see
  // WARM_SECONDS); then short loads of every app in turn, forward then backward, several times:
  // the two apps of a pair are measured seconds apart, so a neighbour's burst on this shared
  // machine hits both alike. Each turn gives one ratio per pair; the median of those is reported.
  const duration = 1;
  const warm = quick ? 1 : WARM_SECONDS;
  const rounds = roundsOption ?? (quick ? 1 : 3);
  const turns = quick ? 1 : 6;
  const runs = Object.fromEntries(order.map((m) => [m, []]));
  let gateProfile = null;
  try {
    for (let r = 0; r < rounds; r++) {
      const servers = {};
      try {
        servers['upstream direct'] = await startServer('upstream direct', env);
        const upstream = `http://127.0.0.1:${servers['upstream direct'].port}`;
        for (const mode of order) if (!servers[mode]) servers[mode] = await startServer(mode, { ...env, BENCH_UPSTREAM: upstream });
        for (const mode of order) await load(servers[mode], keys.token, warm);
        for (let t = 0; t < turns; t++) {
          const visit = (r * turns + t) % 2 === 0 ? order : [...order].reverse();
          for (const mode of visit) runs[mode].push(await load(servers[mode], keys.token, duration));
        }
      } finally {
        for (const s of Object.values(servers)) await s.stop();
      }
    }
    if (order.includes('scopegate')) gateProfile = await profileMiddleware(env, keys.token, { warm, seconds: quick ? 2 : 4, rounds: quick ? 1 : 3 });
  } finally {
    await keys.close();
  }
  const summary = Object.fromEntries(
    Object.entries(runs).map(([mode, xs]) => [
      mode,
      {
        rps: median(xs.map((x) => x.rps)),
        cpuUs: median(xs.map((x) => x.cpuUs)),
        p50: median(xs.map((x) => x.p50)),
        p99: median(xs.map((x) => x.p99)),
        non2xx: xs.reduce((a, x) => a + x.non2xx, 0),
        errors: xs.reduce((a, x) => a + x.errors, 0),
        requests: xs.reduce((a, x) => a + x.requests, 0),
        turns: xs.map((x) => Math.round(x.rps)),
      },
    ]),
  );
  const ratios = PAIRS.filter(([a, b]) => runs[a] && runs[b]).map(([a, b]) => {
    const perTurn = runs[a].map((x, i) => x.rps / runs[b][i].rps);
    // CPU per request of the peer over the case's: the throughput ratio a CPU-bound server would
    // reach. Far steadier than requests/s on a shared machine, since stolen time is not counted.
    const cpuPerTurn = runs[a].map((x, i) => runs[b][i].cpuUs / x.cpuUs);
    return {
      case: a,
      peer: b,
      ratio: median(perTurn),
      min: Math.min(...perTurn),
      max: Math.max(...perTurn),
      perTurn,
      cpuRatio: median(cpuPerTurn),
      cpuMin: Math.min(...cpuPerTurn),
      cpuMax: Math.max(...cpuPerTurn),
    };
  });
  return { modes: summary, ratios, rounds, turns, duration, warm, pinned, gateProfile };
}

module.exports = { run };
