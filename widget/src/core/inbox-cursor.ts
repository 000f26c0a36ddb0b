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
export class InboxCursor {
  private syncing: Promise<void> | undefined;
  private seenAhead = 0;

  constructor(
    private position: number,
    private readonly fetchPage: (after: number) => Promise<SyncPage>,
    private readonly apply: (entry: InboxEntry) => void,
    private readonly save: (position: number) => void,
  ) {}

  get seq(): number {
    return this.position;
  }

  receive(entry: InboxEntry): void {
    if (entry.seq <= this.position) return;
    if (!this.syncing && entry.seq === this.position + 1) {
      this.advance(entry);
      this.save(this.position);
      return;
    }
    this.seenAhead = Math.max(this.seenAhead, entry.seq);
    void this.sync();
  }

  /** Fetches everything after the cursor. Concurrent calls share one run. */
  sync(): Promise<void> {
    this.syncing ??= this.run().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async run(): Promise<void> {
    for (let round = 0; round < 10_000; round++) {
      const page = await this.fetchPage(this.position);
      for (const entry of page.entries) if (entry.seq > this.position) this.advance(entry);
      this.save(this.position);
      if (!page.hasMore && this.seenAhead <= this.position) return;
      if (page.entries.length === 0 && this.seenAhead > this.position) {
        // The server has nothing past the cursor yet; the entry we saw will come with the next read.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  private advance(entry: InboxEntry): void {
    this.position = entry.seq;
    this.apply(entry);
  }
}
