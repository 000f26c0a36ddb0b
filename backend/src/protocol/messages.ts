/**
 * Messages and what the inbox carries: conversations' keys, message content (text, files, call
 * logs, tombstones), changes to messages, receipts, and the inbox's entries (re-exported by
 * ./index.ts; docs/protocol.md, "Messages" and "Inbox").
 */
import type { UserSummary } from './basics.js';
import type { CallLog } from './calls.js';
import type { Reaction, ReplyRef } from './editing.js';

/**
 * A conversation, named the same way in every event: a one-to-one chat with a user (`direct`, the
 * other user's id, as the caller sees it) or a room (`room`, the room's id).
 */
export type ConversationKey = { kind: 'direct'; id: string } | { kind: 'room'; id: string };

/** What kind of media a stored file is, decided from its bytes (never from its name). */
export type FileMedia = 'image' | 'audio' | 'video' | 'file';

/**
 * A stored file as a message carries it: what the server learned when it stored the upload
 * (type detected from the bytes, images re-encoded) and, for voice messages, the length the
 * recorder measured. The bytes themselves are fetched through signed URLs (`file:urls`).
 */
export interface FileInfo {
  id: string;
  /** The uploader's file name, cleaned of paths and control characters; shown, never trusted. */
  name: string;
  /** Bytes of the stored file (images: after re-encoding). */
  size: number;
  /** Detected from the bytes; `application/octet-stream` when not recognised. */
  mime: string;
  media: FileMedia;
  /** Images: pixels of the stored image. */
  width?: number;
  height?: number;
  /** Audio and video: the length, when known (voice messages: measured by the recorder). */
  durationMs?: number;
  /** Recorded in the widget as a voice message. */
  voice?: boolean;
  /** A thumbnail can be fetched (images). */
  thumb?: boolean;
}

/**
 * What a message holds: one variant per kind. A file message may carry a caption (`text`).
 * Clients show a kind they do not know as an unsupported message rather than dropping it.
 */
export type MessageContent =
  | { kind: 'text'; text: string }
  | { kind: 'file'; file: FileInfo; text?: string }
  | { kind: 'call'; call: CallLog }
  /** Deleted for everyone: a tombstone in its place (see `ChatMessage.deletedAt`). */
  | { kind: 'deleted' };

/** Signed addresses of a file, relative to the Parley server; valid until `expiresAt`. */
export interface FileUrls {
  /** The file itself (inline for images, audio and video; a download otherwise). */
  url: string;
  /** Images: a small preview; null otherwise. */
  thumbUrl: string | null;
  expiresAt: string;
}

export interface ChatMessage {
  /** Server id, time ordered. */
  id: string;
  /** The sender's own id for this message; a resend with the same one is not stored twice. */
  clientId: string;
  /** `dm:<a>:<b>` for one-to-one chats, `room:<roomId>` for rooms. */
  conversationId: string;
  senderId: string;
  /** The other user of a one-to-one chat; "" for a room message. */
  recipientId: string;
  /** What the message holds: one variant per kind (text now; files, calls… later). */
  content: MessageContent;
  /** ISO time the server stored it. */
  createdAt: string;
  /** Set on room messages: the room. */
  roomId?: string;
  /** Set on room messages that mention members (`@username`): their user ids. */
  mentions?: string[];
  /** A reply: the message it quotes (in the same conversation). */
  replyTo?: ReplyRef;
  /** ISO time of the last edit of its text; absent when never edited. */
  editedAt?: string;
  /** ISO time it was deleted for everyone (`content` is then `{ kind: 'deleted' }`). */
  deletedAt?: string;
  /** Reactions, one entry per emoji in use, in the order of `REACTIONS` (./constants.ts); absent when none. */
  reactions?: Reaction[];
  /**
   * How many times it changed (edits, deletion, reactions); absent for 0. Of two copies of one
   * message, the one with the higher `rev` is newer.
   */
  rev?: number;
}

/**
 * A message changed: `message` is it as it is now, in full (its `rev` is higher than any copy
 * before). A client replaces its copy when this one's `rev` is higher and ignores it otherwise,
 * so entries applied twice or out of order end in the same state.
 */
export interface MessageChange {
  action: 'edit' | 'delete' | 'react';
  /** Who made the change (the sender; a room owner or admin for deletions; the reacting user). */
  by: string;
  message: ChatMessage;
}

/** The user deleted a message for themselves only: their devices drop it from the conversation. */
export interface MessageHidden {
  /** The conversation, as this user names it. */
  in: ConversationKey;
  messageId: string;
}

/** `reader` has received (`delivered`) or read (`read`) the conversation up to message `upTo`. */
export interface Receipt {
  conversationId: string;
  /** Who received or read. */
  readerId: string;
  /** The other member of the conversation (whose messages were read); "" in a room. */
  peerId: string;
  kind: 'delivered' | 'read';
  upTo: string;
  at: string;
}

/**
 * One position in a user's ordered inbox: a message, a receipt, a change to a message (edit,
 * deletion, reaction: every member's devices get it, offline ones when they sync), or a message
 * the user deleted for themselves only (their own devices get it).
 */
export type InboxEntry =
  | { seq: number; kind: 'message'; message: ChatMessage }
  | { seq: number; kind: 'receipt'; receipt: Receipt }
  | { seq: number; kind: 'change'; change: MessageChange }
  | { seq: number; kind: 'hidden'; hidden: MessageHidden };

export interface ConversationSummary {
  conversationId: string;
  peer: UserSummary;
  lastMessage: ChatMessage;
  /** Messages from the peer newer than the user's read marker. */
  unread: number;
  /** How far the peer has read the user's messages (a message id), if at all. */
  peerReadUpTo: string | null;
  peerDeliveredUpTo: string | null;
}
