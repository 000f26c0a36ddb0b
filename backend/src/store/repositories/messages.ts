import type { ConversationRow, MessageRecord } from '../records.js';

/** Which page of a conversation: older than `before` (or the newest), or newer than `after`. */
export type HistoryPage = { before?: string; after?: string };

/** Stored messages: one of them, a conversation's history and search, a user's conversations, retention. */
export interface MessagesRepository {
  getMessage(id: string): Promise<MessageRecord | null>;
  /** The message `senderId` sent under their own id `clientId` (unique per sender), if stored. */
  findMessageByClientId(senderId: string, clientId: string): Promise<MessageRecord | null>;
  /**
   * A page of a conversation as `viewerId` sees it (the messages they deleted for themselves left
   * out), newest first: the `limit` messages just older than `page.before` (the newest when
   * neither is given), or just newer than `page.after`.
   */
  history(conversationId: string, viewerId: string, page: HistoryPage, limit: number): Promise<MessageRecord[]>;
  /**
   * Messages of a conversation whose text contains `query` (literal text; Latin letters in any
   * case), newest first, older than `before` when given: never deleted ones, nor those `viewerId`
   * deleted for themselves.
   */
  searchMessages(
    conversationId: string,
    viewerId: string,
    query: string,
    before: string | undefined,
    limit: number,
  ): Promise<MessageRecord[]>;
  /** Whether `userId` deleted the message for themselves. */
  hiddenFor(userId: string, messageId: string): Promise<boolean>;
  /** The user's conversations, most recent first, with unread counts and the peer's markers. */
  conversations(userId: string, limit: number): Promise<ConversationRow[]>;
  /** Deletes a site's messages created before `before`; returns how many. */
  deleteMessagesBefore(siteId: string, before: Date): Promise<number>;
}
