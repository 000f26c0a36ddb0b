import type { WriteItem, WriteResult } from '../records.js';
import type { IndexPass } from '../search-indexer.js';

/** What the writer thread is started with. */
export interface WriterSettings {
  /** The SQLite database file. */
  file: string;
  /** How long a statement waits for another connection's write lock (cold paths on Prisma). */
  busyTimeoutMs: number;
  /** SQLite's `wal_autocheckpoint` for this connection: 0 while the checkpointer thread runs. */
  walAutocheckpoint: number;
}

/** When the writer thread indexes new messages for search (search-indexer.ts). */
export interface SearchIndexing {
  /** At least this often, while messages wait (ms; 0: only when asked, as tests do). */
  everyMs: number;
  /** Messages per pass (one transaction), and how many appended messages start a pass early. */
  batch: number;
}

/** Server → writer thread. */
export type WriterRequest =
  | { type: 'append'; id: number; items: WriteItem[] }
  | { type: 'index'; id: number; limit: number }
  | { type: 'autocheckpoint'; pages: number }
  | { type: 'stop' };

/** Writer thread → server. */
export type WriterReply =
  | { type: 'ready' }
  | { type: 'done'; id: number; results: WriteResult[]; ms: number }
  | { type: 'indexed'; id: number; pass: IndexPass; ms: number }
  | { type: 'failed'; id: number; message: string; code: string | null }
  | { type: 'stopped' };
