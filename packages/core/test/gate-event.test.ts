/** Every refusal an adapter can see maps to one reason, the same in `scopeGate` and the gateway. */
import {
  BadPathError,
  ForbiddenError,
  gateReason,
  InternalError,
  IntrospectionUnavailableError,
  InvalidRequestError,
  KeysUnavailableError,
  refusedEvent,
  RevocationUnavailableError,
  UnauthorizedError,
  type GateReason,
  type ScopeGateError,
} from '../src';

describe.each<[string, () => ScopeGateError, GateReason, number]>([
  ['no token', () => new UnauthorizedError('ERR_TOKEN_MISSING', 'No jwt provided!'), 'unauthenticated', 401],
  ['invalid token', () => new UnauthorizedError('ERR_TOKEN_INVALID', 'bad'), 'invalid-token', 401],
  ['expired token', () => new UnauthorizedError('ERR_TOKEN_EXPIRED', 'old'), 'invalid-token', 401],
  ['revoked token', () => new UnauthorizedError('ERR_TOKEN_REVOKED', 'revoked'), 'invalid-token', 401],
  ['malformed header', () => new InvalidRequestError('Malformed Authorization header'), 'bad-request', 400],
  ['malformed path', () => new BadPathError(), 'bad-path', 400],
  ['no rule', () => new ForbiddenError('ERR_NO_ROUTE', []), 'no-route', 403],
  ['missing scope', () => new ForbiddenError('ERR_INSUFFICIENT_SCOPE', ['a']), 'insufficient-scope', 403],
  ['binding', () => new ForbiddenError('ERR_BINDING_MISMATCH', [], undefined, { param: 'tenant', claim: 'tid' }), 'binding-mismatch', 403],
  ['keys down', () => new KeysUnavailableError(), 'keys-unavailable', 503],
  ['revocations down', () => new RevocationUnavailableError(), 'revocation-unavailable', 503],
  ['introspection down', () => new IntrospectionUnavailableError(), 'introspection-unavailable', 503],
  ['anything else', () => new InternalError(new Error('x')), 'error', 500],
])('%s', (_name, make, reason, status) => {
  test(`→ ${reason} (${status})`, () => {
    const error = make();
    expect(gateReason(error)).toBe(reason);
    const event = refusedEvent('GET', '/p', null, error, 'enforce');
    expect(event).toMatchObject({ allowed: false, reason, status, code: error.code, mode: 'enforce' });
    expect(event.binding).toEqual(error instanceof ForbiddenError ? error.binding : null);
  });
});
