import type { WriteItem, WriteResult } from '../records.js';

/** What the writer thread is started with. */
export interface WriterSettings {
  /** The SQLite database file. */
  file: string;
  /** How long a statement waits for another connection's write lock (cold paths on Prisma). */
  busyTimeoutMs: number;
  /** SQLite's `wal_autocheckpoint` for this connection: 0 while the checkpointer thread runs. */
  walAutocheckpoint: number;
}

/** Server → writer thread. */
export type WriterRequest =
  { type: 'append'; id: number; items: WriteItem[] } | { type: 'autocheckpoint'; pages: number } | { type: 'stop' };

/** Writer thread → server. */
export type WriterReply =
  | { type: 'ready' }
  | { type: 'done'; id: number; results: WriteResult[]; ms: number }
  | { type: 'failed'; id: number; message: string; code: string | null }
  | { type: 'stopped' };
