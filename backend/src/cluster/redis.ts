import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/** A Redis problem that stops this node from working in cluster mode (unreachable at start…). */
export class ClusterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterError';
  }
}

/** `redis://user:secret@host` → `redis://user:***@host`, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

/**
 * Opens an ioredis connection and waits until it is ready, so a wrong REDIS_URL fails the start
 * with a clear message instead of a node that quietly runs alone. ioredis reconnects by itself
 * afterwards (and resubscribes its channels, which is why it is used rather than `redis`, see
 * docs/deployment.md); every connection error is logged with the connection's role.
 */
export async function connectRedis(url: string, role: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    // Names the process, so an operator (or a test) can tell the nodes' connections apart.
    connectionName: `parley-${role}-${process.pid}`,
    // A command waits through at most this many reconnect attempts before it fails.
    maxRetriesPerRequest: 10,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let failures = 0;
  redis.on('error', (err: Error) => {
    failures += 1;
    // One line per outage plus one every 30 attempts, not one per retry.
    if (failures === 1 || failures % 30 === 0) {
      logger.error({ err, role, redis: redactUrl(url), failures }, 'redis connection error');
    }
  });
  redis.on('ready', () => {
    if (failures > 0) logger.info({ role, failures }, 'redis connection is back');
    failures = 0;
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new ClusterError(`cannot connect to Redis at ${redactUrl(url)} (${role})`, { cause: err });
  }
  return redis;
}

/** Current time on the Redis server in ms, as the Lua scripts compute it (one clock for all nodes). */
export const LUA_NOW_MS = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * Runs a Lua script. EVAL (not EVALSHA with a NOSCRIPT retry) keeps the scripts of one connection
 * in the order they were issued, which the presence counts rely on; Redis caches the compiled
 * script, so only the text travels again.
 */
export function runScript(
  redis: Redis,
  source: string,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  return redis.eval(source, keys.length, ...keys, ...args);
}
