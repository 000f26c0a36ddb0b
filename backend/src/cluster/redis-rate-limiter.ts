import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { Limiter } from '../services/rate-limiter.js';
import { LUA_NOW_MS, runScript } from './redis.js';

/**
 * The token bucket of RateLimiter, one per key in Redis, so a user's allowance is the same
 * whichever nodes their connections are on. The refill uses the Redis server's clock. A bucket
 * key expires once it would be full again, so idle users cost nothing.
 */
const TAKE = `${LUA_NOW_MS}
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = now_ms()
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
local full_in = 86400000
if rate > 0 then full_in = math.ceil((burst - tokens) / rate * 1000) end
redis.call('PEXPIRE', KEYS[1], full_in + 1000)
return allowed
`;

export class RedisRateLimiter implements Limiter {
  constructor(
    private readonly redis: Redis,
    /** Key prefix of this limiter's buckets, e.g. `parley:rate:message:`. */
    private readonly keyPrefix: string,
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Fails open: when Redis cannot answer, the request is allowed and the failure logged. Refusing
   * every message while Redis is away would turn a rate limit into an outage.
   */
  async take(key: string): Promise<boolean> {
    try {
      const allowed = await runScript(this.redis, TAKE, [this.keyPrefix + key], [this.ratePerSecond, this.burst]);
      return allowed === 1;
    } catch (err) {
      this.logger.error({ err, user: key, limiter: this.keyPrefix }, 'rate limit check failed; allowing');
      return true;
    }
  }
}
