import type { ServerToClientEvents, SessionEnded } from '../protocol/index.js';
import type { Notifier } from './notifier.js';

/** One event of the protocol's server-to-client list, with its payload. */
export type UserEvent = {
  [E in keyof ServerToClientEvents]: { event: E; data: Parameters<ServerToClientEvents[E]>[0] };
}[keyof ServerToClientEvents];

/**
 * What a transport (Socket.IO for the widget; an XMPP component or others later) gives the core: a
 * way to reach the open connections of users, on whichever node they are, and to close those
 * whose session ended. The core never knows which transports exist.
 */
export interface Transport {
  /**
   * Delivers `event` to every open connection of each user in `userIds` that this transport holds,
   * but the connection `except` names (the one that caused it and has its answer already).
   */
  deliver(userIds: readonly string[], event: UserEvent, except: string | null): void;
  /** Delivers `event` to the connections of this transport named in `connectionIds` (others are ignored). */
  deliverTo(connectionIds: readonly string[], event: UserEvent): void;
  /** The ids of the user's open connections this transport holds (on every node); unique across transports. */
  connectionsOf(userId: string): Promise<string[]>;
  /** Tells the connections of a user's ended sessions why, and closes them (all, `only` one, or all `except` one). */
  endSessions(userId: string, reason: SessionEnded['reason'], match: { only?: string; except?: string }): Promise<void>;
}

/**
 * The core's delivery to connected users: services call `toUsers` (the {@link Notifier} they are
 * given) and every subscribed transport carries the event to its own connections. A new transport
 * subscribes here; no service changes.
 */
export class Fanout implements Notifier {
  private readonly transports = new Set<Transport>();

  /** Adds a transport; returns a function that removes it. */
  subscribe(transport: Transport): () => void {
    this.transports.add(transport);
    return () => this.transports.delete(transport);
  }

  toUsers<E extends keyof ServerToClientEvents>(
    userIds: Iterable<string>,
    event: E,
    ...data: Parameters<ServerToClientEvents[E]>
  ): void {
    this.toUsersExcept(null, userIds, event, ...data);
  }

  toUsersExcept<E extends keyof ServerToClientEvents>(
    except: string | null,
    userIds: Iterable<string>,
    event: E,
    ...data: Parameters<ServerToClientEvents[E]>
  ): void {
    const users = [...userIds];
    if (users.length === 0) return;
    const message = { event, data: data[0] } as UserEvent;
    for (const transport of this.transports) transport.deliver(users, message, except);
  }

  toConnections<E extends keyof ServerToClientEvents>(
    connectionIds: Iterable<string>,
    event: E,
    ...data: Parameters<ServerToClientEvents[E]>
  ): void {
    const ids = [...connectionIds];
    if (ids.length === 0) return;
    const message = { event, data: data[0] } as UserEvent;
    for (const transport of this.transports) transport.deliverTo(ids, message);
  }

  async connectionsOf(userId: string): Promise<string[]> {
    return (await Promise.all([...this.transports].map((t) => t.connectionsOf(userId)))).flat();
  }

  /** Ends the connections of a user's sessions on every transport (sign-out, password change). */
  async endSessions(
    userId: string,
    reason: SessionEnded['reason'],
    match: { only?: string; except?: string },
  ): Promise<void> {
    await Promise.all([...this.transports].map((t) => t.endSessions(userId, reason, match)));
  }
}
