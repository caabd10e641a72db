/**
 * RFC 9728 OAuth 2.0 Protected Resource Metadata: the document (§2, checked against the RFC's
 * own example, §3.2), the well-known URL (§3.1), the `resource_metadata` challenge parameter
 * (§5.1) on the gate's 401s, and the 403 `insufficient_scope` challenges naming the scopes that
 * would let the request pass (step-up).
 */
import {
  authorize,
  bearerChallenge,
  compileRoutes,
  ConfigError,
  createVerifier,
  ForbiddenError,
  protectedResourceMetadata,
  resourceMetadataEndpoints,
  resourceMetadataUrl,
  RESOURCE_METADATA_PATH,
  ScopeGateError,
  UnauthorizedError,
  type ProtectedResourceMetadataOptions,
} from '@scopegate/core';
import { HS_SECRET, sign } from './support/keys';

const table = compileRoutes(
  [
    { method: 'GET', path: '/healthz', public: true },
    { method: 'GET', path: '/users/:id', scopes: ['users.read'] },
    { method: ['PUT', 'DELETE'], path: '/users/:id', scopes: ['users.write', 'users.read'] },
    { method: 'GET', path: '/reports', anyOf: [['reports.read'], ['admin']] },
    { method: 'GET', path: '/me', scopes: [] },
  ],
  { readAllScope: 'all.read' },
);

describe('protectedResourceMetadata: the RFC 9728 §2 document', () => {
  test('reproduces the RFC 9728 §3.2 example from equivalent inputs (bearer methods: header only)', () => {
    // The RFC's example response, member for member and in its order. The one deliberate
    // difference: scopegate reads the token from the Authorization header only, so it never
    // advertises "body" (RFC 6750 §2.2), which the example's resource also accepts.
    const rfcExample = {
      resource: 'https://resource.example.com',
      authorization_servers: ['https://as1.example.com', 'https://as2.example.net'],
      bearer_methods_supported: ['header', 'body'],
      scopes_supported: ['profile', 'email', 'phone'],
      resource_documentation: 'https://resource.example.com/resource_documentation.html',
    };
    const rfcTable = compileRoutes([
      { method: 'GET', path: '/profile', scopes: ['profile'] },
      { method: 'GET', path: '/email', scopes: ['email'] },
      { method: 'GET', path: '/phone', scopes: ['phone'] },
    ]);
    const options: ProtectedResourceMetadataOptions = {
      resource: 'https://resource.example.com',
      authorizationServers: ['https://as1.example.com', 'https://as2.example.net'],
      scopesSupported: ['profile', 'email', 'phone'],
      resourceDocumentation: 'https://resource.example.com/resource_documentation.html',
    };
    const doc = protectedResourceMetadata(rfcTable, options);
    expect(JSON.stringify(doc)).toBe(JSON.stringify({ ...rfcExample, bearer_methods_supported: ['header'] }));
    // From the table alone: the same scopes, sorted.
    const fromTable = protectedResourceMetadata(rfcTable, { ...options, scopesSupported: undefined });
    expect(fromTable.scopes_supported).toEqual(['email', 'phone', 'profile']);
    expect(new Set(fromTable.scopes_supported)).toEqual(new Set(rfcExample.scopes_supported));
  });

  test('the minimal document: resource, bearer methods, the table scopes sorted and once each, with the read-all scope', () => {
    const doc = protectedResourceMetadata(table, { resource: 'https://api.example.com' });
    expect(doc).toEqual({
      resource: 'https://api.example.com',
      bearer_methods_supported: ['header'],
      scopes_supported: ['admin', 'all.read', 'reports.read', 'users.read', 'users.write'],
    });
    expect(Object.isFrozen(doc)).toBe(true);
    // No rule scopes and no read-all scope: scopes_supported is left out (§3.2: no empty parameters).
    expect(protectedResourceMetadata(compileRoutes([{ method: 'GET', path: '/x', scopes: [] }]), { resource: 'https://a.example' })).not.toHaveProperty('scopes_supported');
  });

  test('optional parameters pass through when given; DPoP only when switched on; resource signing algs only when given', () => {
    const doc = protectedResourceMetadata(table, {
      resource: 'https://api.example.com/v1',
      authorizationServers: ['https://issuer.example.com', 'https://issuer.example.com'],
      resourceName: 'Example API',
      resourceDocumentation: 'https://docs.example.com/api',
      resourcePolicyUri: 'https://example.com/policy',
      resourceTosUri: 'https://example.com/tos',
      jwksUri: 'https://api.example.com/jwks.json',
      tlsClientCertificateBoundAccessTokens: false,
      authorizationDetailsTypesSupported: ['payment_initiation'],
      dpopSigningAlgValuesSupported: ['ES256', 'RS256'],
      dpopBoundAccessTokensRequired: true,
    });
    expect(doc).toEqual({
      resource: 'https://api.example.com/v1',
      authorization_servers: ['https://issuer.example.com'],
      bearer_methods_supported: ['header'],
      scopes_supported: ['admin', 'all.read', 'reports.read', 'users.read', 'users.write'],
      resource_documentation: 'https://docs.example.com/api',
      resource_name: 'Example API',
      resource_policy_uri: 'https://example.com/policy',
      resource_tos_uri: 'https://example.com/tos',
      jwks_uri: 'https://api.example.com/jwks.json',
      tls_client_certificate_bound_access_tokens: false,
      authorization_details_types_supported: ['payment_initiation'],
      dpop_signing_alg_values_supported: ['ES256', 'RS256'],
      dpop_bound_access_tokens_required: true,
    });
    expect(doc).not.toHaveProperty('resource_signing_alg_values_supported');
    expect(protectedResourceMetadata(table, { resource: 'https://a.example', resourceSigningAlgValuesSupported: ['PS256'] }).resource_signing_alg_values_supported).toEqual(['PS256']);
    expect(protectedResourceMetadata(table, { resource: 'https://a.example' })).not.toHaveProperty('dpop_signing_alg_values_supported');
  });

  test('http is accepted on a loopback host only', () => {
    expect(protectedResourceMetadata(table, { resource: 'http://127.0.0.1:8080' }).resource).toBe('http://127.0.0.1:8080');
    expect(protectedResourceMetadata(table, { resource: 'http://localhost:3000/api', authorizationServers: ['http://localhost:4000/'] }).authorization_servers).toEqual(['http://localhost:4000/']);
  });

  test.each<[string, Partial<ProtectedResourceMetadataOptions> & Record<string, unknown>, RegExp]>([
    ['resource missing', { resource: undefined }, /^resource must be the resource identifier/],
    ['resource not a URL', { resource: 'api.example.com' }, /^resource must be an absolute URL/],
    ['resource over http', { resource: 'http://api.example.com' }, /^resource must be an https URL \(http only on a loopback host\)/],
    ['resource of another scheme', { resource: 'urn:example:api' }, /^resource must be an https URL/],
    ['resource with a fragment', { resource: 'https://api.example.com/#x' }, /^resource must not have a fragment/],
    ['resource with an empty fragment', { resource: 'https://api.example.com/#' }, /^resource must not have a fragment/],
    ['resource with a query', { resource: 'https://api.example.com/?tenant=1' }, /^resource must not have a query/],
    ['resource with credentials', { resource: 'https://u:p@api.example.com' }, /^resource must not carry credentials/],
    ['resource not canonical (host case)', { resource: 'https://API.example.com' }, /^resource must be written in canonical form: "https:\/\/api.example.com"/],
    ['resource not canonical (default port)', { resource: 'https://api.example.com:443/v1' }, /canonical form: "https:\/\/api.example.com\/v1"/],
    ['resource not canonical (dot segment)', { resource: 'https://api.example.com/a/../v1' }, /canonical form/],
    ['authorizationServers not an array', { authorizationServers: 'https://as.example' as never }, /^authorizationServers must be an array of strings/],
    ['authorizationServers empty', { authorizationServers: [] }, /^authorizationServers must list at least one value/],
    ['authorizationServers over http', { authorizationServers: ['http://as.example.com'] }, /^authorizationServers must be an https URL/],
    ['authorizationServers with a query', { authorizationServers: ['https://as.example.com/?x=1'] }, /^authorizationServers: an issuer identifier has no query/],
    ['authorizationServers holding a number', { authorizationServers: [1 as never] }, /^authorizationServers: 1 is not a valid value/],
    ['scopesSupported with a space', { scopesSupported: ['a b'] }, /^scopesSupported: "a b" is not a scope name/],
    ['scopesSupported not an array', { scopesSupported: 'a' as never }, /^scopesSupported must be an array/],
    ['resourceName empty', { resourceName: ' ' }, /^resourceName must be a non-empty string/],
    ['resourceDocumentation not a URL', { resourceDocumentation: 'docs' }, /^resourceDocumentation must be an absolute URL/],
    ['resourcePolicyUri of another scheme', { resourcePolicyUri: 'ftp://example.com/p' }, /^resourcePolicyUri must be an http or https URL/],
    ['resourceTosUri with a fragment', { resourceTosUri: 'https://example.com/tos#top' }, /^resourceTosUri must not have a fragment/],
    ['jwksUri over http', { jwksUri: 'http://api.example.com/jwks.json' }, /^jwksUri must be an https URL/],
    ['resourceSigningAlgValuesSupported with none', { resourceSigningAlgValuesSupported: ['RS256', 'none'] }, /^resourceSigningAlgValuesSupported must not list "none"/],
    ['dpopSigningAlgValuesSupported with none', { dpopSigningAlgValuesSupported: ['NONE'] }, /^dpopSigningAlgValuesSupported must not list "none"/],
    ['dpopSigningAlgValuesSupported empty', { dpopSigningAlgValuesSupported: [] }, /^dpopSigningAlgValuesSupported must list at least one value/],
    ['dpopBoundAccessTokensRequired without DPoP algorithms', { dpopBoundAccessTokensRequired: true }, /^dpopBoundAccessTokensRequired: true needs dpopSigningAlgValuesSupported/],
    ['tlsClientCertificateBoundAccessTokens not a boolean', { tlsClientCertificateBoundAccessTokens: 'yes' as never }, /^tlsClientCertificateBoundAccessTokens must be true or false/],
    ['authorizationDetailsTypesSupported holding an empty string', { authorizationDetailsTypesSupported: [''] }, /^authorizationDetailsTypesSupported: "" is not a valid value/],
    ['an unknown option (snake_case spelling)', { authorization_servers: ['https://as.example.com'] }, /^resource metadata: unknown option "authorization_servers"/],
  ])('bad option: %s → ConfigError naming it', (_name, bad, message) => {
    const build = () => protectedResourceMetadata(table, { resource: 'https://api.example.com', ...bad } as ProtectedResourceMetadataOptions);
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(message);
  });

  test('bad table or options object → ConfigError', () => {
    expect(() => protectedResourceMetadata(null as never, { resource: 'https://a.example' })).toThrow(/table must be a compiled RouteTable/);
    expect(() => protectedResourceMetadata(table, null as never)).toThrow(/options must be an object/);
  });
});

describe('resourceMetadataUrl: RFC 9728 §3.1', () => {
  test.each([
    // The RFC's two examples.
    ['https://resource.example.com', 'https://resource.example.com/.well-known/oauth-protected-resource'],
    ['https://resource.example.com/resource1', 'https://resource.example.com/.well-known/oauth-protected-resource/resource1'],
    // The brief's, a root slash (removed), a port, a deeper and a trailing-slash path.
    ['https://r.example/api', 'https://r.example/.well-known/oauth-protected-resource/api'],
    ['https://r.example/', 'https://r.example/.well-known/oauth-protected-resource'],
    ['https://r.example:8443/a/b', 'https://r.example:8443/.well-known/oauth-protected-resource/a/b'],
    ['https://r.example/api/', 'https://r.example/.well-known/oauth-protected-resource/api/'],
    ['http://127.0.0.1:9000/mcp', 'http://127.0.0.1:9000/.well-known/oauth-protected-resource/mcp'],
  ])('%s → %s', (resource, expected) => {
    expect(resourceMetadataUrl(resource)).toBe(expected);
    expect(new URL(expected).pathname.startsWith(RESOURCE_METADATA_PATH)).toBe(true);
  });

  test('an invalid resource identifier → ConfigError', () => {
    expect(() => resourceMetadataUrl('http://r.example')).toThrow(ConfigError);
    expect(() => resourceMetadataUrl('https://r.example/#f')).toThrow(/fragment/);
  });
});

describe('resourceMetadataEndpoints: what adapters serve', () => {
  test('the resource and each path prefix get their own document; a request names the longest prefix it is under', () => {
    const e = resourceMetadataEndpoints(table, { resource: 'https://api.example.com', authorizationServers: ['https://as.example.com'], paths: ['/mcp', '/mcp/admin'] });
    expect([...e.documents.keys()]).toEqual([
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource/mcp/admin',
    ]);
    expect(JSON.parse(e.documents.get('/.well-known/oauth-protected-resource/mcp')!)).toMatchObject({ resource: 'https://api.example.com/mcp', authorization_servers: ['https://as.example.com'] });
    expect(e.metadataUrlFor('/users/1')).toBe('https://api.example.com/.well-known/oauth-protected-resource');
    expect(e.metadataUrlFor('/mcp')).toBe('https://api.example.com/.well-known/oauth-protected-resource/mcp');
    expect(e.metadataUrlFor('/mcp/tools')).toBe('https://api.example.com/.well-known/oauth-protected-resource/mcp');
    expect(e.metadataUrlFor('/mcp/admin/x')).toBe('https://api.example.com/.well-known/oauth-protected-resource/mcp/admin');
    // A prefix is a whole segment: /mcpx is not under /mcp.
    expect(e.metadataUrlFor('/mcpx')).toBe('https://api.example.com/.well-known/oauth-protected-resource');
    expect(e.urls).toEqual([
      'https://api.example.com/.well-known/oauth-protected-resource',
      'https://api.example.com/.well-known/oauth-protected-resource/mcp/admin',
      'https://api.example.com/.well-known/oauth-protected-resource/mcp',
    ]);
  });

  test('a resource with a path is served under it', () => {
    const e = resourceMetadataEndpoints(table, { resource: 'https://api.example.com/v1' });
    expect([...e.documents.keys()]).toEqual(['/.well-known/oauth-protected-resource/v1']);
  });

  test.each([
    ['not an array', '/mcp' as never, /paths must be an array/],
    ['no leading slash', ['mcp'], /"mcp" must be a path prefix/],
    ['a trailing slash', ['/mcp/'], /must be a path prefix/],
    ['the root', ['/'], /must be a path prefix/],
    ['a query', ['/mcp?x'], /must be a path prefix/],
    ['a dot segment', ['/a/../b'], /dot segment/],
    ['listed twice', ['/mcp', '/mcp'], /listed twice/],
    ['the resource\'s own path', ['/v1'], /listed twice, or is the resource's own path/],
  ])('bad paths: %s → ConfigError', (_name, paths, message) => {
    const build = () => resourceMetadataEndpoints(table, { resource: 'https://api.example.com/v1', paths: paths as readonly string[] });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(message);
  });
});

describe('challenges: resource_metadata (RFC 9728 §5.1) and the scopes of a refusal', () => {
  const verifier = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET });
  const metadataUrl = 'https://api.example.com/.well-known/oauth-protected-resource';
  const refusal = async (path: string, authorization: string | undefined, resourceMetadata?: string, method = 'GET') => {
    try {
      await authorize(verifier, table, { method, path, authorization }, { realm: 'api', ...(resourceMetadata ? { resourceMetadata } : {}) });
    } catch (e) {
      if (e instanceof ScopeGateError) return e;
      throw e;
    }
    throw new Error('allowed');
  };

  test('bearerChallenge: resource_metadata comes last, quoted and escaped like every value', () => {
    expect(bearerChallenge(undefined, { resource_metadata: metadataUrl })).toBe(`Bearer resource_metadata="${metadataUrl}"`);
    expect(bearerChallenge('api', { error: 'invalid_token', error_description: 'x', resource_metadata: 'https://a.example/"\\\n' })).toBe(
      'Bearer realm="api", error="invalid_token", error_description="x", resource_metadata="https://a.example/\\"\\\\?"',
    );
    // Unchanged without it.
    expect(bearerChallenge('api', { error: 'insufficient_scope', scope: 'users.read' })).toBe('Bearer realm="api", error="insufficient_scope", scope="users.read"');
  });

  test('error classes: the URL is an optional last argument; without it the header is as before', () => {
    expect(new UnauthorizedError('ERR_TOKEN_MISSING', 'No jwt provided!', 'api').headers['WWW-Authenticate']).toBe('Bearer realm="api"');
    expect(new UnauthorizedError('ERR_TOKEN_MISSING', 'No jwt provided!', 'api', undefined, metadataUrl).headers['WWW-Authenticate']).toBe(`Bearer realm="api", resource_metadata="${metadataUrl}"`);
    const forbidden = new ForbiddenError('ERR_INSUFFICIENT_SCOPE', ['users.write', 'users.read'], 'api', undefined, metadataUrl);
    expect(forbidden.headers['WWW-Authenticate']).toBe(`Bearer realm="api", error="insufficient_scope", scope="users.write users.read", resource_metadata="${metadataUrl}"`);
    expect(forbidden.challenge.resource_metadata).toBe(metadataUrl);
  });

  test('every 401 of authorize carries resource_metadata when configured: no token, bad token, expired token', async () => {
    const expired = await sign(HS_SECRET, { scope: 'users.read', exp: Math.floor(Date.now() / 1000) - 3600 });
    const cases: [string | undefined, string][] = [
      [undefined, `Bearer realm="api", resource_metadata="${metadataUrl}"`],
      ['Bearer not.a.jwt', `Bearer realm="api", error="invalid_token", error_description="Invalid token: malformed", resource_metadata="${metadataUrl}"`],
      [`Bearer ${expired}`, `Bearer realm="api", error="invalid_token", error_description="Token expired", resource_metadata="${metadataUrl}"`],
    ];
    for (const [authorization, challenge] of cases) {
      const e = await refusal('/users/1', authorization, metadataUrl);
      expect(e.status).toBe(401);
      expect(e.headers['WWW-Authenticate']).toBe(challenge);
      // Without the option: exactly the challenge as before.
      const plain = await refusal('/users/1', authorization);
      expect(plain.headers['WWW-Authenticate']).toBe(challenge.replace(`, resource_metadata="${metadataUrl}"`, ''));
    }
  });

  test('403 insufficient_scope names the scopes of the rule that refused (the closest alternative of an anyOf)', async () => {
    const readOnly = `Bearer ${await sign(HS_SECRET, { scope: 'users.read' })}`;
    const put = await refusal('/users/1', readOnly, metadataUrl, 'PUT');
    expect(put.status).toBe(403);
    expect(put.headers['WWW-Authenticate']).toBe(`Bearer realm="api", error="insufficient_scope", scope="users.write users.read", resource_metadata="${metadataUrl}"`);
    const reports = await refusal('/reports', readOnly);
    expect(reports.headers['WWW-Authenticate']).toBe('Bearer realm="api", error="insufficient_scope", scope="reports.read"');
    // A 400 (malformed header) and a 403 no-route keep their challenges as they were.
    expect((await refusal('/users/1', 'Bearer a b', metadataUrl)).headers['WWW-Authenticate']).not.toContain('resource_metadata');
    expect((await refusal('/nowhere', readOnly, metadataUrl)).headers['WWW-Authenticate']).toBe('Bearer realm="api", error="insufficient_scope"');
  });
});
