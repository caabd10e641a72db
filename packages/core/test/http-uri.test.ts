/** DPoP's `htu` comparison: RFC 3986 §6.2.2 syntax-based normalisation, and what is refused. */
import { normalizeHttpUri } from '@scopegate/core';
import { normalizePath } from '../src/http-uri';

describe.each([
  ['https://api.example.com/data', 'https://api.example.com', '/data'],
  ['HTTPS://API.Example.COM/data', 'https://api.example.com', '/data'],
  ['https://api.example.com:443/data', 'https://api.example.com', '/data'],
  ['http://api.example.com:80/data', 'http://api.example.com', '/data'],
  ['https://api.example.com:80/data', 'https://api.example.com:80', '/data'],
  ['http://api.example.com:0080/data', 'http://api.example.com', '/data'],
  ['https://api.example.com:8443/data', 'https://api.example.com:8443', '/data'],
  ['https://api.example.com:/data', 'https://api.example.com', '/data'],
  ['https://api.example.com', 'https://api.example.com', '/'],
  ['https://api.example.com/data?x=1#y', 'https://api.example.com', '/data'],
  ['https://api.example.com/data?', 'https://api.example.com', '/data'],
  ['https://api.example.com/data#', 'https://api.example.com', '/data'],
  ['https://api.example.com/Data', 'https://api.example.com', '/Data'],
  ['https://api.example.com/%7euser/%41', 'https://api.example.com', '/~user/A'],
  ['https://api.example.com/a%2fb', 'https://api.example.com', '/a%2Fb'],
  // Dot segments kept: the router does not remove them (RFC 3986 §6.2.2.3 would).
  ['https://api.example.com/a/./b/../c', 'https://api.example.com', '/a/./b/../c'],
  ['https://api.example.com/a/%2E%2E/c', 'https://api.example.com', '/a/../c'],
  ['https://api.example.com/..', 'https://api.example.com', '/..'],
  ['https://api.example.com?x', 'https://api.example.com', '/'],
  ['https://api.example.com#/admin', 'https://api.example.com', '/'],
  ['https://api.example.com/a?b/c#d?e', 'https://api.example.com', '/a'],
  ['https://[::1]:8080/x', 'https://[::1]:8080', '/x'],
  ['https://api.example.com/data/', 'https://api.example.com', '/data/'],
])('%s', (uri, origin, path) => {
  test(`→ ${origin} ${path}`, () => expect(normalizeHttpUri(uri)).toEqual({ origin, path }));
});

describe.each([
  ['ftp://api.example.com/data'],
  ['https:/api.example.com/data'],
  ['//api.example.com/data'],
  ['/data'],
  ['https://user@api.example.com/data'],
  ['https://api.example.com:99999/data'],
  ['https://api.example.com:80a/data'],
  ['https://api%2eexample.com/data'],
  ['https://api.example.com/da ta'],
  ['https://api.example.com/da%zzta'],
  ['https://api.example.com/dätä'],
  ['https://api.example.com/a\\b'],
  ['https://api.example.com/a#\n'],
  ['https://api.example.com/a?\tb'],
  ['https://api.example.com/a#\u2028'],
  ['https:/x://api.example.com/a'],
  ['://api.example.com/a'],
  [''],
])('refused: %j', (uri) => {
  test('→ null', () => expect(normalizeHttpUri(uri)).toBeNull());
});

test.each([
  ['/data', '/data'],
  ['', '/'],
  ['/a/%7Eb', '/a/~b'],
  ['/a%2fb', '/a%2Fb'],
  ['/a/b/../c', '/a/b/../c'],
  ['/a/%2e%2E/c', '/a/../c'],
  ['/a b', null],
  ['/a%', null],
])('request path %j → %j', (path, want) => expect(normalizePath(path)).toBe(want));
