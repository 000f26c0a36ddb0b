import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatMessage, SessionReady, UserSummary } from '@parley/backend/protocol';

/** A socket that records what the client emits and answers from `replies`; the test plays server events. */
const fake = vi.hoisted(() => {
  const handlers = new Map<string, ((data: unknown) => void)[]>();
  return {
    handlers,
    emitted: [] as [string, unknown][],
    replies: {} as Record<string, (payload: never) => unknown>,
    auth: null as unknown,
    socket: null as unknown,
    push(event: string, data: unknown) {
      for (const handler of handlers.get(event) ?? []) handler(data);
    },
  };
});

vi.mock('socket.io-client', () => ({
  io: (_server: string, options: { auth: unknown }) => {
    fake.handlers.clear();
    fake.auth = options.auth;
    const socket = {
      connected: true,
      get auth() {
        return fake.auth;
      },
      set auth(value) {
        fake.auth = value;
      },
      io: { reconnectionDelay: () => undefined },
      on(event: string, handler: (data: unknown) => void) {
        fake.handlers.set(event, [...(fake.handlers.get(event) ?? []), handler]);
      },
      off: () => undefined,
      connect: () => undefined,
      disconnect() {
        socket.connected = false;
      },
      timeout: () => ({
        async emitWithAck(event: string, payload: never) {
          fake.emitted.push([event, payload]);
          const reply = fake.replies[event];
          return { ok: true, data: reply ? reply(payload) : {} };
        },
      }),
    };
    fake.socket = socket;
    return socket;
  },
}));

const saved = new Map<string, string>();
Object.assign(globalThis, {
  window: {
    localStorage: {
      getItem: (key: string) => saved.get(key) ?? null,
      setItem: (key: string, value: string) => void saved.set(key, value),
      removeItem: (key: string) => void saved.delete(key),
    },
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  },
});

const { createClient } = await import('./client.js');

const me: UserSummary = { id: 'me', username: 'me', displayName: 'Me', avatarUrl: null };
const bob: UserSummary = { id: 'bob', username: 'bob', displayName: 'Bob', avatarUrl: null };
const ready: SessionReady = {
  protocol: 2,
  user: me,
  presence: { state: 'online', status: '', idle: false },
  session: { token: 'session-token', expiresAt: '' },
  roster: [{ user: bob, state: 'accepted', presence: { state: 'online', status: '', lastSeenAt: null }, group: null }],
  inboxHead: 0,
  settings: { email: null, emailConfirmed: false, emailDigests: true },
  serverTime: '',
  signedActions: [],
};
const fromBob = (id: string, text: string): ChatMessage => ({
  id,
  clientId: `c-${id}`,
  conversationId: 'dm:bob:me',
  senderId: 'bob',
  recipientId: 'me',
  content: { kind: 'text', text },
  createdAt: '2026-12-01T10:00:00.000Z',
});
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
const sent = (event: string) => fake.emitted.filter(([e]) => e === event).map(([, payload]) => payload);

describe('the client facade over a fake server (protocol 2)', () => {
  beforeEach(() => {
    saved.clear();
    fake.emitted.length = 0;
    fake.replies = {
      'inbox:sync': () => ({ entries: [], head: 0, hasMore: false }),
      'conversation:list': () => ({ conversations: [] }),
      'room:list': () => ({ rooms: [], hasMore: false }),
      'message:history': () => ({ messages: [], hasMore: false, readBy: [{ userId: 'bob', upTo: 'm0001' }] }),
      'message:send': (p: { clientId: string; content: ChatMessage['content'] }) => ({
        message: { ...fromBob('m0002', ''), senderId: 'me', recipientId: 'bob', ...p },
        seq: 1,
        duplicate: false,
      }),
    };
  });

  it('signs in, sends, receives, reads, shows typing, and forgets everything when the session ends', async () => {
    const client = createClient({ server: 'http://chat.test', site: 'shop', awayAfterMs: 0 });
    const onScreen = new Set<string>();
    client.attachView({ isVisible: (key) => onScreen.has(key), openChats: () => [...onScreen] });
    const hostMessages: unknown[] = [];
    client.events.on('message', (e) => hostMessages.push(e));

    client.loginWithIdentity('identity-token');
    expect(fake.auth).toEqual({ v: 2, site: 'shop', identity: 'identity-token' });
    fake.push('session:ready', ready);
    await flush();
    expect(client.status.value).toBe('online');
    expect(client.me.value).toEqual(me);
    expect(fake.auth).toEqual({ v: 2, site: 'shop', token: 'session-token' });
    expect(fake.emitted.map(([e]) => e)).toEqual(['inbox:sync', 'conversation:list', 'room:list']);

    client.send('bob', '  hello  ');
    expect(sent('message:send')).toMatchObject([
      { in: { kind: 'direct', id: 'bob' }, content: { kind: 'text', text: 'hello' } },
    ]);
    await flush();
    expect(client.conversations.value.get('bob')!.messages).toMatchObject([{ id: 'm0002', state: 'sent' }]);
    // The acknowledgement carries the message's inbox entry (the server sends this connection no
    // copy): the cursor is past it, and the next entry follows on without a sync.
    expect(saved.get('parley:shop:me:seq')).toBe('1');

    fake.push('inbox:entry', { seq: 2, kind: 'message', message: fromBob('m0003', 'yo') });
    expect(sent('inbox:sync')).toHaveLength(1);
    expect(client.unreadTotal.value).toBe(1);
    expect(hostMessages).toMatchObject([{ from: bob, message: { body: 'yo', content: { text: 'yo' } } }]);
    expect(sent('conversation:read')).toEqual([
      { in: { kind: 'direct', id: 'bob' }, kind: 'delivered', upTo: 'm0003' },
    ]);

    onScreen.add('bob');
    client.viewed('bob');
    await flush();
    expect(client.unreadTotal.value).toBe(0);
    expect(sent('conversation:read').at(-1)).toEqual({
      in: { kind: 'direct', id: 'bob' },
      kind: 'read',
      upTo: 'm0003',
    });
    expect(sent('message:history')).toEqual([{ in: { kind: 'direct', id: 'bob' }, limit: 50 }]);
    expect(client.conversations.value.get('bob')!.peerReadUpTo).toBe('m0001');

    fake.push('typing:changed', { userId: 'bob', typing: true, in: { kind: 'direct', id: 'bob' } });
    expect(client.conversations.value.get('bob')!.typing).toEqual(['bob']);
    client.typing('room:r1', true);
    expect(sent('typing:set').at(-1)).toEqual({ in: { kind: 'room', id: 'r1' }, typing: true });

    fake.push('session:ended', { reason: 'expired' });
    expect(client.status.value).toBe('signed-out');
    expect(client.me.value).toBeNull();
    expect(client.conversations.value.size).toBe(0);
    expect(client.problem.value?.code).toBe('unauthorized');
    expect(saved.has('parley:shop:token')).toBe(false);
  });

  it('applies change and hidden entries, sends replies with their quote, and answers edits at once', async () => {
    const client = createClient({ server: 'http://chat.test', site: 'shop', awayAfterMs: 0 });
    const hostMessages: unknown[] = [];
    client.events.on('message', (e) => hostMessages.push(e));
    client.loginWithIdentity('identity-token');
    fake.push('session:ready', ready);
    await flush();
    const original = fromBob('m0003', 'original');
    fake.push('inbox:entry', { seq: 1, kind: 'message', message: original });
    const shown = () => client.conversations.value.get('bob')!.messages;
    const originalShown = () => shown().find((m) => m.id === 'm0003');

    const quote = { id: 'm0003', senderId: 'bob', kind: 'text' as const, excerpt: 'original' };
    client.send('bob', 'answer', quote);
    expect(sent('message:send').at(-1)).toMatchObject({ replyTo: 'm0003', content: { text: 'answer' } });
    expect(shown().at(-1)).toMatchObject({ state: 'pending', replyTo: quote });
    await flush();

    const edited: ChatMessage = { ...original, content: { kind: 'text', text: 'edited' }, editedAt: 'x', rev: 1 };
    fake.push('inbox:entry', { seq: 2, kind: 'change', change: { action: 'edit', by: 'bob', message: edited } });
    expect(originalShown()).toMatchObject({ content: { text: 'edited' }, rev: 1 });
    // Not a new message: the host page hears of the first one only.
    expect(hostMessages).toHaveLength(1);

    fake.replies['message:react'] = (p: { emoji: '👍' }) => ({
      message: { ...edited, reactions: [{ emoji: p.emoji, userIds: ['me'] }], rev: 2 },
    });
    await client.react('bob', 'm0003', '👍', true);
    expect(sent('message:react')).toEqual([
      { in: { kind: 'direct', id: 'bob' }, messageId: 'm0003', emoji: '👍', on: true },
    ]);
    expect(originalShown()!.reactions).toEqual([{ emoji: '👍', userIds: ['me'] }]);

    fake.push('inbox:entry', {
      seq: 3,
      kind: 'hidden',
      hidden: { in: { kind: 'direct', id: 'bob' }, messageId: 'm0003' },
    });
    expect(originalShown()).toBeUndefined();
  });
});
