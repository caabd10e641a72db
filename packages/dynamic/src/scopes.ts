/**
 * Dynamic's API token scopes: every value of the `TokenScopes` enum of Dynamic's OpenAPI document
 * (`GET /user/tokens`), in the enum's order, with the description and group of its permissions
 * page where that page lists the scope. Data only.
 */

/** One of Dynamic's API token scopes. */
export type DynamicScope =
  | 'all.read'
  | 'waas.delegatedAccess.signMessage'
  | 'waas.authenticate'
  | 'environment.settings.read'
  | 'environment.settings.write'
  | 'environment.apiTokens.read'
  | 'environment.apiTokens.write'
  | 'environment.users.read'
  | 'environment.users.write'
  | 'environment.analytics.read'
  | 'environment.webhooks.read'
  | 'environment.webhooks.write'
  | 'environment.events.read'
  | 'environment.events.write'
  | 'environment.balances.read'
  | 'gasless.read'
  | 'gasless.write'
  | 'flow.write';

/** A scope with what Dynamic's documentation says of it. */
export interface DynamicScopeInfo {
  readonly scope: DynamicScope;
  /** The permissions page's description; absent for scopes the page does not list. */
  readonly description?: string;
  /** The permissions page's section (e.g. "Environment Permissions"). */
  readonly group?: string;
}

/** All 18 scopes, in the order of the `TokenScopes` enum. */
export const dynamicScopes: readonly DynamicScopeInfo[] = Object.freeze([
  { scope: 'all.read' },
  { scope: 'waas.delegatedAccess.signMessage', group: "WaaS (Wallet as a Service) Permissions", description: "Sign messages on behalf of users through delegated wallet access." },
  { scope: 'waas.authenticate', group: "WaaS (Wallet as a Service) Permissions", description: "Authenticate with WaaS (Wallet as a Service) for wallet operations." },
  { scope: 'environment.settings.read', group: "Environment Permissions", description: "Read environment configuration settings including global wallets, custom fields, gates, providers, and more." },
  { scope: 'environment.settings.write', group: "Environment Permissions", description: "Create, update, and manage environment configuration settings including global wallets, custom fields, gates, providers, and more." },
  { scope: 'environment.apiTokens.read', group: "Environment Permissions", description: "Read environment API token information." },
  { scope: 'environment.apiTokens.write', group: "Environment Permissions", description: "Create and manage environment API tokens." },
  { scope: 'environment.users.read', group: "Environment Permissions", description: "Read user data, wallets, and related information." },
  { scope: 'environment.users.write', group: "Environment Permissions", description: "Create, update, and manage users, wallets, and user-related data." },
  { scope: 'environment.analytics.read', group: "Environment Permissions", description: "Read analytics data including visits, wallets, and engagement metrics." },
  { scope: 'environment.webhooks.read', group: "Environment Permissions", description: "Read webhook configurations and message history." },
  { scope: 'environment.webhooks.write', group: "Environment Permissions", description: "Create, update, and manage webhook configurations." },
  { scope: 'environment.events.read', group: "Environment Permissions", description: "Read event data and event types for the environment." },
  { scope: 'environment.events.write' },
  { scope: 'environment.balances.read', group: "Environment Permissions", description: "Read user balance information across multiple chains." },
  { scope: 'gasless.read' },
  { scope: 'gasless.write' },
  { scope: 'flow.write' },
].map((s) => Object.freeze(s as DynamicScopeInfo)));

/** The 18 scope names, for `knownScopes`. */
export const dynamicScopeNames: readonly DynamicScope[] = Object.freeze(dynamicScopes.map((s) => s.scope));
