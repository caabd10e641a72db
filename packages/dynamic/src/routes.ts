/**
 * Dynamic's route table: every endpoint of its API token permissions page (131 method + path
 * pairs over 13 scopes, in the page's order, with the page's endpoint description), then
 * `GET /user/tokens` from its OpenAPI document (bearer JWT, no scope: any authenticated caller).
 * Data only.
 */
import type { RouteRule } from '@scopegate/core';
import type { DynamicScope } from './scopes';

/** A Dynamic route rule: one method, one path, at most one scope. */
export interface DynamicRouteRule extends RouteRule {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly scopes: readonly DynamicScope[];
  readonly description: string;
}

const rule = (method: DynamicRouteRule['method'], path: string, scope: DynamicScope | null, description: string): DynamicRouteRule =>
  Object.freeze({ method, path, scopes: Object.freeze(scope ? [scope] : []), description });

/** The 131 routes of the permissions page plus `GET /user/tokens`: 132 rules. */
export const dynamicRoutes: readonly DynamicRouteRule[] = Object.freeze([
  // waas.authenticate
  rule('POST', '/environments/:environmentId/waas/authenticate', 'waas.authenticate', "Authenticate WaaS"),
  // waas.delegatedAccess.signMessage
  rule('POST', '/environments/:environmentId/waas/:walletId/delegatedAccess/signMessage', 'waas.delegatedAccess.signMessage', "Delegate sign message for wallet"),
  // environment.balances.read
  rule('POST', '/environments/:environmentId/users/:userId/balances', 'environment.balances.read', "Get multichain account balances for a user"),
  // environment.apiTokens.read
  rule('GET', '/environments/:environmentId/tokens', 'environment.apiTokens.read', "Get API tokens for environment"),
  // environment.apiTokens.write
  rule('POST', '/environments/:environmentId/tokens', 'environment.apiTokens.write', "Create API token"),
  rule('DELETE', '/environments/:environmentId/tokens/:tokenId', 'environment.apiTokens.write', "Delete API token"),
  // environment.events.read
  rule('GET', '/eventTypes', 'environment.events.read', "Get event types"),
  rule('GET', '/environments/:environmentId/events', 'environment.events.read', "Get events for environment"),
  rule('GET', '/environments/:environmentId/events/:eventId', 'environment.events.read', "Get specific event"),
  // environment.webhooks.read
  rule('GET', '/environments/:environmentId/webhooks', 'environment.webhooks.read', "Get webhooks for environment"),
  rule('GET', '/environments/:environmentId/webhooks/:webhookId', 'environment.webhooks.read', "Get specific webhook"),
  rule('GET', '/environments/:environmentId/webhooks/:webhookId/messages', 'environment.webhooks.read', "Get webhook messages"),
  rule('GET', '/environments/:environmentId/webhooks/:webhookId/messages/:messageId', 'environment.webhooks.read', "Get webhook message deliveries"),
  // environment.webhooks.write
  rule('POST', '/environments/:environmentId/webhooks', 'environment.webhooks.write', "Create webhook"),
  rule('PUT', '/environments/:environmentId/webhooks/:webhookId', 'environment.webhooks.write', "Update webhook"),
  rule('DELETE', '/environments/:environmentId/webhooks/:webhookId', 'environment.webhooks.write', "Delete webhook"),
  rule('POST', '/environments/:environmentId/webhooks/:webhookId/messages/:messageId/redeliver', 'environment.webhooks.write', "Redeliver webhook message"),
  // environment.analytics.read
  rule('GET', '/environments/:environmentId/analytics/visits', 'environment.analytics.read', "Get daily sessions"),
  rule('GET', '/environments/:environmentId/analytics/wallets', 'environment.analytics.read', "Get wallets breakdown"),
  rule('GET', '/environments/:environmentId/analytics/overview', 'environment.analytics.read', "Get analytics overview"),
  rule('GET', '/environments/:environmentId/analytics/topline', 'environment.analytics.read', "Get analytics topline"),
  rule('GET', '/environments/:environmentId/analytics/engagement', 'environment.analytics.read', "Get analytics engagement"),
  rule('GET', '/environments/:environmentId/analytics/walletsBreakdown', 'environment.analytics.read', "Get analytics wallets breakdown"),
  // environment.users.read
  rule('GET', '/oauthAccounts/:oauthAccountId/accessToken', 'environment.users.read', "Get OAuth access token"),
  rule('GET', '/environments/:environmentId/embeddedWalletVersions', 'environment.users.read', "Get active embedded wallet versions"),
  rule('POST', '/users/:userId/wallets', 'environment.users.read', "Create wallet for user (deprecated)"),
  rule('POST', '/environments/:environmentId/users/:userId/wallets', 'environment.users.read', "Create wallet for user"),
  rule('GET', '/users/:userId/wallets', 'environment.users.read', "Get wallets for user (deprecated)"),
  rule('GET', '/environments/:environmentId/users/:userId/wallets', 'environment.users.read', "Get wallets for user"),
  rule('GET', '/wallets/:walletId', 'environment.users.read', "Get wallet by ID (deprecated)"),
  rule('GET', '/environments/:environmentId/wallets/:walletId', 'environment.users.read', "Get wallet by ID"),
  rule('GET', '/users/:userId', 'environment.users.read', "Get user by ID (deprecated)"),
  rule('GET', '/environments/:environmentId/users/:userId', 'environment.users.read', "Get user by ID"),
  rule('GET', '/environments/:environmentId/users', 'environment.users.read', "Get users for environment"),
  rule('GET', '/environments/:environmentId/exports', 'environment.users.read', "Get environment exports"),
  rule('GET', '/environments/:environmentId/exports/:exportId/download', 'environment.users.read', "Download export by ID"),
  rule('GET', '/environments/:environmentId/exports/:exportId', 'environment.users.read', "Get export by ID"),
  // environment.users.write
  rule('POST', '/environments/:environmentId/embeddedWallets', 'environment.users.write', "Create embedded wallet"),
  rule('POST', '/environments/:environmentId/embeddedWallets/farcaster', 'environment.users.write', "Create embedded wallet from Farcaster"),
  rule('DELETE', '/wallets/:walletId', 'environment.users.write', "Delete wallet (deprecated)"),
  rule('DELETE', '/environments/:environmentId/wallets/:walletId', 'environment.users.write', "Delete wallet"),
  rule('DELETE', '/users/:userId', 'environment.users.write', "Delete user (deprecated)"),
  rule('DELETE', '/environments/:environmentId/users/:userId', 'environment.users.write', "Delete user"),
  rule('POST', '/environments/:environmentId/users', 'environment.users.write', "Create user"),
  rule('POST', '/environments/:environmentId/users/bulk', 'environment.users.write', "Bulk create users"),
  rule('PUT', '/users/:userId', 'environment.users.write', "Update user (deprecated)"),
  rule('PUT', '/environments/:environmentId/users/:userId', 'environment.users.write', "Update user"),
  rule('POST', '/users/:userId/sessions/revoke', 'environment.users.write', "Revoke user sessions (deprecated)"),
  rule('POST', '/environments/:environmentId/users/:userId/sessions/revoke', 'environment.users.write', "Revoke user sessions"),
  rule('PUT', '/sessions/:sessionId/revoke', 'environment.users.write', "Revoke specific session"),
  rule('POST', '/environments/:environmentId/exports', 'environment.users.write', "Create export"),
  // environment.settings.read
  rule('GET', '/environments/:environmentId/globalWallet/settings', 'environment.settings.read', "Get global wallet settings"),
  rule('GET', '/environments/:environmentId/globalWallet/accessControl', 'environment.settings.read', "Get global wallet access control list"),
  rule('GET', '/environments/:environmentId/globalWallet/connections', 'environment.settings.read', "Get global wallet connections"),
  rule('GET', '/environments/:environmentId/nameService/:chainName', 'environment.settings.read', "Get name service configuration by chain"),
  rule('GET', '/environments/:environmentId/test/account', 'environment.settings.read', "Get test account"),
  rule('GET', '/environments/:environmentId/custom/hostnames', 'environment.settings.read', "Get custom hostnames for environment"),
  rule('GET', '/environments/:environmentId/custom/fields', 'environment.settings.read', "Get custom fields for environment"),
  rule('GET', '/custom/fields/:customFieldId', 'environment.settings.read', "Get custom field by ID"),
  rule('GET', '/environments/:environmentId/gates', 'environment.settings.read', "Get environment gates"),
  rule('GET', '/environments/:environmentId/gates/:gateId', 'environment.settings.read', "Get specific gate"),
  rule('GET', '/environments/:environmentId/settings/providers', 'environment.settings.read', "Get environment providers"),
  rule('GET', '/settings/providers/:providerId', 'environment.settings.read', "Get specific provider"),
  rule('GET', '/environments/:environmentId/settings/exchanges', 'environment.settings.read', "Get environment exchanges"),
  rule('GET', '/settings/exchanges/:exchangeId', 'environment.settings.read', "Get specific exchange"),
  rule('GET', '/environments/:environmentId/origins', 'environment.settings.read', "Get origins for environment"),
  rule('GET', '/environments/:environmentId/deeplinkUrls', 'environment.settings.read', "Get deeplink URLs for environment"),
  rule('GET', '/environments/:environmentId/allowlists', 'environment.settings.read', "Get allowlists for environment"),
  rule('GET', '/allowlists/:allowlistId', 'environment.settings.read', "Get specific allowlist"),
  rule('GET', '/allowlists/:allowlistId/entries', 'environment.settings.read', "Get allowlist entries"),
  rule('GET', '/environments/:environmentId/integrations/chainalysis', 'environment.settings.read', "Get Chainalysis configuration"),
  rule('GET', '/environments/:environmentId/sdkViews', 'environment.settings.read', "Get SDK views"),
  rule('GET', '/environments/:environmentId/sdkViews/:viewType', 'environment.settings.read', "Get specific SDK view"),
  rule('GET', '/environments/:environmentId/waas/delegatedAccess/encryptionPublicKeys', 'environment.settings.read', "Get delegated access encryption public keys"),
  rule('GET', '/environments/:environmentId/waas/delegatedAccess/encryptionPublicKeys/:keyId', 'environment.settings.read', "Get specific encryption public key"),
  rule('GET', '/environments/:environmentId/waas/policies', 'environment.settings.read', "Get WaaS policies"),
  rule('GET', '/environments/:environmentId/waas/:walletId', 'environment.settings.read', "Get wallet by wallet ID"),
  // environment.settings.write
  rule('POST', '/environments/:environmentId/globalWallet/settings', 'environment.settings.write', "Create global wallet settings"),
  rule('PUT', '/environments/:environmentId/globalWallet/settings', 'environment.settings.write', "Update global wallet settings"),
  rule('PUT', '/environments/:environmentId/globalWallet/enable', 'environment.settings.write', "Enable global wallet"),
  rule('PUT', '/environments/:environmentId/globalWallet/disable', 'environment.settings.write', "Disable global wallet"),
  rule('POST', '/environments/:environmentId/globalWallet/accessControl', 'environment.settings.write', "Create global wallet access control"),
  rule('PUT', '/environments/:environmentId/globalWallet/accessControl', 'environment.settings.write', "Update global wallet access control"),
  rule('PUT', '/environments/:environmentId/globalWallet/accessControl/enable', 'environment.settings.write', "Enable global wallet access control"),
  rule('PUT', '/environments/:environmentId/globalWallet/accessControl/disable', 'environment.settings.write', "Disable global wallet access control"),
  rule('POST', '/environments/:environmentId/globalWallet/accessControl/domains', 'environment.settings.write', "Add global wallet access control domain"),
  rule('DELETE', '/environments/:environmentId/globalWallet/accessControl/domains/:globalWalletAccessControlDomainId', 'environment.settings.write', "Delete global wallet access control domain"),
  rule('POST', '/environments/:environmentId/nameService/:chainName/signingMessage', 'environment.settings.write', "Fetch name service signing message"),
  rule('DELETE', '/environments/:environmentId/nameService/:chainName', 'environment.settings.write', "Delete name service configuration"),
  rule('POST', '/environments/:environmentId/nameService/:chainName', 'environment.settings.write', "Create name service configuration"),
  rule('PUT', '/environments/:environmentId/nameService/:chainName/enable', 'environment.settings.write', "Enable name service"),
  rule('PUT', '/environments/:environmentId/nameService/:chainName/disable', 'environment.settings.write', "Disable name service"),
  rule('POST', '/environments/:environmentId/test/account', 'environment.settings.write', "Create test account"),
  rule('DELETE', '/environments/:environmentId/test/account', 'environment.settings.write', "Delete test account"),
  rule('POST', '/environments/:environmentId/custom/hostnames', 'environment.settings.write', "Create custom hostname"),
  rule('DELETE', '/environments/:environmentId/custom/hostnames/:customHostnameId', 'environment.settings.write', "Delete custom hostname"),
  rule('POST', '/environments/:environmentId/custom/fields', 'environment.settings.write', "Create custom field"),
  rule('PUT', '/custom/fields/:customFieldId', 'environment.settings.write', "Update custom field"),
  rule('DELETE', '/custom/fields/:customFieldId', 'environment.settings.write', "Delete custom field"),
  rule('POST', '/environments/:environmentId/gates', 'environment.settings.write', "Create gate"),
  rule('PUT', '/environments/:environmentId/gates/:gateId', 'environment.settings.write', "Update gate"),
  rule('DELETE', '/environments/:environmentId/gates/:gateId', 'environment.settings.write', "Delete gate"),
  rule('PUT', '/environments/:environmentId/gates/:gateId/enable', 'environment.settings.write', "Enable gate"),
  rule('PUT', '/environments/:environmentId/gates/:gateId/disable', 'environment.settings.write', "Disable gate"),
  rule('POST', '/environments/:environmentId/settings/providers', 'environment.settings.write', "Create provider"),
  rule('PUT', '/settings/providers/:providerId', 'environment.settings.write', "Update provider"),
  rule('DELETE', '/settings/providers/:providerId', 'environment.settings.write', "Delete provider"),
  rule('PUT', '/settings/providers/:providerId/enable', 'environment.settings.write', "Enable provider"),
  rule('PUT', '/settings/providers/:providerId/disable', 'environment.settings.write', "Disable provider"),
  rule('POST', '/environments/:environmentId/settings/exchanges', 'environment.settings.write', "Create exchange"),
  rule('DELETE', '/settings/exchanges/:exchangeId', 'environment.settings.write', "Delete exchange"),
  rule('PUT', '/settings/exchanges/:exchangeId/enable', 'environment.settings.write', "Enable exchange"),
  rule('PUT', '/settings/exchanges/:exchangeId/disable', 'environment.settings.write', "Disable exchange"),
  rule('POST', '/environments/:environmentId/origins', 'environment.settings.write', "Create origin"),
  rule('DELETE', '/origins/:originId', 'environment.settings.write', "Delete origin"),
  rule('POST', '/environments/:environmentId/deeplinkUrls', 'environment.settings.write', "Add deeplink URL"),
  rule('DELETE', '/deeplinkUrls/:deeplinkUrlId', 'environment.settings.write', "Delete deeplink URL"),
  rule('POST', '/environments/:environmentId/allowlists', 'environment.settings.write', "Create allowlist"),
  rule('DELETE', '/allowlists/:allowlistId', 'environment.settings.write', "Delete allowlist"),
  rule('PUT', '/allowlists/:allowlistId/enable', 'environment.settings.write', "Enable allowlist"),
  rule('PUT', '/allowlists/:allowlistId', 'environment.settings.write', "Update allowlist"),
  rule('PUT', '/allowlists/:allowlistId/disable', 'environment.settings.write', "Disable allowlist"),
  rule('POST', '/allowlists/:allowlistId/entries', 'environment.settings.write', "Add allowlist entry"),
  rule('DELETE', '/allowlistEntries/:allowlistEntryId', 'environment.settings.write', "Delete allowlist entry"),
  rule('PUT', '/environments/:environmentId/sdkViews/:viewType', 'environment.settings.write', "Update SDK view"),
  rule('DELETE', '/users/:userId/mfa', 'environment.settings.write', "Reset all MFA devices for user"),
  rule('POST', '/users/:userId/mfa/reset', 'environment.settings.write', "Reset user MFA"),
  rule('POST', '/environments/:environmentId/waas/policies', 'environment.settings.write', "Create WaaS policy"),
  rule('PUT', '/environments/:environmentId/waas/policies', 'environment.settings.write', "Update WaaS policy"),
  rule('DELETE', '/environments/:environmentId/waas/policies', 'environment.settings.write', "Delete WaaS policy rules"),
  rule('POST', '/environments/:environmentId/waas/delegatedAccess/encryptionPublicKeys', 'environment.settings.write', "Create delegated access encryption public key"),
  // OpenAPI: GET /user/tokens, security bearerAuth with no scope
  rule('GET', '/user/tokens', null, 'Get API tokens for the current user'),
]);
