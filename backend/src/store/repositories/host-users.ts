/**
 * What the server API keeps about the host's users beyond their profile (docs/api.md): the host's
 * own metadata, and the soft delete. Kept apart from UsersRepository so the user records every
 * connection loads do not carry the metadata.
 */
import type { UserRecord } from '../records.js';

export interface HostUsersRepository {
  /** The users of these ids that exist (in no particular order). */
  usersByIds(ids: readonly string[]): Promise<UserRecord[]>;
  /** The user's metadata as stored (JSON text), or null for none. */
  userMetadata(userId: string): Promise<string | null>;
  /** Sets (JSON text) or clears (null) the user's metadata. */
  setUserMetadata(userId: string, metadata: string | null): Promise<void>;
  /**
   * Wipes the user's profile and releases their external id (see HostUserDeletion): the row stays,
   * so their messages keep a sender, but nothing in it names the person any more.
   */
  wipeUser(userId: string, wiped: { displayName: string; username: string; at: Date }): Promise<void>;
}
