import { describe, expect, it } from 'vitest';
import type { ChatMessage, Receipt, RoomSummary } from '@parley/backend/protocol';
import {
  conversationKey,
  isNew,
  keyOfMessage,
  localKey,
  quoteOf,
  readPoint,
  reduce,
  roomKey,
  type ConversationAction,
  type Conversations,
  type ShownMessage,
} from './conversations.js';

const ME = 'me';
const BOB = 'bob';
const ROOM = roomKey('r1');

let n = 0;
function message(over: Partial<ChatMessage> = {}): ChatMessage {
  n++;
  const id = over.id ?? `m${String(n).padStart(4, '0')}`;
  return {
    id,
    clientId: `c-${id}`,
    conversationId: `dm:${BOB}:${ME}`,
    senderId: BOB,
    recipientId: ME,
    content: { kind: 'text', text: `text ${id}` },
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    ...over,
  };
}
const roomMessage = (over: Partial<ChatMessage> = {}) =>
  message({ conversationId: ROOM, roomId: 'r1', recipientId: '', ...over });
const pending = (over: Partial<ShownMessage> = {}): ShownMessage => ({
  ...message({ senderId: ME, recipientId: BOB }),
  id: null,
  state: 'pending',
  ...over,
});

const run = (...actions: ConversationAction[]): Conversations =>
  actions.reduce<Conversations>((state, action) => reduce(state, action), new Map());
const received = (m: ChatMessage, visible = false): ConversationAction => ({
  type: 'received',
  key: keyOfMessage(m, ME),
  message: m,
  me: ME,
  visible,
});

describe('conversation keys', () => {
  it('names direct chats by the peer and rooms by room:<id>, both ways', () => {
    expect(conversationKey(BOB)).toEqual({ kind: 'direct', id: BOB });
    expect(conversationKey(ROOM)).toEqual({ kind: 'room', id: 'r1' });
    expect(localKey({ kind: 'room', id: 'r1' })).toBe(ROOM);
    expect(localKey({ kind: 'direct', id: BOB })).toBe(BOB);
    expect(keyOfMessage(message(), ME)).toBe(BOB);
    expect(keyOfMessage(message({ senderId: ME, recipientId: BOB }), ME)).toBe(BOB);
    expect(keyOfMessage(roomMessage(), ME)).toBe(ROOM);
  });
});

describe('messages', () => {
  it('counts a message from the peer as unread unless the chat is on screen, and only once', () => {
    const m = message();
    const state = run(received(m), received(m));
    expect(state.get(BOB)!.unread).toBe(1);
    expect(state.get(BOB)!.messages).toHaveLength(1);
    expect(state.get(BOB)!.last?.id).toBe(m.id);
    expect(run(received(message(), true)).get(BOB)!.unread).toBe(0);
    expect(run(received(message({ senderId: ME, recipientId: BOB }))).get(BOB)!.unread).toBe(0);
  });

  it('keeps messages in server order, pending ones last', () => {
    const later = message({ id: 'm9000' });
    const earlier = message({ id: 'm8000' });
    const mine = pending();
    const state = run(received(later), { type: 'upsert', key: BOB, messages: [mine] }, received(earlier));
    expect(state.get(BOB)!.messages.map((m) => m.id)).toEqual(['m8000', 'm9000', null]);
  });

  it('replaces a pending message by its stored copy and never turns it back to pending', () => {
    const mine = pending();
    const stored: ShownMessage = { ...mine, id: 'm5000', state: 'sent' };
    const state = run(
      { type: 'upsert', key: BOB, messages: [mine] },
      { type: 'upsert', key: BOB, messages: [stored] },
      { type: 'upsert', key: BOB, messages: [mine] },
    );
    expect(state.get(BOB)!.messages).toEqual([stored]);
  });

  it('marks a refused message failed with the reason, keeping its client id', () => {
    const mine = pending();
    const state = run(
      { type: 'upsert', key: BOB, messages: [mine] },
      { type: 'upsert', key: BOB, messages: [{ ...mine, state: 'failed', error: 'Blocked.' }] },
    );
    expect(state.get(BOB)!.messages).toMatchObject([{ clientId: mine.clientId, state: 'failed', error: 'Blocked.' }]);
  });

  it('says whether a message is new by sender and client id', () => {
    const m = message();
    const state = run(received(m));
    expect(isNew(state, BOB, m)).toBe(false);
    expect(isNew(state, BOB, { ...m, clientId: 'other' })).toBe(true);
  });

  it('stops showing a peer as typing when their message arrives', () => {
    const state = run({ type: 'typing', key: BOB, userId: BOB, typing: true }, received(message()));
    expect(state.get(BOB)!.typing).toEqual([]);
  });
});

describe('rooms', () => {
  it('counts mentions of the user apart, and clears both when read', () => {
    const state = run(received(roomMessage({ mentions: [ME] })), received(roomMessage()));
    expect(state.get(ROOM)).toMatchObject({ unread: 2, mentioned: 1 });
    expect(reduce(state, { type: 'read', key: ROOM }).get(ROOM)).toMatchObject({ unread: 0, mentioned: 0 });
  });

  it('keeps the furthest point each member has read', () => {
    const state = run(
      { type: 'seen', key: ROOM, userId: 'kate', upTo: 'm0005' },
      { type: 'seen', key: ROOM, userId: 'kate', upTo: 'm0003' },
      { type: 'seen', key: ROOM, userId: 'jack', upTo: 'm0001' },
    );
    expect(state.get(ROOM)!.seenBy).toEqual({ kate: 'm0005', jack: 'm0001' });
  });

  it('takes unread and mention counts from room:list, unless the room is on screen', () => {
    const summary: RoomSummary = {
      room: { id: 'r1', name: 'R', public: false, ownerId: ME, members: [] },
      lastMessage: roomMessage({ id: 'm7000' }),
      unread: 4,
      mentions: 1,
      readUpTo: null,
    };
    expect(run({ type: 'room-summary', summary, visible: false }).get(ROOM)).toMatchObject({
      unread: 4,
      mentioned: 1,
      last: { id: 'm7000' },
    });
    expect(run({ type: 'room-summary', summary, visible: true }).get(ROOM)).toMatchObject({ unread: 0 });
  });

  it('a read on another tab leaves unread only what came after', () => {
    const a = roomMessage({ id: 'm0100' });
    const b = roomMessage({ id: 'm0200' });
    const receipt: Receipt = { conversationId: ROOM, readerId: ME, peerId: '', kind: 'read', upTo: 'm0100', at: '' };
    const state = run(received(a), received(b), { type: 'receipt', receipt, me: ME });
    expect(state.get(ROOM)!.unread).toBe(1);
  });

  it('forgets a room the user left', () => {
    const state = run(received(roomMessage()), { type: 'remove', key: ROOM });
    expect(state.has(ROOM)).toBe(false);
  });
});

describe('receipts and read markers', () => {
  it('moves the peer’s delivered and read markers forward only', () => {
    const r = (kind: Receipt['kind'], upTo: string): ConversationAction => ({
      type: 'receipt',
      receipt: { conversationId: 'dm', readerId: BOB, peerId: ME, kind, upTo, at: '' },
      me: ME,
    });
    const state = run(r('delivered', 'm0009'), r('read', 'm0005'), r('delivered', 'm0002'));
    expect(state.get(BOB)).toMatchObject({ peerDeliveredUpTo: 'm0009', peerReadUpTo: 'm0005' });
  });

  it('a read by the user on another device leaves unread only the peer’s later messages', () => {
    const receipt: Receipt = { conversationId: 'dm', readerId: ME, peerId: BOB, kind: 'read', upTo: 'm0200', at: '' };
    const state = run(
      received(message({ id: 'm0100' })),
      received(message({ id: 'm0200' })),
      received(message({ id: 'm0300' })),
      { type: 'receipt', receipt, me: ME },
    );
    expect(state.get(BOB)!.unread).toBe(1);
  });

  it('history brings the peer’s read marker (direct) or each member’s (room)', () => {
    const direct = run({
      type: 'history',
      key: BOB,
      messages: [message({ senderId: ME, recipientId: BOB, id: 'm0001' })],
      hasMore: true,
      older: false,
      readBy: [{ userId: BOB, upTo: 'm0001' }],
    });
    expect(direct.get(BOB)).toMatchObject({
      historyLoaded: true,
      hasMoreHistory: true,
      peerReadUpTo: 'm0001',
      peerDeliveredUpTo: 'm0001',
    });
    const room = run({
      type: 'history',
      key: ROOM,
      messages: [],
      hasMore: false,
      older: false,
      readBy: [{ userId: 'kate', upTo: 'm0004' }],
    });
    expect(room.get(ROOM)!.seenBy).toEqual({ kate: 'm0004' });
  });

  it('takes the server’s counts from conversation:list, plus what arrived meanwhile', () => {
    const last = message({ id: 'm0100' });
    const state = run(received(message({ id: 'm0200' })), {
      type: 'summary',
      summary: {
        conversationId: 'dm',
        peer: { id: BOB, username: 'bob', displayName: 'Bob', avatarUrl: null },
        lastMessage: last,
        unread: 3,
        peerReadUpTo: null,
        peerDeliveredUpTo: 'm0050',
      },
      visible: false,
    });
    expect(state.get(BOB)).toMatchObject({ unread: 4, peerDeliveredUpTo: 'm0050', last: { id: 'm0200' } });
  });

  it('reads up to the peer’s newest message in a chat, the newest stored one in a room', () => {
    const chat = run(
      received(message({ id: 'm0001', senderId: ME, recipientId: BOB })),
      received(message({ id: 'm0002' })),
    );
    expect(readPoint(chat.get(BOB))).toBe('m0002');
    const room = run(received(roomMessage({ id: 'm0003' })), received(roomMessage({ id: 'm0004', senderId: ME })));
    expect(readPoint(room.get(ROOM))).toBe('m0004');
    expect(readPoint(undefined)).toBeNull();
  });
});

describe('no change, same state', () => {
  it('returns the same object when nothing changes, so signals do not fire', () => {
    const state = run(received(message(), true));
    expect(reduce(state, { type: 'read', key: BOB })).toBe(state);
    expect(reduce(state, { type: 'typing', key: BOB, userId: BOB, typing: false })).toBe(state);
    expect(reduce(state, { type: 'remove', key: 'nobody' })).toBe(state);
    expect(reduce(new Map(), { type: 'reset' }).size).toBe(0);
  });
});

describe('edits, deletions, reactions and replies', () => {
  const history = (messages: ChatMessage[], key = BOB): ConversationAction => ({
    type: 'history',
    key,
    messages,
    hasMore: false,
    older: false,
    readBy: [],
  });
  const changed = (m: ChatMessage): ConversationAction => ({ type: 'changed', key: keyOfMessage(m, ME), message: m });
  const shown = (state: Conversations, key = BOB) => state.get(key)!.messages;

  it('replaces a message by a copy with a higher rev, and keeps it through stale copies', () => {
    const original = message();
    const edited: ChatMessage = {
      ...original,
      content: { kind: 'text', text: 'fixed' },
      editedAt: '2026-01-01T00:05:00.000Z',
      rev: 1,
    };
    const reacted: ChatMessage = { ...edited, reactions: [{ emoji: '👍', userIds: [ME] }], rev: 2 };
    // Out of order, and twice: the highest rev wins.
    const state = run(received(original), changed(reacted), changed(edited), changed(reacted));
    expect(shown(state)).toEqual([{ ...reacted, state: 'sent' }]);
    // A history page or a sync fetched before the change does not bring the old text back.
    const after = reduce(reduce(state, history([original])), received(original));
    expect(shown(after)[0]!.content).toEqual({ kind: 'text', text: 'fixed' });
    expect(shown(after)[0]!.rev).toBe(2);
    // A page with the same or a newer rev is taken.
    const removed: ChatMessage = { ...reacted, reactions: undefined, rev: 3 };
    expect(shown(reduce(after, history([removed])))[0]!.reactions).toBeUndefined();
  });

  it('changes nothing (same state) for a change already applied', () => {
    const m = message();
    const edited: ChatMessage = { ...m, content: { kind: 'text', text: 'x' }, rev: 1 };
    const state = run(received(m), changed(edited));
    expect(reduce(state, changed(edited))).toBe(state);
    expect(reduce(state, changed(m))).toBe(state);
  });

  it('makes a deleted message a tombstone and its replies’ quotes say so', () => {
    const original = message();
    const reply = message({
      senderId: ME,
      recipientId: BOB,
      replyTo: { id: original.id, senderId: BOB, kind: 'text', excerpt: `text ${original.id}` },
    });
    const deleted: ChatMessage = {
      ...original,
      content: { kind: 'deleted' },
      deletedAt: '2026-01-01T00:09:00.000Z',
      rev: 1,
    };
    const state = run(received(original), received(reply), changed(deleted));
    const [tombstone, quoting] = shown(state);
    expect(tombstone!.content).toEqual({ kind: 'deleted' });
    expect(quoting!.replyTo).toEqual({ id: original.id, senderId: BOB, kind: 'deleted', excerpt: '' });
  });

  it('an edit of the quoted message changes its replies’ excerpts (cut at Limits.replyExcerpt)', () => {
    const original = message();
    const reply = message({ replyTo: { id: original.id, senderId: BOB, kind: 'text', excerpt: 'old' } });
    const long = 'y'.repeat(500);
    const state = run(
      received(original),
      received(reply),
      changed({ ...original, content: { kind: 'text', text: long }, rev: 1 }),
    );
    expect(shown(state)[1]!.replyTo!.excerpt).toBe('y'.repeat(140));
  });

  it('follows a change to a message not loaded only in its replies and the recent list', () => {
    const far = message();
    const reply = message({ replyTo: { id: far.id, senderId: BOB, kind: 'text', excerpt: 'far back' } });
    const state = run(received(reply), changed({ ...far, content: { kind: 'text', text: 'edited far' }, rev: 1 }));
    expect(shown(state).map((m) => m.id)).toEqual([reply.id]);
    expect(shown(state)[0]!.replyTo!.excerpt).toBe('edited far');
    // The recent list's last message follows its own changes.
    const last = message();
    const summary = run(
      received(last),
      { type: 'hidden', key: BOB, messageId: 'none' },
      changed({ ...last, content: { kind: 'deleted' }, rev: 1 }),
    );
    expect(summary.get(BOB)!.last!.content).toEqual({ kind: 'deleted' });
  });

  it('drops a message deleted for the user only, and the recent list shows the one before', () => {
    const first = message();
    const second = message();
    const state = run(received(first), received(second), { type: 'hidden', key: BOB, messageId: second.id });
    expect(shown(state).map((m) => m.id)).toEqual([first.id]);
    expect(state.get(BOB)!.last!.id).toBe(first.id);
    expect(reduce(state, { type: 'hidden', key: BOB, messageId: second.id })).toBe(state);
  });

  it('applies changes in rooms under the room’s key', () => {
    const m = roomMessage();
    const state = run(received(m), changed({ ...m, reactions: [{ emoji: '❤️', userIds: [BOB, ME] }], rev: 1 }));
    expect(state.get(ROOM)!.messages[0]!.reactions).toEqual([{ emoji: '❤️', userIds: [BOB, ME] }]);
  });

  it('a pending reply keeps its quote until its stored copy replaces it', () => {
    const original = message();
    const replyTo = quoteOf(original);
    const mine = pending({ replyTo });
    const state = run(received(original), { type: 'upsert', key: BOB, messages: [mine] });
    expect(shown(state)[1]!.replyTo).toEqual({
      id: original.id,
      senderId: BOB,
      kind: 'text',
      excerpt: `text ${original.id}`,
    });
  });
});
