import type { ReadonlySignal } from '@preact/signals-core';
import type { FileInfo, InboxEntry, MessageContent, ReplyRef, UserSummary } from '@parley/backend/protocol';
import type { Connection } from './connection.js';
import { conversationKey, emptyConversation, keyOfMessage, roomIdOf, type ShownMessage } from './conversations.js';
import type { ConversationStore, Lifecycle } from './feature.js';
import { createOutbox, type Outbox } from './outbox.js';

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
export type Messages = ReturnType<typeof createMessages>;

export function createMessages(
  site: string,
  connection: Connection,
  { state, dispatch }: ConversationStore,
  me: ReadonlySignal<UserSummary | null>,
  { onReady, onReset }: Lifecycle,
  /** The user's own message is stored: its inbox entry, which comes with the acknowledgement only. */
  stored: (entry: InboxEntry) => void,
) {
  let outbox: Outbox | null = null;
  const keyOf = (m: ShownMessage) => keyOfMessage(m, m.senderId);

  /**
   * Sends when connected; otherwise the message stays pending (saved in the outbox, so a reload
   * keeps it) and goes on the next connect with the same client id, so the server stores it once
   * however often it is sent.
   */
  function transmit(message: ShownMessage): void {
    if (!connection.connected) return;
    const key = keyOf(message);
    const { clientId, content, replyTo } = message;
    // Call logs are written by the server, never sent by a client; nor is a tombstone.
    if (content.kind === 'call' || content.kind === 'deleted') return;
    // A file goes by its upload's id; the server fills in what it stored.
    const sent =
      content.kind === 'file'
        ? { kind: 'file' as const, fileId: content.file.id, ...(content.text ? { text: content.text } : {}) }
        : content;
    const payload = { in: conversationKey(key), clientId, content: sent, ...(replyTo ? { replyTo: replyTo.id } : {}) };
    connection.request('message:send', payload).then(
      (data) => {
        outbox?.remove(clientId);
        dispatch({ type: 'upsert', key, messages: [{ ...data.message, state: 'sent' }] });
        if (data.seq !== null) stored({ seq: data.seq, kind: 'message', message: data.message });
      },
      (err: Error & { code?: string }) => {
        // No answer, or the server is going away: the message stays pending and goes again.
        if (!err.code || err.code === 'unavailable' || err.code === 'internal') return;
        // Refused for good (not a buddy any more, blocked, too long): the user decides to retry.
        outbox?.remove(clientId);
        dispatch({ type: 'upsert', key, messages: [{ ...message, state: 'failed', error: err.message }] });
      },
    );
  }

  /** A new message of the user's, pending until the server acknowledges it (quoting `replyTo`, if given). */
  function compose(key: string, content: MessageContent, replyTo?: ReplyRef): void {
    if (!me.value) return;
    const roomId = roomIdOf(key);
    queue({
      id: null,
      clientId: newClientId(),
      senderId: me.value.id,
      recipientId: roomId ? '' : key,
      content,
      createdAt: new Date().toISOString(),
      state: 'pending',
      ...(roomId ? { roomId } : {}),
      ...(replyTo ? { replyTo } : {}),
    });
  }

  function queue(message: ShownMessage): void {
    outbox?.add(message);
    dispatch({ type: 'upsert', key: keyOf(message), messages: [message] });
    transmit(message);
  }

  // Signed in: show what waits in the user's outbox, and send it.
  onReady((ready) => {
    outbox = createOutbox(`parley:${site}:${ready.user.id}:outbox`);
    for (const m of outbox.all()) dispatch({ type: 'upsert', key: keyOf(m), messages: [m] });
    for (const m of outbox.all()) transmit(m);
  });
  onReset(() => (outbox = null));

  return {
    /** The server has the user's message (it came back through the inbox): nothing left to send. */
    delivered(clientId: string): void {
      outbox?.remove(clientId);
    },
    /** Sends text to a user, or to a room when `key` is a room key; a reply shows `replyTo` as its quote. */
    send(key: string, body: string, replyTo?: ReplyRef): void {
      const text = body.trim();
      if (text) compose(key, { kind: 'text', text }, replyTo);
    },
    /** Sends a stored file (uploaded already; `file.id` is the upload's id). */
    sendFile(key: string, file: FileInfo): void {
      compose(key, { kind: 'file', file });
    },
    /** Sends a failed message again, with the same client id. */
    retry(key: string, clientId: string): void {
      const message = state.value.get(key)?.messages.find((m) => m.clientId === clientId);
      if (!message || message.state !== 'failed') return;
      const pending: ShownMessage = { ...message, state: 'pending' };
      delete pending.error;
      queue(pending);
    },
    /** Loads the conversation's newest page, or the page before what is shown. */
    async loadHistory(key: string, older = false): Promise<void> {
      const existing = state.value.get(key) ?? emptyConversation(key);
      if (!connection.connected || existing.loadingHistory) return;
      if (older ? !existing.hasMoreHistory : existing.historyLoaded) return;
      const oldest = existing.messages.find((m) => m.id)?.id;
      dispatch({ type: 'loading', key, loading: true });
      try {
        const page = await connection.request('message:history', {
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
    },
  };
}
