/**
 * Who may do what in the demo token service: a caller acts only in its own environment (its
 * `environment_id` claim, compared exactly as the gate compares the binding) and grants only
 * scopes it holds itself. The gate in front checks the environment as well; this is the token
 * service's own check, so a request that reaches it some other way is still refused.
 */
import { unmetBinding, type ClaimsInput } from '@scopegate/core';
import { DYNAMIC_ENVIRONMENT_CLAIM } from '@scopegate/dynamic';

/** The binding the gate applies to every `:environmentId` rule of Dynamic's table. */
const ENVIRONMENT_BINDING = Object.freeze([Object.freeze({ param: 'environmentId', claim: DYNAMIC_ENVIRONMENT_CLAIM })]);

/**
 * Whether the caller belongs to `environmentId` (the decoded path param): its `environment_id`
 * claim is that string, or an array of strings holding it. A missing claim, or one of another
 * type, does not: closed.
 */
export function inCallerEnvironment(claims: ClaimsInput, environmentId: string): boolean {
  return unmetBinding(ENVIRONMENT_BINDING, { environmentId }, claims) === null;
}

/** The caller's scopes: its `scope` claim, space-delimited (RFC 6749 §3.3); none when absent or not a string. */
export function callerScopes(claims: ClaimsInput): ReadonlySet<string> {
  const scope = claims !== null && claims !== undefined && Object.prototype.hasOwnProperty.call(claims, 'scope') ? claims.scope : undefined;
  if (typeof scope !== 'string') return new Set();
  return new Set(scope.split(' ').filter((s) => s !== ''));
}

/**
 * The requested scopes the caller does not hold itself, once each, in the order requested:
 * a token may be granted a subset of its creator's scopes, never more (`all.read` included).
 */
export function scopesBeyondCaller(claims: ClaimsInput, requested: readonly string[]): string[] {
  const held = callerScopes(claims);
  return [...new Set(requested)].filter((s) => !held.has(s));
}
