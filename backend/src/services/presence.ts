import type { ChosenPresence, Presence } from '../protocol/index.js';
import type { Logger } from '../logger.js';
import type { Store, UserRecord } from '../store/store.js';
import type { Notifier } from './notifier.js';
import type { Chosen, PresenceRegistry, PresenceTransitions } from './presence-registry.js';
import { LocalOnlineDirectory, type OnlineDirectory } from './online-directory.js';
import type { Relations } from './relations.js';

export const offline = (lastSeen: Date | null): Presence => ({
  state: 'offline',
  status: '',
  lastSeenAt: lastSeen?.toISOString() ?? null,
});

/** What others see of an online user who chose `chosen`: idle and `online` shows as `away`. */
function shown(chosen: Chosen, lastSeen: Date | null): Presence {
  if (chosen.state === 'invisible') return offline(lastSeen);
  const state = chosen.state === 'online' && chosen.idle ? 'away' : chosen.state;
  return { state, status: chosen.status, lastSeenAt: null };
}

/**
 * Presence as buddies see it: who is connected (a PresenceRegistry: in memory on one node, in
 * Redis for a cluster, each with its grace period) combined with the state and status text each
 * user chose. Invisible users appear offline to everyone else. Changes go only to mutual buddies
 * and fellow room members; the user's own other connections learn the chosen state.
 */
export class PresenceService {
  /** Fan-outs and disconnects under way, so shutdown can wait for them. */
  private readonly pending = new Set<Promise<unknown>>();
  /** Presence changes of this tick, waiting to be told to their audiences together (see `flush`). */
  private batch: { userId: string; presence: Presence }[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly registry: PresenceRegistry,
    private readonly store: Store,
    private readonly relations: Relations,
    private readonly notify: Notifier,
    private readonly logger: Logger,
    /** Who of each site may be online, for `onlinePage` (the server API's list). */
    private readonly directory: OnlineDirectory = new LocalOnlineDirectory(),
    /** Also told of every transition (webhooks: user.online and user.offline). */
    private readonly observer: PresenceTransitions | null = null,
  ) {
    registry.listen({
      online: (userId, chosen) => {
        this.observer?.online(userId, chosen);
        if (chosen.state !== 'invisible')
          this.track(this.tell(userId, shown(chosen, null)), userId, 'presence fan-out');
      },
      offline: (userId, at, chosen) => {
        this.observer?.offline(userId, at, chosen);
        const tasks: Promise<unknown>[] = [this.store.setLastSeen(userId, at), this.prune([userId])];
        if (chosen.state !== 'invisible') tasks.push(this.tell(userId, offline(at)));
        this.track(
          Promise.all(tasks).finally(() => this.relations.forget(userId)),
          userId,
          'going offline',
        );
      },
    });
  }

  /** What others see of each of `users` (their `lastSeenAt` from the user records, for offline). */
  async visibleMany(users: readonly Pick<UserRecord, 'id' | 'lastSeenAt'>[]): Promise<Map<string, Presence>> {
    const online = await this.registry.lookup(users.map((u) => u.id));
    return new Map(
      users.map((u) => {
        const chosen = online.get(u.id);
        return [u.id, chosen ? shown(chosen, u.lastSeenAt) : offline(u.lastSeenAt)];
      }),
    );
  }

  async visible(user: Pick<UserRecord, 'id' | 'lastSeenAt'>): Promise<Presence> {
    return (await this.visibleMany([user])).get(user.id)!;
  }

  /** A connection of `user` opened; resolves with what the user has chosen (for session:ready). */
  async connect(user: UserRecord): Promise<Chosen> {
    const chosen = await this.registry.connect(user.id, {
      state: user.presenceState,
      status: user.statusText,
      idle: false,
    });
    // After the registry counted the connection: see `prune` for why the order matters.
    this.track(this.directory.add(user.siteId, user.id), user.id, 'online directory');
    return chosen;
  }

  /**
   * One page of the site's online users as others see them (invisible users left out), by user id
   * after `after`. `next` is the cursor of the following page, null when there is none.
   */
  async onlinePage(
    siteId: string,
    after: string | undefined,
    limit: number,
  ): Promise<{ users: { id: string; presence: Presence }[]; next: string | null }> {
    const users: { id: string; presence: Presence }[] = [];
    let cursor = after;
    // A few rounds at most: candidates who are invisible or gone shorten a page, never stall it.
    for (let round = 0; round < 4; round++) {
      const candidates = await this.directory.page(siteId, cursor, limit);
      const online = await this.registry.lookup(candidates);
      const gone = candidates.filter((id) => !online.has(id));
      if (gone.length > 0) this.track(this.prune(gone), gone[0]!, 'online directory');
      for (const id of candidates) {
        cursor = id;
        const chosen = online.get(id);
        if (chosen && chosen.state !== 'invisible') users.push({ id, presence: shown(chosen, null) });
        if (users.length === limit) return { users, next: id };
      }
      if (candidates.length < limit) return { users, next: null };
    }
    return { users, next: cursor ?? null };
  }

  /**
   * Takes users who went offline (or were found offline by a page) out of the online directory.
   * A connection that opened meanwhile (on any node) adds its user after the registry counted it,
   * so either that add comes after this removal, or the registry already shows the user online
   * here and the user is put back.
   */
  private async prune(userIds: string[]): Promise<void> {
    const sites = new Map<string, string>();
    for (const id of userIds) {
      const siteId = await this.directory.remove(id);
      if (siteId !== null) sites.set(id, siteId);
    }
    const online = await this.registry.lookup([...sites.keys()]);
    for (const id of online.keys()) await this.directory.add(sites.get(id)!, id);
  }

  /** Open connections of the user, on every node (one node: this one). */
  connectionCount(userId: string): Promise<number> {
    return this.registry.connectionCount(userId);
  }

  disconnect(userId: string): void {
    this.track(this.registry.disconnect(userId), userId, 'presence disconnect');
  }

  /**
   * The user picks a state and status text: saved, shown to buddies, echoed to their other tabs.
   * Picking one is activity, so it also ends idleness.
   */
  async choose(user: UserRecord, state: ChosenPresence, status: string): Promise<Chosen> {
    await this.store.updateUser(user.id, { presenceState: state, statusText: status });
    return this.update(user, { state, status, idle: false });
  }

  /**
   * Every tab of the user went idle (no input for a while), or one is in use again. Not stored:
   * a new connection starts active. An `online` user who is idle shows as `away`.
   */
  async setIdle(user: UserRecord, idle: boolean): Promise<Chosen> {
    const current = (await this.registry.lookup([user.id])).get(user.id);
    // Not online any more (the connection is closing): nothing to show.
    if (!current) return { state: user.presenceState, status: user.statusText, idle };
    if (current.idle === idle) return current;
    return this.update(user, { ...current, idle });
  }

  private async update(user: UserRecord, chosen: Chosen): Promise<Chosen> {
    const before = await this.visible(user);
    await this.registry.choose(user.id, chosen);
    const after = await this.visible({ id: user.id, lastSeenAt: new Date() });
    if (before.state !== after.state || before.status !== after.status) {
      this.track(this.tell(user.id, after), user.id, 'presence fan-out');
    }
    this.notify.toUsers([user.id], 'presence:changed', { userId: user.id, presence: after, chosen });
    return chosen;
  }

  /** Tells one user the current presence of another (a relation just became mutual). */
  async show(toUserId: string, subject: UserRecord): Promise<void> {
    this.notify.toUsers([toUserId], 'presence:changed', {
      userId: subject.id,
      presence: await this.visible(subject),
    });
  }

  /** Shutdown: lets the registry settle (one node: everyone goes offline now) and waits for it. */
  async close(): Promise<void> {
    await this.settled();
    await this.registry.close();
    await this.settled();
  }

  private async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track(task: Promise<unknown>, userId: string, what: string): void {
    const tracked = task
      .catch((err: unknown) => this.logger.error({ err, user: userId }, `${what} failed`))
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /**
   * Tells the user's audience (mutual buddies, fellow room members) their new presence, at the end
   * of this tick together with every other change of the tick; resolves once told. Many logins
   * in one tick then cost one pass: the audiences are looked up together, and the events go out
   * in one synchronous run, so Engine.IO queues those for the same connection and sends them in
   * one write (see transports/socketio/write-coalescing.ts). Each event is still its own
   * `presence:changed`, in the order the changes happened; audiences are read at the flush, so a
   * relation that ended meanwhile is respected.
   */
  private tell(userId: string, presence: Presence): Promise<void> {
    this.batch.push({ userId, presence });
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
    return this.flushing;
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    this.flushing = null;
    const audiences = await Promise.allSettled(batch.map(({ userId }) => this.relations.presenceAudience(userId)));
    batch.forEach(({ userId, presence }, i) => {
      const audience = audiences[i]!;
      if (audience.status === 'rejected') {
        this.logger.error({ err: audience.reason, user: userId }, 'presence fan-out failed');
      } else if (audience.value.size > 0) {
        this.notify.toUsers(audience.value, 'presence:changed', { userId, presence });
      }
    });
  }
}
