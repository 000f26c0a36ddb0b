import { Worker } from 'node:worker_threads';
import type { Logger } from '../../logger.js';
import type { WriteItem, WriteResult } from '../records.js';
import type { IndexPass } from '../search-indexer.js';
import type { SearchIndexing, WriterReply, WriterRequest, WriterSettings } from './messages.js';

/** A batch the writer thread could not write; `code` is SQLite's (e.g. SQLITE_BUSY), when it gave one. */
export class HotPathWriteError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'HotPathWriteError';
  }
}

interface Pending {
  resolve: (result: WriteResult[] | IndexPass) => void;
  reject: (err: Error) => void;
}

/** Search indexing by default: every 250 ms, or sooner after 500 new messages; 500 a pass. */
export const DEFAULT_SEARCH_INDEXING: SearchIndexing = { everyMs: 250, batch: 500 };

/**
 * The server's side of the SQLite writer thread (thread.ts): `append` posts a batch and resolves
 * with its results once the thread has committed it, so nothing is acknowledged before it is
 * durable. Batches are written one at a time, in the order they were posted.
 *
 * If the thread dies, every batch it held fails (their senders get an error and resend: client
 * ids make the resend safe) and a new thread is started for the next batch.
 *
 * It also has the thread index new messages for search (search-indexer.ts), a pass of at most
 * `batch` messages at a time, posted behind the batches already waiting; the next pass is posted
 * only when one ends, so batches posted meanwhile go first and wait at most one pass.
 */
export class SqliteWriter {
  private worker!: Worker;
  private ready!: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopping = false;
  private autocheckpoint: number;
  /** Messages appended since the last index pass was posted. */
  private unindexed = 0;
  /** The run of index passes going on now, if any (one run at a time). */
  private indexing: Promise<number> | null = null;
  private readonly timer: NodeJS.Timeout | null;

  private constructor(
    private readonly settings: WriterSettings,
    private readonly logger: Logger,
    private readonly search: SearchIndexing,
  ) {
    this.autocheckpoint = settings.walAutocheckpoint;
    this.spawn();
    this.timer = search.everyMs > 0 ? setInterval(() => this.indexSoon(), search.everyMs) : null;
    this.timer?.unref();
  }

  static async start(
    file: string,
    logger: Logger,
    walAutocheckpoint = 1000,
    search: SearchIndexing = DEFAULT_SEARCH_INDEXING,
  ): Promise<SqliteWriter> {
    const writer = new SqliteWriter({ file, busyTimeoutMs: 5000, walAutocheckpoint }, logger, search);
    await writer.ready;
    return writer;
  }

  /** The current thread (tests terminate it to see the writer recover). */
  get thread(): Worker {
    return this.worker;
  }

  /** Requests posted and not yet answered (batches and index passes). */
  get waiting(): number {
    return this.pending.size;
  }

  append(items: WriteItem[]): Promise<WriteResult[]> {
    this.unindexed += items.length;
    if (this.search.everyMs > 0 && this.unindexed >= this.search.batch) this.indexSoon();
    return this.request<WriteResult[]>((id) => ({ type: 'append', id, items }));
  }

  /**
   * Indexes every message stored so far for search, a pass at a time; resolves with how many it
   * indexed. The writer does this by itself (`SearchIndexing`); tests ask for it.
   */
  async indexSearch(): Promise<number> {
    let total = 0;
    // A pass already running may have begun before the newest messages: wait for it, then run our own.
    while (this.indexing) total += await this.indexing.catch(() => 0);
    return total + (await this.startIndexing());
  }

  /** On the timer, or after `batch` new messages: unless passes are running already. */
  private indexSoon(): void {
    if (this.indexing || this.stopping) return;
    this.startIndexing().catch((err: unknown) =>
      this.logger.warn({ err }, 'search indexing failed; trying again on the next tick'),
    );
  }

  private startIndexing(): Promise<number> {
    const running: Promise<number> = this.indexPasses().finally(() => {
      if (this.indexing === running) this.indexing = null;
    });
    this.indexing = running;
    return running;
  }

  /** Passes until one finds fewer than `batch` messages waiting; the count indexed. */
  private async indexPasses(): Promise<number> {
    let total = 0;
    for (;;) {
      this.unindexed = 0;
      const pass = await this.request<IndexPass>((id) => ({ type: 'index', id, limit: this.search.batch }));
      total += pass.indexed;
      if (!pass.more || this.stopping) return total;
    }
  }

  private request<T extends WriteResult[] | IndexPass>(message: (id: number) => WriterRequest): Promise<T> {
    if (this.stopping) return Promise.reject(new HotPathWriteError('the writer is stopping', null));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (result: WriteResult[] | IndexPass) => void, reject });
      this.post(message(id));
    });
  }

  /** SQLite's automatic checkpoint threshold on the writer's connection (0 = never; see SqliteCheckpointer). */
  setAutocheckpoint(pages: number): void {
    this.autocheckpoint = pages;
    this.post({ type: 'autocheckpoint', pages });
  }

  /** Waits for the batches already posted, then closes the thread's connection. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.post({ type: 'stop' });
    await exited;
  }

  private post(request: WriterRequest): void {
    this.worker.postMessage(request);
  }

  private spawn(): void {
    const worker = new Worker(new URL('./thread-entry.mjs', import.meta.url), {
      // Not the server's own flags: a profiler or test hook preloaded with --import has no business
      // in this thread (and a TypeScript one would fail before tsx is registered here).
      execArgv: [],
      workerData: { ...this.settings, walAutocheckpoint: this.autocheckpoint } satisfies WriterSettings,
    });
    this.worker = worker;
    this.ready = new Promise((resolve, reject) => {
      const onReply = (reply: WriterReply) => {
        if (reply.type === 'ready') resolve();
        else this.settle(reply);
      };
      worker.on('message', onReply);
      worker.once('error', (err) => {
        reject(err);
        this.logger.error({ err }, 'the SQLite writer thread failed');
      });
      worker.once('exit', (code) => {
        if (this.stopping) return;
        reject(new Error(`the SQLite writer thread exited with code ${code}`));
        this.failAll(new HotPathWriteError(`the writer thread exited (code ${code}) before committing`, null));
        this.logger.error({ code }, 'the SQLite writer thread exited; starting a new one');
        this.spawn();
      });
    });
    // Keeps nobody waiting on a thread that never comes up; `start` reports it.
    this.ready.catch(() => {});
  }

  private settle(reply: WriterReply): void {
    if (reply.type !== 'done' && reply.type !== 'indexed' && reply.type !== 'failed') return;
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (reply.type === 'done') waiting.resolve(reply.results);
    else if (reply.type === 'indexed') waiting.resolve(reply.pass);
    else waiting.reject(new HotPathWriteError(reply.message, reply.code));
  }

  private failAll(err: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(err);
    this.pending.clear();
  }
}
