import type { MessageHidden, ReactionEmoji } from '../../protocol/index.js';
import type { InboxRecord, MessageRecord } from '../records.js';

/** One change to a stored message, made by `by` at `at` (the service has checked they may). */
export type MessageChangeInput =
  | { action: 'edit'; messageId: string; by: string; at: Date; text: string }
  | { action: 'delete'; messageId: string; by: string; at: Date }
  | { action: 'react'; messageId: string; by: string; at: Date; emoji: ReactionEmoji; on: boolean };

export interface ChangeOutcome {
  /** The message after the change, or as it is when nothing changed; null when there is no such message. */
  message: MessageRecord | null;
  /**
   * False when nothing was stored: the message is deleted (for every action: deleting twice,
   * editing or reacting to a tombstone), a call log was reacted to, or the reaction already was so.
   */
  changed: boolean;
  /** The `change` entries written, one for each member of its conversation; empty when nothing changed. */
  entries: InboxRecord[];
}

/** An earlier text of a message (kept for its sender). */
export interface MessageEditRecord {
  text: string;
  /** When it was replaced. */
  editedAt: Date;
}

/**
 * What happens to messages after they are sent: edits, deletion (for everyone, or hidden for one
 * user), reactions. Each change is one transaction that also writes its inbox entries, so the
 * entries of one message reach every inbox in the order of its `rev`.
 */
export interface MessageChangesRepository {
  /**
   * Applies `change`: counts it in the message's `rev`, keeps the earlier text of an edit (at most
   * Limits.messageEdits), clears a deleted message's content, reactions and earlier texts, rebuilds
   * the reactions, updates the quote of every reply to it, and writes a `change` entry for each
   * member of its conversation (direct: sender and recipient; room: its joined members now).
   */
  changeMessage(change: MessageChangeInput): Promise<ChangeOutcome>;
  /**
   * Hides `message` for `userId` only and writes a `hidden` entry into their inbox; returns it, or
   * nothing when it was hidden already.
   */
  hideMessage(userId: string, message: MessageRecord, hidden: MessageHidden): Promise<InboxRecord[]>;
  /** The earlier texts of a message, oldest first. */
  messageEdits(messageId: string): Promise<MessageEditRecord[]>;
}
