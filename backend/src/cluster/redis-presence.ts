import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { ChosenPresence } from '../protocol/index.js';
import {
  ignoreTransitions,
  type Chosen,
  type PresenceRegistry,
  type PresenceTransitions,
} from '../services/presence-registry.js';
import { runScript } from './redis.js';
import { CHOOSE, CONNECT, DISCONNECT, DUE, FINALIZE, HEARTBEAT, REAP, RETIRE } from './redis-presence-scripts.js';

/**
 * Presence for a cluster, kept in Redis. All times are the Redis server's clock.
 *
 *   presence:user:<id>    hash  n:<node> → connections on that node, total, online (0/1), state, status,
 *                               idle (0/1: every tab of the user is idle)
 *   presence:node:<node>  set   users with connections on that node (to clean up after it)
 *   presence:leaving      zset  user → end of their grace period (their last connection closed)
 *   presence:nodes        zset  node → heartbeat deadline
 *   presence:dead         set   nodes taken for dead whose users are still being cleaned up
 *
 * Each transition is decided inside one Lua script, so exactly one node sees it: the connect that
 * finds `online` unset announces online; the finalize that removes a due `leaving` entry while
 * `total` is 0 announces offline. Nodes renew their heartbeat every third of PRESENCE_EXPIRY_MS;
 * a node past its deadline (SIGKILL, power loss, partition) is moved to `dead` by whichever node
 * notices first, its connection counts are subtracted user by user, and its users who are left
 * with no connection anywhere go offline at once (the expiry was their grace period).
 *
 * Every key expires `keyTtlMs` (twice PRESENCE_EXPIRY_MS, or the expiry plus the grace period if
 * that is longer) after the last write or renewal: each script that writes a key renews it, and
 * each heartbeat renews the shared keys, this node's user set and the hashes of its users. So a
 * cluster that stops entirely (every node gone, gracefully or not, nobody left to sweep) leaves
 * nothing behind in Redis once that time has passed.
 */

const chosenStates = new Set<string>(['online', 'away', 'busy', 'invisible'] satisfies ChosenPresence[]);
function toChosen(state: unknown, status: unknown, idle?: unknown): Chosen {
  return {
    state: typeof state === 'string' && chosenStates.has(state) ? (state as ChosenPresence) : 'online',
    status: typeof status === 'string' ? status : '',
    idle: idle === '1',
  };
}

export interface RedisPresenceOptions {
  redis: Redis;
  /** Key prefix (REDIS_PREFIX). */
  prefix: string;
  graceMs: number;
  /** PRESENCE_EXPIRY_MS: a node silent this long is taken for dead. */
  expiryMs: number;
  logger: Logger;
}

export class RedisPresenceRegistry implements PresenceRegistry {
  /** This node's connections per user: the truth this node re-registers from after a split. */
  private readonly local = new Map<string, { count: number; chosen: Chosen }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private nodeIdValue = RedisPresenceRegistry.newNodeId();
  private ticker: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private closed = false;
  /**
   * A count this node wrote may be wrong in Redis (a write failed after ioredis's retries): the
   * next tick rejoins, re-registering the local truth under a fresh id and retiring the old one,
   * so nobody stays online (or offline) by mistake until the node restarts.
   */
  private dirty = false;
  private readonly redis: Redis;
  private readonly logger: Logger;
  private transitions: PresenceTransitions = ignoreTransitions;

  private constructor(private readonly options: RedisPresenceOptions) {
    this.redis = options.redis;
    this.logger = options.logger.child({ part: 'presence' });
  }

  /** Registers this node (first heartbeat) and starts the heartbeat and sweep timer. */
  static async start(options: RedisPresenceOptions): Promise<RedisPresenceRegistry> {
    const registry = new RedisPresenceRegistry(options);
    await registry.heartbeat(false);
    registry.ticker = setInterval(() => registry.tick(), registry.tickMs);
    registry.ticker.unref();
    registry.logger.info({ node: registry.nodeId, expiryMs: options.expiryMs }, 'joined the cluster');
    return registry;
  }

  /** This node's id in Redis: host, pid and a random part, new for every process. */
  get nodeId(): string {
    return this.nodeIdValue;
  }

  private static newNodeId(): string {
    return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  private get tickMs(): number {
    return Math.max(250, Math.floor(this.options.expiryMs / 3));
  }

  /**
   * How long a key lives without a write or renewal. Twice the expiry leaves a node that renews on
   * every heartbeat more than one expiry of slack; a grace period longer than the expiry stretches
   * it, so a leaving user's hash always outlives the sweep that ends their grace period.
   */
  get keyTtlMs(): number {
    const { expiryMs, graceMs } = this.options;
    return Math.max(2 * expiryMs, expiryMs + graceMs);
  }

  private key = {
    user: (id: string) => `${this.options.prefix}presence:user:${id}`,
    nodeUsers: (node: string) => `${this.options.prefix}presence:node:${node}`,
    leaving: () => `${this.options.prefix}presence:leaving`,
    nodes: () => `${this.options.prefix}presence:nodes`,
    dead: () => `${this.options.prefix}presence:dead`,
  };

  listen(transitions: PresenceTransitions): void {
    this.transitions = transitions;
  }

  async connect(userId: string, initial: Chosen): Promise<Chosen> {
    const mine = this.local.get(userId);
    if (mine) mine.count += 1;
    else this.local.set(userId, { count: 1, chosen: initial });
    const chosen = await this.register(userId, initial, 1).catch((err: unknown) => this.failed(err));
    // (The connection may have closed meanwhile, taking the entry with it.)
    const entry = this.local.get(userId);
    if (entry) entry.chosen = chosen;
    return chosen;
  }

  /** Adds `count` connections of the user on this node; announces online if that is news. */
  private async register(userId: string, initial: Chosen, count: number): Promise<Chosen> {
    const node = this.nodeId;
    const result = (await runScript(
      this.redis,
      CONNECT,
      [this.key.user(userId), this.key.nodeUsers(node), this.key.leaving()],
      [node, userId, initial.state, initial.status, count, this.keyTtlMs],
    )) as [number, string | null, string | null, string | null];
    const chosen = toChosen(result[1], result[2], result[3]);
    if (result[0] === 1) this.transitions.online(userId, chosen);
    return chosen;
  }

  async disconnect(userId: string): Promise<void> {
    const mine = this.local.get(userId);
    if (!mine) {
      this.logger.warn({ user: userId }, 'disconnect of a user with no connection here');
      return;
    }
    if (--mine.count === 0) this.local.delete(userId);
    const node = this.nodeId;
    const deadline = Number(
      await runScript(
        this.redis,
        DISCONNECT,
        [this.key.user(userId), this.key.nodeUsers(node), this.key.leaving()],
        [node, userId, this.options.graceMs, this.keyTtlMs],
      ).catch((err: unknown) => this.failed(err)),
    );
    if (deadline > 0 && !this.closed) {
      // This node ends the grace period itself; the sweep of any node is the backstop.
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.finalize(userId).catch((err: unknown) =>
          this.logger.error({ err, user: userId }, 'could not end a grace period'),
        );
      }, this.options.graceMs + 25);
      timer.unref();
      this.timers.add(timer);
    }
  }

  /** Takes the user offline if their grace period is over and no connection came back. */
  private async finalize(userId: string): Promise<void> {
    const result = (await runScript(this.redis, FINALIZE, [this.key.user(userId), this.key.leaving()], [userId])) as
      [string, string, string] | null;
    if (result) this.transitions.offline(userId, new Date(Number(result[0])), toChosen(result[1], result[2]));
  }

  async lookup(userIds: readonly string[]): Promise<Map<string, Chosen>> {
    const found = new Map<string, Chosen>();
    if (userIds.length === 0) return found;
    const pipeline = this.redis.pipeline();
    for (const id of userIds) pipeline.hmget(this.key.user(id), 'online', 'state', 'status', 'idle');
    const results = (await pipeline.exec()) ?? [];
    results.forEach(([err, value], i) => {
      if (err) throw err;
      const [online, state, status, idle] = value as (string | null)[];
      if (online === '1') found.set(userIds[i]!, toChosen(state, status, idle));
    });
    return found;
  }

  /** The user's `total` over every node (a dead node's count until the others subtract it). */
  async connectionCount(userId: string): Promise<number> {
    return Number((await this.redis.hget(this.key.user(userId), 'total')) ?? 0);
  }

  async choose(userId: string, chosen: Chosen): Promise<void> {
    const mine = this.local.get(userId);
    if (mine) mine.chosen = chosen;
    await runScript(
      this.redis,
      CHOOSE,
      [this.key.user(userId)],
      [chosen.state, chosen.status, chosen.idle ? '1' : '0', this.keyTtlMs],
    );
  }

  /**
   * Renews this node's heartbeat. If the other nodes took this node for dead meanwhile (it was
   * stalled or cut off longer than the expiry), its connections are registered again under a new
   * node id (the old one is being cleaned up by the others; reusing it would race with them).
   */
  private async heartbeat(expectKnown: boolean): Promise<string[]> {
    const [alive, dead] = (await runScript(
      this.redis,
      HEARTBEAT,
      [this.key.nodes(), this.key.dead(), this.key.leaving()],
      [this.nodeId, this.options.expiryMs, expectKnown ? '1' : '0', this.keyTtlMs],
    )) as [number, string[]];
    if (alive === 0) await this.rejoin('this node was taken for dead');
    return dead;
  }

  /** A connection count did not reach Redis: remember to set it right on the next tick, and throw. */
  private failed(err: unknown): never {
    this.dirty = true;
    throw err;
  }

  /** Registers every local connection under a fresh node id and hands the old id to the reapers. */
  private async rejoin(reason: string): Promise<void> {
    const old = this.nodeId;
    this.nodeIdValue = RedisPresenceRegistry.newNodeId();
    this.logger.warn({ node: this.nodeId, previous: old, reason, users: this.local.size }, 'rejoining the cluster');
    await this.heartbeat(false);
    for (const [userId, { count, chosen }] of this.local) await this.register(userId, chosen, count);
    await runScript(this.redis, RETIRE, [this.key.nodes(), this.key.dead()], [old, this.keyTtlMs]);
  }

  /** One heartbeat, clean-up of dead nodes, and the grace periods that are due. Never overlaps. */
  private tick(): void {
    if (this.ticking || this.closed) return;
    this.ticking = (async () => {
      const dead = await this.heartbeat(true);
      if (this.dirty) {
        this.dirty = false;
        await this.rejoin('a presence write failed').catch((err: unknown) => this.failed(err));
      }
      for (const node of dead) if (node !== this.nodeId) await this.reap(node);
      await this.sweep();
      await this.renew();
    })()
      .catch((err: unknown) => this.logger.error({ err, node: this.nodeId }, 'presence heartbeat failed'))
      .finally(() => {
        this.ticking = undefined;
      });
  }

  /** Subtracts a dead node's connections, user by user (any number of nodes may do it at once). */
  private async reap(node: string): Promise<void> {
    const usersKey = this.key.nodeUsers(node);
    let reaped = 0;
    for (;;) {
      const users = await this.redis.srandmember(usersKey, 200);
      if (users.length === 0) break;
      for (const userId of users) {
        await runScript(
          this.redis,
          REAP,
          [this.key.user(userId), this.key.leaving(), usersKey],
          [node, userId, this.keyTtlMs],
        );
        reaped += 1;
      }
    }
    await this.redis.srem(this.key.dead(), node);
    if (reaped > 0) this.logger.warn({ node: this.nodeId, dead: node, users: reaped }, 'cleaned up after a dead node');
  }

  /**
   * Renews the expiry of this node's user set and of the hashes of the users connected here (the
   * heartbeat script renews the shared keys), so nothing in use expires while the node lives.
   */
  private async renew(): Promise<void> {
    const ttl = this.keyTtlMs;
    const run = async (pipeline: ReturnType<Redis['pipeline']>) => {
      for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
    };
    let batch = this.redis.pipeline().pexpire(this.key.nodeUsers(this.nodeId), ttl);
    let size = 1;
    for (const userId of this.local.keys()) {
      batch.pexpire(this.key.user(userId), ttl);
      if (++size === 1000) {
        await run(batch);
        batch = this.redis.pipeline();
        size = 0;
      }
    }
    if (size > 0) await run(batch);
  }

  /** Ends the grace periods that are due, whoever started them. */
  private async sweep(): Promise<void> {
    for (;;) {
      const due = (await runScript(this.redis, DUE, [this.key.leaving()], [200])) as string[];
      for (const userId of due) await this.finalize(userId);
      if (due.length < 200) return;
    }
  }

  /**
   * Leaves the cluster. Grace periods this node started stay in Redis and end on another node
   * (so users moving to another node see no offline flicker); whatever this node still counts is
   * handed to the reapers.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.ticking;
    await runScript(this.redis, RETIRE, [this.key.nodes(), this.key.dead()], [this.nodeId, this.keyTtlMs]);
    await this.reap(this.nodeId);
  }
}
