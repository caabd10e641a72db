/**
 * `npm start` as a user runs it: spawn it, wait for the printed URL, send the requests of the
 * printed curl commands, check each status against the one printed above it, stop with SIGTERM.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { importJWK, SignJWT, type JWK } from 'jose';
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

/** Shell words: single-quoted, double-quoted (with `$(…)` kept for the caller), or bare. */
const words = (line: string): string[] => [...line.matchAll(/'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);

/** The CLI that makes DPoP proofs, when it is built with that command; else its equivalent in this process. */
const cli = join(root, 'packages', 'cli', 'bin', 'scopegate.js');
const cliMakesProofs = (() => {
  try {
    return existsSync(cli) && /dpop-proof/.test(execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8', timeout: 10_000, stdio: 'pipe' }));
  } catch {
    return false;
  }
})();

/**
 * `npx scopegate dpop-proof --key <file> --method <M> --url <URL> --token <t>`, as the banner
 * prints it: run by the CLI when it has the command, else signed here as it would be (the key
 * file's private JWK, typ dpop+jwt, the public key in the header, htm, htu, iat, jti, ath).
 */
async function dpopProof(command: string): Promise<string> {
  const args = words(command);
  expect(args.slice(0, 3)).toEqual(['npx', 'scopegate', 'dpop-proof']);
  if (cliMakesProofs) return execFileSync(process.execPath, [cli, ...args.slice(2)], { encoding: 'utf8', timeout: 10_000 }).trim();
  const flag = (name: string) => args[args.indexOf(name) + 1]!;
  const jwk = JSON.parse(readFileSync(flag('--key'), 'utf8')) as JWK;
  const { d: _private, ...publicJwk } = jwk;
  const token = flag('--token');
  return new SignJWT({ htm: flag('--method'), htu: flag('--url'), ath: createHash('sha256').update(token).digest('base64url') })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: publicJwk })
    .setIssuedAt()
    .setJti(randomUUID())
    .sign(await importJWK(jwk, 'ES256'));
}

/** Split a printed curl command into its arguments; a `"DPoP: $(npx scopegate dpop-proof …)"` header gets a fresh proof. */
async function parseCurl(line: string): Promise<{ method: string; url: string; headers: Record<string, string>; body?: string }> {
  const args = words(line);
  for (let i = 0; i < args.length; i++) {
    const sub = /\$\((npx scopegate dpop-proof [^)]*)\)/.exec(args[i]!);
    if (sub) args[i] = args[i]!.replace(sub[0], await dpopProof(sub[1]!));
  }
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

type Curl = Awaited<ReturnType<typeof parseCurl>>;

function send(req: Curl): Promise<number> {
  return sendForBody(req).then((r) => r.status);
}

function sendForBody(req: Curl): Promise<{ status: number; contentType: string; body: string }> {
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
  // DPoP is on in the demo: a DPoP-bound token passes with a proof, and is refused as a bearer token.
  const dpopLine = commands.filter(([s, l]) => s === 200 && l.includes("-H 'Authorization: DPoP ") && l.includes('"DPoP: $(npx scopegate dpop-proof --key '));
  expect(dpopLine).toHaveLength(1);
  const dpopToken = /Authorization: DPoP (\S+)'/.exec(dpopLine[0]![1])![1]!;
  expect(commands.filter(([s, l]) => s === 401 && l.includes(`-H 'Authorization: Bearer ${dpopToken}'`))).toHaveLength(1);
  console.log(`DPoP proofs for the banner's command made by ${cliMakesProofs ? 'the scopegate CLI' : 'the equivalent in-process signer (the CLI has no dpop-proof yet)'}`);
  for (const [status, line] of commands) {
    expect({ line: line.slice(0, 80), status: await send(await parseCurl(line)) }).toEqual({ line: line.slice(0, 80), status });
  }
  // One proof, one use: the same proof sent again is refused.
  const once = await parseCurl(dpopLine[0]![1]);
  expect([await send(once), await send(once)]).toEqual([200, 401]);
  expect(await send(await parseCurl(`curl -i ${url}/healthz`))).toBe(200);

  // The start path runs in production mode, and a malformed body to the printed POST is answered
  // as JSON, without a stack or the install path.
  expect(output).not.toMatch(/NODE_ENV is not production/);
  const post = await parseCurl(commands.find(([s]) => s === 201)![1]);
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
