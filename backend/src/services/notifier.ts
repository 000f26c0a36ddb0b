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
}
