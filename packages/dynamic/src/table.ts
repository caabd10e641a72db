import { compileRoutes, type RouteTable } from '@scopegate/core';
import { dynamicRoutes } from './routes';
import { dynamicScopeNames } from './scopes';

/**
 * The claim that names a token's environment. Dynamic's API tokens belong to one environment
 * (`Token.projectEnvironmentId`), and Dynamic's JWTs carry it as `environment_id`: every rule
 * with `:environmentId` passes only for a token whose `environment_id` is that environment.
 */
export const DYNAMIC_ENVIRONMENT_CLAIM = 'environment_id';

/**
 * Dynamic's route table, compiled: `all.read` grants every GET (and HEAD) route (named here
 * explicitly: `compileRoutes` has no read-all scope unless one is given), any scope
 * outside the 18 of `TokenScopes` is refused at compile time, and `:environmentId` is bound to
 * the token's `environment_id` claim on every rule that has it.
 *
 * @example
 * import { checkScope } from '@scopegate/core';
 * import { dynamicTable } from '@scopegate/dynamic';
 * checkScope(dynamicTable, { method: 'GET', path: '/environments/e1/users' }, 'environment.users.read', { environment_id: 'e1' }).allowed; // true
 * checkScope(dynamicTable, { method: 'GET', path: '/environments/e2/users' }, 'environment.users.read', { environment_id: 'e1' }).reason; // 'binding-mismatch'
 */
export const dynamicTable: RouteTable = compileRoutes(dynamicRoutes, {
  readAllScope: 'all.read',
  knownScopes: dynamicScopeNames,
  bind: { environmentId: DYNAMIC_ENVIRONMENT_CLAIM },
});
