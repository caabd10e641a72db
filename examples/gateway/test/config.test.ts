import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { checkScope } from '@scopegate/core';
import { defaultDpopOrigins, GatewayConfigError, helpText, HelpRequested, loadConfig, routesFileContent } from '../src/config';
import { listenLoopback } from '../src/demo/upstream';
import { startGateway } from '../src/run';
import { thrownBy } from '../../../packages/core/test/support/thrown';

const SECRET = 'x'.repeat(32);
/** The claim checks an upstream configuration now needs (see 'issuer and audience'). */
const CHECKED = { JWT_ISSUER: 'https://issuer.test/', JWT_AUDIENCE: 'api' };
const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('no configuration: the embedded demo on 127.0.0.1:8080', () => {
  const c = loadConfig({});
  expect(c).toMatchObject({ embedded: true, port: 8080, host: '127.0.0.1', upstreamUrl: null, key: null, logLevel: 'info', routes: null, algorithms: ['ES256'], redisUrl: null, revocationMaxStaleness: 5000, metricsPort: null, gateMode: 'enforce', uncheckedClaims: [] });
});

test('proxy settings: defaults, and values from variables and flags', () => {
  const base = { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ...CHECKED };
  expect(loadConfig(base)).toMatchObject({ trustProxy: [], upgrade: [], workers: 1, upstreamTimeout: 30_000, upstreamConnections: 128 });
  const c = loadConfig({ ...base, TRUST_PROXY: 'loopback, 10.0.0.0/8', ALLOW_UPGRADE: 'WebSocket', UPSTREAM_TIMEOUT: '500' }, ['--workers=auto', '--upstream-connections', '16']);
  expect(c).toMatchObject({ trustProxy: ['loopback', '10.0.0.0/8'], upgrade: ['websocket'], upstreamTimeout: 500, upstreamConnections: 16 });
  expect(c.workers).toBe(availableParallelism());
});

test('an upstream with a key; flags win over variables', () => {
  const c = loadConfig(
    { UPSTREAM_URL: 'http://api.internal:9000/api/v0', JWT_SECRET: SECRET, PORT: '9000', JWT_ISSUER: 'a, b', JWT_AUDIENCE: 'api' },
    ['--port', '7000', '--log-level=warn'],
  );
  expect(c).toMatchObject({ embedded: false, port: 7000, logLevel: 'warn', key: { kind: 'secret' }, algorithms: ['HS256'], issuer: ['a', 'b'], audience: ['api'] });
  expect(c.upstreamUrl?.href).toBe('http://api.internal:9000/api/v0');
});

test('JWT_PUBLIC_KEY takes PEM text (with \\n escapes) or a file; ROUTES_FILE replaces the table', () => {
  const pem = '-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----';
  expect(loadConfig({ UPSTREAM_URL: 'http://u.test', JWT_PUBLIC_KEY: pem, ...CHECKED }).key).toEqual({ kind: 'publicKey', pem: pem.replace(/\\n/g, '\n') });
  const routes = file('routes.json', JSON.stringify([{ method: 'GET', path: '/things/:id', scopes: ['things.read'] }]));
  const c = loadConfig({ UPSTREAM_URL: 'http://u.test', JWKS_URL: 'https://i.test/jwks', ROUTES_FILE: routes, ...CHECKED });
  expect(c.routes?.match('GET', '/things/1')?.rule.scopes).toEqual(['things.read']);
  expect(c.algorithms).toEqual(['RS256', 'ES256']);
});

describe('ROUTES_FILE and the read-all scope: none unless the file opts in', () => {
  const env = (routes: string) => ({ UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ...CHECKED, ROUTES_FILE: routes });
  const rules = [
    { method: 'GET', path: '/things/mine', scopes: ['things.own'] },
    { method: 'GET', path: '/things/:id', scopes: ['things.read'] },
  ];

  test.each([
    ['a rule list', rules],
    ['{ "rules": [...] }', { rules }],
    ['{ "rules": [...], "options": {} }', { rules, options: {} }],
  ])('%s: no read-all scope, so all.read grants nothing', (_name, content) => {
    const table = loadConfig(env(file('plain.json', JSON.stringify(content)))).routes!;
    expect(table.options.readAllScope).toBeNull();
    expect(checkScope(table, { method: 'GET', path: '/things/1' }, 'all.read').reason).toBe('insufficient-scope');
    // The specific rule first: it answers /things/mine.
    expect(checkScope(table, { method: 'GET', path: '/things/mine' }, 'things.own').reason).toBe('scope');
  });

  test('"options": { "readAllScope": "all.read" } opts in (the format `scopegate check --routes` reads)', () => {
    const table = loadConfig(env(file('opted.json', JSON.stringify({ rules, options: { readAllScope: 'all.read' } })))).routes!;
    expect(table.options.readAllScope).toBe('all.read');
    expect(checkScope(table, { method: 'GET', path: '/things/1' }, 'all.read').reason).toBe('read-all');
  });

  test('routesFileContent validates the shape', () => {
    expect(routesFileContent(rules)).toEqual({ rules, options: {} });
    expect(routesFileContent({ rules, options: { strict: true, bind: { id: 'sub' } } }).options).toEqual({ strict: true, bind: { id: 'sub' } });
    expect(() => routesFileContent('rules')).toThrow(/expected a JSON array of rules/);
    expect(() => routesFileContent(null)).toThrow(/expected a JSON array of rules/);
  });
});

const bad: [string, Record<string, string>, string[], RegExp[]][] = [
  ['port out of range', { PORT: '70000' }, [], [/^PORT: must be an integer from 0 to 65535, got "70000"$/]],
  ['port not a number', { PORT: 'http' }, [], [/^PORT:/]],
  ['upstream not http', { UPSTREAM_URL: 'ftp://x', JWT_SECRET: SECRET, ...CHECKED }, [], [/^UPSTREAM_URL: must be an http or https URL/]],
  ['upstream without key', { UPSTREAM_URL: 'http://u.test', ...CHECKED }, [], [/one is required with UPSTREAM_URL/]],
  ['key without upstream', { JWT_SECRET: SECRET, ...CHECKED }, [], [/UPSTREAM_URL: required when a key is configured/]],
  ['two keys', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, JWKS_URL: 'https://i.test/j', ...CHECKED }, [], [/set only one of/]],
  ['short secret', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: 'short', ...CHECKED }, [], [/^JWT_SECRET: must be at least 32 bytes$/]],
  ['bad JWKS URL', { UPSTREAM_URL: 'http://u.test', JWKS_URL: 'jwks.json', ...CHECKED }, [], [/^JWKS_URL:/]],
  ['missing key file', { UPSTREAM_URL: 'http://u.test', JWT_PUBLIC_KEY: '/nonexistent/key.pem', ...CHECKED }, [], [/^JWT_PUBLIC_KEY:/]],
  ['alg none', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, JWT_ALGORITHMS: 'none,HS256', ...CHECKED }, [], [/^JWT_ALGORITHMS: unknown or disallowed none/]],
  ['bad log level', { LOG_LEVEL: 'loud' }, [], [/^LOG_LEVEL:/]],
  ['routes file not JSON', { ROUTES_FILE: file('bad.json', '{') }, [], [/^ROUTES_FILE:/]],
  ['routes file ambiguous', { ROUTES_FILE: file('amb.json', JSON.stringify([{ method: 'GET', path: '/a/:x', scopes: ['a'] }, { method: 'GET', path: '/a/b', scopes: ['b'] }])) }, [], [/^ROUTES_FILE: rule #0 .*different requirements.*Put the more specific rule first/]],
  ['routes file: readAllScope at the top level', { ROUTES_FILE: file('top.json', JSON.stringify({ rules: [], readAllScope: 'all.read' })) }, [], [/^ROUTES_FILE: unknown key\(s\) "readAllScope" \(compile options go under "options"\)/]],
  ['routes file: an unknown option', { ROUTES_FILE: file('opt.json', JSON.stringify({ rules: [], options: { readAllScopes: 'all.read' } })) }, [], [/^ROUTES_FILE: unknown option\(s\) "readAllScopes" \(allowed: readAllScope, /]],
  ['routes file: options not an object', { ROUTES_FILE: file('optarr.json', JSON.stringify({ rules: [], options: ['readAllScope'] })) }, [], [/^ROUTES_FILE: "options" must be an object$/]],
  ['routes file: an invalid read-all scope', { ROUTES_FILE: file('badscope.json', JSON.stringify({ rules: [], options: { readAllScope: 'all read' } })) }, [], [/^ROUTES_FILE: option readAllScope must be a scope token or null$/]],
  ['routes file: no rules', { ROUTES_FILE: file('norules.json', JSON.stringify({ options: {} })) }, [], [/^ROUTES_FILE: expected a JSON array of rules, or \{ "rules": \[\.\.\.\], "options": /]],
  ['unknown flag', {}, ['--prot=1'], [/unknown argument "--prot=1"/]],
  ['flag without value', {}, ['--port'], [/--port needs a value/]],
  ['several problems at once', { PORT: 'x', LOG_LEVEL: 'y' }, [], [/^PORT:/, /^LOG_LEVEL:/]],
  ['TRUST_PROXY not an address', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ...CHECKED, TRUST_PROXY: '10.0.0.0/8, proxy.example' }, [], [/^TRUST_PROXY: invalid IP address: proxy.example$/]],
  ['ALLOW_UPGRADE not a protocol', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ...CHECKED, ALLOW_UPGRADE: 'websocket, web socket' }, [], [/^ALLOW_UPGRADE: only websocket can be forwarded .*got "web socket"$/]],
  ['ALLOW_UPGRADE h2c (a tunnel the gate cannot see into)', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ...CHECKED, ALLOW_UPGRADE: 'h2c' }, [], [/^ALLOW_UPGRADE: only websocket can be forwarded .*got "h2c"$/]],
  ['WORKERS zero', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ...CHECKED, WORKERS: '0' }, [], [/^WORKERS: must be auto or a whole number from 1 to 256, got "0"$/]],
  ['WORKERS not a number', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ...CHECKED }, ['--workers', 'many'], [/^WORKERS:/]],
  ['WORKERS with the embedded demo', { WORKERS: '2' }, [], [/^WORKERS: the embedded demo runs in one process/]],
  ['UPSTREAM_TIMEOUT zero', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ...CHECKED, UPSTREAM_TIMEOUT: '0' }, [], [/^UPSTREAM_TIMEOUT: must be a whole number from 1 to 3600000, got "0"$/]],
  ['UPSTREAM_CONNECTIONS not a number', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ...CHECKED, UPSTREAM_CONNECTIONS: '1e3' }, [], [/^UPSTREAM_CONNECTIONS:/]],
  ['bad REDIS_URL', { REDIS_URL: 'http://x' }, [], [/^REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL$/]],
  ['bad staleness', { REVOCATION_MAX_STALENESS: '5s' }, [], [/^REVOCATION_MAX_STALENESS:/]],
  ['bad metrics port', { METRICS_PORT: '99999' }, [], [/^METRICS_PORT:/]],
  ['bad gate mode', { GATE_MODE: 'audit' }, [], [/^GATE_MODE: must be enforce or report/]],
  // Issuer and audience: required with an upstream, unless explicitly let go.
  ['upstream without issuer and audience', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET }, [], [
    /^JWT_ISSUER: required with UPSTREAM_URL \(tokens' iss would not be checked\); set it, or set ALLOW_UNCHECKED_CLAIMS=iss \(--allow-unchecked-claims iss\)/,
    /^JWT_AUDIENCE: required with UPSTREAM_URL \(tokens' aud would not be checked\); set it, or set ALLOW_UNCHECKED_CLAIMS=aud \(--allow-unchecked-claims aud\)/,
  ]],
  ['upstream without audience', { UPSTREAM_URL: 'http://u.test', JWKS_URL: 'https://i.test/jwks', JWT_ISSUER: 'https://i.test/' }, [], [/^JWT_AUDIENCE: required with UPSTREAM_URL .*ALLOW_UNCHECKED_CLAIMS=aud/]],
  ['issuer let go, audience missing', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ALLOW_UNCHECKED_CLAIMS: 'iss' }, [], [/^JWT_AUDIENCE: required with UPSTREAM_URL/]],
  ['an empty issuer list', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, JWT_ISSUER: ' , ', JWT_AUDIENCE: 'api' }, [], [/^JWT_ISSUER: must list at least one value$/]],
  ['an unchecked claim that is also set', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ...CHECKED, ALLOW_UNCHECKED_CLAIMS: 'iss' }, [], [/^ALLOW_UNCHECKED_CLAIMS: lists iss, but JWT_ISSUER is set: remove one$/]],
  ['an unknown unchecked claim', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ...CHECKED }, ['--allow-unchecked-claims=sub,exp'], [/^ALLOW_UNCHECKED_CLAIMS: only iss and aud may be listed, got "sub", "exp"$/]],
  ['an empty unchecked list', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ...CHECKED, ALLOW_UNCHECKED_CLAIMS: ',' }, [], [/^ALLOW_UNCHECKED_CLAIMS: must list iss, aud or both$/]],
  ['unchecked claims in the embedded demo', { ALLOW_UNCHECKED_CLAIMS: 'iss,aud' }, [], [/^ALLOW_UNCHECKED_CLAIMS: applies with UPSTREAM_URL only/]],
];

describe.each(bad)('%s', (_name, env, argv, messages) => {
  test('GatewayConfigError with one message per bad value', () => {
    const error = thrownBy(() => loadConfig(env, argv));
    expect(error).toBeInstanceOf(GatewayConfigError);
    const problems = (error as GatewayConfigError).problems;
    expect(problems).toHaveLength(messages.length);
    messages.forEach((m, i) => expect(problems[i]).toMatch(m));
    expect((error as Error).message).not.toContain(SECRET);
  });
});

test('--help', () => {
  expect(() => loadConfig({}, ['--help'])).toThrow(HelpRequested);
  expect(helpText()).toContain('UPSTREAM_URL / --upstream-url');
  expect(helpText()).toContain('ALLOW_UNCHECKED_CLAIMS / --allow-unchecked-claims');
  expect(helpText()).toMatch(/JWT_ISSUER and JWT_AUDIENCE are required unless ALLOW_UNCHECKED_CLAIMS/);
});

test('--help lists the issuer, introspection and scope-claim settings (issue 19)', () => {
  for (const line of ['ISSUERS_FILE / --issuers-file', 'INTROSPECTION_URL / --introspection-url', 'INTROSPECTION_AUTH / --introspection-auth', 'INTROSPECTION_CLIENT_ID / --introspection-client-id', 'INTROSPECTION_CLIENT_SECRET / --introspection-client-secret', 'INTROSPECTION_TOKEN / --introspection-token', 'INTROSPECTION_TOKENS / --introspection-tokens', 'SCOPE_CLAIMS / --scope-claims', 'TOKEN_PROFILE / --token-profile']) {
    expect(helpText()).toContain(line);
  }
});

describe('issuer and audience with an upstream', () => {
  test('ALLOW_UNCHECKED_CLAIMS (or its flag) lets the named claims go unchecked, and only those', () => {
    const both = loadConfig({ UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ALLOW_UNCHECKED_CLAIMS: 'iss, aud' });
    expect(both).toMatchObject({ issuer: undefined, audience: undefined, uncheckedClaims: ['iss', 'aud'] });
    const one = loadConfig({ UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, JWT_AUDIENCE: 'api' }, ['--allow-unchecked-claims', 'iss']);
    expect(one).toMatchObject({ issuer: undefined, audience: ['api'], uncheckedClaims: ['iss'] });
    expect(loadConfig({ UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ...CHECKED }).uncheckedClaims).toEqual([]);
  });

  test('the embedded demo needs neither (it checks its own issuer and audience)', () => {
    expect(loadConfig({ PORT: '0' })).toMatchObject({ embedded: true, issuer: undefined, audience: undefined, uncheckedClaims: [] });
  });

  /** Start a gateway on a loopback upstream, its log lines in memory. */
  async function startLogged(env: Record<string, string>) {
    const upstream = await listenLoopback((_req: http.IncomingMessage, res: http.ServerResponse) => void res.end());
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    return { upstream, lines, logger, config: () => loadConfig({ PORT: '0', HOST: '127.0.0.1', UPSTREAM_URL: upstream.url, JWT_SECRET: SECRET, ...env }) };
  }

  test('with ALLOW_UNCHECKED_CLAIMS it starts, and says at warn level what is not checked', async () => {
    const { upstream, lines, logger, config } = await startLogged({ ALLOW_UNCHECKED_CLAIMS: 'iss,aud' });
    const gw = await startGateway(config(), logger);
    try {
      const warn = lines.filter((l) => l.level === 40 && /ALLOW_UNCHECKED_CLAIMS/.test(String(l.msg)));
      expect(warn).toHaveLength(1);
      expect(warn[0]).toMatchObject({ unchecked: ['iss', 'aud'], msg: expect.stringMatching(/iss and aud are NOT checked/) });
      expect(JSON.stringify(lines)).not.toContain(SECRET);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('with both checked there is no such warning', async () => {
    const { upstream, lines, logger, config } = await startLogged(CHECKED);
    const gw = await startGateway(config(), logger);
    try {
      expect(lines.filter((l) => /ALLOW_UNCHECKED_CLAIMS|NOT checked/.test(String(l.msg)))).toEqual([]);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('startGateway refuses a hand-built configuration that leaves a claim unchecked without saying so', async () => {
    const { upstream, logger, config } = await startLogged({ ALLOW_UNCHECKED_CLAIMS: 'aud', JWT_ISSUER: 'https://issuer.test/' });
    try {
      const handBuilt = { ...config(), uncheckedClaims: [] };
      // Should it start after all, close it, so the failure is reported rather than a hang.
      const outcome = await startGateway(handBuilt, logger).then(
        (gw) => gw.close().then(() => 'started'),
        (err: unknown) => err,
      );
      expect(outcome).toBeInstanceOf(GatewayConfigError);
      expect((outcome as GatewayConfigError).problems).toEqual(['JWT_AUDIENCE: required with UPSTREAM_URL unless ALLOW_UNCHECKED_CLAIMS lists aud']);
    } finally {
      await upstream.close();
    }
  });
});

describe('sender-constrained tokens: DPOP_*, MTLS, TLS_*, CLIENT_CERT_HEADER (issue 18)', () => {
  const UP = { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, ...CHECKED };
  const NONCE = 'a-dpop-nonce-secret-of-at-least-32-bytes';
  // Throwaway PEM files: two self-signed certificates and their keys (openssl), a text file.
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 10_000 });
  for (const name of ['one', 'two']) {
    ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`);
    ssl('req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-days', '1', '-out', `${name}.crt`);
  }
  const pem = (name: string) => join(dir, name);
  const notPem = file('not-pem.txt', 'hello');

  test('defaults: off with an upstream; DPoP allowed (default origins) in the embedded demo', () => {
    expect(loadConfig(UP)).toMatchObject({ dpop: null, mtls: null, tls: null, clientCertHeader: null });
    expect(loadConfig({}).dpop).toEqual({ mode: 'allowed', origins: null, algorithms: null, maxAge: null, nonce: null });
    expect(loadConfig({ DPOP: 'off' }).dpop).toBeNull();
  });

  test('values from variables and flags', () => {
    const c = loadConfig(
      { ...UP, DPOP: 'required', DPOP_ALGORITHMS: 'ES256, EdDSA', DPOP_NONCE_SECRET: NONCE, MTLS: 'allowed', TLS_CERT: pem('one.crt'), TLS_KEY: pem('one.key'), TLS_CLIENT_CA: pem('two.crt'), TRUST_PROXY: '10.0.0.1' },
      ['--dpop-origins', 'https://api.example.com, https://api.example.com:8443', '--dpop-max-age=60', '--dpop-nonce-rotation', '30', '--client-cert-header', 'X-Client-Cert'],
    );
    expect(c.dpop).toEqual({ mode: 'required', origins: ['https://api.example.com', 'https://api.example.com:8443'], algorithms: ['ES256', 'EdDSA'], maxAge: 60, nonce: { secret: NONCE, rotation: 30 } });
    expect(c.mtls).toEqual({ required: false });
    expect(c.tls).toEqual({ cert: readFileSync(pem('one.crt'), 'utf8'), key: readFileSync(pem('one.key'), 'utf8'), clientCa: readFileSync(pem('two.crt'), 'utf8') });
    expect(c.clientCertHeader).toBe('x-client-cert');
    // MTLS behind a TLS-terminating proxy: the header alone; TLS alone without MTLS: HTTPS only.
    expect(loadConfig({ ...UP, MTLS: 'required', CLIENT_CERT_HEADER: 'x-ssl-cert', TRUST_PROXY: 'loopback' })).toMatchObject({ mtls: { required: true }, tls: null, clientCertHeader: 'x-ssl-cert' });
    expect(loadConfig({ ...UP, TLS_CERT: pem('one.crt'), TLS_KEY: pem('one.key') })).toMatchObject({ mtls: null, tls: { clientCa: null } });
    // Several workers with DPoP: with REDIS_URL the used proofs are shared.
    expect(loadConfig({ ...UP, DPOP: 'allowed', WORKERS: '2', REDIS_URL: 'redis://127.0.0.1:6379' }).dpop?.mode).toBe('allowed');
  });

  test('the default origins: the gateway\'s own URL, plus the localhost / 127.0.0.1 forms on a loopback host', () => {
    expect(defaultDpopOrigins('http', '127.0.0.1', 8080)).toEqual(['http://127.0.0.1:8080', 'http://localhost:8080']);
    expect(defaultDpopOrigins('https', 'localhost', 8443)).toEqual(['https://localhost:8443', 'https://127.0.0.1:8443']);
    expect(defaultDpopOrigins('http', '::1', 80)).toEqual(['http://[::1]:80', 'http://localhost:80', 'http://127.0.0.1:80']);
    expect(defaultDpopOrigins('https', '10.1.2.3', 443)).toEqual(['https://10.1.2.3:443']);
  });

  const problems: [string, Record<string, string>, string[], RegExp[]][] = [
    ['DPOP not a mode', { ...UP, DPOP: 'on' }, [], [/^DPOP: must be off, allowed or required, got "on"$/]],
    ['DPOP_ORIGINS with a path', { ...UP, DPOP: 'allowed', DPOP_ORIGINS: 'https://a.test, https://b.test/api' }, [], [/^DPOP_ORIGINS: "https:\/\/b.test\/api" is not an origin \(scheme, host and port only/]],
    ['DPOP_ORIGINS not http(s)', { ...UP, DPOP: 'allowed' }, ['--dpop-origins=ftp://a.test'], [/^DPOP_ORIGINS: "ftp:\/\/a.test" is not an origin/]],
    ['DPOP_ORIGINS empty', { ...UP, DPOP: 'allowed', DPOP_ORIGINS: ' , ' }, [], [/^DPOP_ORIGINS: must list at least one origin/]],
    ['DPoP on a wildcard HOST without DPOP_ORIGINS', { ...UP, DPOP: 'required', HOST: '0.0.0.0' }, [], [/^DPOP_ORIGINS: required when HOST is 0\.0\.0\.0/]],
    ['DPOP_ALGORITHMS symmetric', { ...UP, DPOP: 'allowed', DPOP_ALGORITHMS: 'ES256,HS256,none' }, [], [/^DPOP_ALGORITHMS: not allowed for proofs "HS256", "none" \(asymmetric only: /]],
    ['DPOP_MAX_AGE zero', { ...UP, DPOP: 'allowed', DPOP_MAX_AGE: '0' }, [], [/^DPOP_MAX_AGE: must be a whole number of seconds from 1 to 3600, got "0"$/]],
    ['DPOP_NONCE_SECRET short', { ...UP, DPOP: 'allowed', DPOP_NONCE_SECRET: 'short-nonce-secret' }, [], [/^DPOP_NONCE_SECRET: must be at least 32 bytes$/]],
    ['DPOP_NONCE_ROTATION without a secret', { ...UP, DPOP: 'allowed', DPOP_NONCE_ROTATION: '60' }, [], [/^DPOP_NONCE_ROTATION: applies with DPOP_NONCE_SECRET only/]],
    ['DPOP_NONCE_ROTATION not a number', { ...UP, DPOP: 'allowed', DPOP_NONCE_SECRET: NONCE, DPOP_NONCE_ROTATION: '1m' }, [], [/^DPOP_NONCE_ROTATION: must be a whole number of seconds from 1 to 86400, got "1m"$/]],
    ['DPOP_* with DPoP off', { ...UP, DPOP_ORIGINS: 'https://a.test', DPOP_NONCE_SECRET: NONCE }, [], [/^DPOP_ORIGINS, DPOP_NONCE_SECRET: apply with DPOP=allowed or required only$/]],
    ['DPoP with WORKERS > 1 and no REDIS_URL', { ...UP, DPOP: 'allowed', WORKERS: '2' }, [], [/^DPOP: with WORKERS > 1 the used proofs must be shared .*set REDIS_URL$/]],
    ['several DPoP problems at once', { ...UP, DPOP: 'allowed', DPOP_ALGORITHMS: 'HS256', DPOP_MAX_AGE: 'x' }, [], [/^DPOP_ALGORITHMS:/, /^DPOP_MAX_AGE:/]],
    ['MTLS not a mode', { ...UP, MTLS: 'yes' }, [], [/^MTLS: must be off, allowed or required, got "yes"$/]],
    ['MTLS without a certificate source', { ...UP, MTLS: 'required' }, [], [/^MTLS: needs client certificates: set TLS_CERT and TLS_KEY .*or CLIENT_CERT_HEADER with TRUST_PROXY/]],
    ['TLS_CERT without TLS_KEY', { ...UP, TLS_CERT: pem('one.crt') }, [], [/^TLS_KEY: required with TLS_CERT$/]],
    ['TLS_KEY without TLS_CERT', { ...UP }, ['--tls-key', pem('one.key')], [/^TLS_CERT: required with TLS_KEY$/]],
    ['TLS_CERT not a PEM file', { ...UP, TLS_CERT: notPem, TLS_KEY: pem('one.key') }, [], [/^TLS_CERT: not a readable PEM file/]],
    ['TLS_KEY missing', { ...UP, TLS_CERT: pem('one.crt'), TLS_KEY: '/nonexistent/key.pem' }, [], [/^TLS_KEY: not a readable PEM file \("\/nonexistent\/key.pem"\)$/]],
    ['TLS_KEY not the certificate\'s', { ...UP, TLS_CERT: pem('one.crt'), TLS_KEY: pem('two.key') }, [], [/^TLS_CERT \/ TLS_KEY: cannot be used together: /]],
    ['TLS_CLIENT_CA without TLS_CERT', { ...UP, MTLS: 'allowed', CLIENT_CERT_HEADER: 'x-client-cert', TRUST_PROXY: 'loopback', TLS_CLIENT_CA: pem('two.crt') }, [], [/^TLS_CLIENT_CA: applies with TLS_CERT and TLS_KEY only/]],
    ['TLS_CLIENT_CA with MTLS off', { ...UP, TLS_CERT: pem('one.crt'), TLS_KEY: pem('one.key'), TLS_CLIENT_CA: pem('two.crt') }, [], [/^TLS_CLIENT_CA: applies with MTLS=allowed or required only/]],
    ['CLIENT_CERT_HEADER without TRUST_PROXY', { ...UP, MTLS: 'allowed', CLIENT_CERT_HEADER: 'x-client-cert' }, [], [/^CLIENT_CERT_HEADER: needs TRUST_PROXY/]],
    ['CLIENT_CERT_HEADER not a header name', { ...UP, MTLS: 'allowed', TRUST_PROXY: 'loopback', CLIENT_CERT_HEADER: 'x_client_cert' }, [], [/^CLIENT_CERT_HEADER: must be a header name/]],
    ['CLIENT_CERT_HEADER a header the gateway owns', { ...UP, MTLS: 'allowed', TRUST_PROXY: 'loopback', CLIENT_CERT_HEADER: 'Authorization' }, [], [/^CLIENT_CERT_HEADER: authorization is a header the gateway reads or sets itself/]],
    ['CLIENT_CERT_HEADER with MTLS off', { ...UP, TRUST_PROXY: 'loopback', CLIENT_CERT_HEADER: 'x-client-cert' }, [], [/^CLIENT_CERT_HEADER: applies with MTLS=allowed or required only$/]],
  ];

  test.each(problems)('%s: one message per bad value, no secret in it', (_name, env, argv, messages) => {
    const error = thrownBy(() => loadConfig(env, argv));
    expect(error).toBeInstanceOf(GatewayConfigError);
    const got = (error as GatewayConfigError).problems;
    expect(got).toHaveLength(messages.length);
    messages.forEach((m, i) => expect(got[i]).toMatch(m));
    for (const secret of [SECRET, NONCE, 'short-nonce-secret', readFileSync(pem('one.key'), 'utf8').split('\n')[1]!]) expect((error as Error).message).not.toContain(secret);
  });

  test('--help lists them, and says what the default origins are', () => {
    for (const name of ['DPOP / --dpop', 'DPOP_ORIGINS / --dpop-origins', 'DPOP_ALGORITHMS / --dpop-algorithms', 'DPOP_MAX_AGE / --dpop-max-age', 'DPOP_NONCE_SECRET / --dpop-nonce-secret', 'DPOP_NONCE_ROTATION / --dpop-nonce-rotation', 'MTLS / --mtls', 'TLS_CERT / --tls-cert', 'TLS_KEY / --tls-key', 'TLS_CLIENT_CA / --tls-client-ca', 'CLIENT_CERT_HEADER / --client-cert-header']) {
      expect(helpText()).toContain(name);
    }
    expect(helpText()).toMatch(/default: the gateway's own URL, http\(s\):\/\/HOST:PORT, plus its localhost and 127\.0\.0\.1 forms/);
  });
});
