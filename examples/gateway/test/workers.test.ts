/**
 * WORKERS=2: `npm start`'s program as a real process tree (a cluster primary and two workers on
 * one port) in front of a real upstream: both workers serve, /metrics is the sum of both, a
 * killed worker is replaced, and SIGTERM stops all of them after in-flight requests finished.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const SECRET = 'a-workers-test-secret-of-32-bytes!!';
const ENV_ID = 'env-w';
const MAIN = path.join(__dirname, '..', 'dist', 'main.js');

function hs256(claims: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}
const now = Math.floor(Date.now() / 1000);
const TOKEN = hs256({ sub: 'w-user', scope: 'environment.users.read', environment_id: ENV_ID, iat: now, exp: now + 3600 });

let upstream: http.Server;
let upstreamUrl: string;
let primary: ChildProcess;
let baseUrl: string;
const lines: Record<string, unknown>[] = [];
let stdout = '';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const waitFor = async (what: string, ok: () => boolean, ms = 10_000) => {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; stdout: ${stdout.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const delay = req.url!.includes('slow') ? 700 : 0;
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: req.url })), delay);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  primary = spawn(process.execPath, [MAIN], {
    env: { ...process.env, WORKERS: '2', PORT: '0', HOST: '127.0.0.1', UPSTREAM_URL: upstreamUrl, JWT_SECRET: SECRET, ALLOW_UNCHECKED_CLAIMS: 'iss,aud', LOG_LEVEL: 'info', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  primary.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const line of chunk.split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  primary.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  await waitFor('the banner', () => /listening on (http:\/\/\S+) \(2 workers\)/.test(stdout), 20_000);
  baseUrl = /listening on (http:\/\/\S+) \(2 workers\)/.exec(stdout)![1]!;
}, 30_000);

afterAll(async () => {
  if (primary.exitCode === null) primary.kill('SIGKILL');
  await new Promise<void>((r) => upstream.close(() => r()));
});

const users = `/environments/${ENV_ID}/users`;

test('both workers serve the one port, each request decided and logged once', async () => {
  const results = await Promise.all(Array.from({ length: 40 }, () => get(`${baseUrl}${users}`, { authorization: `Bearer ${TOKEN}` })));
  expect(results.map((r) => r.status)).toEqual(Array(40).fill(200));
  expect((await get(`${baseUrl}${users}`)).status).toBe(401);
  await waitFor('41 access log lines', () => lines.filter((l) => l.msg === 'request' && l.path === users).length >= 41);
  const served = lines.filter((l) => l.msg === 'request' && l.path === users);
  expect(served).toHaveLength(41);
  expect(new Set(served.map((l) => l.pid)).size).toBe(2);
  expect(new Set(served.map((l) => l.pid)).has(primary.pid)).toBe(false);
});

test('/metrics on the main port is the sum over both workers', async () => {
  const res = await get(`${baseUrl}/metrics`);
  expect(res.status).toBe(200);
  const passed = /scopegate_decisions_total\{reason="scope",status="passed",mode="enforce"\} (\d+)/.exec(res.body);
  expect(Number(passed?.[1])).toBe(40);
  expect(res.body).toMatch(/scopegate_decisions_total\{reason="unauthenticated",status="401",mode="enforce"\} 1/);
});

test('a worker that dies is replaced, and the port keeps serving', async () => {
  const before = new Set(lines.filter((l) => l.msg === 'request').map((l) => l.pid as number));
  process.kill([...before][0]!, 'SIGKILL');
  await waitFor('the replacement', () => lines.some((l) => l.msg === 'worker exited; starting another'));
  // Every request is answered meanwhile (the survivor takes them), until the new worker serves too.
  const until = Date.now() + 10_000;
  while (!lines.some((l) => l.msg === 'request' && !before.has(l.pid as number)) && Date.now() < until) {
    const results = await Promise.all(Array.from({ length: 10 }, () => get(`${baseUrl}${users}`, { authorization: `Bearer ${TOKEN}` })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(lines.some((l) => l.msg === 'request' && !before.has(l.pid as number))).toBe(true);
}, 20_000);

test('SIGTERM: in-flight requests finish, then every process exits 0', async () => {
  const workerPids = [...new Set(lines.filter((l) => l.msg === 'request').map((l) => l.pid as number))].filter(alive);
  expect(workerPids.length).toBeGreaterThanOrEqual(1);
  const slow = get(`${baseUrl}/environments/${ENV_ID}/users?slow=1`, { authorization: `Bearer ${TOKEN}` });
  await new Promise((r) => setTimeout(r, 200));
  const exited = new Promise<number | null>((r) => primary.once('exit', (code) => r(code)));
  primary.kill('SIGTERM');
  expect((await slow).status).toBe(200);
  expect(await exited).toBe(0);
  await waitFor('the workers to exit', () => workerPids.every((pid) => !alive(pid)), 5000);
}, 20_000);
