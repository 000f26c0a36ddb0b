import { Limits, type Payload, type ReplyData } from '../protocol/index.js';
import type { InboxRecord, Store, UserRecord } from '../store/store.js';
import { toSummary, toWireEntry, toWireMessage } from '../store/wire.js';
import type { Notifier } from './notifier.js';

/** One conversation id per pair of users, whoever writes first. */
export function directConversationId(a: string, b: string): string {
  return a < b ? `dm:${a}:${b}` : `dm:${b}:${a}`;
}

/**
 * The inbox side of messaging: pushing stored entries to their owners, sync pages, and the list of
 * one-to-one conversations. Sending, history, receipts and typing are in conversations.ts.
 */
export class Messaging {
  constructor(
    private readonly store: Store,
    private readonly notify: Notifier,
  ) {}

  /**
   * Pushes freshly stored inbox entries to their owners' open connections, but the connection
   * `from` (the sender's, which has its own entry in the acknowledgement, seq included).
   */
  deliver(entries: InboxRecord[], from: string | null = null): void {
    for (const entry of entries) this.notify.toUsersExcept(from, [entry.userId], 'inbox:entry', toWireEntry(entry));
  }

  async sync(user: UserRecord, input: Payload<'inbox:sync'>): Promise<ReplyData['inbox:sync']> {
    const limit = input.limit ?? Limits.syncPage;
    // The head first: after a reconnect most clients are already there (a storm of them asks at
    // once), and one primary-key read then answers without reading the inbox at all.
    const head = await this.store.inboxHead(user.id);
    if (input.after >= head) return { entries: [], head, hasMore: false };
    const entries = await this.store.readInbox(user.id, input.after, limit);
    const last = entries.at(-1)?.seq ?? input.after;
    return { entries: entries.map(toWireEntry), head, hasMore: last < head && entries.length === limit };
  }

  async conversations(user: UserRecord): Promise<ReplyData['conversation:list']> {
    const rows = await this.store.conversations(user.id, 50);
    const peers = await Promise.all(rows.map((r) => this.store.getUser(r.peerId)));
    return {
      conversations: rows.flatMap((row, i) => {
        const peer = peers[i];
        if (!peer) return [];
        return [
          {
            conversationId: row.conversationId,
            peer: toSummary(peer),
            lastMessage: toWireMessage(row.lastMessage),
            unread: row.unread,
            peerReadUpTo: row.peerReadUpTo,
            peerDeliveredUpTo: row.peerDeliveredUpTo,
          },
        ];
      }),
    };
  }
}
