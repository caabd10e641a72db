import { compileRoutes, type RouteTable } from '@scopegate/core';
import { dynamicRoutes } from './routes';
import { dynamicScopeNames } from './scopes';

/**
 * Dynamic's route table, compiled: `all.read` grants every GET (and HEAD) route, and any scope
 * outside the 18 of `TokenScopes` is refused at compile time.
 *
 * @example
 * import { checkScope } from '@scopegate/core';
 * import { dynamicTable } from '@scopegate/dynamic';
 * checkScope(dynamicTable, { method: 'GET', path: '/environments/e1/users' }, 'environment.users.read').allowed; // true
 */
export const dynamicTable: RouteTable = compileRoutes(dynamicRoutes, {
  readAllScope: 'all.read',
  knownScopes: dynamicScopeNames,
});
