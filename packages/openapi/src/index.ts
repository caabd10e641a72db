export { routesFromOpenApi, parseOpenApiText, openApiPathToPattern, OpenApiError } from './routes-from-openapi';
export type { OpenApiDocument, ImportOptions, ImportWarning, OpenApiImport } from './routes-from-openapi';
export { openApiWithScopes, BINDINGS_EXTENSION } from './openapi-with-scopes';
export type { ScopedOpenApi, OpenApiBinding } from './openapi-with-scopes';
export { renderScopeReference } from './render-scope-reference';
export type { ScopeInfo, RenderOptions } from './render-scope-reference';
