import { Limits } from '@parley/backend/protocol/constants';
import type {
  ChatMessage,
  ConversationKey,
  ConversationSummary,
  ReadMarker,
  Receipt,
  RoomSummary,
} from '@parley/backend/protocol';

/**
 * Conversation state as a pure reducer: messages, outbox states, unread and mention counts,
 * receipts and read markers. No socket, no timers, no signals: `reduce(state, action)` returns the
 * next state (the same object when nothing changed, so a signal holding it does not fire).
 */

/** A message as the widget shows it: stored ones and the user's own not yet acknowledged. */
export interface ShownMessage extends Omit<ChatMessage, 'id' | 'createdAt' | 'conversationId'> {
  id: string | null;
  createdAt: string;
  state: 'sent' | 'pending' | 'failed';
  error?: string;
}

export interface Conversation {
  /** The peer's user id, or `room:<roomId>` for a room (see {@link roomKey}). */
  peerId: string;
  /** Oldest first; keyed by sender and client id, so each message appears once. */
  messages: ShownMessage[];
  unread: number;
  historyLoaded: boolean;
  hasMoreHistory: boolean;
  loadingHistory: boolean;
  /** How far the peer has received and read this user's messages (message ids). */
  peerDeliveredUpTo: string | null;
  peerReadUpTo: string | null;
  /** Who is typing here now, by user id: the peer, or members of a room (live only). */
  typing: string[];
  /** The newest message, for the list of recent conversations (also when not loaded). */
  last: ShownMessage | null;
  /** Unread messages that mention this user (rooms). */
  mentioned: number;
  /** Rooms: how far each other member has read, by user id (message ids). */
  seenBy: Readonly<Record<string, string>>;
}

export type Conversations = ReadonlyMap<string, Conversation>;

/** Rooms share the conversations map with one-to-one chats under this key. */
export const roomKey = (roomId: string) => `room:${roomId}`;
export const roomIdOf = (key: string): string | null => (key.startsWith('room:') ? key.slice(5) : null);

/** The protocol's name for the conversation under a local key. */
export function conversationKey(key: string): ConversationKey {
  const roomId = roomIdOf(key);
  return roomId ? { kind: 'room', id: roomId } : { kind: 'direct', id: key };
}

/** The local key of a conversation the protocol names. */
export const localKey = (key: ConversationKey): string => (key.kind === 'room' ? roomKey(key.id) : key.id);

/** Where a message belongs, as seen by user `me`. */
export const keyOfMessage = (m: Pick<ShownMessage, 'roomId' | 'senderId' | 'recipientId'>, me: string): string =>
  m.roomId ? roomKey(m.roomId) : m.senderId === me ? m.recipientId : m.senderId;

export type ConversationAction =
  /** The user's own messages: pending, acknowledged, refused, or restored from the outbox. */
  | { type: 'upsert'; key: string; messages: ShownMessage[] }
  /** A message from the inbox (live or synced); counts as unread unless it is on screen. */
  | { type: 'received'; key: string; message: ChatMessage; me: string; visible: boolean }
  | { type: 'loading'; key: string; loading: boolean }
  /** A page of history, and how far the others have read (`readBy`). */
  | { type: 'history'; key: string; messages: ChatMessage[]; hasMore: boolean; older: boolean; readBy: ReadMarker[] }
  | { type: 'receipt'; receipt: Receipt; me: string }
  /** A room member (not the user) read up to `upTo`. */
  | { type: 'seen'; key: string; userId: string; upTo: string }
  /** The user has seen the conversation: nothing in it is unread. */
  | { type: 'read'; key: string }
  /** The server's counts and markers after catching up (conversation:list, room:list). */
  | { type: 'summary'; summary: ConversationSummary; visible: boolean }
  | { type: 'room-summary'; summary: RoomSummary; visible: boolean }
  | { type: 'typing'; key: string; userId: string; typing: boolean }
  /** A message as it is after an edit, deletion or reaction (kept only when its `rev` is higher). */
  | { type: 'changed'; key: string; message: ChatMessage }
  /** The user deleted a message for themselves: it leaves the conversation. */
  | { type: 'hidden'; key: string; messageId: string }
  | { type: 'remove'; key: string }
  | { type: 'reset' };

export function emptyConversation(peerId: string): Conversation {
  return {
    peerId,
    messages: [],
    unread: 0,
    historyLoaded: false,
    hasMoreHistory: false,
    loadingHistory: false,
    peerDeliveredUpTo: null,
    peerReadUpTo: null,
    typing: [],
    last: null,
    mentioned: 0,
    seenBy: {},
  };
}

const messageKey = (m: { senderId: string; clientId: string }) => `${m.senderId}\u0000${m.clientId}`;
const later = (a: string | null, b: string) => (a && a > b ? a : b);
const sent = (m: ChatMessage): ShownMessage => ({ ...m, state: 'sent' });
/** The newer of what the list showed and the server's last message. */
const newest = (known: ShownMessage | null, server: ChatMessage | null): ShownMessage | null =>
  known?.id && (!server || known.id > server.id) ? known : server && sent(server);

/** Stored messages in server order (ids sort by time), then the ones still on their way. */
function byOrder(a: ShownMessage, b: ShownMessage): number {
  if (a.id && b.id) return a.id < b.id ? -1 : 1;
  if (a.id) return -1;
  if (b.id) return 1;
  return a.createdAt < b.createdAt ? -1 : 1;
}

/** Whether `message` is not in the conversation yet (by sender and client id). */
export function isNew(state: Conversations, key: string, message: { senderId: string; clientId: string }): boolean {
  const id = messageKey(message);
  return !state.get(key)?.messages.some((m) => messageKey(m) === id);
}

/**
 * The message to mark read when the user sees a conversation, or null: in a room the newest stored
 * one (everyone else's messages count); in a one-to-one chat the peer's newest.
 */
export function readPoint(c: Conversation | undefined): string | null {
  if (!c) return null;
  if (roomIdOf(c.peerId)) return ([...c.messages].reverse().find((m) => m.id !== null) ?? c.last)?.id ?? null;
  const peer = c.peerId;
  const newestFromPeer = [...c.messages].reverse().find((m) => m.senderId === peer && m.id !== null);
  if (newestFromPeer?.id && (!c.last || newestFromPeer.id >= (c.last.id ?? ''))) return newestFromPeer.id;
  return c.last?.id && c.last.senderId === peer ? c.last.id : null;
}

/** Of two copies of one stored message, whether `incoming` is older than `known` (a lower `rev`). */
const staler = (incoming: { rev?: number }, known: { rev?: number }) => (incoming.rev ?? 0) < (known.rev ?? 0);

/**
 * What a reply shows of the message it quotes, after that message changed: nothing once deleted,
 * else the start of its text (a file's caption, or its name), as the server cuts it.
 */
export function quoteOf(m: Pick<ChatMessage, 'id' | 'senderId' | 'content'>): NonNullable<ChatMessage['replyTo']> {
  const c = m.content;
  const text = c.kind === 'text' ? c.text : c.kind === 'file' ? c.text || c.file.name : '';
  return { id: m.id, senderId: m.senderId, kind: c.kind, excerpt: text.slice(0, Limits.replyExcerpt) };
}

/** Adds or replaces messages (matched by sender and client id); a stored copy beats a pending one. */
function upsert(current: Conversation, incoming: ShownMessage[], addUnread: number): Conversation {
  const byKey = new Map(current.messages.map((m) => [messageKey(m), m]));
  let added = 0;
  for (const m of incoming) {
    const known = byKey.get(messageKey(m));
    if (!known) added++;
    // Never turn a stored message back into pending, nor back to an earlier revision.
    if (!known || (known.state !== 'sent' && m.state === 'sent')) byKey.set(messageKey(m), m);
    else if ((known.state !== 'sent' || m.state === 'sent') && !staler(m, known)) byKey.set(messageKey(m), m);
  }
  const messages = [...byKey.values()].sort(byOrder);
  const last = messages.at(-1) ?? null;
  return {
    ...current,
    messages,
    last: last && (!current.last || byOrder(current.last, last) <= 0) ? last : current.last,
    unread: current.unread + (added > 0 ? addUnread : 0),
  };
}

/** How many of the others' messages are newer than `upTo` (what is left unread after a read elsewhere). */
const unreadAfter = (c: Conversation, upTo: string, from: (senderId: string) => boolean) =>
  c.messages.filter((m) => from(m.senderId) && m.id !== null && m.id > upTo).length;

function next(state: Conversations, action: ConversationAction): Conversation | null {
  const key = 'key' in action ? action.key : '';
  const c = state.get(key) ?? emptyConversation(key);
  switch (action.type) {
    case 'upsert':
      return upsert(c, action.messages, 0);
    case 'received': {
      const { message: m, me, visible } = action;
      const fromOther = m.senderId !== me;
      const fresh = isNew(state, key, m);
      const counts = fromOther && fresh && !visible;
      const updated = upsert(c, [sent(m)], counts ? 1 : 0);
      if (counts && m.roomId && m.mentions?.includes(me)) updated.mentioned++;
      if (fromOther && fresh) updated.typing = updated.typing.filter((id) => id !== m.senderId);
      return updated;
    }
    case 'loading':
      return c.loadingHistory === action.loading ? null : { ...c, loadingHistory: action.loading };
    case 'history': {
      const updated = upsert(c, action.messages.map(sent), 0);
      updated.historyLoaded = true;
      if (action.older || !c.historyLoaded) updated.hasMoreHistory = action.hasMore;
      for (const { userId, upTo } of action.readBy) {
        if (roomIdOf(key)) {
          if ((updated.seenBy[userId] ?? '') < upTo) updated.seenBy = { ...updated.seenBy, [userId]: upTo };
        } else if (userId === key) {
          // The peer's read marker: reading implies receiving.
          updated.peerReadUpTo = later(updated.peerReadUpTo, upTo);
          updated.peerDeliveredUpTo = later(updated.peerDeliveredUpTo, upTo);
        }
      }
      return updated;
    }
    case 'receipt': {
      const { receipt: r, me } = action;
      if (!r.peerId) {
        // Read in a room on another tab or device.
        const room = state.get(r.conversationId) ?? emptyConversation(r.conversationId);
        const unread = unreadAfter(room, r.upTo, (id) => id !== me);
        return { ...room, peerId: r.conversationId, unread, mentioned: unread === 0 ? 0 : room.mentioned };
      }
      const peerId = r.readerId === me ? r.peerId : r.readerId;
      const chat = state.get(peerId) ?? emptyConversation(peerId);
      // Read on another tab or device: what is left unread here is what came after.
      if (r.readerId === me) return { ...chat, unread: unreadAfter(chat, r.upTo, (id) => id === peerId) };
      return {
        ...chat,
        peerDeliveredUpTo: later(chat.peerDeliveredUpTo, r.upTo),
        peerReadUpTo: r.kind === 'read' ? later(chat.peerReadUpTo, r.upTo) : chat.peerReadUpTo,
      };
    }
    case 'seen':
      return (c.seenBy[action.userId] ?? '') >= action.upTo
        ? null
        : { ...c, seenBy: { ...c.seenBy, [action.userId]: action.upTo } };
    case 'read':
      return c.unread > 0 || c.mentioned > 0 ? { ...c, unread: 0, mentioned: 0 } : null;
    case 'summary': {
      const { summary: s, visible } = action;
      const peer = s.peer.id;
      const chat = state.get(peer) ?? emptyConversation(peer);
      // The server counted up to its last message; anything newer arrived live meanwhile.
      const newer = unreadAfter(chat, s.lastMessage.id, (id) => id === peer);
      return {
        ...chat,
        unread: visible ? 0 : s.unread + newer,
        peerReadUpTo: s.peerReadUpTo,
        peerDeliveredUpTo: s.peerDeliveredUpTo,
        last: newest(chat.last, s.lastMessage),
      };
    }
    case 'room-summary': {
      const { summary: s, visible } = action;
      const k = roomKey(s.room.id);
      const room = state.get(k) ?? emptyConversation(k);
      return {
        ...room,
        unread: visible ? 0 : s.unread,
        mentioned: visible ? 0 : s.mentions,
        last: newest(room.last, s.lastMessage),
      };
    }
    case 'changed':
      return changed(c, action.message);
    case 'hidden': {
      if (!c.messages.some((m) => m.id === action.messageId) && c.last?.id !== action.messageId) return null;
      const messages = c.messages.filter((m) => m.id !== action.messageId);
      return { ...c, messages, last: c.last?.id === action.messageId ? (messages.at(-1) ?? null) : c.last };
    }
    case 'typing': {
      if (c.typing.includes(action.userId) === action.typing) return null;
      const typing = action.typing ? [...c.typing, action.userId] : c.typing.filter((id) => id !== action.userId);
      return { ...c, typing };
    }
    default:
      return null;
  }
}

/**
 * A message changed (edited, deleted, reacted to): the newer copy replaces the shown one, and the
 * replies quoting it follow. A message not loaded here is not added (it may be far back in history);
 * only the quotes and the recent list's last message follow it.
 */
function changed(c: Conversation, message: ChatMessage): Conversation | null {
  let touched = false;
  const messages = c.messages.map((m) => {
    if (m.id === message.id) {
      if (m.state === 'sent' && !staler(m, message)) return m;
      touched = true;
      return sent(message);
    }
    if (m.replyTo?.id !== message.id) return m;
    const quote = quoteOf(message);
    if (m.replyTo.kind === quote.kind && m.replyTo.excerpt === quote.excerpt) return m;
    touched = true;
    return { ...m, replyTo: quote };
  });
  const last = c.last?.id === message.id && staler(c.last, message) ? sent(message) : c.last;
  if (!touched && last === c.last) return null;
  return { ...c, messages, last };
}

/** The conversations after `action`. */
export function reduce(state: Conversations, action: ConversationAction): Conversations {
  if (action.type === 'reset') return state.size ? new Map() : state;
  if (action.type === 'remove') {
    if (!state.has(action.key)) return state;
    const without = new Map(state);
    without.delete(action.key);
    return without;
  }
  const updated = next(state, action);
  if (!updated) return state;
  const result = new Map(state);
  result.set(updated.peerId, updated);
  return result;
}
