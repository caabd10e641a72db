/**
 * `scopeGate({ resourceMetadata })` over real sockets: the RFC 9728 document at the well-known
 * paths (before any authentication), `resource_metadata` on every 401 challenge (per path
 * prefix), and 403 `insufficient_scope` challenges naming the scopes the rule requires.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ConfigError, createVerifier, type RouteRule } from '@scopegate/core';
import { scopeGate, type ScopeGateOptions } from '@scopegate/express';
import { HS_SECRET, sign } from '../../core/test/support/keys';

const rules: RouteRule[] = [
  { method: 'GET', path: '/healthz', public: true },
  { method: 'GET', path: '/items/:id', scopes: ['items.read'] },
  { method: 'PUT', path: '/items/:id', scopes: ['items.write', 'items.read'] },
  { method: 'POST', path: '/mcp', scopes: ['mcp.call'] },
];
const verifier = createVerifier({ algorithms: ['HS256'], secret: HS_SECRET });
const resourceMetadata = {
  resource: 'https://api.example.com',
  authorizationServers: ['https://issuer.example.com'],
  resourceName: 'Items API',
  paths: ['/mcp'],
};
const BASE_URL = 'https://api.example.com/.well-known/oauth-protected-resource';
const MCP_URL = 'https://api.example.com/.well-known/oauth-protected-resource/mcp';

let server: http.Server;
let plainServer: http.Server;
let base: string;
let plainBase: string;

function listen(options: Partial<ScopeGateOptions>): Promise<[http.Server, string]> {
  const app = express();
  app.use(scopeGate({ routes: rules, verifier, ...options }));
  app.get('/items/:id', (req, res) => res.json({ id: req.params.id }));
  app.put('/items/:id', (req, res) => res.json({ id: req.params.id }));
  app.post('/mcp', (_req, res) => res.json({ ok: true }));
  app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
  const s = http.createServer(app);
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve([s, `http://127.0.0.1:${(s.address() as AddressInfo).port}`])));
}

beforeAll(async () => {
  [server, base] = await listen({ resourceMetadata });
  [plainServer, plainBase] = await listen({});
});
afterAll(async () => {
  await Promise.all([server, plainServer].map((s) => new Promise((r) => s.close(r))));
});

test('GET /.well-known/oauth-protected-resource: the document, JSON, cacheable, without a token', async () => {
  const res = await fetch(`${base}/.well-known/oauth-protected-resource`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
  expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
  expect(res.headers.get('www-authenticate')).toBeNull();
  expect(await res.json()).toEqual({
    resource: 'https://api.example.com',
    authorization_servers: ['https://issuer.example.com'],
    bearer_methods_supported: ['header'],
    scopes_supported: ['items.read', 'items.write', 'mcp.call'],
    resource_name: 'Items API',
  });
  // A token (even a bad one) does not matter: nothing is authenticated there.
  expect((await fetch(`${base}/.well-known/oauth-protected-resource`, { headers: { authorization: 'Bearer junk' } })).status).toBe(200);
  const head = await fetch(`${base}/.well-known/oauth-protected-resource`, { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(await head.text()).toBe('');
});

test('the per-prefix document names the prefix as its resource (RFC 9728 §3.3)', async () => {
  const res = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`);
  expect(res.status).toBe(200);
  expect((await res.json()).resource).toBe('https://api.example.com/mcp');
  // Other well-known paths are the table's business (none here: 401, unauthenticated).
  expect((await fetch(`${base}/.well-known/oauth-protected-resource/other`)).status).toBe(401);
  // Other methods too.
  expect((await fetch(`${base}/.well-known/oauth-protected-resource`, { method: 'POST' })).status).toBe(401);
});

test('a 401 carries resource_metadata: the resource\'s, or the prefix\'s under a configured prefix', async () => {
  const missing = await fetch(`${base}/items/1`);
  expect(missing.status).toBe(401);
  expect(missing.headers.get('www-authenticate')).toBe(`Bearer realm="api", resource_metadata="${BASE_URL}"`);
  const invalid = await fetch(`${base}/items/1`, { headers: { authorization: 'Bearer not.a.jwt' } });
  expect(invalid.status).toBe(401);
  expect(invalid.headers.get('www-authenticate')).toBe(`Bearer realm="api", error="invalid_token", error_description="Invalid token: malformed", resource_metadata="${BASE_URL}"`);
  const mcp = await fetch(`${base}/mcp`, { method: 'POST' });
  expect(mcp.status).toBe(401);
  expect(mcp.headers.get('www-authenticate')).toBe(`Bearer realm="api", resource_metadata="${MCP_URL}"`);
});

test('a 403 insufficient_scope names the scopes of the rule that refused, and the metadata', async () => {
  const token = await sign(HS_SECRET, { scope: 'items.read' });
  const res = await fetch(`${base}/items/1`, { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(403);
  expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="api", error="insufficient_scope", scope="items.write items.read", resource_metadata="${BASE_URL}"`);
  expect(await res.json()).toEqual({ error: 'Access Forbidden' });
  // Allowed requests are untouched.
  expect((await fetch(`${base}/items/1`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
});

test('without the option: no well-known path, and challenges exactly as before', async () => {
  expect((await fetch(`${plainBase}/.well-known/oauth-protected-resource`)).status).toBe(401);
  expect((await fetch(`${plainBase}/items/1`)).headers.get('www-authenticate')).toBe('Bearer realm="api"');
  const token = await sign(HS_SECRET, { scope: 'items.read' });
  const res = await fetch(`${plainBase}/items/1`, { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
  expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api", error="insufficient_scope", scope="items.write items.read"');
});

test('bad resourceMetadata options → ConfigError at construction, naming the option', () => {
  expect(() => scopeGate({ routes: rules, verifier, resourceMetadata: { resource: 'http://api.example.com' } })).toThrow(ConfigError);
  expect(() => scopeGate({ routes: rules, verifier, resourceMetadata: { resource: 'http://api.example.com' } })).toThrow(/^resource must be an https URL/);
  expect(() => scopeGate({ routes: rules, verifier, resourceMetadata: { resource: 'https://a.example', paths: ['mcp'] } })).toThrow(/resourceMetadata\.paths/);
  expect(() => scopeGate({ routes: rules, verifier, resourceMetadata: 'https://a.example' as never })).toThrow(/resourceMetadata must be an object/);
});
