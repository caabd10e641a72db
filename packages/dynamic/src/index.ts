export { dynamicScopes, dynamicScopeNames } from './scopes';
export type { DynamicScope, DynamicScopeInfo } from './scopes';
export { dynamicRoutes } from './routes';
export type { DynamicRouteRule } from './routes';
export { dynamicTable, DYNAMIC_ENVIRONMENT_CLAIM } from './table';
