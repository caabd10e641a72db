/**
 * Revocation as one atomic step on Redis: a Lua script (Redis runs a script alone, nothing else
 * in between) that marks the token's record revoked, adds the id to the revoked sorted set, trims
 * that set and publishes the revocation — every write or none. Every check that can fail runs
 * before the first write, so a script that fails has changed nothing; a connection lost before
 * the reply leaves it either wholly done or not done, and retrying is safe either way, since
 * revoking again is a no-op that answers `already-revoked`.
 */
import type Redis from 'ioredis';

/** What a revocation did. `already-revoked` is a success too: revoking is idempotent. */
export type RevokeOutcome = 'revoked' | 'already-revoked' | 'not-found';

/**
 * KEYS[1]  the revoked ids: a sorted set, score = the token's `exp` (ms since the epoch)
 * KEYS[2]  the token's record (JSON, `StoredToken`), when a stored token is revoked; absent for a bare id
 * ARGV[1]  the token id
 * ARGV[2]  now (ms since the epoch, the caller's clock, like every other time in the list)
 * ARGV[3]  retainAfterExpiry (ms): ids stay in the set until exp + this
 * ARGV[4]  the channel to publish `<exp> <id>` on
 * ARGV[5]  exp of a bare id (ms); unused with a record, whose `expiresAt` is read instead
 * ARGV[6]  the environment that must own the record ('' = any): another's is not found
 *
 * Returns { outcome, exp }.
 *
 * The record is rewritten by appending `"revokedAt"` to its JSON text rather than by re-encoding it
 * with cjson, which would turn an empty array into `{}` and change number formats.
 */
export const REVOKE_LUA = `
local id, now, retain, channel = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local exp = tonumber(ARGV[5])
local outcome = 'revoked'
local revokedText
local setType = redis.call('TYPE', KEYS[1])['ok']
if setType ~= 'zset' and setType ~= 'none' then
  return redis.error_reply('scopegate: ' .. KEYS[1] .. ' is not a sorted set')
end
if #KEYS > 1 then
  local text = redis.call('GET', KEYS[2])
  if not text then return { 'not-found', 0 } end
  local ok, record = pcall(cjson.decode, text)
  local body = string.match(text, '^(.*)}%s*$')
  if not ok or type(record) ~= 'table' or type(record.expiresAt) ~= 'number' or not body then
    return redis.error_reply('scopegate: unreadable token record ' .. KEYS[2])
  end
  if ARGV[6] ~= '' and record.projectEnvironmentId ~= ARGV[6] then return { 'not-found', 0 } end
  exp = math.floor(record.expiresAt)
  if record.revokedAt ~= nil and record.revokedAt ~= cjson.null then
    outcome = 'already-revoked'
  else
    revokedText = body .. ',"revokedAt":' .. string.format('%d', now) .. '}'
  end
end
if exp == nil or exp + retain <= now then return { 'not-found', 0 } end
-- Nothing below can fail: all the writes happen, or (above) none.
if revokedText then redis.call('SET', KEYS[2], revokedText, 'KEEPTTL') end
-- GT: a repeated revocation never shortens how long an id is kept. An already revoked record
-- whose id is missing from the set (half-revoked by an older, non-atomic version) is healed here.
local changed = redis.call('ZADD', KEYS[1], 'GT', 'CH', exp, id)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - retain)
if outcome == 'revoked' or changed > 0 then
  redis.call('PUBLISH', channel, string.format('%d', exp) .. ' ' .. id)
end
return { outcome, exp }
`;

/** Define the script on a connection (ioredis runs EVALSHA, and EVAL when Redis lost its script cache). */
export function defineRevoke(redis: Redis): void {
  redis.defineCommand('scopegateRevoke', { lua: REVOKE_LUA });
}

export interface RevokeCall {
  revokedKey: string;
  /** The record's key, to revoke a stored token; absent for a bare id. */
  recordKey?: string;
  id: string;
  now: number;
  retainAfterExpiry: number;
  channel: string;
  /** A bare id's exp, ms. */
  expiresAt?: number;
  environmentId?: string;
}

/** Run the script once: its outcome and the token's exp (0 when not found). */
export async function runRevoke(redis: Redis, call: RevokeCall): Promise<{ outcome: RevokeOutcome; exp: number }> {
  const keys = call.recordKey === undefined ? [call.revokedKey] : [call.revokedKey, call.recordKey];
  const args = [call.id, call.now, call.retainAfterExpiry, call.channel, call.expiresAt ?? '', call.environmentId ?? ''];
  const reply = (await (redis as unknown as ScriptedRedis).scopegateRevoke(keys.length, ...keys, ...args)) as [RevokeOutcome, number];
  return { outcome: reply[0], exp: Number(reply[1]) };
}

interface ScriptedRedis {
  scopegateRevoke(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
}
