import type { Connection } from './connection.js';
import { conversationKey, readPoint } from './conversations.js';
import type { ConversationStore, Lifecycle } from './feature.js';
import { createReceiptThrottle, type ReceiptKind } from './receipt-throttle.js';

/**
 * Tells the server how far the user has received and read each conversation (`conversation:read`),
 * merged by the throttle; a tab being closed or hidden sends what still waits.
 */
export type Receipts = ReturnType<typeof createReceipts>;

export function createReceipts(
  connection: Connection,
  { state, dispatch }: ConversationStore,
  { onReady, onReset, onStop }: Lifecycle,
) {
  const throttle = createReceiptThrottle((key, kind, upTo) => {
    connection
      .request('conversation:read', { in: conversationKey(key), kind, upTo })
      .catch((err: unknown) => console.warn('[Parley] receipt not sent', err));
  });
  const flush = () => throttle.flush();
  const acknowledge = (key: string, kind: ReceiptKind, upTo: string) => throttle.push(key, kind, upTo);

  // A tab being closed or hidden sends what waits (adding the listener twice is a no-op).
  onReady(() => window.addEventListener('pagehide', flush));
  // Signed out: what waits is dropped, unsent. Shut down: it goes now.
  onReset(() => throttle.clear());
  onStop(() => {
    flush();
    window.removeEventListener('pagehide', flush);
  });

  return {
    acknowledge,
    /** The user sees the conversation: nothing is unread here, and the others hear how far they read. */
    markRead(key: string): void {
      dispatch({ type: 'read', key });
      const upTo = readPoint(state.value.get(key));
      if (upTo) acknowledge(key, 'read', upTo);
    },
  };
}
