/** The CLI through real child processes (the built bin, as users run it). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, root, run, scratch } from './support/run-cli';
import { JSDOM } from 'jsdom';

const { dir, file } = scratch('scopegate-cli-');

const rules = file('rules.json', JSON.stringify([
  { method: 'GET', path: '/items/:id', scopes: ['items.read'], description: 'Get item' },
  { method: 'GET', path: '/items/latest', scopes: ['items.read'] },
  { method: 'DELETE', path: '/items/:id', anyOf: [['items.admin'], ['items.write', 'items.delete']] },
]));

/** base64url of a JSON value, for hand-made JWTs. */
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A JWT-shaped token with a made-up signature: the CLI decodes it without verifying. */
const jwt = (payload: object) => `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(payload)}.${Buffer.from('not-a-real-signature').toString('base64url')}`;
/** A claim value that must never be printed. */
const SECRET_ENV = 'env-0c4f-secret';

describe('check', () => {
  test.each<[string[], number, RegExp]>([
    [['GET', '/environments/e1/users', '--scopes', 'all.read', '--claim', 'environment_id=e1'], 0, /^ALLOWED GET \/environments\/e1\/users: read-all\n  rule: {5}#33 GET \/environments\/:environmentId\/users/],
    [['GET', '/environments/e1/users', '--scopes', 'environment.users.read', '--claim', 'environment_id=e1'], 0, /ALLOWED .*: scope[\s\S]*\n  binding:  :environmentId = claim environment_id — holds\n  token:    scopes from --scopes; 1 claim\(s\) from --claim\n$/],
    [['DELETE', '/users/u1', '--scopes', 'all.read'], 1, /^DENIED DELETE \/users\/u1: insufficient-scope[\s\S]*missing: {2}environment.users.write/],
    [['GET', '/environments/e1/users'], 1, /DENIED .*: unauthenticated/],
    [['GET', '/nowhere', '--scopes', 'all.read'], 1, /DENIED GET \/nowhere: no-route/],
    [['DELETE', '/items/7', '--scopes', 'items.write', '--routes', rules], 1, /insufficient-scope[\s\S]*required: items.write items.delete\n  missing:  items.delete/],
    [['delete', '/items/7', '--scopes', 'items.admin', '--routes', rules], 0, /ALLOWED DELETE \/items\/7: scope/],
    // Bindings: the path's environment must be the token's.
    [['GET', '/environments/e2/users', '--scopes', 'environment.users.read', '--claim', 'environment_id=e1'], 1, /^DENIED GET \/environments\/e2\/users: binding-mismatch\n[\s\S]*\n  binding:  :environmentId = claim environment_id — FAILS: the token's environment_id claim is another value\n/],
    [['GET', '/environments/e2/users', '--scopes', 'environment.users.read'], 1, /^DENIED .*: binding-mismatch\n[\s\S]*FAILS: the token has no environment_id claim\n  token:    scopes from --scopes; no claims \(a bound param needs --claim or --token-file\)\n$/],
    [['GET', '/environments/e2/users', '--scopes', 'all.read', '--claim', 'environment_id=e1'], 1, /^DENIED .*: binding-mismatch\n/],
    [['DELETE', '/environments/e2/users/u1', '--scopes', 'all.read', '--claim', 'environment_id=e1'], 1, /^DENIED .*: binding-mismatch\n[\s\S]*missing:  environment.users.write\n  binding:  :environmentId = claim environment_id — FAILS/],
    [['GET', '/environments/e2/users', '--claim', 'environment_id=e2'], 1, /^DENIED .*: insufficient-scope\n[\s\S]*missing:  environment.users.read\n  binding:  .* — holds\n  token:    scopes from its scope\/scopes\/scp claims; 1 claim/],
    [['GET', '/environments/e2/users', '--claim', 'environment_id=e1', '--claim', 'environment_id=e2', '--claim', 'scp=environment.users.read'], 0, /^ALLOWED .*: scope\n[\s\S]* — holds\n  token:    scopes from its scope\/scopes\/scp claims; 2 claim\(s\) from --claim\n$/],
    [['GET', '/environments/e3/users', '--claim', 'environment_id=e1', '--claim', 'environment_id=e2', '--claim', 'scp=environment.users.read'], 1, /binding-mismatch[\s\S]*FAILS: the token's environment_id claim holds other values/],
    [['GET', '/environments/e2/users'], 1, /^DENIED .*: unauthenticated\n[\s\S]*binding:  :environmentId = claim environment_id — not checked: no token\n$/],
    [['GET', '/user/tokens', '--scopes', ''], 0, /^ALLOWED GET \/user\/tokens: authenticated\n  rule: {5}#\d+ GET \/user\/tokens[^\n]*\n$/],
  ])('%j → exit %i', async (args, code, out) => {
    const r = await run('check', ...args);
    expect([r.code, r.stderr]).toEqual([code, '']);
    expect(r.stdout).toMatch(out);
    expect(r.stdout).not.toContain('\x1b['); // no colour when not a TTY
  });

  test('--json', async () => {
    const r = await run('check', 'GET', '/items/1', '--routes', rules, '--scopes', 'items.read', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ allowed: true, reason: 'scope', params: { id: '1' }, rule: { index: 0, path: '/items/:id', bindings: [] }, required: ['items.read'], missing: [], binding: null, bindings: [], token: { scopesFrom: '--scopes', claims: 0 } });
  });

  test('--json binding-mismatch: the failed binding by name, never the claim value', async () => {
    const r = await run('check', 'GET', '/environments/e2/users', '--scopes', 'all.read', '--claim', `environment_id=${SECRET_ENV}`, '--json');
    expect([r.code, r.stderr]).toEqual([1, '']);
    expect(JSON.parse(r.stdout)).toMatchObject({
      allowed: false,
      reason: 'binding-mismatch',
      binding: { param: 'environmentId', claim: 'environment_id' },
      bindings: [{ param: 'environmentId', claim: 'environment_id', holds: false, why: "FAILS: the token's environment_id claim is another value" }],
      rule: { index: 33, bindings: [{ param: 'environmentId', claim: 'environment_id' }] },
      token: { scopesFrom: '--scopes', claims: 1, claimSources: ['--claim'] },
    });
    expect(r.stdout).not.toContain(SECRET_ENV);
  });

  describe('--token-file', () => {
    const payload = { sub: 'user-7b1e-secret', environment_id: SECRET_ENV, scope: 'environment.users.read environment.users.write' };
    const token = jwt(payload);
    const jwtFile = file('token.jwt', `${token}\n`);

    test.each<[string, string[], number, RegExp]>([
      ['a JWT: scopes and claims from its payload', ['GET', '/environments/e1/users'], 1, /^DENIED .*: binding-mismatch\n[\s\S]*token:    scopes from its scope\/scopes\/scp claims; 3 claim\(s\) from .*token.jwt \(JWT payload\)\n  warning:  .*token.jwt holds a JWT: its payload was decoded WITHOUT verifying its signature/],
      ['a JWT, --claim replacing its claim', ['GET', '/environments/e1/users', '--claim', 'environment_id=e1'], 0, /^ALLOWED .*: scope\n[\s\S]*3 claim\(s\) from .*token.jwt \(JWT payload\) and --claim\n  warning:  .*WITHOUT verifying/],
      ['a JWT, --scopes taking precedence over its scope claim', ['DELETE', '/environments/e1/users/u1', '--claim', 'environment_id=e1', '--scopes', 'environment.users.read'], 1, /^DENIED .*: insufficient-scope\n[\s\S]*missing:  environment.users.write\n[\s\S]*token:    scopes from --scopes;/],
    ])('%s', async (_name, args, code, out) => {
      const r = await run('check', ...args, '--token-file', jwtFile);
      expect([r.code, r.stderr]).toEqual([code, '']);
      expect(r.stdout).toMatch(out);
      for (const secret of [token, SECRET_ENV, payload.sub, token.split('.')[1]!]) expect(r.stdout).not.toContain(secret);
    });

    test('a JWT after "Bearer ", with --json: says the signature was not verified', async () => {
      const r = await run('check', 'GET', '/environments/e1/users', '--token-file', file('bearer.txt', `Bearer ${jwt({ environment_id: 'e1', scp: ['environment.users.read'] })}`), '--json');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ allowed: true, reason: 'scope', token: { scopesFrom: 'claims', claims: 2, signatureVerified: false } });
      expect(out.warning).toMatch(/WITHOUT verifying its signature/);
    });

    test('a JSON object of claims: an array claim, scopes from scp; no "unverified JWT" warning', async () => {
      const claims = file('claims.json', JSON.stringify({ environment_id: ['e1', 'e2'], scp: ['environment.users.read'] }));
      const ok = await run('check', 'GET', '/environments/e2/users', '--token-file', claims);
      expect([ok.code, ok.stderr]).toEqual([0, '']);
      expect(ok.stdout).toMatch(/^ALLOWED .*: scope\n[\s\S]* — holds\n  token:    scopes from its scope\/scopes\/scp claims; 2 claim\(s\) from .*claims.json \(JSON\)\n$/);
      const other = await run('check', 'GET', '/environments/e3/users', '--token-file', claims);
      expect(other.code).toBe(1);
      expect(other.stdout).toMatch(/binding-mismatch[\s\S]*FAILS: the token's environment_id claim holds other values/);
    });

    test('a claim of the wrong type fails the binding, by name', async () => {
      const r = await run('check', 'GET', '/environments/1/users', '--scopes', 'all.read', '--token-file', file('num.json', '{"environment_id": 1}'));
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("FAILS: the token's environment_id claim is not a string or an array of strings");
    });
  });
});

test.each<[string, string[], RegExp, string[]]>([
  ['--claim without "="', ['--claim', 'environment_id'], /^scopegate: --claim expects name=value/, []],
  ['--claim with an empty name', ['--claim', `=${SECRET_ENV}`], /^scopegate: --claim expects name=value .*: the name is empty\n$/, [SECRET_ENV]],
  ['a token file that is neither', ['--token-file', file('junk.txt', `${SECRET_ENV} not a token`)], /^scopegate: .*junk.txt: neither a JWT .* nor a JSON object of claims\n$/, [SECRET_ENV]],
  ['invalid JSON claims: the parser\'s message (which quotes the text) is not shown', ['--token-file', file('badclaims.json', `{"environment_id": ${SECRET_ENV}}`)], /^scopegate: .*badclaims.json: the file is not valid JSON \(a JSON object of claims was expected\)\n$/, [SECRET_ENV]],
  ['a JWT whose payload is not JSON', ['--token-file', file('badpayload.jwt', `${b64url({ alg: 'none' })}.${Buffer.from(SECRET_ENV).toString('base64url')}.`)], /^scopegate: .*badpayload.jwt: the JWT's payload is not valid JSON/, [SECRET_ENV]],
  ['a JSON array', ['--token-file', file('array.json', `["${SECRET_ENV}"]`)], /^scopegate: .*array.json: the file is not a JSON object of claims\n$/, [SECRET_ENV]],
  ['an encrypted JWT', ['--token-file', file('token.jwe', 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d')], /^scopegate: .*token.jwe: an encrypted JWT \(JWE\)/, []],
  ['a scope claim of the wrong type', ['--token-file', file('scope.json', '{"scope": 7}')], /^scopegate: the token's "scope" claim must be a string or an array of strings/, []],
  ['a missing token file', ['--token-file', '/nonexistent/token.jwt'], /^scopegate: \/nonexistent\/token.jwt: no such file\n$/, []],
])('check %s → exit 2, one line, no value', async (_name, args, message, secrets) => {
  const r = await run('check', 'GET', '/environments/e1/users', ...args);
  expect([r.code, r.stdout]).toEqual([2, '']);
  expect(r.stderr).toMatch(message);
  for (const secret of secrets) expect(r.stderr).not.toContain(secret);
});

test('lint shows bindings: an ambiguity that differs only by bindings, and the bound rules', async () => {
  // Overlapping, neither pattern containing the other (a specific rule before a general one that contains it is allowed: first rule wins).
  const ambiguous = await run('lint', file('bind-amb.json', JSON.stringify({ rules: [{ method: 'GET', path: '/t/:tenant/:y/x', scopes: ['r'] }, { method: 'GET', path: '/t/:tenant/z/:y', scopes: ['r'], bind: { tenant: 'org' } }], options: { bind: { tenant: 'tid' } } })));
  expect(ambiguous.code).toBe(1);
  expect(ambiguous.stdout).toContain('error   ambiguous   #0 GET /t/:tenant/:y/x and #1 GET /t/:tenant/z/:y can match the same requests with the same scopes (r) but bind differently: :tenant = claim tid vs :tenant = claim org\n');
  expect(ambiguous.stdout).toContain('binding :tenant = claim tid (table-wide) on 1 rule(s): #0\nbinding :tenant = claim org on 1 rule(s): #1\n');

  const bound = file('bind-ok.json', JSON.stringify({
    rules: [
      { method: 'GET', path: '/t/:tenant', scopes: ['r'] },
      { method: 'PUT', path: '/t/:tenant', scopes: ['w'] },
      { method: 'GET', path: '/t/:tenant/u/:user', scopes: ['r'], bind: { user: 'sub' } },
      { method: 'GET', path: '/health', public: true },
      { method: 'GET', path: '/t/:tenant/logs', scopes: ['r'] },
    ],
    options: { bind: { tenant: 'tid' } },
  }));
  const ok = await run('lint', bound);
  expect([ok.code, ok.stdout]).toEqual([0, 'binding :tenant = claim tid (table-wide) on 4 rule(s): #0–#2, #4\nbinding :user = claim sub on 1 rule(s): #2\n5 rules, 0 problem(s), 0 note(s)\n']);
  const json = JSON.parse((await run('lint', bound, '--json')).stdout);
  expect(json.bind).toEqual({ tenant: 'tid' });
  expect(json.bindings.map((b: { rule: number; bindings: unknown[] }) => [b.rule, b.bindings])).toEqual([
    [0, [{ param: 'tenant', claim: 'tid' }]],
    [1, [{ param: 'tenant', claim: 'tid' }]],
    [2, [{ param: 'tenant', claim: 'tid' }, { param: 'user', claim: 'sub' }]],
    [4, [{ param: 'tenant', claim: 'tid' }]],
  ]);
  // The same table, checked: the bound params are enforced from the rules file too.
  const check = await run('check', 'GET', '/t/acme/u/u1', '--routes', bound, '--scopes', 'r', '--claim', 'tid=acme', '--claim', 'sub=u2');
  expect(check.code).toBe(1);
  expect(check.stdout).toContain('  binding:  :tenant = claim tid — holds\n  binding:  :user = claim sub — FAILS: the token\'s sub claim is another value\n');
});

test('docs: the Dynamic reference shows its binding', async () => {
  const md = await run('docs');
  expect(md.stdout).toContain("Bindings for the whole table (every endpoint with the param): `:environmentId` must equal the token's `environment_id` claim.");
  expect(md.stdout).toContain("| `GET /environments/:environmentId/users` | Get users for environment | `:environmentId` must equal the token's `environment_id` claim |");
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
  const r = spawnSync('npx', ['--no-install', 'scopegate', 'check', 'GET', '/environments/e1/users', '--scopes', 'all.read', '--claim', 'environment_id=e1'], { cwd: root, encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^ALLOWED GET \/environments\/e1\/users: read-all/);
}, 30_000);

describe('usage: version, no arguments, import warnings, request paths', () => {
  const version = (JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }).version;
  /** An OpenAPI document whose import warns (an API-key-only operation is left out) but succeeds. */
  const warnSpec = file('warn.yaml', 'openapi: 3.0.3\nsecurity:\n  - bearerAuth: [a.read]\npaths:\n  /a/{id}:\n    get: {}\n  /k:\n    get:\n      security:\n        - apiKey: []\n');
  const warnLines =
    'warning GET /k: security requirement uses scheme(s) "apiKey" the gate does not check: that alternative is left out\n' +
    'warning GET /k: no security requirement the gate can check: operation left out (requests to it are denied)\n';

  test.each([['--version'], ['-V']])('%s prints the package version on stdout, exit 0', async (flag) => {
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    const r = await run(flag);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, `${version}\n`, '']);
  });

  test('no arguments: the help on stderr, exit 2 (a usage error); `help` itself: stdout, exit 0', async () => {
    const r = await run();
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/^Usage: scopegate \[options\] \[command\]\n/);
    expect(r.stderr).toMatch(/\nCommands:\n[\s\S]*check [\s\S]*lint [\s\S]*docs [\s\S]*import-openapi /);
    expect(r.stderr).toContain('-V, --version');
    const help = await run('help');
    expect([help.code, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toMatch(/^Usage: scopegate/);
  });

  test('import-openapi with warnings only: exit 0, the rules on stdout, the warnings on stderr', async () => {
    const r = await run('import-openapi', warnSpec);
    expect([r.code, r.stderr]).toEqual([0, warnLines]);
    expect(JSON.parse(r.stdout)).toEqual({ rules: [{ method: 'GET', path: '/a/:id', scopes: ['a.read'] }] });
    const out = join(dir, 'warn-rules.json');
    const written = await run('import-openapi', warnSpec, '-o', out);
    expect([written.code, written.stdout, written.stderr]).toEqual([0, '', `${warnLines}wrote 1 rules to ${out}\n`]);
  });

  test('import-openapi errors still exit 2: a spec whose table cannot compile (an overlap neither side of which contains the other)', async () => {
    const spec = file('amb.json', JSON.stringify({ openapi: '3.1.0', security: [{ bearerAuth: ['r'] }], paths: { '/a/{x}/c': { get: {} }, '/a/b/{y}': { get: { security: [{ bearerAuth: ['w'] }] } } } }));
    const r = await run('import-openapi', spec);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/^scopegate: .*amb.json: rule #\d \(GET "\/a\/[^"]+"\): can match the same requests as another rule with different requirements/);
    expect(r.stderr.split('\n')).toHaveLength(2); // one line
  });

  test('check --routes spec.yaml: the import warnings on stderr, the decision on stdout as before', async () => {
    const r = await run('check', 'GET', '/a/1', '--routes', warnSpec, '--scopes', 'a.read');
    expect([r.code, r.stderr]).toEqual([0, warnLines]);
    expect(r.stdout).toBe('ALLOWED GET /a/1: scope\n  rule:     #0 GET /a/:id\n  required: a.read\n');
    const left = await run('check', 'GET', '/k', '--routes', warnSpec, '--scopes', 'a.read', '--json');
    expect([left.code, left.stderr]).toEqual([1, warnLines]);
    expect(JSON.parse(left.stdout)).toMatchObject({ allowed: false, reason: 'no-route' });
    // A rules file has no import: nothing on stderr.
    expect((await run('check', 'GET', '/items/1', '--routes', rules, '--scopes', 'items.read')).stderr).toBe('');
  });

  test('docs --routes spec.yaml: the import warnings on stderr', async () => {
    const r = await run('docs', warnSpec);
    expect([r.code, r.stderr]).toEqual([0, warnLines]);
    expect(r.stdout).toContain('GET /a/:id');
  });

  test.each<[string, string]>([
    ['users/1', '/users/1'],
    ['environments/e1/users', '/environments/e1/users'],
    ['https://api.example/users/1?x=1', '/users/1?x=1'],
    ['', '/'],
    ['*', '/*'],
  ])('check GET %j: a path without a leading "/" is a usage error (exit 2), not no-route', async (path, hint) => {
    const r = await run('check', 'GET', path, '--scopes', 'all.read');
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toBe(`scopegate: the request path must start with "/": got ${JSON.stringify(path)} (did you mean ${JSON.stringify(hint)}?)\n`);
  });
});
