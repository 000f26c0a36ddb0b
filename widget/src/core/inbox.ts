import type { ChatMessage, InboxEntry } from '@parley/backend/protocol';
import type { Connection } from './connection.js';
import { isNew, keyOfMessage, localKey } from './conversations.js';
import type { ChatsOnScreen, ConversationStore, Lifecycle } from './feature.js';
import { createInboxCursor, type InboxCursor } from './inbox-cursor.js';
import type { Receipts } from './receipts.js';
import { storage } from './storage.js';

export interface InboxDeps {
  site: string;
  connection: Connection;
  lifecycle: Lifecycle;
  conversations: ConversationStore;
  screen: ChatsOnScreen;
  receipts: Receipts;
  /** The user's own message came back: the outbox can let it go. */
  delivered(clientId: string): void;
  /** A new message from someone else arrived (for the host page, sound and notifications). */
  arrived(message: ChatMessage): void;
}

/**
 * The user's ordered inbox: the cursor (saved per site and user), entries applied to the
 * conversations, then the server's own counts and markers once caught up (`conversation:list`).
 */
export function createInbox({
  site,
  connection,
  lifecycle,
  conversations,
  screen,
  receipts,
  delivered,
  arrived,
}: InboxDeps) {
  let cursor: InboxCursor | null = null;
  const { dispatch } = conversations;

  function apply(me: string, entry: InboxEntry): void {
    if (entry.kind === 'receipt') return dispatch({ type: 'receipt', receipt: entry.receipt, me });
    // Edits, deletions and reactions replace the message (when newer); nothing arrives anew.
    if (entry.kind === 'change') {
      const { message } = entry.change;
      return dispatch({ type: 'changed', key: keyOfMessage(message, me), message });
    }
    if (entry.kind === 'hidden') {
      return dispatch({ type: 'hidden', key: localKey(entry.hidden.in), messageId: entry.hidden.messageId });
    }
    const m = entry.message;
    const key = keyOfMessage(m, me);
    const fromOther = m.senderId !== me;
    if (!fromOther) delivered(m.clientId);
    const visible = screen.isVisible(key);
    const fresh = isNew(conversations.state.value, key, m);
    dispatch({ type: 'received', key, message: m, me, visible });
    if (!fromOther || !fresh) return;
    // In a room only reading counts; in a one-to-one chat the sender also sees it delivered.
    if (visible) receipts.acknowledge(key, 'read', m.id);
    else if (!m.roomId) receipts.acknowledge(key, 'delivered', m.id);
    arrived(m);
  }

  connection.on('inbox:entry', (entry) => cursor?.receive(entry));
  // Catch up from where this browser left off; the session's other steps wait for it (onSynced).
  lifecycle.onReady((ready) => {
    const me = ready.user.id;
    const cursorKey = `parley:${site}:${me}:seq`;
    const saved = Number(storage.get(cursorKey));
    // A new device starts at the head: conversation:list and history fill its screens instead
    // of a replay of the whole inbox.
    const start = Number.isSafeInteger(saved) && saved > 0 && saved <= ready.inboxHead ? saved : ready.inboxHead;
    cursor = createInboxCursor(
      start,
      (after) => connection.request('inbox:sync', { after }),
      (entry) => apply(me, entry),
      (position) => storage.set(cursorKey, String(position)),
    );
    return cursor.sync().catch((err: unknown) => console.warn('[Parley] inbox sync failed', err));
  });
  // Caught up: the server's unread counts and markers are the truth.
  lifecycle.onSynced(async () => {
    try {
      const list = await connection.request('conversation:list', {});
      for (const summary of list.conversations) {
        dispatch({ type: 'summary', summary, visible: screen.isVisible(summary.peer.id) });
      }
    } catch (err) {
      console.warn('[Parley] could not load conversations', err);
    }
  });
  lifecycle.onReset(() => (cursor = null));

  return {
    /**
     * An entry of the user's inbox that came another way than `inbox:entry`: the acknowledgement
     * of the user's own message carries its entry (the server sends the sending connection no
     * copy). Applied in order like any other.
     */
    receive(entry: InboxEntry): void {
      cursor?.receive(entry);
    },
  };
}
