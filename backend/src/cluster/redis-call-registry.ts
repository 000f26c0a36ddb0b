import type { Redis } from 'ioredis';
import type { AddRefusal, CallRecord, CallRegistry } from '../services/calls/call-registry.js';
import { runScript } from './redis.js';

/**
 * The calls in progress in Redis, so that every node sees them: the caller and the callee's
 * devices may be connected to different nodes. A call is one JSON value (`<prefix>call:<id>`) with
 * sets indexing it by user (busy checks) and by connection (disconnects); every transition is one
 * Lua script, so two nodes racing (two devices answering at once) end with one winner.
 *
 * A ringing call expires `ringMs` plus a margin after it was placed, an answered one after
 * `answeredTtlMs`: if the node that holds the ring timer, or both devices' nodes, die, the call
 * does not keep its users busy for ever. Stale ids in the index sets are dropped when next read.
 */
export class RedisCallRegistry implements CallRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ringTtlMs: number,
    private readonly answeredTtlMs = 12 * 3_600_000,
  ) {}

  private callKey = (id: string) => `${this.prefix}call:${id}`;
  private userKey = (id: string) => `${this.prefix}call-user:${id}`;
  private connectionKey = (id: string) => `${this.prefix}call-conn:${id}`;

  async add(call: CallRecord, maxTransfers: number): Promise<AddRefusal | null> {
    const refused = await runScript(
      this.redis,
      ADD,
      [
        this.callKey(call.id),
        this.userKey(call.callerId),
        this.userKey(call.calleeId),
        ...[call.callerConnection, ...call.ringing].map(this.connectionKey),
      ],
      [JSON.stringify(call), call.id, call.kind, maxTransfers, this.ringTtlMs, `${this.prefix}call:`],
    );
    return refused === 'caller_busy' || refused === 'callee_busy' ? refused : null;
  }

  async get(callId: string): Promise<CallRecord | null> {
    return parse(await this.redis.get(this.callKey(callId)));
  }

  async accept(callId: string, connection: string, at: number): Promise<CallRecord | null> {
    const json = await runScript(
      this.redis,
      ACCEPT,
      [this.callKey(callId), this.connectionKey(connection)],
      [connection, at, callId, this.answeredTtlMs, this.prefix],
    );
    return parse(json);
  }

  async remove(callId: string, state: 'ringing' | 'answered' | 'any'): Promise<CallRecord | null> {
    const json = await runScript(this.redis, REMOVE, [this.callKey(callId)], [state, callId, this.prefix]);
    return parse(json);
  }

  async ofConnection(connectionId: string): Promise<string[]> {
    return this.redis.smembers(this.connectionKey(connectionId));
  }
}

function parse(json: unknown): CallRecord | null {
  if (typeof json !== 'string') return null;
  const call = JSON.parse(json) as CallRecord;
  // Lua's cjson writes an empty array as {}.
  if (!Array.isArray(call.ringing)) call.ringing = [];
  if (call.calleeConnection === undefined) call.calleeConnection = null;
  if (call.answeredAt === undefined) call.answeredAt = null;
  return call;
}

/** Sets an index key's expiry to `ttl` ms from now unless it already lives longer (another call). */
const EXTEND = `
local function extend(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

/**
 * KEYS: call, caller's set, callee's set, connection sets (caller's, then the ringing ones).
 * ARGV: call JSON, call id, kind, max transfers, ring TTL ms, call key prefix.
 */
const ADD = `
${EXTEND}
local kind = ARGV[3]
local function busy(set)
  local transfers = 0
  for _, id in ipairs(redis.call('SMEMBERS', set)) do
    local json = redis.call('GET', ARGV[6] .. id)
    if not json then
      redis.call('SREM', set, id)
    else
      local other = cjson.decode(json).kind
      if other == 'data' then transfers = transfers + 1 end
      if kind ~= 'data' and other ~= 'data' then return true end
    end
  end
  return kind == 'data' and transfers >= tonumber(ARGV[4])
end
if busy(KEYS[2]) then return 'caller_busy' end
if busy(KEYS[3]) then return 'callee_busy' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[5]))
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[2])
  extend(KEYS[i], tonumber(ARGV[5]))
end
return false
`;

/**
 * KEYS: call, the answering connection's set. ARGV: connection, answered at, call id, answered
 * TTL ms, key prefix. The index sets of the call then live as long as the answered call.
 */
const ACCEPT = `
${EXTEND}
local json = redis.call('GET', KEYS[1])
if not json then return false end
local call = cjson.decode(json)
if call.calleeConnection ~= cjson.null and call.calleeConnection ~= nil then return false end
call.calleeConnection = ARGV[1]
call.answeredAt = tonumber(ARGV[2])
json = cjson.encode(call)
local ttl = tonumber(ARGV[4])
local p = ARGV[5]
redis.call('SET', KEYS[1], json, 'PX', ttl)
redis.call('SADD', KEYS[2], ARGV[3])
extend(KEYS[2], ttl)
extend(p .. 'call-user:' .. call.callerId, ttl)
extend(p .. 'call-user:' .. call.calleeId, ttl)
extend(p .. 'call-conn:' .. call.callerConnection, ttl)
return json
`;

/** KEYS: call. ARGV: state ('ringing' | 'answered' | 'any'), call id, key prefix. */
const REMOVE = `
local json = redis.call('GET', KEYS[1])
if not json then return false end
local call = cjson.decode(json)
local answered = call.calleeConnection ~= cjson.null and call.calleeConnection ~= nil
if (ARGV[1] == 'ringing' and answered) or (ARGV[1] == 'answered' and not answered) then return false end
redis.call('DEL', KEYS[1])
local p = ARGV[3]
redis.call('SREM', p .. 'call-user:' .. call.callerId, ARGV[2])
redis.call('SREM', p .. 'call-user:' .. call.calleeId, ARGV[2])
redis.call('SREM', p .. 'call-conn:' .. call.callerConnection, ARGV[2])
if answered then redis.call('SREM', p .. 'call-conn:' .. call.calleeConnection, ARGV[2]) end
if type(call.ringing) == 'table' then
  for _, c in ipairs(call.ringing) do redis.call('SREM', p .. 'call-conn:' .. c, ARGV[2]) end
end
return json
`;
