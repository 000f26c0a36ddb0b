import type Database from 'better-sqlite3';

/** What one pass of the indexer did. */
export interface IndexPass {
  /** Messages put into the index. */
  indexed: number;
  /** Whether keys above the cursor may remain (the pass stopped at its limit). */
  more: boolean;
}

/**
 * The SQLite search index's background indexer (see message-search-sql.ts): takes the keys above
 * `MessageSearchCursor` in key order, puts their messages' current text into the FTS5 table and
 * moves the cursor to the last key taken, all in one transaction, so a crash or restart resumes
 * exactly where the last committed pass ended. Keys rise in commit order (each the largest plus
 * one, under SQLite's single writer; the triggers lower the cursor when the largest indexed key is
 * deleted), so no message committed later can land at or below the cursor.
 *
 * Runs on the SQLite writer thread between its batches (sqlite-writer/thread.ts), on that
 * thread's connection: a second connection would hold the write lock while it indexes and the
 * writer's next batch would sleep in SQLite's busy handler (bench/results/search.md measures both).
 *
 * @example
 * const indexer = new SearchIndexer(db);
 * while (indexer.pass(500).more);
 */
export class SearchIndexer {
  private readonly run: (limit: number) => IndexPass;
  private readonly idle: () => boolean;

  constructor(db: Database.Database) {
    const cursor = db.prepare<[], { indexedUpTo: number }>(
      'SELECT "indexedUpTo" FROM "MessageSearchCursor" WHERE "id" = 1',
    );
    const pending = db.prepare<[number, number], { id: number; body: string }>(
      'SELECT k."id", m."body" FROM "MessageSearchKey" k JOIN "Message" m ON m."id" = k."messageId" ' +
        'WHERE k."id" > ? ORDER BY k."id" LIMIT ?',
    );
    const insert = db.prepare<[number, string]>('INSERT INTO "MessageSearch" ("rowid", "body") VALUES (?, ?)');
    const move = db.prepare<[number]>('UPDATE "MessageSearchCursor" SET "indexedUpTo" = ? WHERE "id" = 1');
    const waiting = db.prepare<[], { id: number }>(
      'SELECT "id" FROM "MessageSearchKey" WHERE "id" > (SELECT "indexedUpTo" FROM "MessageSearchCursor") LIMIT 1',
    );
    this.idle = () => waiting.get() === undefined;
    this.run = db.transaction((limit: number): IndexPass => {
      const from = cursor.get()?.indexedUpTo;
      if (from === undefined) throw new Error('MessageSearchCursor has no row: the search migration did not run');
      const rows = pending.all(from, limit);
      for (const row of rows) insert.run(row.id, row.body);
      const to = rows.at(-1)?.id ?? from;
      if (to !== from) move.run(to);
      return { indexed: rows.length, more: rows.length === limit };
    }).immediate;
  }

  /**
   * Indexes up to `limit` pending messages in one transaction. With none pending it takes no write
   * lock (it runs on a timer, and cold-path writes on other connections would wait for the lock).
   */
  pass(limit: number): IndexPass {
    if (this.idle()) return { indexed: 0, more: false };
    return this.run(Math.max(1, Math.trunc(limit)));
  }
}
