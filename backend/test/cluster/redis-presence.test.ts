import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisPresenceRegistry } from '../../src/cluster/redis-presence.js';
import { createLogger } from '../../src/logger.js';
import type { Chosen } from '../../src/services/presence-registry.js';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../services.js';
import { sleep, waitFor } from '../support.js';

/**
 * Two RedisPresenceRegistry instances ("nodes") in this process on a real Redis and a fresh key
 * prefix: transitions are reported once cluster-wide, and a node taken for dead while still alive
 * (a long stall) comes back under a new id with its connections.
 */
const GRACE_MS = 200;
const EXPIRY_MS = 1200;
const online: Chosen = { state: 'online', status: '', idle: false };

let redis: Redis;
let prefix: string;
const registries: RedisPresenceRegistry[] = [];

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
  prefix = testRedisPrefix();
});

afterAll(async () => {
  for (const r of registries) await r.close().catch(() => undefined);
  redis.disconnect();
  await dropRedisPrefix(prefix);
});

async function node(name: string, events: string[], keyPrefix = prefix, client = redis, logLevel = 'error') {
  const registry = await RedisPresenceRegistry.start({
    redis: client,
    prefix: keyPrefix,
    graceMs: GRACE_MS,
    expiryMs: EXPIRY_MS,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? logLevel),
  });
  registry.listen({
    online: (userId) => events.push(`${name} online ${userId}`),
    offline: (userId) => events.push(`${name} offline ${userId}`),
  });
  registries.push(registry);
  return registry;
}

describe('RedisPresenceRegistry', () => {
  it('announces each transition once, on one node, across tabs on several nodes', async () => {
    const events: string[] = [];
    const [a, b] = [await node('a', events), await node('b', events)];
    await a.connect('u1', online);
    await b.connect('u1', { state: 'busy', status: 'ignored: already online', idle: false });
    expect(events).toEqual(['a online u1']);
    expect((await b.lookup(['u1', 'nobody'])).get('u1')).toEqual(online);

    await a.choose('u1', { state: 'away', status: 'out', idle: false });
    expect((await b.lookup(['u1'])).get('u1')).toEqual({ state: 'away', status: 'out', idle: false });
    await b.choose('u1', { state: 'online', status: 'out', idle: true });
    expect((await a.lookup(['u1'])).get('u1')).toEqual({ state: 'online', status: 'out', idle: true });
    await a.choose('u1', { state: 'away', status: 'out', idle: false });

    await a.disconnect('u1');
    await sleep(GRACE_MS * 3);
    expect(events).toEqual(['a online u1']);
    await b.disconnect('u1');
    // Still online during the grace period, then offline once.
    expect((await a.lookup(['u1'])).has('u1')).toBe(true);
    await waitFor(() => events.length === 2, 5000, 'the offline transition');
    await sleep(EXPIRY_MS);
    expect(events).toEqual(['a online u1', 'b offline u1']);
    expect((await a.lookup(['u1'])).has('u1')).toBe(false);
  });

  it('brings back the connections of a node that was taken for dead while it stalled', async () => {
    const events: string[] = [];
    const [a, b] = [await node('a2', events), await node('b2', events)];
    await a.connect('u2', online);
    const before = a.nodeId;
    // What the other nodes do when a node misses its heartbeat: move it to the dead set.
    await redis.zrem(`${prefix}presence:nodes`, before);
    await redis.sadd(`${prefix}presence:dead`, before);

    // b cleans up after it; a, on its next heartbeat, finds itself gone and rejoins under a new id.
    await waitFor(() => a.nodeId !== before, EXPIRY_MS * 5, 'a to rejoin');
    await waitFor(async () => (await redis.sismember(`${prefix}presence:dead`, before)) === 0, EXPIRY_MS * 5, 'reap');
    expect((await b.lookup(['u2'])).has('u2')).toBe(true);
    const counts = await redis.hgetall(`${prefix}presence:user:u2`);
    expect(counts).toMatchObject({ [`n:${a.nodeId}`]: '1', total: '1', online: '1' });
    expect(counts[`n:${before}`]).toBeUndefined();

    // Its connection still counts exactly once: closing it takes u2 offline, once.
    const offlineBefore = events.filter((e) => e.endsWith('offline u2')).length;
    await a.disconnect('u2');
    await waitFor(() => events.filter((e) => e.endsWith('offline u2')).length > offlineBefore, 5000, 'offline');
    await sleep(EXPIRY_MS);
    expect(events.filter((e) => e.endsWith('offline u2')).length).toBe(offlineBefore + 1);
  });

  it('sets its counts right after a write that failed, so nobody stays online by mistake', async () => {
    // A cluster of its own (the other tests' nodes would reap and sweep this one's users too).
    const events: string[] = [];
    const own = `${prefix}own:`;
    const [a, b] = [await node('a3', events, own), await node('b3', events, own)];
    await a.connect('u3', online);
    const before = a.nodeId;
    // The next disconnect script fails, as after a Redis outage longer than ioredis's retries.
    const real = redis.eval.bind(redis);
    let failNext = true;
    redis.eval = ((...args: Parameters<Redis['eval']>) => {
      if (failNext && String(args[0]).includes('ARGV: node, userId, graceMs')) {
        failNext = false;
        return Promise.reject(new Error('injected: redis went away'));
      }
      return real(...args);
    }) as Redis['eval'];
    try {
      await expect(a.disconnect('u3')).rejects.toThrow('injected');
      // Redis still counts the closed connection…
      expect((await b.lookup(['u3'])).has('u3')).toBe(true);
      // …until a's next tick rejoins from what it knows (no connection of u3): offline, once.
      await waitFor(() => events.some((e) => e.endsWith('offline u3')), EXPIRY_MS * 5, 'u3 to go offline');
      expect(a.nodeId).not.toBe(before);
      expect((await b.lookup(['u3'])).has('u3')).toBe(false);
      await sleep(EXPIRY_MS);
      expect(events.filter((e) => e.endsWith('u3'))).toEqual(['a3 online u3', expect.stringMatching(/offline u3$/)]);
    } finally {
      redis.eval = real;
    }
  });

  it('leaves no key behind once every node has stopped, twice the expiry later', async () => {
    // A cluster of its own: three nodes, users with tabs on several of them, one in a grace period.
    const events: string[] = [];
    const own = `${prefix}stopped:`;
    const presenceKeys = async () => (await redis.keys(`${own}*`)).sort();
    const doomed = new Redis(TEST_REDIS_URL);
    const [a, b] = [await node('a4', events, own), await node('b4', events, own)];
    const c = await node('c4', events, own, doomed, 'silent');
    await a.connect('u4', online);
    await b.connect('u4', online);
    await c.connect('u4', online);
    await b.connect('u5', online);
    await b.choose('u5', { state: 'busy', status: 'away from keyboard', idle: false });
    await c.connect('u6', online);
    await a.connect('u7', online);
    await a.disconnect('u7');

    // The whole cluster stops: c dies without a word (its Redis connection gone, as with SIGKILL),
    // then a and b shut down as in a deploy. Nobody is left to sweep or reap.
    doomed.disconnect();
    await a.close();
    await b.close();
    const stoppedAt = Date.now();
    expect(await presenceKeys()).not.toEqual([]);
    await sleep(stoppedAt + 2 * EXPIRY_MS + 50 - Date.now());
    expect(await presenceKeys()).toEqual([]);
    await c.close().catch(() => undefined);
  });
});
