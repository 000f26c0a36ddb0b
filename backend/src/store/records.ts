import type {
  CallLog,
  ChosenPresence,
  FileInfo,
  FileMedia,
  MessageChange,
  MessageHidden,
  Reaction,
  ReplyRef,
  RoomRole,
} from '../protocol/index.js';

/**
 * The records the store keeps and hands out: plain data, no behaviour. The repositories
 * (repositories/*.ts) say what can be done with them.
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
  /**
   * When the host last gave this user's name and avatar: the time the site's profile provider
   * answered for them, or PROFILE_SET_BY_HOST (far in the future) when the host pushed the profile
   * (or the user set it) and the provider must not overwrite it. Null: never.
   */
  profileFetchedAt: Date | null;
}

/**
 * `profileFetchedAt` of a profile the host pushed (an identity token with a name or avatar, the
 * server API's PUT users) or the user set in the widget: later than any answer of the site's
 * profile provider, so the provider never overwrites it and never asks for it again.
 */
export const PROFILE_SET_BY_HOST = new Date('9999-12-31T00:00:00.000Z');

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
  | 'profileFetchedAt'
> & {
  externalId?: string | null;
  profileFetchedAt?: Date | null;
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
    | 'profileFetchedAt'
  >
>;

export interface SessionRecord {
  id: string;
  userId: string;
  expiresAt: Date;
  revokedAt: Date | null;
}

export type BuddyState = 'accepted' | 'requested' | 'pending' | 'blocked';

/** What a roster needs of a buddy: who they are, and when they were last seen. */
export type RosterBuddy = Pick<UserRecord, 'id' | 'username' | 'displayName' | 'avatarUrl' | 'lastSeenAt'>;

export interface RosterRow {
  buddy: RosterBuddy;
  state: BuddyState;
  group: string | null;
  /** Whether the buddy's own row says "accepted" too. */
  mutual: boolean;
}

/**
 * What a connect with a stored session needs, read in one round trip (SessionsRepository.connection):
 * the site, the session and its user, and, only when that session is live and of that site, the
 * user's roster and room peers.
 */
export interface StoredConnection {
  /** Null when there is no such site. */
  site: SiteRecord | null;
  /** Null when there is no such session (its user is then null too). */
  session: SessionRecord | null;
  user: UserRecord | null;
  /** The user's inbox position when read (see InboxRepository.inboxHead); 0 without a user. */
  inboxHead: number;
  /** The user's roster rows (as RosterRepository.roster); null unless the session is live and of the site. */
  roster: RosterRow[] | null;
  /** The user's room peers (as RoomsRepository.roomPeers); null when `roster` is. */
  roomPeers: string[] | null;
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
  /** File messages: the file as the message shows it (`body` is then the caption, or ""). */
  file?: FileInfo;
  /** Call-log messages (`body` is ""). */
  call?: CallLog;
  /** A reply: what it shows of the message it quotes (same conversation). */
  replyTo?: ReplyRef;
  /** When its text was last edited. */
  editedAt?: Date;
  /** Deleted for everyone: a tombstone (`body` "", no file, call, mentions, quote or reactions). */
  deletedAt?: Date;
  /** Reactions, in the order of REACTIONS; absent when none. */
  reactions?: Reaction[];
  /** How many times it changed (edits, deletion, reactions); absent for 0. */
  rev?: number;
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

/** A change to a message as an inbox entry keeps it: the message as it is now (see MessageChange). */
export interface ChangeRecord {
  action: MessageChange['action'];
  by: string;
  message: MessageRecord;
}

export type InboxRecord =
  | { userId: string; seq: number; kind: 'message'; message: MessageRecord }
  | { userId: string; seq: number; kind: 'receipt'; receipt: ReceiptRecord }
  | { userId: string; seq: number; kind: 'change'; change: ChangeRecord }
  | { userId: string; seq: number; kind: 'hidden'; hidden: MessageHidden };

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

/** A stored file (see prisma's StoredFile): what was learned from its bytes when it was stored. */
export interface StoredFileRecord {
  id: string;
  siteId: string;
  uploaderId: string;
  /** The conversation it was uploaded into (a Message.conversationId); it can be sent only there. */
  conversationId: string;
  name: string;
  mime: string;
  size: number;
  media: FileMedia;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  voice: boolean;
  hasThumb: boolean;
  createdAt: Date;
}

/** A contact from another IM network, kept as a user of the site (see RemoteContactsRepository). */
export interface RemoteContactRecord {
  userId: string;
  siteId: string;
  /** "xmpp". */
  network: string;
  /** Their address on the network (XMPP: the bare JID). */
  address: string;
  /** The last inbox position handed over to the network. */
  deliveredSeq: number;
}
