import type { Connection } from './connection.js';
import { conversationKey, readPoint } from './conversations.js';
import type { ConversationStore } from './feature.js';
import { ReceiptThrottle, type ReceiptKind } from './receipt-throttle.js';

/**
 * Tells the server how far the user has received and read each conversation (`conversation:read`),
 * merged by the throttle; a tab being closed or hidden sends what still waits.
 */
export class Receipts {
  private readonly throttle = new ReceiptThrottle((key, kind, upTo) => {
    this.connection
      .request('conversation:read', { in: conversationKey(key), kind, upTo })
      .catch((err: unknown) => console.warn('[Parley] receipt not sent', err));
  });
  private readonly flush = () => this.throttle.flush();

  constructor(
    private readonly connection: Connection,
    private readonly conversations: ConversationStore,
  ) {}

  /** Listens for the page going away (adding it twice is a no-op). */
  start(): void {
    window.addEventListener('pagehide', this.flush);
  }

  /** Sends what waits and stops listening (the host shut the widget down). */
  stop(): void {
    this.throttle.flush();
    window.removeEventListener('pagehide', this.flush);
  }

  /** Drops what waits, unsent (the user signed out). */
  clear(): void {
    this.throttle.clear();
  }

  acknowledge(key: string, kind: ReceiptKind, upTo: string): void {
    this.throttle.push(key, kind, upTo);
  }

  /** The user sees the conversation: nothing is unread here, and the others hear how far they read. */
  markRead(key: string): void {
    this.conversations.dispatch({ type: 'read', key });
    const upTo = readPoint(this.conversations.state.value.get(key));
    if (upTo) this.acknowledge(key, 'read', upTo);
  }
}
