import type { InboxEntry } from '@parley/backend/protocol';

export interface SyncPage {
  entries: InboxEntry[];
  hasMore: boolean;
}

/**
 * Keeps a client's place in its ordered inbox. Every entry is applied exactly once and in order,
 * whether it arrives live or from a sync page: entries at or below the cursor are dropped, the next
 * one is applied, and a gap (an entry from further ahead) starts a sync from the cursor. Entries
 * that arrive while a sync runs are left to that sync; if one of them lies past what the sync
 * read, the sync goes round again.
 */
export type InboxCursor = ReturnType<typeof createInboxCursor>;

export function createInboxCursor(
  position: number,
  fetchPage: (after: number) => Promise<SyncPage>,
  apply: (entry: InboxEntry) => void,
  save: (position: number) => void,
) {
  let syncing: Promise<void> | undefined;
  let seenAhead = 0;

  const advance = (entry: InboxEntry) => {
    position = entry.seq;
    apply(entry);
  };

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
      if (!syncing && entry.seq === position + 1) {
        advance(entry);
        save(position);
        return;
      }
      seenAhead = Math.max(seenAhead, entry.seq);
      void sync();
    },
    sync,
  };
}
