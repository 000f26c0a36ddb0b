import type { InboxEntry } from '@parley/backend/protocol';

export interface SyncPage {
  entries: InboxEntry[];
  hasMore: boolean;
}

/**
 * How long an entry from further ahead waits for the ones before it before the cursor syncs. The
 * missing ones are usually on their way: a cluster delivers other users' messages through Redis
 * a moment after the sender's own acknowledgement (which carries its entry), and entries stored by
 * different nodes can cross on the way.
 */
export const GAP_WAIT_MS = 250;
/** Entries held while waiting; more than this and the cursor syncs at once. */
const MAX_HELD = 200;

/**
 * Keeps a client's place in its ordered inbox. Every entry is applied exactly once and in order,
 * whether it arrives live or from a sync page: entries at or below the cursor are dropped, the next
 * one is applied (and any held ones that follow it), and an entry from further ahead is held for
 * up to {@link GAP_WAIT_MS}; if the gap is still open then, the cursor syncs from its position.
 * Entries that arrive while a sync runs are left to that sync; if one of them lies past what the
 * sync read, the sync goes round again.
 */
export type InboxCursor = ReturnType<typeof createInboxCursor>;

export function createInboxCursor(
  position: number,
  fetchPage: (after: number) => Promise<SyncPage>,
  apply: (entry: InboxEntry) => void,
  save: (position: number) => void,
  gapWaitMs = GAP_WAIT_MS,
) {
  let syncing: Promise<void> | undefined;
  let seenAhead = 0;
  /** Entries past a gap, by seq, waiting for the ones before them. */
  const held = new Map<number, InboxEntry>();
  let gapTimer: ReturnType<typeof setTimeout> | undefined;

  const advance = (entry: InboxEntry) => {
    position = entry.seq;
    apply(entry);
  };

  /** Gives up waiting: what is held will come with the sync, which reads at least that far. */
  function syncPastHeld(): void {
    clearTimeout(gapTimer);
    gapTimer = undefined;
    for (const seq of held.keys()) seenAhead = Math.max(seenAhead, seq);
    held.clear();
    void sync();
  }

  async function run(): Promise<void> {
    for (let round = 0; round < 10_000; round++) {
      const page = await fetchPage(position);
      for (const entry of page.entries) if (entry.seq > position) advance(entry);
      save(position);
      if (!page.hasMore && seenAhead <= position) return;
      if (page.entries.length === 0 && seenAhead > position) {
        // The server has nothing past the cursor yet; the entry we saw will come with the next read.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** Fetches everything after the cursor. Concurrent calls share one run. */
  const sync = (): Promise<void> =>
    (syncing ??= run().finally(() => {
      syncing = undefined;
    }));

  return {
    get seq(): number {
      return position;
    },
    receive(entry: InboxEntry): void {
      if (entry.seq <= position) return;
      if (syncing) {
        seenAhead = Math.max(seenAhead, entry.seq);
        return;
      }
      if (entry.seq !== position + 1) {
        held.set(entry.seq, entry);
        if (held.size > MAX_HELD) syncPastHeld();
        else gapTimer ??= setTimeout(syncPastHeld, gapWaitMs);
        return;
      }
      advance(entry);
      for (let next = held.get(position + 1); next; next = held.get(position + 1)) {
        held.delete(next.seq);
        advance(next);
      }
      save(position);
      if (held.size === 0) {
        clearTimeout(gapTimer);
        gapTimer = undefined;
      }
    },
    sync,
  };
}
