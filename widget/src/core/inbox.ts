import type { ChatMessage, InboxEntry, SessionReady, UserSummary } from '@parley/backend/protocol';
import type { Connection } from './connection.js';
import { isNew, keyOfMessage } from './conversations.js';
import type { ChatsOnScreen, ConversationStore } from './feature.js';
import { InboxCursor } from './inbox-cursor.js';
import type { Receipts } from './receipts.js';
import { storage } from './storage.js';

export interface InboxDeps {
  connection: Connection;
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
export class Inbox {
  private cursor: InboxCursor | null = null;

  constructor(private readonly deps: InboxDeps) {
    deps.connection.on('inbox:entry', (entry) => this.cursor?.receive(entry));
  }

  /** Catches up from where this browser left off; resolves once caught up (or failed to). */
  ready(site: string, ready: SessionReady): Promise<void> {
    const me = ready.user;
    const cursorKey = `parley:${site}:${me.id}:seq`;
    const saved = Number(storage.get(cursorKey));
    // A new device starts at the head: conversation:list and history fill its screens instead
    // of a replay of the whole inbox.
    const start = Number.isSafeInteger(saved) && saved > 0 && saved <= ready.inboxHead ? saved : ready.inboxHead;
    this.cursor = new InboxCursor(
      start,
      (after) => this.deps.connection.request('inbox:sync', { after }),
      (entry) => this.apply(me, entry),
      (position) => storage.set(cursorKey, String(position)),
    );
    return this.cursor.sync().catch((err: unknown) => console.warn('[Parley] inbox sync failed', err));
  }

  reset(): void {
    this.cursor = null;
  }

  private apply(me: UserSummary, entry: InboxEntry): void {
    const { conversations, screen, receipts } = this.deps;
    if (entry.kind === 'receipt') return conversations.dispatch({ type: 'receipt', receipt: entry.receipt, me: me.id });
    const m = entry.message;
    const key = keyOfMessage(m, me.id);
    const fromOther = m.senderId !== me.id;
    if (!fromOther) this.deps.delivered(m.clientId);
    const visible = screen.isVisible(key);
    const fresh = isNew(conversations.state.value, key, m);
    conversations.dispatch({ type: 'received', key, message: m, me: me.id, visible });
    if (!fromOther || !fresh) return;
    // In a room only reading counts; in a one-to-one chat the sender also sees it delivered.
    if (visible) receipts.acknowledge(key, 'read', m.id);
    else if (!m.roomId) receipts.acknowledge(key, 'delivered', m.id);
    this.deps.arrived(m);
  }

  /** The server's unread counts and markers, the truth once the inbox has caught up. */
  async loadConversations(): Promise<void> {
    try {
      const { conversations } = await this.deps.connection.request('conversation:list', {});
      for (const summary of conversations) {
        const visible = this.deps.screen.isVisible(summary.peer.id);
        this.deps.conversations.dispatch({ type: 'summary', summary, visible });
      }
    } catch (err) {
      console.warn('[Parley] could not load conversations', err);
    }
  }
}
