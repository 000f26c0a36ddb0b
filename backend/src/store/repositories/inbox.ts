import type { InboxRecord, WriteItem, WriteResult } from '../records.js';

/**
 * Each user's ordered inbox, and the hot path that fills it: messages and receipts written in
 * batches, fanned out to their owners as the fan-out plan (fanout-plan.ts) says.
 */
export interface InboxRepository {
  /**
   * Stores a batch of messages and receipts in one transaction and gives each the inbox positions
   * it needs. Resends (same sender and clientId) are returned as duplicates, not stored; receipts
   * that would move a marker backwards write nothing. Resolves only once the transaction is
   * durable. Results are in input order.
   */
  append(batch: WriteItem[]): Promise<WriteResult[]>;
  /** Inbox entries after `after`, oldest first. */
  readInbox(userId: string, after: number, limit: number): Promise<InboxRecord[]>;
  inboxHead(userId: string): Promise<number>;
}
