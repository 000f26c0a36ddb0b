import type { ChosenPresence, RoomRole } from '../protocol/index.js';

/**
 * The narrow interface the IM services speak to. Prisma on SQLite or PostgreSQL implements it
 * (prisma-store.ts); the services never import Prisma.
 */

/** Room messages share one conversation id per room. */
export const ROOM_PREFIX = 'room:';
export const roomConversationId = (roomId: string) => `${ROOM_PREFIX}${roomId}`;

export interface SiteRecord {
  id: string;
  name: string;
  secret: string;
  /** Allowed origins; `*` in the port position matches any port (http://localhost:*). */
  origins: string[];
  settings: Record<string, unknown>;
}

export interface UserRecord {
  id: string;
  siteId: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
  passwordHash: string | null;
  externalId: string | null;
  /** The presence the user chose: online, away, busy or invisible. */
  presenceState: ChosenPresence;
  statusText: string;
  lastSeenAt: Date | null;
  /** Where digests of waiting messages go; null for none. */
  email: string | null;
  /** When the address was confirmed through its link; null until then. Digests need it. */
  emailConfirmedAt: Date | null;
  emailDigests: boolean;
  /** Messages stored up to this time were covered by a digest. */
  digestUpTo: Date | null;
}

export type NewUser = Omit<
  UserRecord,
  | 'lastSeenAt'
  | 'presenceState'
  | 'statusText'
  | 'externalId'
  | 'email'
  | 'emailConfirmedAt'
  | 'emailDigests'
  | 'digestUpTo'
> & {
  externalId?: string | null;
  email?: string | null;
  emailConfirmedAt?: Date | null;
};

export type UserPatch = Partial<
  Pick<
    UserRecord,
    | 'displayName'
    | 'avatarUrl'
    | 'passwordHash'
    | 'presenceState'
    | 'statusText'
    | 'email'
    | 'emailConfirmedAt'
    | 'emailDigests'
  >
>;

export interface SessionRecord {
  id: string;
  userId: string;
  expiresAt: Date;
  revokedAt: Date | null;
}

export type BuddyState = 'accepted' | 'requested' | 'pending' | 'blocked';

export interface RosterRow {
  buddy: UserRecord;
  state: BuddyState;
  group: string | null;
  /** Whether the buddy's own row says "accepted" too. */
  mutual: boolean;
}

export interface MessageRecord {
  id: string;
  siteId: string;
  senderId: string;
  /** The other user of a one-to-one chat; "" for a room message (stored as NULL). */
  recipientId: string;
  conversationId: string;
  clientId: string;
  body: string;
  createdAt: Date;
  /** Set on room messages: the room, whose members at commit time get the message. */
  roomId?: string;
  /** Members a room message mentions. */
  mentions?: string[];
}

export interface ReceiptRecord {
  conversationId: string;
  readerId: string;
  peerId: string;
  kind: 'delivered' | 'read';
  /** A message id; markers only move forward (ids sort by time). */
  upTo: string;
  at: Date;
}

export type InboxRecord =
  | { userId: string; seq: number; kind: 'message'; message: MessageRecord }
  | { userId: string; seq: number; kind: 'receipt'; receipt: ReceiptRecord };

/** A message the hot path wants stored, with the inbox positions it needs. */
export type NewMessage = MessageRecord;

/** What the hot path writes: messages and receipts go through the same batched transaction. */
export type WriteItem = { type: 'message'; message: NewMessage } | { type: 'receipt'; receipt: ReceiptRecord };

export interface AppendedMessage {
  type: 'message';
  message: MessageRecord;
  /** True when (senderId, clientId) was already stored: `message` is the stored one. */
  duplicate: boolean;
  /** The inbox entries written for it (sender's and recipient's, or every room member's); empty for a duplicate. */
  entries: InboxRecord[];
  /** A room message whose sender was no longer a member when it was written: nothing was stored. */
  refused?: boolean;
}

export interface AppendedReceipt {
  type: 'receipt';
  /** False when the marker was already at or past `upTo`: nothing was written. */
  advanced: boolean;
  entries: InboxRecord[];
}

export type WriteResult = AppendedMessage | AppendedReceipt;

export interface ConversationRow {
  conversationId: string;
  peerId: string;
  lastMessage: MessageRecord;
  unread: number;
  peerReadUpTo: string | null;
  peerDeliveredUpTo: string | null;
}

export interface RoomRecord {
  id: string;
  siteId: string;
  name: string;
  public: boolean;
  ownerId: string;
  closedAt: Date | null;
  createdAt: Date;
}

export interface RoomMemberRecord {
  roomId: string;
  user: UserRecord;
  role: RoomRole;
  invitedBy: string | null;
  createdAt: Date;
}

/** The caller's reading position in one room. */
export interface RoomActivity {
  lastMessage: MessageRecord | null;
  unread: number;
  /** Unread messages that mention the user. */
  mentions: number;
  readUpTo: string | null;
}

/** What a room list needs of a member: who they are, their role, and since when. */
export interface RoomListMember {
  user: Pick<UserRecord, 'id' | 'username' | 'displayName' | 'avatarUrl' | 'lastSeenAt'>;
  role: RoomRole;
  createdAt: Date;
}

/** One room of a user's list: the room, the user's role in it, and its members and invitees. */
export interface RoomListing {
  room: RoomRecord;
  role: RoomRole;
  /** Members and invitees, oldest first. */
  members: RoomListMember[];
}

/** Where a user stands in rooms, for the caps on them (open rooms only; closed rooms have no members). */
export interface RoomCounts {
  /** Rooms the user owns. */
  owned: number;
  /** Rooms the user is a member of (owner and admin included), not only invited to. */
  held: number;
  /** Invitations waiting for the user. */
  invited: number;
  /** Invitations the user sent that are still waiting. */
  invitesSent: number;
}

/** A user with messages waiting long enough for a digest. */
export interface DigestCandidate {
  user: UserRecord;
  waiting: number;
}

/** One change to one side of a buddy relation; `state: null` deletes the row. */
export interface RelationChange {
  ownerId: string;
  buddyId: string;
  state: BuddyState | null;
  /** Undefined keeps the row's group. */
  group?: string | null;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';

  getSite(id: string): Promise<SiteRecord | null>;
  /** The sites of these ids that exist, in one query. */
  getSites(ids: readonly string[]): Promise<SiteRecord[]>;
  createSite(site: SiteRecord): Promise<void>;
  listSites(): Promise<SiteRecord[]>;
  updateSite(id: string, patch: Partial<Omit<SiteRecord, 'id'>>): Promise<SiteRecord>;
  /** Deletes a site's messages created before `before`; returns how many. */
  deleteMessagesBefore(siteId: string, before: Date): Promise<number>;

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
  /** Users of a site whose username starts with, or display name contains, `query`. */
  searchUsers(siteId: string, query: string, limit: number): Promise<UserRecord[]>;

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

  /** Sets both sides of a relation at once (used by the demo seed and, later, accept). */
  setBuddies(a: string, b: string, state: BuddyState, group?: string | null): Promise<void>;
  roster(userId: string): Promise<RosterRow[]>;
  /** Both sides of the relation between a and b (null where there is no row). */
  relation(a: string, b: string): Promise<{ ab: RosterRow | null; ba: RosterRow | null }>;
  /** Applies relation changes in one transaction. */
  changeRelations(changes: RelationChange[]): Promise<void>;
  /** Moves every buddy of `ownerId` in group `from` to `to`; returns how many moved. */
  renameGroup(ownerId: string, from: string, to: string): Promise<number>;
  /** Whether both users have an accepted row for the other. */
  areMutualBuddies(a: string, b: string): Promise<boolean>;
  /** Users the user blocked or who blocked the user. */
  blockedWith(userId: string): Promise<Set<string>>;
  /** The blocks among these users, as [blocker, blocked] pairs. */
  blocksAmong(userIds: string[]): Promise<[string, string][]>;

  /**
   * Stores a batch of messages and receipts in one transaction and gives each the inbox positions
   * it needs. Resends (same sender and clientId) are returned as duplicates, not stored; receipts
   * that would move a marker backwards write nothing. Resolves only once the transaction is
   * durable. Results are in input order.
   */
  append(batch: WriteItem[]): Promise<WriteResult[]>;
  /** Inbox entries after `after`, oldest first. */
  readInbox(userId: string, after: number, limit: number): Promise<InboxRecord[]>;
  getMessage(id: string): Promise<MessageRecord | null>;
  /** The user's conversations, most recent first, with unread counts and the peer's markers. */
  conversations(userId: string, limit: number): Promise<ConversationRow[]>;
  inboxHead(userId: string): Promise<number>;
  /** Messages of a conversation older than `before` (a message id), newest first. */
  history(conversationId: string, before: string | undefined, limit: number): Promise<MessageRecord[]>;

  createRoom(room: RoomRecord, members: { userId: string; role: RoomRole; invitedBy: string | null }[]): Promise<void>;
  /** The room, closed or not; null if there is none. */
  getRoom(id: string): Promise<RoomRecord | null>;
  updateRoom(id: string, patch: Partial<Pick<RoomRecord, 'name' | 'ownerId' | 'closedAt'>>): Promise<RoomRecord>;
  /** Members and invitees, oldest first. */
  roomMembers(roomId: string): Promise<RoomMemberRecord[]>;
  /** The user's role in the room, or null when they are neither member nor invited. */
  roomRole(roomId: string, userId: string): Promise<RoomRole | null>;
  /** How far each member of the room has read it (members with no read marker are left out). */
  roomReadMarkers(roomId: string): Promise<{ userId: string; upTo: string }[]>;
  /** Adds or changes a member (or invitation). */
  setRoomMember(roomId: string, userId: string, role: RoomRole, invitedBy?: string | null): Promise<void>;
  /** Removes the user from the room; false when they were not in it. */
  removeRoomMember(roomId: string, userId: string): Promise<boolean>;
  /** Closes a room: sets closedAt and removes every member and invitation. */
  closeRoom(roomId: string, at: Date): Promise<void>;
  /** The open rooms the user is in or invited to, with their role, by room id (after `after`, at most `limit`). */
  roomsOf(userId: string, page?: { after?: string; limit?: number }): Promise<{ room: RoomRecord; role: RoomRole }[]>;
  /**
   * One page of `roomsOf` with every room's members and invitees, in one statement (room:list
   * must not cost a query per room).
   */
  roomList(userId: string, page: { after?: string; limit: number }): Promise<RoomListing[]>;
  /** Each user's counts (users with no room at all are left out), in one statement. */
  roomCounts(userIds: string[]): Promise<Map<string, RoomCounts>>;
  /** Open public rooms of a site whose name contains `query`, with their member counts. */
  searchPublicRooms(siteId: string, query: string, limit: number): Promise<{ room: RoomRecord; members: number }[]>;
  /**
   * Users who share at least one room with the user (both as members, not invitees), but none
   * in a block with the user, whichever of the two blocked: they see each other's presence.
   */
  roomPeers(userId: string): Promise<string[]>;
  /**
   * The user's last message, unread and mention counts and read marker in each of these rooms, in
   * one statement (rooms with no message left get none of them).
   */
  roomActivity(userId: string, roomIds: string[]): Promise<Map<string, RoomActivity>>;

  /**
   * Sets `emailConfirmedAt` if the user's address is still `email` (compare-and-set: a link for an
   * address the user has since changed confirms nothing); true when it did.
   */
  confirmEmail(userId: string, email: string, at: Date): Promise<boolean>;

  /**
   * Users with a confirmed e-mail address and digests on who have messages from others, unread, stored
   * before `cutoff` and after their `digestUpTo`; only users whose `digestUpTo` is before `since`.
   */
  digestCandidates(cutoff: Date, since: Date, limit: number): Promise<DigestCandidate[]>;
  /** The newest of those waiting messages of one user, newest first. */
  waitingMessages(userId: string, cutoff: Date, limit: number): Promise<MessageRecord[]>;
  /**
   * Moves the user's `digestUpTo` from `previous` to `upTo`, only if nobody else did (another
   * node sending the same digest): true when this caller won.
   */
  claimDigest(userId: string, previous: Date | null, upTo: Date | null): Promise<boolean>;

  /** A cheap round trip, for /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
