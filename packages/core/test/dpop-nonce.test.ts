/** DPoP server nonces: an HMAC of the period, the same on every instance holding the secret. */
import { createDpopNonces } from '../src/dpop-nonce';
import { ConfigError } from '@scopegate/core';

const secret = 'a-shared-nonce-secret-of-at-least-32-bytes';

test('accepted during its own period and the next, refused after', () => {
  const nonces = createDpopNonces({ secret, rotation: 60 });
  const t0 = 1_800_000_000_000;
  const n = nonces.current(t0);
  expect(n).toMatch(/^[A-Za-z0-9_-]{32}$/);
  expect(nonces.accepts(n, t0 + 59_000)).toBe(true);
  expect(nonces.current(t0 + 60_000)).not.toBe(n);
  expect(nonces.accepts(n, t0 + 60_000)).toBe(true);
  expect(nonces.accepts(n, t0 + 120_000)).toBe(false);
});

test('two instances with one secret agree; another secret does not', () => {
  const a = createDpopNonces({ secret });
  const b = createDpopNonces({ secret: new TextEncoder().encode(secret) });
  const c = createDpopNonces({ secret: secret.toUpperCase() });
  expect(b.accepts(a.current())).toBe(true);
  expect(c.accepts(a.current())).toBe(false);
});

test.each([[undefined], [42], [''], ['x'.repeat(32)], ['é'.repeat(32)], [{}]])('refuses %j', (nonce) => {
  expect(createDpopNonces({ secret }).accepts(nonce)).toBe(false);
});

test.each([
  [{ secret: 'short' }],
  [{ secret, rotation: 0 }],
  [{ secret, rotation: Number.NaN }],
  [null],
])('bad options %j → ConfigError', (options) => {
  expect(() => createDpopNonces(options as never)).toThrow(ConfigError);
});
