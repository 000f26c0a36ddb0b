import type { NewUser, UserPatch, UserRecord } from '../records.js';

/** Users of a site: their account, profile, chosen presence and e-mail address. */
export interface UsersRepository {
  getUser(id: string): Promise<UserRecord | null>;
  findUserByUsername(siteId: string, username: string): Promise<UserRecord | null>;
  findUserByExternalId(siteId: string, externalId: string): Promise<UserRecord | null>;
  /** Creates a user; throws a ParleyError `username_taken` if the username is in use on the site. */
  createUser(user: NewUser): Promise<void>;
  /**
   * Changes a user. A patch that sets `email` clears `emailConfirmedAt` unless the stored address
   * is that same one (or the patch sets `emailConfirmedAt` itself).
   */
  updateUser(id: string, patch: UserPatch): Promise<UserRecord>;
  setLastSeen(userId: string, at: Date): Promise<void>;
  /** Users of a site whose username starts with, or display name contains, `query` (deleted users left out). */
  searchUsers(siteId: string, query: string, limit: number): Promise<UserRecord[]>;
  /**
   * Sets `emailConfirmedAt` if the user's address is still `email` (compare-and-set: a link for an
   * address the user has since changed confirms nothing); true when it did.
   */
  confirmEmail(userId: string, email: string, at: Date): Promise<boolean>;
}
