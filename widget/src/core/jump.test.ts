import { signal } from '@preact/signals-core';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, InboxEntry, UserSummary } from '@parley/backend/protocol';
import type { On, Request } from './connection.js';
import { reduce, type Conversations } from './conversations.js';
import type { FeatureContext } from './feature.js';
import { jump } from './jump.js';

const BOB = 'bob';
const ME: UserSummary = { id: 'me', username: 'me', displayName: 'Me', avatarUrl: null };
const id = (n: number) => `m${String(n).padStart(5, '0')}`;
const message = (n: number): ChatMessage => ({
  id: id(n),
  clientId: `c${n}`,
  conversationId: 'dm:bob:me',
  senderId: n % 2 ? BOB : ME.id,
  recipientId: n % 2 ? ME.id : BOB,
  content: { kind: 'text', text: `text ${n}` },
  createdAt: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
});

/**
 * The feature with a conversation of `total` messages on a scripted server that answers
 * message:around and message:history from them as the protocol says (docs/protocol.md).
 */
function setup(total: number) {
  const history = Array.from({ length: total }, (_, i) => message(i + 1));
  const asked: [string, unknown][] = [];
  const handlers: ((entry: InboxEntry) => void)[] = [];
  const request = (async (event: string, payload: Record<string, unknown>) => {
    asked.push([event, payload]);
    const limit = payload.limit as number;
    if (event === 'message:around') {
      const at = history.findIndex((m) => m.id === payload.messageId);
      if (at < 0) throw Object.assign(new Error('No such message.'), { code: 'not_found' });
      const from = Math.max(0, at - limit);
      return {
        messages: history.slice(from, at + limit + 1),
        hasOlder: from > 0,
        hasNewer: at + limit + 1 < history.length,
        readBy: [],
      };
    }
    if (event === 'message:history') {
      if (payload.after) {
        const newer = history.filter((m) => m.id > (payload.after as string));
        return { messages: newer.slice(0, limit), hasMore: newer.length > limit, readBy: [] };
      }
      const older = history.filter((m) => !payload.before || m.id < (payload.before as string));
      return { messages: older.slice(-limit), hasMore: older.length > limit, readBy: [] };
    }
    throw new Error(`unexpected ${event}`);
  }) as unknown as Request;
  const state = signal<Conversations>(new Map());
  const context: FeatureContext = {
    on: ((event: string, handler: (entry: InboxEntry) => void) => {
      if (event === 'inbox:entry') handlers.push(handler);
      return () => undefined;
    }) as unknown as On,
    request,
    me: signal(ME),
    conversations: { state, dispatch: (a) => void (state.value = reduce(state.value, a)) },
    screen: { isVisible: () => true, openChats: () => [BOB] },
    onReady: () => undefined,
    onSynced: () => undefined,
    onReset: () => undefined,
    onStop: () => undefined,
  };
  // The chat is open: its newest 50 messages are loaded.
  context.conversations.dispatch({
    type: 'history',
    key: BOB,
    messages: history.slice(-50),
    hasMore: true,
    older: false,
    readBy: [],
  });
  return { api: jump(context), state, asked, history, push: (entry: InboxEntry) => handlers.forEach((h) => h(entry)) };
}

describe('jump to a message (core/jump.ts)', () => {
  it('marks a loaded message without asking the server', async () => {
    const { api, asked } = setup(300);
    await api.jumpTo(BOB, id(280));
    expect(asked).toEqual([]);
    expect(api.jumps.value.get(BOB)).toMatchObject({ target: id(280), window: null });
  });

  it('opens a window 2,000 messages back, pages down until it meets the tail, then is the tail', async () => {
    const { api, state, asked } = setup(2100);
    await api.jumpTo(BOB, id(100));
    expect(asked[0]).toEqual(['message:around', { in: { kind: 'direct', id: BOB }, messageId: id(100), limit: 25 }]);
    const w = () => api.jumps.value.get(BOB)?.window;
    expect(w()?.messages.map((m) => m.id)).toEqual([...Array(51)].map((_, i) => id(75 + i)));
    // The tail is untouched meanwhile.
    expect(state.value.get(BOB)?.messages).toHaveLength(50);

    await api.pageWindow(BOB, 'older');
    expect(w()?.messages[0]?.id).toBe(id(25));
    let pages = 0;
    while (w()) {
      await api.pageWindow(BOB, 'newer');
      pages++;
    }
    // 125 → 2050 (the tail's first) is 39 pages of 50; then the window is gone and the tail holds all.
    expect(pages).toBe(39);
    const tail = state.value.get(BOB)!;
    expect(tail.messages).toHaveLength(2100 - 24);
    expect(tail.messages[0]?.id).toBe(id(25));
    expect(tail.hasMoreHistory).toBe(true);
    expect(api.jumps.value.get(BOB)?.target).toBe(id(100));
    expect(asked.filter(([e]) => e === 'message:history').at(-1)?.[1]).toMatchObject({ after: id(2025), limit: 50 });
  });

  it('joins at once when the message is just beyond the tail', async () => {
    const { api, state } = setup(300);
    await api.jumpTo(BOB, id(240));
    expect(api.jumps.value.get(BOB)?.window).toBeNull();
    expect(api.jumps.value.get(BOB)?.target).toBe(id(240));
    expect(state.value.get(BOB)?.messages[0]?.id).toBe(id(215));
  });

  it('keeps messages that arrive meanwhile in the tail, and returns to it on jumpToLatest', async () => {
    const { api, state } = setup(2100);
    await api.jumpTo(BOB, id(100));
    state.value = reduce(state.value, { type: 'received', key: BOB, message: message(2101), me: ME.id, visible: true });
    expect(api.jumps.value.get(BOB)?.window?.messages.at(-1)?.id).toBe(id(125));
    api.jumpToLatest(BOB);
    expect(api.jumps.value.has(BOB)).toBe(false);
    expect(state.value.get(BOB)?.messages.at(-1)?.id).toBe(id(2101));
  });

  it('applies edits and hides to messages in the window', async () => {
    const { api, push } = setup(2100);
    await api.jumpTo(BOB, id(100));
    const edited = { ...message(101), content: { kind: 'text' as const, text: 'new words' }, rev: 1 };
    push({ seq: 1, kind: 'change', change: { action: 'edit', by: BOB, message: edited } });
    push({ seq: 2, kind: 'hidden', hidden: { in: { kind: 'direct', id: BOB }, messageId: id(102) } });
    const w = api.jumps.value.get(BOB)!.window!;
    expect(w.messages.find((m) => m.id === id(101))?.content).toEqual({ kind: 'text', text: 'new words' });
    expect(w.messages.some((m) => m.id === id(102))).toBe(false);
  });

  it('drops answers that land after the user left the window: no window comes back, the tail keeps its messages', async () => {
    const { api, state } = setup(2100);
    // The chat is left (ChatView calls jumpToLatest) while the jump's surroundings are on their way.
    const opening = api.jumpTo(BOB, id(100));
    api.jumpToLatest(BOB);
    await opening;
    expect(api.jumps.value.has(BOB)).toBe(false);
    // And while a page of the window is on its way.
    await api.jumpTo(BOB, id(100));
    const paging = api.pageWindow(BOB, 'newer');
    api.jumpToLatest(BOB);
    await paging;
    expect(api.jumps.value.has(BOB)).toBe(false);
    const tail = state.value.get(BOB)!;
    expect(tail.messages.map((m) => m.id)).toEqual([...Array(50)].map((_, i) => id(2051 + i)));
  });

  it('says when the message cannot be found', async () => {
    const { api } = setup(100);
    await api.jumpTo(BOB, 'm99999');
    expect(api.jumps.value.get(BOB)).toMatchObject({ error: 'not_found', window: null });
  });
});
