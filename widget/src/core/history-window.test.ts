import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '@parley/backend/protocol';
import { emptyConversation, reduce, type Conversation } from './conversations.js';
import {
  joinAction,
  joinsTail,
  reduceJumps,
  type HistoryWindow,
  type JumpAction,
  type Jumps,
} from './history-window.js';

const BOB = 'bob';
const id = (n: number) => `m${String(n).padStart(5, '0')}`;
function message(n: number, over: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id: id(n),
    clientId: `c${n}`,
    conversationId: 'dm:bob:me',
    senderId: n % 2 ? BOB : 'me',
    recipientId: n % 2 ? 'me' : BOB,
    content: { kind: 'text', text: `text ${n}` },
    createdAt: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
    ...over,
  };
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => message(from + i));
const run = (...actions: JumpAction[]): Jumps =>
  actions.reduce<Jumps>((state, action) => reduceJumps(state, action), new Map());
const ids = (w: HistoryWindow | null | undefined) => w?.messages.map((m) => m.id);
/** A tail holding messages `from`..`to`, loaded as history. */
const tail = (from: number, to: number, hasMore = true): Conversation =>
  reduce(new Map(), { type: 'history', key: BOB, messages: range(from, to), hasMore, older: false, readBy: [] }).get(
    BOB,
  )!;

const opened = (target: number, from: number, to: number, hasOlder = true, hasNewer = true): JumpAction[] => [
  { type: 'opening', key: BOB, messageId: id(target) },
  { type: 'opened', key: BOB, messageId: id(target), messages: range(from, to), hasOlder, hasNewer },
];

describe('jumping to a message', () => {
  it('only marks a message the view holds, and counts each jump so the view scrolls again', () => {
    const once = run({ type: 'target', key: BOB, messageId: id(7), inWindow: false });
    expect(once.get(BOB)).toMatchObject({ target: id(7), window: null, nonce: 1 });
    const twice = reduceJumps(once, { type: 'target', key: BOB, messageId: id(7), inWindow: false });
    expect(twice.get(BOB)?.nonce).toBe(2);
  });

  it('opens a window around a message far back, oldest first, the target marked', () => {
    const state = run(...opened(100, 75, 125));
    const j = state.get(BOB)!;
    expect(j.target).toBe(id(100));
    expect(j.opening).toBeNull();
    expect(ids(j.window)).toEqual(range(75, 125).map((m) => m.id));
    expect(j.window).toMatchObject({ hasOlder: true, hasNewer: true, loading: null });
    expect(j.window?.messages[0]?.state).toBe('sent');
  });

  it('drops the answer to a jump that another jump replaced', () => {
    const state = run(
      { type: 'opening', key: BOB, messageId: id(100) },
      { type: 'opening', key: BOB, messageId: id(500) },
      { type: 'opened', key: BOB, messageId: id(100), messages: range(75, 125), hasOlder: true, hasNewer: true },
    );
    expect(state.get(BOB)).toMatchObject({ opening: id(500), window: null, target: null });
  });

  it('says why a jump failed, until the next one', () => {
    const failed = run(
      { type: 'opening', key: BOB, messageId: id(9) },
      {
        type: 'failed',
        key: BOB,
        messageId: id(9),
        error: 'not_found',
      },
    );
    expect(failed.get(BOB)).toMatchObject({ error: 'not_found', opening: null });
    const again = reduceJumps(failed, { type: 'opening', key: BOB, messageId: id(10) });
    expect(again.get(BOB)?.error).toBeNull();
  });

  it('grows the window up and down a page at a time, once per edge', () => {
    let state = run(...opened(100, 75, 125));
    state = reduceJumps(state, { type: 'paging', key: BOB, direction: 'older', edge: id(75) });
    expect(state.get(BOB)?.window?.loading).toBe('older');
    // One page at a time: a second request while one is under way changes nothing.
    expect(reduceJumps(state, { type: 'paging', key: BOB, direction: 'newer', edge: id(125) })).toBe(state);
    state = reduceJumps(state, {
      type: 'page',
      key: BOB,
      direction: 'older',
      edge: id(75),
      messages: range(25, 74),
      hasMore: false,
    });
    state = reduceJumps(state, { type: 'paging', key: BOB, direction: 'newer', edge: id(125) });
    state = reduceJumps(state, {
      type: 'page',
      key: BOB,
      direction: 'newer',
      edge: id(125),
      messages: range(126, 175),
      hasMore: true,
    });
    const w = state.get(BOB)!.window!;
    expect(ids(w)).toEqual(range(25, 175).map((m) => m.id));
    expect(w).toMatchObject({ hasOlder: false, hasNewer: true, loading: null });
    expect(state.get(BOB)?.target).toBe(id(100));
  });

  it('drops a page for an edge the window no longer has (a new jump came between)', () => {
    let state = run(...opened(100, 75, 125));
    state = reduceJumps(state, { type: 'paging', key: BOB, direction: 'older', edge: id(75) });
    state = run(...opened(100, 75, 125), ...opened(400, 375, 425));
    const after = reduceJumps(state, {
      type: 'page',
      key: BOB,
      direction: 'older',
      edge: id(75),
      messages: range(25, 74),
      hasMore: true,
    });
    expect(after).toBe(state);
  });

  it('lets a failed page be asked for again', () => {
    let state = run(...opened(100, 75, 125));
    state = reduceJumps(state, { type: 'paging', key: BOB, direction: 'newer', edge: id(125) });
    state = reduceJumps(state, { type: 'page-failed', key: BOB, direction: 'newer', edge: id(125) });
    expect(state.get(BOB)?.window?.loading).toBeNull();
  });

  it('keeps the copy with the higher rev when a message in the window changes, and drops hidden ones', () => {
    let state = run(...opened(100, 75, 125));
    const edited = message(101, { content: { kind: 'text', text: 'edited' }, editedAt: 'x', rev: 2 });
    state = reduceJumps(state, { type: 'changed', key: BOB, message: edited });
    const shown = () => state.get(BOB)!.window!.messages.find((m) => m.id === id(101))!;
    expect(shown().content).toEqual({ kind: 'text', text: 'edited' });
    // An older copy arriving late changes nothing.
    const stale = reduceJumps(state, { type: 'changed', key: BOB, message: message(101, { rev: 1 }) });
    expect(stale).toBe(state);
    // A message the window does not hold is not added to it.
    expect(reduceJumps(state, { type: 'changed', key: BOB, message: message(900, { rev: 3 }) })).toBe(state);
    state = reduceJumps(state, { type: 'hidden', key: BOB, messageId: id(101) });
    expect(ids(state.get(BOB)?.window)).not.toContain(id(101));
  });

  it('marks a message already in the window without leaving it; one in the tail leaves it', () => {
    const state = run(...opened(100, 75, 125));
    const inWindow = reduceJumps(state, { type: 'target', key: BOB, messageId: id(80), inWindow: true });
    expect(inWindow.get(BOB)).toMatchObject({ target: id(80) });
    expect(inWindow.get(BOB)?.window).toBe(state.get(BOB)?.window);
    const inTail = reduceJumps(state, { type: 'target', key: BOB, messageId: id(990), inWindow: false });
    expect(inTail.get(BOB)).toMatchObject({ target: id(990), window: null });
  });

  it('returns to the live tail: no window, no target; nothing to do when there is neither', () => {
    const state = run(...opened(100, 75, 125), { type: 'latest', key: BOB });
    expect(state.has(BOB)).toBe(false);
    expect(reduceJumps(state, { type: 'latest', key: BOB })).toBe(state);
    expect(run(...opened(100, 75, 125), { type: 'reset' }).size).toBe(0);
  });
});

describe('a window joining the live tail', () => {
  const w = (from: number, to: number, hasOlder = true, hasNewer = true): HistoryWindow => ({
    messages: range(from, to).map((m) => ({ ...m, state: 'sent' as const })),
    hasOlder,
    hasNewer,
    loading: null,
  });

  it('joins once it reaches the oldest message the tail holds, or nothing is newer', () => {
    const live = tail(951, 1000);
    expect(joinsTail(w(75, 125), live)).toBe(false);
    expect(joinsTail(w(75, 950), live)).toBe(false);
    expect(joinsTail(w(75, 951), live)).toBe(true);
    expect(joinsTail(w(75, 990), live)).toBe(true);
    // The tail not loaded: only a window that reached the newest message joins.
    expect(joinsTail(w(75, 125), undefined)).toBe(false);
    expect(joinsTail(w(960, 1000, true, false), undefined)).toBe(true);
  });

  it('adds the window to the tail: one unbroken conversation, older pages from the window on', () => {
    const live = tail(951, 1000);
    // A message arrived live while the window was shown: it stays.
    const withLive = reduce(new Map([[BOB, live]]), {
      type: 'received',
      key: BOB,
      message: message(1001),
      me: 'me',
      visible: false,
    });
    const window = w(100, 960, true, true);
    const joined = reduce(withLive, joinAction(BOB, window, withLive.get(BOB)))!.get(BOB)!;
    expect(joined.messages.map((m) => m.id)).toEqual(range(100, 1001).map((m) => m.id));
    expect(joined.hasMoreHistory).toBe(true);
    // The window reached the very first message: nothing older to load.
    const first = reduce(new Map([[BOB, live]]), joinAction(BOB, w(1, 960, false, true), live)).get(BOB)!;
    expect(first.hasMoreHistory).toBe(false);
  });

  it('leaves the tail’s own older history alone when the window lies inside it', () => {
    const live = tail(500, 1000, true);
    const joined = reduce(new Map([[BOB, live]]), joinAction(BOB, w(600, 700, false, true), live)).get(BOB)!;
    expect(joined.hasMoreHistory).toBe(true);
    expect(joined.messages).toHaveLength(501);
  });

  it('gives a tail never loaded its history from the window', () => {
    const empty = emptyConversation(BOB);
    const joined = reduce(new Map(), joinAction(BOB, w(960, 1000, true, false), empty)).get(BOB)!;
    expect(joined.historyLoaded).toBe(true);
    expect(joined.hasMoreHistory).toBe(true);
    expect(joined.messages).toHaveLength(41);
  });
});
