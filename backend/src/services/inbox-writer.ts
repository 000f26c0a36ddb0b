import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Store, WriteItem, WriteResult } from '../store/store.js';

interface Pending {
  item: WriteItem;
  resolve: (result: WriteResult) => void;
  reject: (err: unknown) => void;
}

/**
 * The hot path's group commit, for messages and receipts alike. Items that arrive while a
 * transaction is being written wait and go together in the next one, so under load one
 * transaction carries many items and at rest a lone message is written at once. Each caller's
 * promise settles only when its item is durable.
 */
export class InboxWriter {
  private queue: Pending[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly metrics: Metrics | null = null,
    private readonly maxBatch = 500,
  ) {}

  write(item: WriteItem): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.running ??= this.run();
    });
  }

  /** Resolves once everything queued so far is written (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(): Promise<void> {
    try {
      // Let the current turn of the event loop add its items before the first write.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.writeBatch(batch);
      }
    } finally {
      // In the same turn as the last look at the queue: an item written after it starts a new
      // run. (Clearing `running` a turn later, in a .finally() callback, left such an item
      // waiting in the queue until the next write came along.)
      this.running = undefined;
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    try {
      const started = performance.now();
      const results = await this.store.append(batch.map((p) => p.item));
      this.count(batch.length, performance.now() - started, results);
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1) {
        this.logger.error({ err, item: batch[0]!.item.type }, 'inbox write failed');
        batch[0]!.reject(err);
        return;
      }
      // One bad item (or a race with another node on the same clientId) must not fail the
      // others: write them one by one so each gets its own outcome.
      this.logger.warn({ err, size: batch.length }, 'batch write failed; retrying items singly');
      for (const p of batch) await this.writeBatch([p]);
    }
  }

  private count(size: number, ms: number, results: WriteResult[]): void {
    if (!this.metrics) return;
    this.metrics.batchSize.observe(size);
    this.metrics.batchSeconds.observe(ms / 1000);
    let messages = 0;
    let receipts = 0;
    for (const r of results) {
      if (r.type === 'message' && !r.duplicate && !r.refused) messages++;
      else if (r.type === 'receipt' && r.advanced) receipts++;
    }
    if (messages > 0) this.metrics.stored.inc({ kind: 'message' }, messages);
    if (receipts > 0) this.metrics.stored.inc({ kind: 'receipt' }, receipts);
  }
}
