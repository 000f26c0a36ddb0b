import type { ServerToClientEvents } from '../protocol/index.js';

/**
 * How services reach users: an event to every open connection of each user named, on whichever
 * node it is (the Socket.IO adapter carries it there).
 */
export interface Notifier {
  toUsers<E extends keyof ServerToClientEvents>(
    userIds: Iterable<string>,
    event: E,
    ...data: Parameters<ServerToClientEvents[E]>
  ): void;
  /**
   * As {@link toUsers}, but not to the connection `except` names (when not null): the connection a
   * message came from has it in its acknowledgement, so it is spared the copy.
   */
  toUsersExcept<E extends keyof ServerToClientEvents>(
    except: string | null,
    userIds: Iterable<string>,
    event: E,
    ...data: Parameters<ServerToClientEvents[E]>
  ): void;
  /**
   * An event to the connections named (ids from {@link connectionsOf}), on whichever node they
   * are; ids no longer open are skipped. Calls speak to one device, not to all of a user's.
   */
  toConnections<E extends keyof ServerToClientEvents>(
    connectionIds: Iterable<string>,
    event: E,
    ...data: Parameters<ServerToClientEvents[E]>
  ): void;
  /** The ids of the user's open connections, on every node. */
  connectionsOf(userId: string): Promise<string[]>;
}
