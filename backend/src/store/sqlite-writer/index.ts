import { Worker } from 'node:worker_threads';
import type { Logger } from '../../logger.js';
import type { WriteItem, WriteResult } from '../records.js';
import type { WriterReply, WriterRequest, WriterSettings } from './messages.js';

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
  resolve: (results: WriteResult[]) => void;
  reject: (err: Error) => void;
}

/**
 * The server's side of the SQLite writer thread (thread.ts): `append` posts a batch and resolves
 * with its results once the thread has committed it, so nothing is acknowledged before it is
 * durable. Batches are written one at a time, in the order they were posted.
 *
 * If the thread dies, every batch it held fails (their senders get an error and resend: client
 * ids make the resend safe) and a new thread is started for the next batch.
 */
export class SqliteWriter {
  private worker!: Worker;
  private ready!: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopping = false;
  private autocheckpoint: number;

  private constructor(
    private readonly settings: WriterSettings,
    private readonly logger: Logger,
  ) {
    this.autocheckpoint = settings.walAutocheckpoint;
    this.spawn();
  }

  static async start(file: string, logger: Logger, walAutocheckpoint = 1000): Promise<SqliteWriter> {
    const writer = new SqliteWriter({ file, busyTimeoutMs: 5000, walAutocheckpoint }, logger);
    await writer.ready;
    return writer;
  }

  /** The current thread (tests terminate it to see the writer recover). */
  get thread(): Worker {
    return this.worker;
  }

  /** Batches posted and not yet answered. */
  get waiting(): number {
    return this.pending.size;
  }

  append(items: WriteItem[]): Promise<WriteResult[]> {
    if (this.stopping) return Promise.reject(new HotPathWriteError('the writer is stopping', null));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ type: 'append', id, items });
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
    if (reply.type !== 'done' && reply.type !== 'failed') return;
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (reply.type === 'done') waiting.resolve(reply.results);
    else waiting.reject(new HotPathWriteError(reply.message, reply.code));
  }

  private failAll(err: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(err);
    this.pending.clear();
  }
}
