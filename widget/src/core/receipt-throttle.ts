export type ReceiptKind = 'delivered' | 'read';

interface OpenWindow {
  /** What the last send in this window said; a read after a delivered receipt goes at once. */
  sent: ReceiptKind;
  /** The furthest point seen since that send, merged into one receipt at the window's end. */
  pending: { kind: ReceiptKind; upTo: string } | null;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Merges a conversation's receipts so a burst of incoming messages makes one receipt, not one per
 * message. The first receipt of a conversation goes at once; later ones within `windowMs` wait for
 * the window's end and are merged (furthest point, read wins). A read that follows a delivered
 * receipt is never held back: a user who opens a chat and closes the tab at once has still read it.
 * `flush` sends whatever waits (the page is being hidden or the client is stopping).
 */
export type ReceiptThrottle = ReturnType<typeof createReceiptThrottle>;

export function createReceiptThrottle(send: (key: string, kind: ReceiptKind, upTo: string) => void, windowMs = 250) {
  const windows = new Map<string, OpenWindow>();

  function sendAndOpen(key: string, kind: ReceiptKind, upTo: string): void {
    send(key, kind, upTo);
    const timer = setTimeout(() => {
      const open = windows.get(key);
      windows.delete(key);
      if (open?.pending) send(key, open.pending.kind, open.pending.upTo);
    }, windowMs);
    windows.set(key, { sent: kind, pending: null, timer });
  }

  return {
    push(key: string, kind: ReceiptKind, upTo: string): void {
      const open = windows.get(key);
      if (!open) return sendAndOpen(key, kind, upTo);
      if (kind === 'read' && open.sent === 'delivered') {
        const upToAll = open.pending && open.pending.upTo > upTo ? open.pending.upTo : upTo;
        clearTimeout(open.timer);
        windows.delete(key);
        return sendAndOpen(key, 'read', upToAll);
      }
      if (!open.pending) open.pending = { kind, upTo };
      else {
        if (upTo > open.pending.upTo) open.pending.upTo = upTo;
        if (kind === 'read') open.pending.kind = 'read';
      }
    },
    /** Sends every waiting receipt now. */
    flush(): void {
      for (const [key, open] of windows) {
        clearTimeout(open.timer);
        if (open.pending) send(key, open.pending.kind, open.pending.upTo);
      }
      windows.clear();
    },
    /** Drops everything waiting, unsent (the user signed out). */
    clear(): void {
      for (const open of windows.values()) clearTimeout(open.timer);
      windows.clear();
    },
  };
}
