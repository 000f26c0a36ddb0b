import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { Limiter } from '../services/rate-limiter.js';
import type { Relations } from '../services/relations.js';
import { ClusterError, connectRedis } from './redis.js';
import { RedisPresenceRegistry } from './redis-presence.js';
import { RedisCallRegistry } from './redis-call-registry.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';
import { RedisActionTokens } from './redis-action-tokens.js';
import { RedisOnlineDirectory } from './redis-online-directory.js';
import { syncRelations } from './relations-sync.js';

export interface ClusterOptions {
  /** REDIS_URL */
  url: string;
  /** REDIS_PREFIX: every key and channel of this deployment starts with it. */
  prefix: string;
  presenceGraceMs: number;
  presenceExpiryMs: number;
  logger: Logger;
}

/**
 * What cluster mode (REDIS_URL) adds to a node: the Socket.IO adapter that carries broadcasts to
 * the other nodes, presence counted across nodes, rate limits shared by all nodes, and roster
 * cache invalidations. See docs/architecture.md#cluster-mode.
 */
export interface Cluster {
  /** This node's id in Redis (changes if the node ever has to rejoin). */
  nodeId(): string;
  /** For `new Server({ adapter })`. */
  adapter: ReturnType<typeof createAdapter>;
  presence: RedisPresenceRegistry;
  /** Who may be online, per site, for the server API's list of online users. */
  onlineDirectory: RedisOnlineDirectory;
  limiter(name: string, ratePerSecond: number, burst: number): Limiter;
  /** The calls in progress, shared by every node; a ringing call expires after `ringTtlMs`. */
  callRegistry(ringTtlMs: number): RedisCallRegistry;
  /** Signed actions' used `jti`s, seen by every node (docs/protocol.md#signed-actions). */
  usedActionTokens: RedisActionTokens;
  /** Keeps `relations` in step with roster changes made on other nodes. */
  syncRelations(relations: Relations): Promise<void>;
  ping(): Promise<void>;
  /** After the Socket.IO server and presence have closed: stops syncing and closes Redis. */
  close(): Promise<void>;
}

export async function joinCluster(options: ClusterOptions): Promise<Cluster> {
  const { url, prefix, logger } = options;
  const log = logger.child({ part: 'cluster' });
  const redis: Redis = await connectRedis(url, 'commands', log);
  const subscriber = await connectRedis(url, 'subscriber', log).catch(async (err: unknown) => {
    redis.disconnect();
    throw err;
  });
  const presence = await RedisPresenceRegistry.start({
    redis,
    prefix,
    graceMs: options.presenceGraceMs,
    expiryMs: options.presenceExpiryMs,
    logger: log,
  }).catch((err: unknown) => {
    redis.disconnect();
    subscriber.disconnect();
    throw err;
  });
  const adapter = createAdapter(redis, {
    // One stream for the deployment; other deployments on the same Redis use another prefix.
    streamName: `${prefix}socket.io`,
    channelPrefix: `${prefix}socket.io`,
    // Every payload Parley emits is JSON; skip the adapter's search for binary attachments.
    onlyPlaintext: true,
    // How long a stopping node may wait for its blocked XREAD to return.
    blockTimeInMs: 2000,
  });
  let stopSync: (() => Promise<void>) | undefined;

  return {
    nodeId: () => presence.nodeId,
    adapter,
    presence,
    onlineDirectory: new RedisOnlineDirectory(redis, prefix),
    limiter: (name, ratePerSecond, burst) =>
      new RedisRateLimiter(redis, `${prefix}rate:${name}:`, ratePerSecond, burst, log),
    callRegistry: (ringTtlMs) => new RedisCallRegistry(redis, prefix, ringTtlMs),
    usedActionTokens: new RedisActionTokens(redis, `${prefix}jti:`),
    async syncRelations(relations) {
      stopSync = await syncRelations({
        relations,
        publisher: redis,
        subscriber,
        channel: `${prefix}relations`,
        nodeId: () => presence.nodeId,
        logger: log,
      });
    },
    async ping() {
      // While ioredis reconnects, commands wait in its queue; a health check must answer now.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ClusterError('redis did not answer PING within 2 s')), 2000);
      });
      try {
        await Promise.race([redis.ping(), late]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await stopSync?.();
      await Promise.all([subscriber.quit(), redis.quit()]);
    },
  };
}
