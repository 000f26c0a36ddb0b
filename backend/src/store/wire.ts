import {
  Limits,
  type ChatMessage,
  type InboxEntry,
  type Receipt,
  type ReplyRef,
  type UserSettings,
  type UserSummary,
} from '../protocol/index.js';
import type { InboxRecord, MessageRecord, ReceiptRecord, UserRecord } from './records.js';

/**
 * Stored records in the shapes the protocol sends: the one place that maps one to the other, so a
 * new field of a record is added to the wire here and nowhere else. Plain mappings only; what
 * depends on who is looking (presence, what an invitee may see) stays in the services.
 */

export function toWireMessage(m: MessageRecord): ChatMessage {
  const wire: ChatMessage = {
    id: m.id,
    clientId: m.clientId,
    conversationId: m.conversationId,
    senderId: m.senderId,
    recipientId: m.recipientId,
    content: m.deletedAt
      ? { kind: 'deleted' }
      : m.call
        ? { kind: 'call', call: m.call }
        : m.file
          ? m.body
            ? { kind: 'file', file: m.file, text: m.body }
            : { kind: 'file', file: m.file }
          : { kind: 'text', text: m.body },
    createdAt: m.createdAt.toISOString(),
  };
  if (m.roomId !== undefined) wire.roomId = m.roomId;
  if (m.mentions?.length) wire.mentions = m.mentions;
  if (m.replyTo) wire.replyTo = m.replyTo;
  if (m.editedAt) wire.editedAt = m.editedAt.toISOString();
  if (m.deletedAt) wire.deletedAt = m.deletedAt.toISOString();
  if (m.reactions?.length) wire.reactions = m.reactions;
  if (m.rev) wire.rev = m.rev;
  return wire;
}

/**
 * What a reply shows of the message it quotes: the start of its text (a file's caption, or its
 * name without one), nothing for a call log, and, once the message is deleted, nothing at all.
 */
export function toReplyRef(m: MessageRecord): ReplyRef {
  const kind = toWireMessage(m).content.kind;
  const text = m.deletedAt || m.call ? '' : m.body || (m.file?.name ?? '');
  return { id: m.id, senderId: m.senderId, kind, excerpt: Array.from(text).slice(0, Limits.replyExcerpt).join('') };
}

export function toWireReceipt(r: ReceiptRecord): Receipt {
  return { ...r, at: r.at.toISOString() };
}

export function toWireEntry(e: InboxRecord): InboxEntry {
  switch (e.kind) {
    case 'message':
      return { seq: e.seq, kind: 'message', message: toWireMessage(e.message) };
    case 'receipt':
      return { seq: e.seq, kind: 'receipt', receipt: toWireReceipt(e.receipt) };
    case 'change':
      return {
        seq: e.seq,
        kind: 'change',
        change: { action: e.change.action, by: e.change.by, message: toWireMessage(e.change.message) },
      };
    case 'hidden':
      return { seq: e.seq, kind: 'hidden', hidden: e.hidden };
  }
}

/** What anyone who may see a user sees of them. */
export function toSummary(user: Pick<UserRecord, 'id' | 'username' | 'displayName' | 'avatarUrl'>): UserSummary {
  return { id: user.id, username: user.username, displayName: user.displayName, avatarUrl: user.avatarUrl };
}

/** What only the user sees of their own account. */
export function toSettings(user: UserRecord): UserSettings {
  return { email: user.email, emailConfirmed: user.emailConfirmedAt !== null, emailDigests: user.emailDigests };
}
