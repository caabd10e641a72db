/** The CLI through real child processes (the built bin, as users run it). */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';

const root = join(__dirname, '..', '..', '..');
const bin = join(root, 'packages', 'cli', 'bin', 'scopegate.js');
const dir = mkdtempSync(join(tmpdir(), 'scopegate-cli-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const run = (...args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });

const rules = file('rules.json', JSON.stringify([
  { method: 'GET', path: '/items/:id', scopes: ['items.read'], description: 'Get item' },
  { method: 'GET', path: '/items/latest', scopes: ['items.read'] },
  { method: 'DELETE', path: '/items/:id', anyOf: [['items.admin'], ['items.write', 'items.delete']] },
]));

describe('check', () => {
  test.each<[string[], number, RegExp]>([
    [['GET', '/environments/e1/users', '--scopes', 'all.read'], 0, /^ALLOWED GET \/environments\/e1\/users: read-all\n  rule: {5}#33 GET \/environments\/:environmentId\/users/],
    [['GET', '/environments/e1/users', '--scopes', 'environment.users.read'], 0, /ALLOWED .*: scope/],
    [['DELETE', '/users/u1', '--scopes', 'all.read'], 1, /^DENIED DELETE \/users\/u1: insufficient-scope[\s\S]*missing: {2}environment.users.write/],
    [['GET', '/environments/e1/users'], 1, /DENIED .*: unauthenticated/],
    [['GET', '/nowhere', '--scopes', 'all.read'], 1, /DENIED GET \/nowhere: no-route/],
    [['DELETE', '/items/7', '--scopes', 'items.write', '--routes', rules], 1, /insufficient-scope[\s\S]*required: items.write items.delete\n  missing:  items.delete/],
    [['delete', '/items/7', '--scopes', 'items.admin', '--routes', rules], 0, /ALLOWED DELETE \/items\/7: scope/],
  ])('%j → exit %i', async (args, code, out) => {
    const r = await run('check', ...args);
    expect([r.code, r.stderr]).toEqual([code, '']);
    expect(r.stdout).toMatch(out);
    expect(r.stdout).not.toContain('\x1b['); // no colour when not a TTY
  });

  test('--json', async () => {
    const r = await run('check', 'GET', '/items/1', '--routes', rules, '--scopes', 'items.read', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ allowed: true, reason: 'scope', params: { id: '1' }, rule: { index: 0, path: '/items/:id' }, required: ['items.read'], missing: [] });
  });
});

test('lint: findings exit 1, a clean table exits 0, --json', async () => {
  const lint = await run('lint', rules);
  expect(lint.code).toBe(1);
  expect(lint.stdout).toMatch(/warning shadowed +#1 GET \/items\/latest is never reached/);
  expect(lint.stdout).toMatch(/3 rules, 1 problem\(s\), 1 note\(s\)/);
  const clean = await run('lint', file('clean.json', JSON.stringify({ rules: [{ method: 'GET', path: '/a', scopes: ['a'] }] })));
  expect([clean.code, clean.stdout]).toEqual([0, '1 rules, 0 problem(s), 0 note(s)\n']);
  const json = JSON.parse((await run('lint', rules, '--json')).stdout);
  expect(json.findings.map((f: { kind: string }) => f.kind)).toEqual(['shadowed', 'overlap']);
});

test('lint an OpenAPI file (YAML), with import warnings', async () => {
  const spec = file('spec.yaml', 'openapi: 3.0.3\nsecurity:\n  - bearerAuth: [a.read]\npaths:\n  /a/{id}:\n    get: {}\n  /k:\n    get:\n      security:\n        - apiKey: []\n');
  const r = await run('lint', spec);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain('import  GET /k: security requirement uses scheme(s) "apiKey"');
});

test('docs: Markdown to stdout, HTML to a file', async () => {
  const md = await run('docs');
  expect(md.code).toBe(0);
  expect(md.stdout).toContain('### environment.users.read\n\nDescription: Read user data, wallets, and related information.');
  const out = join(dir, 'perm.html');
  const html = await run('docs', rules, '--format', 'html', '-o', out, '--title', 'Items');
  expect([html.code, html.stderr]).toEqual([0, `wrote ${out}\n`]);
  const dom = new JSDOM(readFileSync(out, 'utf8'));
  expect(dom.window.document.title).toBe('Items');
  expect(dom.window.document.querySelectorAll('tbody tr')).toHaveLength(5);
});

test('import-openapi writes rules that compile', async () => {
  const spec = file('spec.json', JSON.stringify({ openapi: '3.1.0', security: [{ bearerAuth: ['r'] }], paths: { '/things/{id}': { get: { summary: 'Get thing' }, delete: { security: [{ bearerAuth: ['w'] }, { bearerAuth: ['admin'] }] } } } }));
  const out = join(dir, 'routes.json');
  const r = await run('import-openapi', spec, '-o', out);
  expect([r.code, r.stderr]).toEqual([0, `wrote 2 rules to ${out}\n`]);
  expect(JSON.parse(readFileSync(out, 'utf8')).rules).toEqual([
    { method: 'GET', path: '/things/:id', scopes: ['r'], description: 'Get thing' },
    { method: 'DELETE', path: '/things/:id', anyOf: [['w'], ['admin']] },
  ]);
  const check = await run('check', 'DELETE', '/things/1', '--routes', out, '--scopes', 'admin');
  expect(check.code).toBe(0);
  expect((await run('import-openapi', rules)).stderr).toMatch(/not an OpenAPI document/);
});

test.each<[string, string[], RegExp]>([
  ['missing file', ['lint', '/nonexistent/rules.json'], /^scopegate: \/nonexistent\/rules.json: no such file\n$/],
  ['invalid JSON, with line and column', ['lint', file('bad.json', '{\n  "rules": [\n    {"method": "GET",}\n  ]\n}')], /^scopegate: .*bad.json:3:\d+: invalid JSON/],
  ['invalid YAML, with line and column', ['import-openapi', file('bad.yaml', 'openapi: 3.1.0\npaths:\n  /a:\n    get: {\n')], /^scopegate: .*bad.yaml:\d+:\d+: /],
  ['invalid pattern, naming the rule', ['check', 'GET', '/a', '--routes', file('pat.json', '[{"method":"GET","path":"/a/(","scopes":[]}]')], /^scopegate: .*pat.json: rule #0 \(GET "\/a\/\("\): invalid pattern/],
  ['ambiguous table', ['check', 'GET', '/a/b', '--routes', file('amb.json', '[{"method":"GET","path":"/a/:x","scopes":["a"]},{"method":"GET","path":"/a/b","scopes":["b"]}]')], /different requirements/],
  ['unknown command', ['frobnicate'], /unknown command/],
  ['missing argument', ['check', 'GET'], /missing required argument 'path'/],
  ['bad option value', ['docs', '--format', 'pdf'], /argument 'pdf' is invalid/],
])('%s → exit 2, one clear line, no stack trace', async (_name, args, message) => {
  const r = await run(...args);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

test('--help on every command', async () => {
  for (const cmd of [[], ['check'], ['lint'], ['docs'], ['import-openapi']]) {
    const r = await run(...cmd, '--help');
    expect([cmd, r.code]).toEqual([cmd, 0]);
    expect(r.stdout).toMatch(/^Usage: scopegate/);
  }
});

test('npx scopegate works from the repository root after npm ci', () => {
  const r = spawnSync('npx', ['--no-install', 'scopegate', 'check', 'GET', '/environments/e1/users', '--scopes', 'all.read'], { cwd: root, encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^ALLOWED GET \/environments\/e1\/users: read-all/);
}, 30_000);
