import type { CompiledRule, JWTPayload, RouteParams, VerifiedToken } from '@scopegate/core';


/** What `scopeGate` puts on `req.auth` for a request it let through. */
export interface ScopeGateAuth {
  /** The raw bearer token (for forwarding); `null` on public rules, where none is read. */
  readonly token: string | null;
  /** The verified claims; `null` on public rules. */
  readonly claims: Readonly<JWTPayload> | null;
  /** The token's scopes (empty on public rules). */
  readonly scopes: ReadonlySet<string>;
  /** The rule the request was checked against; `null` when `unmatched: 'next'` let it through. */
  readonly rule: CompiledRule | null;
  /** Route params as the gate decoded them. */
  readonly params: RouteParams;
  /** The verified token as a whole (claims, scopes, header); `null` on public rules. */
  readonly verified: VerifiedToken | null;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `scopeGate` on requests it lets through. */
      auth?: ScopeGateAuth;
    }
  }
}
