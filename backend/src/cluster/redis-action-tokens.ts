import type { Redis } from 'ioredis';
import type { UsedActionTokens } from '../services/action-tokens.js';

/**
 * Used action tokens in Redis (cluster mode): one key per `jti`, set only if absent (SET NX) and
 * expiring with its token (PX), so a token used on one node is refused on every other, and
 * nothing is left to sweep. When Redis cannot answer, the claim fails and so does the request:
 * accepting a token that may be a replay would defeat the point of signing actions.
 */
export class RedisActionTokens implements UsedActionTokens {
  constructor(
    private readonly redis: Redis,
    /** Key prefix, e.g. `parley:jti:`; the site id (no colons) and the `jti` follow. */
    private readonly keyPrefix: string,
  ) {}

  async claim(siteId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> {
    const ttl = Math.max(1, expiresAt.getTime() - now.getTime());
    return (await this.redis.set(`${this.keyPrefix}${siteId}:${jti}`, '1', 'PX', ttl, 'NX')) === 'OK';
  }
}
