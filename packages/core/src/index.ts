export { compileRoutes } from './compile-routes';
export type { RouteTable, LookupResult } from './compile-routes';
export { checkScope } from './check-scope';
export type { Decision, DecisionReason, ScopeRequest } from './check-scope';
export { parseScopes } from './scopes';
export type { ScopesInput } from './scopes';
export { ScopeGateError, RouteConfigError, BadPathError } from './errors';
export type {
  ScopeGateErrorCode,
  RouteConfigErrorCode,
  RequestErrorCode,
  RuleLocation,
  ScopeGateErrorOptions,
} from './errors';
export type {
  RouteRule,
  CompiledRule,
  CompileOptions,
  ResolvedCompileOptions,
  RouteMatch,
  RouteParams,
} from './types';
