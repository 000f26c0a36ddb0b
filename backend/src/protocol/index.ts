/**
 * Parley's event protocol, written once: the TypeScript types both sides compile against and the
 * runtime schemas the server validates every incoming payload with. The widget imports this module
 * for its types only (`import type`) and the values it needs from ./constants.ts; the zod schemas
 * live in ./schemas.ts, which only the server loads.
 *
 * Conventions: event names are `resource:action`; every client-to-server event takes one payload
 * object and an acknowledgement callback that receives a {@link Result}. docs/protocol.md describes
 * each event; a test checks that the two agree.
 */
import type { ClientEventName, Payload } from './schemas.js';
import type { PROTOCOL_VERSION } from './constants.js';

export { ErrorCode, Limits, PROTOCOL_VERSION, REACTIONS } from './constants.js';
export type { ReactionEmoji } from './constants.js';
export type { ActionRequest, SignedAction } from './signed-actions.js';
import type { SignedAction } from './signed-actions.js';
export type { Ack, ErrorBody, Result, UserSummary } from './basics.js';
import type { Ack, UserSummary } from './basics.js';

// ---------------------------------------------------------------------------------------------
// Shapes sent by the server.

/** What buddies see. */
export type PresenceState = 'online' | 'away' | 'busy' | 'offline';
/** What a user can choose; `invisible` appears offline to others but can still chat. */
export type ChosenPresence = 'online' | 'away' | 'busy' | 'invisible';

/**
 * A user's own presence as the server keeps it: the state and text they chose, and whether every
 * tab they have is idle (`idle`: an `online` user then shows as `away` to others).
 */
export interface OwnPresence {
  state: ChosenPresence;
  status: string;
  idle: boolean;
}

export interface Presence {
  state: PresenceState;
  /** Free text the user chose, "" when none. */
  status: string;
  /** ISO time the user was last connected; null while online or when never seen. */
  lastSeenAt: string | null;
}

/**
 * How the user stands with a buddy: `accepted` (buddies; mutual when both accepted), `requested`
 * (the user asked, waiting for an answer), `pending` (the buddy asked the user), `blocked`.
 */
export type BuddyState = 'accepted' | 'requested' | 'pending' | 'blocked';

export interface RosterEntry {
  user: UserSummary;
  state: BuddyState;
  /** Offline for anyone who is not a mutual buddy. */
  presence: Presence;
  group: string | null;
}

// Messages, files, receipts and the inbox: ./messages.ts.
export type {
  ChatMessage,
  ConversationKey,
  ConversationSummary,
  FileInfo,
  FileMedia,
  FileUrls,
  InboxEntry,
  MessageChange,
  MessageContent,
  MessageHidden,
  Receipt,
} from './messages.js';
import type {
  ChatMessage,
  ConversationKey,
  ConversationSummary,
  FileUrls,
  InboxEntry,
  MessageContent,
} from './messages.js';

// Edits, deletions, replies, reactions and search: ./editing.ts.
export type { ReplyRef, Reaction, MessageEdit } from './editing.js';
import type { MessageEdit, ReplyRef } from './editing.js';

// Calls: ./calls.ts.
export type {
  CallMedia,
  CallKind,
  CallLog,
  TransferOffer,
  IceServer,
  IceConfig,
  CallSignal,
  CallIncoming,
  CallEndReason,
  CallEnded,
} from './calls.js';
import type { CallEnded, CallIncoming, CallSignal, IceConfig } from './calls.js';

/** A member's place in a room; `invited` until they accept. */
export type RoomRole = 'owner' | 'admin' | 'member' | 'invited';

export interface RoomMemberInfo {
  user: UserSummary;
  role: RoomRole;
  /**
   * As fellow room members see it (invisible users appear offline). Offline, with no status or
   * last-seen time, for members only invited, for everyone when the viewer is only invited, and
   * between two users one of whom blocked the other.
   */
  presence: Presence;
}

/** A room as its members (and invitees) see it. */
export interface RoomInfo {
  id: string;
  name: string;
  /** Public rooms can be found and joined by anyone on the site; private ones by invitation. */
  public: boolean;
  ownerId: string;
  /** Members and open invitations, owner first. */
  members: RoomMemberInfo[];
}

/** One of the caller's rooms (or invitations) with what they have not read. */
export interface RoomSummary {
  room: RoomInfo;
  lastMessage: ChatMessage | null;
  /** Others' messages after the caller's read marker. */
  unread: number;
  /** Of those, how many mention the caller. */
  mentions: number;
  readUpTo: string | null;
}

/** A public room as search shows it. */
export interface PublicRoom {
  id: string;
  name: string;
  members: number;
}

/** What the user set about e-mail; only ever sent to the user themselves. */
export interface UserSettings {
  email: string | null;
  /**
   * Whether the owner of `email` followed the link of its confirmation e-mail. Digests go only to
   * confirmed addresses; a new address starts unconfirmed.
   */
  emailConfirmed: boolean;
  /** Whether digests of waiting messages are e-mailed (needs an e-mail address). */
  emailDigests: boolean;
}

export interface SessionReady {
  protocol: typeof PROTOCOL_VERSION;
  user: UserSummary;
  /** The presence the user chose, as saved on the server, and whether they are idle. */
  presence: OwnPresence;
  /** A session created by this connection (sign-in with a host identity token): keep it to reconnect. */
  session: { token: string; expiresAt: string } | null;
  roster: RosterEntry[];
  /** Newest position in this user's inbox; a client whose cursor is lower should sync. */
  inboxHead: number;
  settings: UserSettings;
  serverTime: string;
  /**
   * The actions this site requires a signed token for (see docs/protocol.md#signed-actions); the
   * widget asks the page for one before each. Empty on most sites.
   */
  signedActions: SignedAction[];
}

export interface PresenceChanged {
  userId: string;
  presence: Presence;
  /** Only when the change is the receiving user's own (from another tab): what they chose. */
  chosen?: OwnPresence;
}

/** A roster entry changed (`entry`), or the buddy left the roster (`removed`: their user id). */
export type RosterChanged = { entry: RosterEntry } | { removed: string };

export interface TypingChanged {
  userId: string;
  typing: boolean;
  /** Where: `direct` with the typer's id in a one-to-one chat, or the room. */
  in: ConversationKey;
}

/** How far one member has read a conversation: the newest message (id) they have seen in it. */
export interface ReadMarker {
  userId: string;
  upTo: string;
}

/** How far a member has read a room: the newest message (id) they have seen in it. */
export interface RoomSeen {
  roomId: string;
  userId: string;
  upTo: string;
}

/** The user is no longer in a room (nor invited to it). */
export interface RoomRemoved {
  roomId: string;
  reason: 'left' | 'declined' | 'removed' | 'closed';
}

/**
 * Why the server ended a connection's session: signed out (this tab or by the API), the password
 * changed, the session expired while connected, or the site changed so that this connection is no
 * longer allowed (its origin was removed, or the site deleted).
 */
export interface SessionEnded {
  reason: 'logout' | 'password_changed' | 'expired' | 'site_changed' | 'account_deleted';
}

/**
 * The node is shutting down (a deploy or restart), sent to every connection just before it closes
 * them at the transport level. It is not a sign-out: connect again, to this address or any other
 * node, after `reconnectAfterMs` (this connection's place in the spread of the reconnecting herd; a
 * random delay of up to `reconnectWithinMs` where it is missing), and send
 * again every request that got no acknowledgement (message:send with the same clientId is stored
 * once).
 */
export interface ServerShutdown {
  /** The window this node spreads its clients over (it grows with how many it has). */
  reconnectWithinMs: number;
  /** This connection's own delay within the window; wait this long rather than a random time. */
  reconnectAfterMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Client-to-server events. Payload types come from the runtime schemas in ./schemas.ts; this
// import is type-only, so the widget compiles against them without loading zod.

export type {
  ClientEventName,
  Payload,
  HandshakeAuth,
  LoginRequest,
  RegisterRequest,
  IdentityLoginRequest,
  PasswordChangeRequest,
} from './schemas.js';

type RosterReply = { entry: RosterEntry | null };
type RoomReply = { room: RoomInfo };

export interface ReplyData {
  'message:send': {
    message: ChatMessage;
    /** Sender's inbox position for it; null for a duplicate. */
    seq: number | null;
    duplicate: boolean;
  };
  'inbox:sync': { entries: InboxEntry[]; head: number; hasMore: boolean };
  /**
   * A page of messages, newest first; `readBy`: how far the other members have read (rooms: each
   * member; direct: the peer). With `before` (or neither): the page older than it, `hasMore` when
   * there are older still. With `after`: the page newer than it, `hasMore` when there are newer.
   */
  'message:history': { messages: ChatMessage[]; hasMore: boolean; readBy: ReadMarker[] };
  /** The message asked for with up to `limit` on each side of it, oldest first. */
  'message:around': { messages: ChatMessage[]; hasOlder: boolean; hasNewer: boolean; readBy: ReadMarker[] };
  /** The message as it is now (new text, `editedAt`, higher `rev`). */
  'message:edit': { message: ChatMessage };
  /** For everyone: the tombstone as it is now. For the caller only: null. */
  'message:delete': { message: ChatMessage | null };
  /** The message with its reactions as they are now (unchanged when the reaction already was so). */
  'message:react': { message: ChatMessage };
  /** The sender's own earlier texts of a message, oldest first. */
  'message:edits': { edits: MessageEdit[] };
  /** Messages whose text contains the query (literal text), newest first; page on with `before` the last one's id. */
  'message:search': { results: ChatMessage[]; hasMore: boolean };
  'conversation:list': { conversations: ConversationSummary[] };
  /** Signed URLs of a file sent in a conversation the caller is in. */
  'file:urls': FileUrls;
  /** The call is ringing on the callee's devices; `ice` for the caller's own connection. */
  'call:invite': { callId: string; ice: IceConfig };
  /** Accepted: ICE servers for this device. Declined: `ice` is null. */
  'call:answer': { ice: IceConfig | null };
  'call:signal': Record<string, never>;
  'call:hangup': Record<string, never>;
  /** Fresh ICE servers (TURN credentials expire). */
  'call:ice': IceConfig;
  'conversation:read': { advanced: boolean };
  'typing:set': Record<string, never>;
  'presence:set': { presence: OwnPresence };
  'presence:idle': { presence: OwnPresence };
  'profile:update': { user: UserSummary; settings: UserSettings };
  'profile:confirm-email': { settings: UserSettings };
  'user:search': { users: UserSummary[] };
  'roster:request': RosterReply;
  'roster:accept': RosterReply;
  'roster:decline': RosterReply;
  'roster:cancel': RosterReply;
  'roster:remove': RosterReply;
  'roster:block': RosterReply;
  'roster:unblock': RosterReply;
  'roster:group': RosterReply;
  'roster:rename-group': { renamed: number };
  'room:create': RoomReply;
  /** One page of the caller's rooms, by room id; ask again with `after` the last one's id while `hasMore`. */
  'room:list': { rooms: RoomSummary[]; hasMore: boolean };
  'room:search': { rooms: PublicRoom[] };
  'room:join': RoomReply;
  'room:invite': RoomReply;
  'room:accept': RoomReply;
  'room:decline': Record<string, never>;
  'room:leave': Record<string, never>;
  'room:remove': RoomReply;
  'room:role': RoomReply;
  'room:rename': RoomReply;
  'room:close': Record<string, never>;
}

/** Events the widget emits. Socket.IO's typed-events maps: `Server<ClientToServerEvents, ...>`. */
export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: Payload<E>, ack: Ack<ReplyData[E]>) => void;
};

/** Events the server pushes. */
export const serverEvents = [
  'session:ready',
  'session:ended',
  'inbox:entry',
  'presence:changed',
  'roster:changed',
  'typing:changed',
  'user:updated',
  'server:shutdown',
  'room:changed',
  'room:removed',
  'room:seen',
  'call:incoming',
  'call:accepted',
  'call:signal',
  'call:ended',
] as const;

export interface ServerToClientEvents {
  /** A call rings on this device (every device of the callee). */
  'call:incoming': (data: CallIncoming) => void;
  /** To the caller's device: the callee accepted on one device; start the WebRTC offer. */
  'call:accepted': (data: { callId: string }) => void;
  /** Signalling from the other device of the call. */
  'call:signal': (data: { callId: string; signal: CallSignal }) => void;
  /** The call is over, or no longer rings here. */
  'call:ended': (data: CallEnded) => void;
  'session:ready': (data: SessionReady) => void;
  'inbox:entry': (entry: InboxEntry) => void;
  'presence:changed': (data: PresenceChanged) => void;
  'roster:changed': (data: RosterChanged) => void;
  'typing:changed': (data: TypingChanged) => void;
  /** A buddy (or the user, on another tab) changed their name or avatar. */
  'user:updated': (data: { user: UserSummary }) => void;
  /** Sent just before the server closes a connection whose session was ended. */
  'session:ended': (data: SessionEnded) => void;
  /** This node is going away: reconnect (to any node) and resend what was not acknowledged. */
  'server:shutdown': (data: ServerShutdown) => void;
  /** A room the user is in (or invited to) changed: name, members, roles, presence of a joiner. */
  'room:changed': (data: { room: RoomInfo }) => void;
  /** The user left, declined, was removed from, or lost by closing, a room. */
  'room:removed': (data: RoomRemoved) => void;
  /** A member of one of the user's rooms read further in it. */
  'room:seen': (data: RoomSeen) => void;
}

// Keeps the list above and the interface in step: each must name exactly the other's events.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const serverEventsMatch: Same<(typeof serverEvents)[number], keyof ServerToClientEvents> = true;

// ---------------------------------------------------------------------------------------------
// Handshake and HTTP: ./http.ts.

export type { HandshakeError, LoginResponse, SiteConfig, Theme } from './http.js';

// A reply names the quoted message's kind: the same kinds as MessageContent.
export const replyKindsMatch: Same<ReplyRef['kind'], MessageContent['kind']> = true;
