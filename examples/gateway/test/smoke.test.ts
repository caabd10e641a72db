/**
 * `npm start` as a user runs it: spawn it, wait for the printed URL, send the requests of the
 * printed curl commands, check each status against the one printed above it, stop with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { DEMO } from '../src/run';

const root = join(__dirname, '..', '..', '..');
let child: ChildProcess | null = null;
let output = '';

afterAll(() => {
  if (child && child.exitCode === null) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Split a printed curl command into its arguments (the banner quotes with single quotes only). */
function parseCurl(line: string): { method: string; url: string; headers: Record<string, string>; body?: string } {
  const args = [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  expect(args[0]).toBe('curl');
  let method = 'GET';
  let url = '';
  let body: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-i') continue;
    else if (a === '-X') method = args[++i]!;
    else if (a === '-H') {
      const h = args[++i]!;
      headers[h.slice(0, h.indexOf(':'))] = h.slice(h.indexOf(':') + 1).trim();
    } else if (a === '-d') body = args[++i]!;
    else url = a;
  }
  if (body !== undefined && method === 'GET') method = 'POST';
  return { method, url, headers, body };
}

function send(req: ReturnType<typeof parseCurl>): Promise<number> {
  return sendForBody(req).then((r) => r.status);
}

function sendForBody(req: ReturnType<typeof parseCurl>): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request(req.url, { method: req.method, headers: req.headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, contentType: String(res.headers['content-type']), body }));
    });
    r.on('error', reject);
    r.end(req.body);
  });
}

test('npm start serves on built-in defaults and every printed command gets its printed status', async () => {
  // As a user runs it: no NODE_ENV (jest sets NODE_ENV=test in its own environment).
  const { NODE_ENV: _jestEnv, ...userEnv } = process.env;
  child = spawn('npm', ['start'], { cwd: root, env: { ...userEnv, PORT: '0', LOG_LEVEL: 'info' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const closed = new Promise<void>((resolve) => child!.on('close', () => resolve()));
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));

  const started = Date.now();
  while (!/Try it \(expected status first\):[\s\S]*# 400 [^\n]*\ncurl [^\n]*\n/.test(output)) {
    if (Date.now() - started > 90_000 || child.exitCode !== null) throw new Error(`npm start did not come up:\n${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = /listening on (http:\/\/\S+)/.exec(output)![1]!;
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

  const lines = output.split('\n');
  const commands: [number, string][] = [];
  lines.forEach((line, i) => {
    const m = /^# (\d{3}) /.exec(line);
    if (m && lines[i + 1]?.startsWith('curl ')) commands.push([Number(m[1]), lines[i + 1]!]);
  });
  expect(commands.length).toBeGreaterThanOrEqual(8);
  expect(new Set(commands.map(([s]) => s))).toEqual(new Set([200, 201, 403, 401, 400]));
  // The banner shows a refused cross-environment call and a refused escalation.
  expect(commands.filter(([s, l]) => s === 403 && l.includes(`/environments/${DEMO.otherEnvironmentId}/`))).toHaveLength(1);
  expect(commands.filter(([s, l]) => s === 403 && / -X POST '[^']*\/tokens' /.test(l) && l.includes('environment.users.write'))).toHaveLength(1);
  for (const [status, line] of commands) {
    expect({ line: line.slice(0, 80), status: await send(parseCurl(line)) }).toEqual({ line: line.slice(0, 80), status });
  }
  expect(await send(parseCurl(`curl -i ${url}/healthz`))).toBe(200);

  // The start path runs in production mode, and a malformed body to the printed POST is answered
  // as JSON, without a stack or the install path.
  expect(output).not.toMatch(/NODE_ENV is not production/);
  const post = parseCurl(commands.find(([s]) => s === 201)![1]);
  const malformed = await sendForBody({ ...post, body: '{bad' });
  expect([malformed.status, malformed.contentType, malformed.body]).toEqual([400, expect.stringMatching(/^application\/json/), '{"error":"Malformed JSON body"}']);

  // SIGTERM to the process group (npm does not forward it): the gateway drains and exits.
  process.kill(-child.pid!, 'SIGTERM');
  await closed;
  expect(output).toMatch(/"signal":"SIGTERM"[^\n]*shutting down/);
  expect(output).toMatch(/"msg":"stopped"/);
  // No token ever appears in the logs (only in the banner's commands).
  const logs = output.split('\n').filter((l) => l.startsWith('{'));
  expect(logs.length).toBeGreaterThan(commands.length);
  expect(logs.join('\n')).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
}, 120_000);
