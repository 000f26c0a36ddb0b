import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';
import { ftsTrigrams } from './prisma/messages.js';
import { SEARCH_KEY_INSERT_SQL } from './message-search-sql.js';
import { SearchIndexer } from './search-indexer.js';

/**
 * The background search indexer and the triggers around it, on a real SQLite file with the
 * project's migrations: what is in the FTS5 index (not what a search finds; test/search-indexing
 * covers that through the server) before and after a pass, for inserts, edits, deletions, the
 * newest key deleted and reused, and a cursor that survives closing the connection.
 */
const dir = mkdtempSync(join(tmpdir(), 'parley-search-indexer-'));
const file = join(dir, 'parley.db');
let db: Database.Database;
beforeAll(async () => {
  await migrate({ kind: 'sqlite', url: file });
  db = new Database(file);
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
/** A message as the writer stores it: the row, and its search key when it has text. */
const insert = (id: string, body: string) => {
  db.prepare(
    `INSERT INTO "Message" ("id", "siteId", "senderId", "conversationId", "clientId", "body", "createdAt") VALUES (?, 'demo', 'u1', 'dm:u1:u2', ?, ?, '2026-12-01T00:00:00+00:00')`,
  ).run(id, `c-${n++}`, body);
  if (body !== '') db.prepare(SEARCH_KEY_INSERT_SQL).run(id);
};
/** The messages the FTS5 index itself holds for `text`. */
const indexed = (text: string) =>
  db
    .prepare(
      `SELECT k."messageId" AS id FROM "MessageSearch" JOIN "MessageSearchKey" k ON k."id" = "MessageSearch"."rowid" WHERE "MessageSearch" MATCH ? ORDER BY 1`,
    )
    .all(ftsTrigrams(text))
    .map((r) => (r as { id: string }).id);
const cursor = () => (db.prepare(`SELECT "indexedUpTo" AS n FROM "MessageSearchCursor"`).get() as { n: number }).n;
const pending = () =>
  db
    .prepare(
      `SELECT k."messageId" AS id FROM "MessageSearchKey" k WHERE k."id" > (SELECT "indexedUpTo" FROM "MessageSearchCursor") ORDER BY k."id"`,
    )
    .all()
    .map((r) => (r as { id: string }).id);
const indexAll = () => {
  const indexer = new SearchIndexer(db);
  let total = 0;
  for (let pass = indexer.pass(2); ; pass = indexer.pass(2)) {
    total += pass.indexed;
    if (!pass.more) return total;
  }
};

describe('the background search indexer', () => {
  it('has no insert trigger: a stored message waits for the indexer, which takes the oldest keys first', () => {
    const triggers = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'Message'`).all();
    expect(triggers.map((t) => (t as { name: string }).name).sort()).toEqual([
      'Message_search_delete',
      'Message_search_update',
    ]);
    insert('a1', 'alpha gamma');
    insert('a2', 'alpha delta');
    insert('a3', 'alpha epsilon');
    insert('a4', ''); // no text: no key
    expect(indexed('alpha')).toEqual([]);
    expect(pending()).toEqual(['a1', 'a2', 'a3']);
    const first = new SearchIndexer(db).pass(2);
    expect(first).toMatchObject({ indexed: 2, more: true });
    expect(indexed('alpha')).toEqual(['a1', 'a2']);
    expect(pending()).toEqual(['a3']);
    expect(indexAll()).toBe(1);
    expect(indexed('alpha')).toEqual(['a1', 'a2', 'a3']);
    expect(pending()).toEqual([]);
    expect(new SearchIndexer(db).pass(10)).toMatchObject({ indexed: 0, more: false });
  });

  it('an edit of an indexed message leaves the index at once and comes back with the new text', () => {
    db.prepare(`UPDATE "Message" SET "body" = 'omega text' WHERE "id" = 'a1'`).run();
    expect(indexed('alpha')).toEqual(['a2', 'a3']);
    expect(indexed('omega')).toEqual([]);
    expect(pending()).toEqual(['a1']);
    indexAll();
    expect(indexed('omega')).toEqual(['a1']);
    expect(pending()).toEqual([]);
  });

  it('an edit of a pending message is indexed with its new text only', () => {
    insert('b1', 'first words');
    db.prepare(`UPDATE "Message" SET "body" = 'second words' WHERE "id" = 'b1'`).run();
    indexAll();
    expect(indexed('first')).toEqual([]);
    expect(indexed('second')).toEqual(['b1']);
  });

  it('deletions, for everyone or of the row, before or after indexing, leave nothing behind', () => {
    insert('c1', 'zulu one');
    insert('c2', 'zulu two');
    indexAll();
    insert('c3', 'zulu three');
    insert('c4', 'zulu four');
    // Indexed: c1 deleted for everyone, c2's row deleted. Pending: the same for c3 and c4.
    db.prepare(
      `UPDATE "Message" SET "body" = '', "deletedAt" = '2026-12-01T00:00:00+00:00' WHERE "id" IN ('c1', 'c3')`,
    ).run();
    db.prepare(`DELETE FROM "Message" WHERE "id" IN ('c2', 'c4')`).run();
    expect(indexed('zulu')).toEqual([]);
    expect(pending()).toEqual([]);
    indexAll();
    expect(indexed('zulu')).toEqual([]);
    const keys = db.prepare(`SELECT "messageId" AS id FROM "MessageSearchKey" WHERE "messageId" LIKE 'c%'`).all();
    expect(keys).toEqual([]);
  });

  it('a new message gets indexed after the newest indexed one was deleted (its key is reused)', () => {
    insert('d1', 'yankee one');
    indexAll();
    const last = cursor();
    db.prepare(`DELETE FROM "Message" WHERE "id" = 'd1'`).run();
    expect(cursor()).toBeLessThan(last);
    insert('d2', 'yankee two');
    expect(pending()).toEqual(['d2']);
    indexAll();
    expect(indexed('yankee')).toEqual(['d2']);
  });

  it('keeps its cursor across connections: a new one resumes where the last pass ended', () => {
    insert('e1', 'xray one');
    insert('e2', 'xray two');
    new SearchIndexer(db).pass(1);
    const at = cursor();
    db.close();
    db = new Database(file);
    expect(cursor()).toBe(at);
    expect(pending()).toEqual(['e2']);
    expect(indexAll()).toBe(1);
    expect(indexed('xray')).toEqual(['e1', 'e2']);
  });
});
