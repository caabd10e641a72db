/**
 * RFC 9728 Protected Resource Metadata in the gateway: `RESOURCE_URL` and `AUTHORIZATION_SERVERS`
 * validated at start, the document served at the well-known path on the main port (before the
 * gate, never forwarded), `resource_metadata` on 401 challenges, and 403 `insufficient_scope`
 * naming the scopes — over real sockets.
 */
import http from 'node:http';
import pino from 'pino';
import { HS_SECRET, sign } from '../../../packages/core/test/support/keys';
import { GatewayConfigError, helpText, loadConfig } from '../src/config';
import { listenLoopback, type RunningServer } from '../src/demo/upstream';
import { startGateway, type RunningGateway } from '../src/run';
import { thrownBy } from '../../../packages/core/test/support/thrown';

const ISSUER = 'https://issuer.example.com/';
const BASE = { UPSTREAM_URL: 'http://u.test', JWT_SECRET: HS_SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'api' };

describe('configuration', () => {
  test('off by default', () => {
    expect(loadConfig(BASE)).toMatchObject({ resourceUrl: null, authorizationServers: null });
  });

  test('RESOURCE_URL enables it; AUTHORIZATION_SERVERS defaults to JWT_ISSUER (left null here), flags work', () => {
    expect(loadConfig({ ...BASE, RESOURCE_URL: 'https://api.example.com' })).toMatchObject({ resourceUrl: 'https://api.example.com', authorizationServers: null });
    const c = loadConfig(BASE, ['--resource-url', 'https://api.example.com/v1', '--authorization-servers=https://as1.example.com, https://as2.example.net']);
    expect(c).toMatchObject({ resourceUrl: 'https://api.example.com/v1', authorizationServers: ['https://as1.example.com', 'https://as2.example.net'] });
    // The embedded demo: the demo issuer is the default (known at start).
    expect(loadConfig({ RESOURCE_URL: 'http://127.0.0.1:8080' })).toMatchObject({ embedded: true, resourceUrl: 'http://127.0.0.1:8080' });
  });

  test.each<[string, Record<string, string>, RegExp[]]>([
    ['RESOURCE_URL over http on a public host', { ...BASE, RESOURCE_URL: 'http://api.example.com' }, [/^RESOURCE_URL: resource must be an https URL \(http only on a loopback host\)/]],
    ['RESOURCE_URL with a fragment', { ...BASE, RESOURCE_URL: 'https://api.example.com/#x' }, [/^RESOURCE_URL: resource must not have a fragment/]],
    ['RESOURCE_URL not canonical', { ...BASE, RESOURCE_URL: 'https://API.example.com' }, [/^RESOURCE_URL: .*canonical form: "https:\/\/api.example.com"/]],
    ['AUTHORIZATION_SERVERS without RESOURCE_URL', { ...BASE, AUTHORIZATION_SERVERS: 'https://as.example.com' }, [/^AUTHORIZATION_SERVERS: applies with RESOURCE_URL only/]],
    ['AUTHORIZATION_SERVERS not https', { ...BASE, RESOURCE_URL: 'https://api.example.com', AUTHORIZATION_SERVERS: 'http://as.example.com' }, [/^AUTHORIZATION_SERVERS: authorizationServers must be an https URL/]],
    ['AUTHORIZATION_SERVERS only commas', { ...BASE, RESOURCE_URL: 'https://api.example.com', AUTHORIZATION_SERVERS: ' , ' }, [/^AUTHORIZATION_SERVERS: must list at least one issuer URL/]],
    ['the JWT_ISSUER default is not an issuer URL', { ...BASE, JWT_ISSUER: 'my-issuer', RESOURCE_URL: 'https://api.example.com' }, [/^AUTHORIZATION_SERVERS \(default: JWT_ISSUER\): authorizationServers must be an absolute URL, got "my-issuer"/]],
    [
      'no issuer to default to',
      { UPSTREAM_URL: 'http://u.test', JWT_SECRET: HS_SECRET, JWT_AUDIENCE: 'api', ALLOW_UNCHECKED_CLAIMS: 'iss', RESOURCE_URL: 'https://api.example.com' },
      [/^AUTHORIZATION_SERVERS: required with RESOURCE_URL when JWT_ISSUER is not set/],
    ],
  ])('%s → GatewayConfigError', (_name, env, messages) => {
    const error = thrownBy(() => loadConfig(env));
    expect(error).toBeInstanceOf(GatewayConfigError);
    const problems = (error as GatewayConfigError).problems;
    expect(problems).toHaveLength(messages.length);
    messages.forEach((m, i) => expect(problems[i]).toMatch(m));
  });

  test('--help lists both settings', () => {
    expect(helpText()).toContain('RESOURCE_URL / --resource-url');
    expect(helpText()).toContain('AUTHORIZATION_SERVERS / --authorization-servers');
  });
});

describe('the gateway over real sockets', () => {
  let upstream: RunningServer;
  let gw: RunningGateway;
  let plain: RunningGateway;
  let forwarded: string[];
  const metadataUrl = 'https://api.example.com/.well-known/oauth-protected-resource';

  beforeAll(async () => {
    forwarded = [];
    upstream = await listenLoopback((req: http.IncomingMessage, res: http.ServerResponse) => {
      forwarded.push(`${req.method} ${req.url}`);
      res.end('{}');
    });
    const env = { ...BASE, UPSTREAM_URL: upstream.url, PORT: '0', LOG_LEVEL: 'silent' };
    gw = await startGateway(loadConfig({ ...env, RESOURCE_URL: 'https://api.example.com' }), pino({ level: 'silent' }));
    plain = await startGateway(loadConfig(env), pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await Promise.all([gw?.close(100), plain?.close(100)]);
    await upstream?.close();
  });

  test('GET /.well-known/oauth-protected-resource: the document on the main port, before the gate, never forwarded', async () => {
    const res = await fetch(`${gw.url}/.well-known/oauth-protected-resource`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const doc = await res.json();
    expect(doc).toMatchObject({ resource: 'https://api.example.com', authorization_servers: [ISSUER], bearer_methods_supported: ['header'] });
    // Dynamic's table: its scopes, sorted, with its read-all scope.
    expect(doc.scopes_supported).toEqual(expect.arrayContaining(['all.read', 'environment.users.read', 'environment.users.write']));
    expect(doc.scopes_supported).toEqual([...doc.scopes_supported].sort());
    const head = await fetch(`${gw.url}/.well-known/oauth-protected-resource`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(forwarded).toEqual([]);
    expect(gw.resourceMetadataUrl).toBe(metadataUrl);
  });

  test('a 401 carries resource_metadata; a 403 insufficient_scope names the required scope', async () => {
    const missing = await fetch(`${gw.url}/users/u-1`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe(`Bearer realm="api", resource_metadata="${metadataUrl}"`);
    const bad = await fetch(`${gw.url}/users/u-1`, { headers: { authorization: 'Bearer x.y.z' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(new RegExp(`^Bearer realm="api", error="invalid_token", error_description="[^"]+", resource_metadata="${metadataUrl}"$`));
    const token = await sign(HS_SECRET, { iss: ISSUER, aud: 'api', scope: 'environment.users.read' });
    const refused = await fetch(`${gw.url}/users/u-1`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toBe(`Bearer realm="api", error="insufficient_scope", scope="environment.users.write", resource_metadata="${metadataUrl}"`);
    const allowed = await fetch(`${gw.url}/users/u-1`, { headers: { authorization: `Bearer ${token}` } });
    expect(allowed.status).toBe(200);
    expect(forwarded).toEqual(['GET /users/u-1']);
  });

  test('without RESOURCE_URL: the well-known path goes to the gate, challenges as before', async () => {
    expect((await fetch(`${plain.url}/.well-known/oauth-protected-resource`)).status).toBe(401);
    expect((await fetch(`${plain.url}/users/u-1`)).headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(plain.resourceMetadataUrl).toBeNull();
  });

  test('the embedded demo names its own issuer', async () => {
    const demo = await startGateway(loadConfig({ PORT: '0', RESOURCE_URL: 'http://127.0.0.1:8080' }), pino({ level: 'silent' }));
    try {
      const doc = await (await fetch(`${demo.url}/.well-known/oauth-protected-resource`)).json();
      expect(doc).toMatchObject({ resource: 'http://127.0.0.1:8080', authorization_servers: [demo.demo!.issuer.issuer] });
      // DPoP is on in the demo (DPOP=allowed): both challenges name the metadata.
      const metadata = 'resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource"';
      expect((await fetch(`${demo.url}/users/u-1`)).headers.get('www-authenticate')).toBe(`Bearer realm="api", ${metadata}, DPoP realm="api", ${metadata}, algs="ES256 EdDSA PS256 RS256"`);
    } finally {
      await demo.close(100);
    }
  });
});

test('startGateway refuses a hand-built configuration with a bad RESOURCE_URL before opening anything', async () => {
  const config = { ...loadConfig({ ...BASE, PORT: '0' }), resourceUrl: 'http://api.example.com' };
  await expect(startGateway(config, pino({ level: 'silent' }))).rejects.toThrow(GatewayConfigError);
  await expect(startGateway(config, pino({ level: 'silent' }))).rejects.toThrow(/RESOURCE_URL \/ AUTHORIZATION_SERVERS: resource must be an https URL/);
});
