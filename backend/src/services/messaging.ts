import { v7 as uuidv7 } from 'uuid';
import { ErrorCode, Limits, type Payload, type ReplyData } from '../protocol/index.js';
import { ParleyError } from '../errors.js';
import type { InboxRecord, MessageRecord, SiteRecord, Store, UserRecord } from '../store/store.js';
import { toSummary, toWireEntry, toWireMessage } from '../store/wire.js';
import type { InboxWriter } from './inbox-writer.js';
import type { Notifier } from './notifier.js';
import type { Relations } from './relations.js';

/** The mappers moved to store/wire.ts; re-exported for the callers that import them from here. */
export { toWireEntry, toWireMessage };

/** One conversation id per pair of users, whoever writes first. */
export function directConversationId(a: string, b: string): string {
  return a < b ? `dm:${a}:${b}` : `dm:${b}:${a}`;
}

/** Sending, syncing, reading and acknowledging one-to-one messages, and typing. */
export class Messaging {
  constructor(
    private readonly store: Store,
    private readonly writer: InboxWriter,
    private readonly relations: Relations,
    private readonly notify: Notifier,
  ) {}

  /** Pushes freshly stored inbox entries to their owners' open connections. */
  deliver(entries: InboxRecord[]): void {
    for (const entry of entries) this.notify.toUsers([entry.userId], 'inbox:entry', toWireEntry(entry));
  }

  async send(site: SiteRecord, sender: UserRecord, input: Payload<'message:send'>): Promise<ReplyData['message:send']> {
    if (input.to === sender.id) throw new ParleyError(ErrorCode.BadRequest, 'You cannot message yourself.');
    await this.relations.assertMayMessage(site, sender.id, input.to);
    const message: MessageRecord = {
      id: uuidv7(),
      siteId: sender.siteId,
      senderId: sender.id,
      recipientId: input.to,
      conversationId: directConversationId(sender.id, input.to),
      clientId: input.clientId,
      body: input.body,
      createdAt: new Date(),
    };
    const result = await this.writer.write({ type: 'message', message });
    if (result.type !== 'message') throw new Error('writer answered a message with a receipt');
    if (!result.duplicate) this.deliver(result.entries);
    const own = result.entries.find((e) => e.userId === sender.id);
    return { message: toWireMessage(result.message), seq: own?.seq ?? null, duplicate: result.duplicate };
  }

  async sync(user: UserRecord, input: Payload<'inbox:sync'>): Promise<ReplyData['inbox:sync']> {
    const limit = input.limit ?? Limits.syncPage;
    const [entries, head] = await Promise.all([
      this.store.readInbox(user.id, input.after, limit),
      this.store.inboxHead(user.id),
    ]);
    const last = entries.at(-1)?.seq ?? input.after;
    return { entries: entries.map(toWireEntry), head, hasMore: last < head && entries.length === limit };
  }

  async history(user: UserRecord, input: Payload<'message:history'>): Promise<ReplyData['message:history']> {
    const peer = await this.peer(user, input.with);
    const limit = input.limit ?? 50;
    // The conversation is derived from the caller, so nobody can name someone else's.
    const rows = await this.store.history(directConversationId(user.id, peer.id), input.before, limit + 1);
    return { messages: rows.slice(0, limit).map(toWireMessage), hasMore: rows.length > limit };
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

  /**
   * The user has received or read the conversation with `with` up to message `upTo`, which must
   * be a message of that conversation sent by the other member.
   */
  async receipt(user: UserRecord, input: Payload<'receipt:send'>): Promise<ReplyData['receipt:send']> {
    const peer = await this.peer(user, input.with);
    const conversationId = directConversationId(user.id, peer.id);
    const message = await this.store.getMessage(input.upTo);
    if (!message || message.conversationId !== conversationId || message.senderId !== peer.id) {
      throw new ParleyError(ErrorCode.NotFound, 'No such message in this conversation.');
    }
    const result = await this.writer.write({
      type: 'receipt',
      receipt: {
        conversationId,
        readerId: user.id,
        peerId: peer.id,
        kind: input.kind,
        upTo: input.upTo,
        at: new Date(),
      },
    });
    if (result.type !== 'receipt') throw new Error('writer answered a receipt with a message');
    this.deliver(result.entries);
    return { advanced: result.advanced };
  }

  /** Live only, never stored: the peer sees "typing…" while it lasts. */
  async typing(site: SiteRecord, user: UserRecord, input: Payload<'typing:set'>): Promise<ReplyData['typing:set']> {
    if (input.to === user.id) throw new ParleyError(ErrorCode.BadRequest, 'You cannot type to yourself.');
    await this.relations.assertMayMessage(site, user.id, input.to);
    this.notify.toUsers([input.to], 'typing:changed', { userId: user.id, typing: input.typing });
    return {};
  }

  private async peer(user: UserRecord, peerId: string): Promise<UserRecord> {
    if (peerId === user.id) throw new ParleyError(ErrorCode.BadRequest, 'There is no conversation with yourself.');
    const peer = await this.store.getUser(peerId);
    // Unknown users and other sites' users look the same.
    if (!peer || peer.siteId !== user.siteId) throw new ParleyError(ErrorCode.NotFound, 'No such user.');
    return peer;
  }
}
