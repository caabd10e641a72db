export { scopeGate } from './scope-gate';
export type { ScopeGateOptions, DecisionEvent, GateReason } from './scope-gate';
export type { ScopeGateAuth } from './request-auth';
export { auditApp, samplePath } from './audit-app';
export type { AppAudit, AppRoute, AuditBinding, AuditTarget, CoveredRoute, OrderProblem, UncoveredRoute } from './audit-app';
