export { compileRoutes } from './compile-routes';
export type { RouteTable } from './compile-routes';
export { checkScope } from './check-scope';
export { unmetBinding } from './check-scope';
export type { ClaimsInput, Decision, DecisionReason, ScopeRequest } from './check-scope';
export { parseScopes, scopesFromClaims, DEFAULT_SCOPE_CLAIMS } from './scopes';
export type { ScopesInput, ScopeClaim, ScopeMap } from './scopes';
export {
  ScopeGateError,
  RouteConfigError,
  BadPathError,
  ConfigError,
  InvalidRequestError,
  UnauthorizedError,
  ForbiddenError,
  KeysUnavailableError,
  RevocationUnavailableError,
  IntrospectionUnavailableError,
  DpopProofError,
  ReplayUnavailableError,
  InternalError,
  bearerChallenge,
} from './errors';
export type {
  BearerChallenge,
  ConfigErrorCode,
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
  LookupResult,
  Binding,
} from './types';
export { bearerToken, dpopToken } from './bearer';
export type { AuthorizationInput } from './bearer';
export { createVerifier } from './verifier';
export type {
  Verifier,
  VerifierOptions,
  VerifiedToken,
  VerifierAlgorithm,
  VerifierProfile,
  IssuerOptions,
  JwtVerificationOptions,
  TokenIntrospector,
  VerifierIntrospectionOptions,
  IntrospectedTokens,
  Presentation,
} from './verifier';
export type { DpopOptions, DpopAlgorithm } from './dpop-proof';
export type { DpopNonceOptions } from './dpop-nonce';
export { createMemoryReplayStore } from './replay-store';
export type { ReplayStore, MemoryReplayStoreOptions } from './replay-store';
export { certificateThumbprint, certificateFromHeader } from './certificate-binding';
export type { MtlsOptions } from './certificate-binding';
export type { RequestProof, TokenScheme } from './sender-constraint';
export { normalizeHttpUri } from './http-uri';
export type { NormalizedHttpUri } from './http-uri';
export type { RemoteKeySet, RemoteKeySetOptions, RemoteKeySetStats } from './remote-key-set';
export { createIntrospector } from './introspection';
export type { IntrospectionOptions, Introspector } from './introspection';
export { authorize, authorizeRequest, authorizePathname } from './authorize';
export type { AuthorizeRequest, AuthorizeOptions, Authorization, MatchedAuthorization, UnmatchedAuthorization } from './authorize';
export { gateReason, gateError, allowedEvent, refusedEvent, refusedEventIn, authorizationFromRawHeaders } from './gate-event';
export type { GateReason, DecisionEvent } from './gate-event';
export type { JWTPayload, JWTHeaderParameters, JSONWebKeySet, JWK } from './jose-types';
export { analyzeRoutes } from './analyze-routes';
export type { RouteAnalysis, RouteFinding, FindingKind } from './analyze-routes';
export { requirementText, bindingsText } from './rule-validation';
export {
  protectedResourceMetadata,
  resourceMetadataUrl,
  resourceMetadataEndpoints,
  RESOURCE_METADATA_PATH,
  RESOURCE_METADATA_CACHE_CONTROL,
} from './resource-metadata';
export type {
  ProtectedResourceMetadata,
  ProtectedResourceMetadataOptions,
  ResourceMetadataEndpointOptions,
  ResourceMetadataEndpoints,
} from './resource-metadata';
