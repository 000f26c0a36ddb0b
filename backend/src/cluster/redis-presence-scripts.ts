/**
 * The Lua scripts of the Redis presence registry (./redis-presence.ts describes the keys): each
 * transition is decided inside one script, so exactly one node sees it. Every script that writes a
 * key renews its expiry.
 */
import { LUA_NOW_MS } from './redis.js';

export const CONNECT = `
-- KEYS: user, nodeUsers, leaving   ARGV: node, userId, state, status, count, ttlMs
local count = tonumber(ARGV[5])
redis.call('HINCRBY', KEYS[1], 'n:' .. ARGV[1], count)
redis.call('HINCRBY', KEYS[1], 'total', count)
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('HSETNX', KEYS[1], 'state', ARGV[3])
redis.call('HSETNX', KEYS[1], 'status', ARGV[4])
local was = redis.call('HGET', KEYS[1], 'online')
redis.call('HSET', KEYS[1], 'online', '1')
local chosen = redis.call('HMGET', KEYS[1], 'state', 'status', 'idle')
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ARGV[6]) end
if was == '1' then return { 0, chosen[1], chosen[2], chosen[3] } end
return { 1, chosen[1], chosen[2], chosen[3] }
`;

export const DISCONNECT = `${LUA_NOW_MS}
-- KEYS: user, nodeUsers, leaving   ARGV: node, userId, graceMs, ttlMs
local field = 'n:' .. ARGV[1]
local n = tonumber(redis.call('HGET', KEYS[1], field) or '0')
if n <= 0 then return -1 end
if n == 1 then
  redis.call('HDEL', KEYS[1], field)
  redis.call('SREM', KEYS[2], ARGV[2])
else
  redis.call('HINCRBY', KEYS[1], field, -1)
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if redis.call('HINCRBY', KEYS[1], 'total', -1) > 0 then return 0 end
redis.call('HSET', KEYS[1], 'total', '0')
local deadline = now_ms() + tonumber(ARGV[3])
redis.call('ZADD', KEYS[3], deadline, ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return deadline
`;

export const FINALIZE = `${LUA_NOW_MS}
-- KEYS: user, leaving   ARGV: userId
local deadline = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not deadline then return false end
if tonumber(deadline) > now_ms() then return false end
redis.call('ZREM', KEYS[2], ARGV[1])
if tonumber(redis.call('HGET', KEYS[1], 'total') or '0') > 0 then return false end
local h = redis.call('HMGET', KEYS[1], 'online', 'state', 'status')
redis.call('DEL', KEYS[1])
if h[1] ~= '1' then return false end
return { deadline, h[2] or 'online', h[3] or '' }
`;

export const DUE = `${LUA_NOW_MS}
-- KEYS: leaving   ARGV: limit
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'LIMIT', 0, tonumber(ARGV[1]))
`;

export const CHOOSE = `
-- KEYS: user   ARGV: state, status, idle, ttlMs
if redis.call('HGET', KEYS[1], 'online') ~= '1' then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'status', ARGV[2], 'idle', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

export const HEARTBEAT = `${LUA_NOW_MS}
-- KEYS: nodes, dead, leaving   ARGV: node, expiryMs, expectKnown, ttlMs
-- Returns { 1 if this node is (still) registered else 0, nodes to clean up }.
local now = now_ms()
local known = redis.call('ZSCORE', KEYS[1], ARGV[1])
local alive = 1
if known or ARGV[3] ~= '1' then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
else
  alive = 0
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 20)
for _, node in ipairs(expired) do
  redis.call('ZREM', KEYS[1], node)
  redis.call('SADD', KEYS[2], node)
end
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ARGV[4]) end
return { alive, redis.call('SRANDMEMBER', KEYS[2], 20) }
`;

export const RETIRE = `
-- KEYS: nodes, dead   ARGV: node, ttlMs
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
`;

export const REAP = `${LUA_NOW_MS}
-- KEYS: user, leaving, deadNodeUsers   ARGV: deadNode, userId, ttlMs
redis.call('SREM', KEYS[3], ARGV[2])
local field = 'n:' .. ARGV[1]
local c = tonumber(redis.call('HGET', KEYS[1], field) or '0')
if c <= 0 then return 0 end
redis.call('HDEL', KEYS[1], field)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if redis.call('HINCRBY', KEYS[1], 'total', -c) <= 0 then
  redis.call('HSET', KEYS[1], 'total', '0')
  redis.call('ZADD', KEYS[2], now_ms(), ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return 1
`;
