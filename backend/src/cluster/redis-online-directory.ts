import type { Redis } from 'ioredis';
import type { OnlineDirectory } from '../services/online-directory.js';

/**
 * The online directory of a cluster: one sorted set per site (`online:site:<site>`), every score
 * 0, so members sort by id and ZRANGEBYLEX pages them, and a hash of each listed user's site
 * (`online:sites`), so that whichever node sees the user go offline can find the set. Every node adds the users it connects;
 * the node that reports a user offline removes them. Entries left behind by a cluster that stopped
 * entirely are dropped the next time a page finds them offline (PresenceService.onlinePage).
 */
export class RedisOnlineDirectory implements OnlineDirectory {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(siteId: string): string {
    return `${this.prefix}online:site:${siteId}`;
  }

  private get sites(): string {
    return `${this.prefix}online:sites`;
  }

  async add(siteId: string, userId: string): Promise<void> {
    await this.redis.multi().hset(this.sites, userId, siteId).zadd(this.key(siteId), 0, userId).exec();
  }

  /**
   * Not atomic, and need not be: a user's site never changes, and an add that lands between the
   * read and the removal is made good by the caller, who puts back users the registry shows online.
   */
  async remove(userId: string): Promise<string | null> {
    const siteId = await this.redis.hget(this.sites, userId);
    if (siteId === null) return null;
    await this.redis.multi().hdel(this.sites, userId).zrem(this.key(siteId), userId).exec();
    return siteId;
  }

  async page(siteId: string, after: string | undefined, limit: number): Promise<string[]> {
    return this.redis.zrangebylex(this.key(siteId), after === undefined ? '-' : `(${after}`, '+', 'LIMIT', 0, limit);
  }
}
