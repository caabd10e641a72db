import { checkHost, checkTarget, FIREWALL_RULES } from '../src/firewall';

type Row = [target: string, headers: Record<string, string>, rule: keyof typeof FIREWALL_RULES | null];

const rows: Row[] = [
  ['/environments/e1/users', {}, null],
  ['/environments/e1/users/u%20one?q=%2F..', {}, null],
  ['/users/caf%C3%A9', {}, null],
  ['/a/b/', {}, null],
  ['http://evil.test/admin', {}, 'absoluteForm'],
  ['*', {}, 'absoluteForm'],
  ['/users/1', { 'x-http-method-override': 'DELETE' }, 'methodOverride'],
  ['/users/1', { 'x-http-method': 'DELETE' }, 'methodOverride'],
  ['/users/1', { 'x-method-override': 'DELETE' }, 'methodOverride'],
  ['/users/1#x', {}, 'fragment'],
  ['/users/a b', {}, 'control'],
  ['/users/\u0001', {}, 'control'],
  ['/users/\u00e9', {}, 'control'],
  ['/users\\1', {}, 'backslash'],
  ['/users/%zz', {}, 'badEncoding'],
  ['/users/%4', {}, 'badEncoding'],
  ['/users/a%2Fb', {}, 'encodedSeparator'],
  ['/users/a%2fb', {}, 'encodedSeparator'],
  ['/users/a%5Cb', {}, 'encodedSeparator'],
  ['/users/a%00', {}, 'encodedControl'],
  ['/users/a%0d%0a', {}, 'encodedControl'],
  ['/users/a%7F', {}, 'encodedControl'],
  ['/users/%252e%252e', {}, 'doubleEncoding'],
  ['/users/%2e%2e/admin', {}, 'encodedDot'],
  ['/users/.%2E', {}, 'encodedDot'],
  ['//users/1', {}, 'emptySegment'],
  ['/users//1', {}, 'emptySegment'],
  ['/users/1//', {}, 'emptySegment'],
  ['/users/./1', {}, 'dotSegment'],
  ['/users/../admin', {}, 'dotSegment'],
  ['/users/..', {}, 'dotSegment'],
  ['/users/1', { 'x-original-url': '/admin' }, 'pathOverride'],
  ['/users/1', { 'x-rewrite-url': '/admin' }, 'pathOverride'],
  ['/.', {}, 'dotSegment'],
  ['/./users', {}, 'dotSegment'],
  ['/users/.?q=/../', {}, 'dotSegment'],
  ['/users/.../1', {}, null],
  ['/users/..a/.b/a./a..', {}, null],
  ['/users/1?path=/../admin', {}, null],
  ['/users/1;jsessionid=x', {}, 'pathParameter'],
  ['/users/;/admin', {}, 'pathParameter'],
];

describe.each(rows)('%j %j', (target, headers, rule) => {
  test(rule ? `refused: ${rule}` : 'passes', () => {
    expect(checkTarget(target, headers)).toBe(rule ? FIREWALL_RULES[rule] : null);
  });
});

test('every rule names the weakness class it blocks', () => {
  for (const r of Object.values(FIREWALL_RULES)) expect(r.blocks).toMatch(/CWE-\d+/);
});

describe.each<[string, string[], boolean]>([
  ['one host', ['Host', 'api.example'], true],
  ['host and port', ['host', 'api.example:8080'], true],
  ['IPv4 and port', ['Host', '10.0.0.1:80'], true],
  ['IPv6 literal and port', ['Host', '[::1]:8080'], true],
  ['no Host (HTTP/1.0)', ['Accept', '*/*'], true],
  ['two Host lines', ['Host', 'a.example', 'HOST', 'b.example'], false],
  ['a comma', ['Host', 'a.example, evil.example'], false],
  ['quotes and semicolons', ['Host', 'a.test";for=6.6.6.6'], false],
  ['userinfo', ['Host', 'user@a.example'], false],
  ['empty', ['Host', ''], false],
  ['a port too long', ['Host', 'a.example:123456'], false],
])('checkHost: %s', (_name, raw, ok) => {
  test(ok ? 'passes' : 'refused: host', () => {
    expect(checkHost(raw)).toBe(ok ? null : FIREWALL_RULES.host);
  });
});
