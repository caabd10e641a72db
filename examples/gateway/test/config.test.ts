import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayConfigError, helpText, HelpRequested, loadConfig } from '../src/config';

const SECRET = 'x'.repeat(32);
const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('no configuration: the embedded demo on 127.0.0.1:8080', () => {
  const c = loadConfig({});
  expect(c).toMatchObject({ embedded: true, port: 8080, host: '127.0.0.1', upstreamUrl: null, key: null, logLevel: 'info', routes: null, algorithms: ['ES256'], redisUrl: null, revocationMaxStaleness: 5000, metricsPort: null, gateMode: 'enforce' });
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
  expect(loadConfig({ UPSTREAM_URL: 'http://u.test', JWT_PUBLIC_KEY: pem }).key).toEqual({ kind: 'publicKey', pem: pem.replace(/\\n/g, '\n') });
  const routes = file('routes.json', JSON.stringify([{ method: 'GET', path: '/things/:id', scopes: ['things.read'] }]));
  const c = loadConfig({ UPSTREAM_URL: 'http://u.test', JWKS_URL: 'https://i.test/jwks', ROUTES_FILE: routes });
  expect(c.routes?.match('GET', '/things/1')?.rule.scopes).toEqual(['things.read']);
  expect(c.algorithms).toEqual(['RS256', 'ES256']);
});

const bad: [string, Record<string, string>, string[], RegExp[]][] = [
  ['port out of range', { PORT: '70000' }, [], [/^PORT: must be an integer from 0 to 65535, got "70000"$/]],
  ['port not a number', { PORT: 'http' }, [], [/^PORT:/]],
  ['upstream not http', { UPSTREAM_URL: 'ftp://x', JWT_SECRET: SECRET }, [], [/^UPSTREAM_URL: must be an http or https URL/]],
  ['upstream without key', { UPSTREAM_URL: 'http://u.test' }, [], [/one is required with UPSTREAM_URL/]],
  ['key without upstream', { JWT_SECRET: SECRET }, [], [/UPSTREAM_URL: required when a key is configured/]],
  ['two keys', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, JWKS_URL: 'https://i.test/j' }, [], [/set only one of/]],
  ['short secret', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: 'short' }, [], [/^JWT_SECRET: must be at least 32 bytes$/]],
  ['bad JWKS URL', { UPSTREAM_URL: 'http://u.test', JWKS_URL: 'jwks.json' }, [], [/^JWKS_URL:/]],
  ['missing key file', { UPSTREAM_URL: 'http://u.test', JWT_PUBLIC_KEY: '/nonexistent/key.pem' }, [], [/^JWT_PUBLIC_KEY:/]],
  ['alg none', { UPSTREAM_URL: 'http://u.test', JWT_SECRET: SECRET, JWT_ALGORITHMS: 'none,HS256' }, [], [/^JWT_ALGORITHMS: unknown or disallowed none/]],
  ['bad log level', { LOG_LEVEL: 'loud' }, [], [/^LOG_LEVEL:/]],
  ['routes file not JSON', { ROUTES_FILE: file('bad.json', '{') }, [], [/^ROUTES_FILE:/]],
  ['routes file ambiguous', { ROUTES_FILE: file('amb.json', JSON.stringify([{ method: 'GET', path: '/a/:x', scopes: ['a'] }, { method: 'GET', path: '/a/b', scopes: ['b'] }])) }, [], [/^ROUTES_FILE: rule #0 .*different requirements/]],
  ['unknown flag', {}, ['--prot=1'], [/unknown argument "--prot=1"/]],
  ['flag without value', {}, ['--port'], [/--port needs a value/]],
  ['several problems at once', { PORT: 'x', LOG_LEVEL: 'y' }, [], [/^PORT:/, /^LOG_LEVEL:/]],
  ['bad REDIS_URL', { REDIS_URL: 'http://x' }, [], [/^REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL$/]],
  ['bad staleness', { REVOCATION_MAX_STALENESS: '5s' }, [], [/^REVOCATION_MAX_STALENESS:/]],
  ['bad metrics port', { METRICS_PORT: '99999' }, [], [/^METRICS_PORT:/]],
  ['bad gate mode', { GATE_MODE: 'audit' }, [], [/^GATE_MODE: must be enforce or report/]],
];

describe.each(bad)('%s', (_name, env, argv, messages) => {
  test('GatewayConfigError with one message per bad value', () => {
    let error: unknown;
    try {
      loadConfig(env, argv);
    } catch (e) {
      error = e;
    }
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
});
