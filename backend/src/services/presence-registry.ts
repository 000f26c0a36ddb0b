import type { OwnPresence } from '../protocol/index.js';
import { PresenceTracker } from './presence-tracker.js';

/** The state and status text a user chose, and whether all their tabs are idle (not stored). */
export type Chosen = OwnPresence;

/**
 * Transitions a registry reports. Each is reported once per transition, on one node: in cluster
 * mode the node whose connection made the user go online, and whichever node ends the grace
 * period (or finds a dead node's users) for offline.
 */
export interface PresenceTransitions {
  online(userId: string, chosen: Chosen): void;
  /** `chosen` is what the user had chosen while online (invisible users were never shown). */
  offline(userId: string, at: Date, chosen: Chosen): void;
}

/**
 * Who is online, counted over every connection of every node, and what each online user chose.
 * Two implementations: in memory for one node (`LocalPresenceRegistry`), and in Redis for a
 * cluster (`RedisPresenceRegistry`, cluster/redis-presence.ts).
 */
export interface PresenceRegistry {
  /** Where transitions go; set once, before the first connection. */
  listen(transitions: PresenceTransitions): void;
  /** A connection of `userId` opened on this node; resolves with the user's current choice. */
  connect(userId: string, initial: Chosen): Promise<Chosen>;
  /** A connection of `userId` on this node closed. */
  disconnect(userId: string): Promise<void>;
  /** The choices of those among `userIds` who are online (in their grace period included). */
  lookup(userIds: readonly string[]): Promise<Map<string, Chosen>>;
  /** Records a new choice of a connected user. */
  choose(userId: string, chosen: Chosen): Promise<void>;
  /** Open connections of the user, on every node. */
  connectionCount(userId: string): Promise<number>;
  /** Shutdown: stops timers and settles what this node still owes (see each implementation). */
  close(): Promise<void>;
}

/** Until someone listens. */
export const ignoreTransitions: PresenceTransitions = { online: () => {}, offline: () => {} };

/** One node, in memory: PresenceTracker's connection counts and grace periods, plus the choices. */
export class LocalPresenceRegistry implements PresenceRegistry {
  private readonly tracker: PresenceTracker;
  private readonly chosen = new Map<string, Chosen>();
  private transitions: PresenceTransitions = ignoreTransitions;

  constructor(graceMs: number) {
    this.tracker = new PresenceTracker(graceMs, {
      online: (userId) => this.transitions.online(userId, this.chosen.get(userId)!),
      offline: (userId, at) => {
        const chosen = this.chosen.get(userId)!;
        this.chosen.delete(userId);
        this.transitions.offline(userId, at, chosen);
      },
    });
  }

  listen(transitions: PresenceTransitions): void {
    this.transitions = transitions;
  }

  async connect(userId: string, initial: Chosen): Promise<Chosen> {
    if (!this.chosen.has(userId)) this.chosen.set(userId, initial);
    this.tracker.connect(userId);
    return this.chosen.get(userId)!;
  }

  async disconnect(userId: string): Promise<void> {
    this.tracker.disconnect(userId);
  }

  async lookup(userIds: readonly string[]): Promise<Map<string, Chosen>> {
    const found = new Map<string, Chosen>();
    for (const id of userIds) {
      const chosen = this.chosen.get(id);
      if (chosen && this.tracker.isOnline(id)) found.set(id, chosen);
    }
    return found;
  }

  async choose(userId: string, chosen: Chosen): Promise<void> {
    this.chosen.set(userId, chosen);
  }

  async connectionCount(userId: string): Promise<number> {
    return this.tracker.count(userId);
  }

  /** The node is going away with everyone on it: grace periods end now (users go offline). */
  async close(): Promise<void> {
    this.tracker.flush();
  }
}
