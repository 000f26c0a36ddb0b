import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../protocol/index.js';
import type { RosterRow, SiteRecord, UserRecord } from '../../store/store.js';

// Lives in ../lifecycle.ts so that http/ can use it without importing the gateway.
export type { Lifecycle } from '../../lifecycle.js';

/** What the handshake establishes about a connection. */
export interface SocketData {
  user: UserRecord;
  site: SiteRecord;
  sessionId: string;
  /** When the session ends: the connection is closed then (see session-watch.ts). */
  sessionExpiresAt: Date;
  /** The Origin the browser sent (null for non-browser clients); re-checked when the site changes. */
  origin: string | null;
  /** Set when this connection signed in with a host identity token and so created the session. */
  openedSession: { token: string; expiresAt: string } | null;
  /** What the handshake read for session:ready (see ConnectionAuth); dropped once it is sent. */
  preloaded: { roster: RosterRow[]; inboxHead: number } | null;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type InterServerEvents = {};

export type ParleyServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ParleySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** The room every connection of a user joins; emitting to it reaches all their tabs and devices. */
export const userRoom = (userId: string) => `user:${userId}`;
