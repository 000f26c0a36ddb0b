import type { SessionRecord, StoredConnection, UserRecord } from '../records.js';

/** Sign-in sessions, kept by the SHA-256 of their token. */
export interface SessionsRepository {
  createSession(session: Omit<SessionRecord, 'revokedAt'>): Promise<void>;
  /** The session with this id (the token's hash) and its user, if any. */
  getSession(id: string): Promise<{ session: SessionRecord; user: UserRecord } | null>;
  /**
   * Everything a connect with a stored session needs, in one round trip (every connect asks):
   * the site `siteId`, the session `sessionId` with its user and inbox head, and, when the session
   * is live at `at` (neither revoked nor expired) and its user is of that site, the user's roster
   * rows and room peers. The caller still checks the session itself, in its own order.
   */
  connection(siteId: string, sessionId: string, at: Date): Promise<StoredConnection>;
  revokeSession(id: string, at: Date): Promise<void>;
  /** Revokes every live session of a user but `exceptId`. */
  revokeUserSessions(userId: string, at: Date, exceptId?: string): Promise<void>;
  /** Sessions of a user that are neither revoked nor expired at `at`. */
  sessionCount(userId: string, at?: Date): Promise<number>;
  /** Deletes sessions that expired, or were revoked, before `before`; returns how many. */
  deleteEndedSessions(before: Date): Promise<number>;
}
