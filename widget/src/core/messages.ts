import type { ReadonlySignal } from '@preact/signals-core';
import type { UserSummary } from '@parley/backend/protocol';
import type { Connection } from './connection.js';
import { conversationKey, emptyConversation, keyOfMessage, roomIdOf, type ShownMessage } from './conversations.js';
import type { ConversationStore } from './feature.js';
import { Outbox } from './outbox.js';

const HISTORY_PAGE = 50;

/** 128 random bits. Not crypto.randomUUID: that exists only in secure contexts, and hosts may be http. */
function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Sending (through the outbox) and loading history: `message:send` and `message:history`, one path
 * for one-to-one chats and rooms alike.
 */
export class Messages {
  private outbox: Outbox | null = null;

  constructor(
    private readonly connection: Connection,
    private readonly conversations: ConversationStore,
    private readonly me: ReadonlySignal<UserSummary | null>,
  ) {}

  /** Signed in as `userId` on `site`: show what waits in their outbox, and send it. */
  ready(site: string, userId: string): void {
    this.outbox = new Outbox(`parley:${site}:${userId}:outbox`);
    for (const m of this.outbox.all()) {
      this.conversations.dispatch({ type: 'upsert', key: keyOfMessage(m, userId), messages: [m] });
    }
    for (const m of this.outbox.all()) this.transmit(m);
  }

  reset(): void {
    this.outbox = null;
  }

  /** The server has the user's message (it came back through the inbox): nothing left to send. */
  delivered(clientId: string): void {
    this.outbox?.remove(clientId);
  }

  /** Sends text to a user, or to a room when `key` is a room key. */
  readonly send = (key: string, body: string): void => {
    const me = this.me.value;
    const text = body.trim();
    if (!me || !text) return;
    const roomId = roomIdOf(key);
    this.queue({
      id: null,
      clientId: newClientId(),
      senderId: me.id,
      recipientId: roomId ? '' : key,
      content: { kind: 'text', text },
      createdAt: new Date().toISOString(),
      state: 'pending',
      ...(roomId ? { roomId } : {}),
    });
  };

  /** Sends a failed message again, with the same client id. */
  readonly retry = (key: string, clientId: string): void => {
    const message = this.conversations.state.value.get(key)?.messages.find((m) => m.clientId === clientId);
    if (!message || message.state !== 'failed') return;
    const pending: ShownMessage = { ...message, state: 'pending' };
    delete pending.error;
    this.queue(pending);
  };

  private queue(message: ShownMessage): void {
    this.outbox?.add(message);
    this.conversations.dispatch({ type: 'upsert', key: this.keyOf(message), messages: [message] });
    this.transmit(message);
  }

  private keyOf(m: ShownMessage): string {
    return keyOfMessage(m, m.senderId);
  }

  /**
   * Sends when connected; otherwise the message stays pending (saved in the outbox, so a reload
   * keeps it) and goes on the next connect with the same client id, so the server stores it once
   * however often it is sent.
   */
  private transmit(message: ShownMessage): void {
    if (!this.connection.connected) return;
    const key = this.keyOf(message);
    const { clientId, content } = message;
    this.connection.request('message:send', { in: conversationKey(key), clientId, content }).then(
      (data) => {
        this.outbox?.remove(clientId);
        this.conversations.dispatch({ type: 'upsert', key, messages: [{ ...data.message, state: 'sent' }] });
      },
      (err: Error & { code?: string }) => {
        // No answer, or the server is going away: the message stays pending and goes again.
        if (!err.code || err.code === 'unavailable' || err.code === 'internal') return;
        // Refused for good (not a buddy any more, blocked, too long): the user decides to retry.
        this.outbox?.remove(clientId);
        const failed: ShownMessage = { ...message, state: 'failed', error: err.message };
        this.conversations.dispatch({ type: 'upsert', key, messages: [failed] });
      },
    );
  }

  /** Loads the conversation's newest page, or the page before what is shown. */
  readonly loadHistory = async (key: string, older = false): Promise<void> => {
    const existing = this.conversations.state.value.get(key) ?? emptyConversation(key);
    if (!this.connection.connected || existing.loadingHistory) return;
    if (older ? !existing.hasMoreHistory : existing.historyLoaded) return;
    const oldest = existing.messages.find((m) => m.id)?.id;
    const { dispatch } = this.conversations;
    dispatch({ type: 'loading', key, loading: true });
    try {
      const page = await this.connection.request('message:history', {
        in: conversationKey(key),
        ...(older && oldest ? { before: oldest } : {}),
        limit: HISTORY_PAGE,
      });
      dispatch({ type: 'history', key, older, ...page, readBy: page.readBy ?? [] });
    } catch (err) {
      console.warn('[Parley] could not load history', err);
    } finally {
      dispatch({ type: 'loading', key, loading: false });
    }
  };
}
