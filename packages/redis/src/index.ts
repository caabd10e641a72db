export { RedisRevocationList } from './revocation-list';
export type { RevocationListOptions, RevocationListStats } from './revocation-list';
export { RedisTokenStore } from './token-store';
export type { StoredToken } from './token-store';
export type { RevokeOutcome } from './revoke-script';
export { RedisReplayStore } from './replay-store';
export type { RedisReplayStoreOptions } from './replay-store';
