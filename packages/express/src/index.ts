export { scopeGate } from './scope-gate';
export type { ScopeGateOptions, DecisionEvent, GateReason } from './scope-gate';
export type { ScopeGateAuth } from './request-auth';
