import type { ConversationRow, MessageRecord } from '../records.js';

/** Stored messages: one of them, a conversation's history, a user's conversations, retention. */
export interface MessagesRepository {
  getMessage(id: string): Promise<MessageRecord | null>;
  /** Messages of a conversation older than `before` (a message id), newest first. */
  history(conversationId: string, before: string | undefined, limit: number): Promise<MessageRecord[]>;
  /** The user's conversations, most recent first, with unread counts and the peer's markers. */
  conversations(userId: string, limit: number): Promise<ConversationRow[]>;
  /** Deletes a site's messages created before `before`; returns how many. */
  deleteMessagesBefore(siteId: string, before: Date): Promise<number>;
}
