import type { SessionRecord, UserRecord } from '../records.js';

/** Sign-in sessions, kept by the SHA-256 of their token. */
export interface SessionsRepository {
  createSession(session: Omit<SessionRecord, 'revokedAt'>): Promise<void>;
  /** The session with this id (the token's hash) and its user, if any. */
  getSession(id: string): Promise<{ session: SessionRecord; user: UserRecord } | null>;
  revokeSession(id: string, at: Date): Promise<void>;
  /** Revokes every live session of a user but `exceptId`. */
  revokeUserSessions(userId: string, at: Date, exceptId?: string): Promise<void>;
  /** Sessions of a user that are neither revoked nor expired at `at`. */
  sessionCount(userId: string, at?: Date): Promise<number>;
  /** Deletes sessions that expired, or were revoked, before `before`; returns how many. */
  deleteEndedSessions(before: Date): Promise<number>;
}
