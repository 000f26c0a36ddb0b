import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, schemaPaths } from './migrate.js';
import { migrationSql } from './migration-sql.js';
import { ftsTrigrams } from './prisma/messages.js';
import { SEARCH_KEY_INSERT_SQL, SEARCH_RESTORE_SQL, SEARCH_TRIGGERS_SQL, searchDrops } from './message-search-sql.js';
import { SearchIndexer } from './search-indexer.js';

/**
 * The SQLite search index survives schema changes: Prisma rebuilds a changed table (CREATE
 * "new_Message", copy, DROP "Message", rename), which drops the index's triggers; the generated
 * migration must bring them back. Real engine, real SQLite file, the project's own migrations.
 */
const dir = mkdtempSync(join(tmpdir(), 'parley-migration-sql-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { schema, migrations } = schemaPaths('sqlite');
const current = readFileSync(schema, 'utf8');
/** A change SQLite cannot ALTER: a new default on Message.body, so Prisma redefines the table. */
const changed = current.replace(/(\n\s+body\s+String)\n/, '$1 @default("")\n');

/** A message as the writer stores it: the row, and its search key. */
const insert = (db: Database.Database, id: string, body: string) => {
  db.prepare(
    `INSERT INTO "Message" ("id", "siteId", "senderId", "conversationId", "clientId", "body", "createdAt") VALUES (?, 'demo', 'u1', 'dm:u1:u2', ?, ?, '2026-12-01T00:00:00+00:00')`,
  ).run(id, `c-${id}`, body);
  if (body !== '') db.prepare(SEARCH_KEY_INSERT_SQL).run(id);
};
/** What the index finds (after the background indexer's pass over what is pending). */
const search = (db: Database.Database, text: string) =>
  new SearchIndexer(db).pass(1000) &&
  db
    .prepare(
      `SELECT k."messageId" AS id FROM "MessageSearch" JOIN "MessageSearchKey" k ON k."id" = "MessageSearch"."rowid" WHERE "MessageSearch" MATCH ? ORDER BY 1`,
    )
    .all(ftsTrigrams(text))
    .map((r) => (r as { id: string }).id);

describe('generated migrations and the message search index', () => {
  it('the newest hand-written search migration holds the very triggers the generator appends', () => {
    const text = readFileSync(join(migrations, '20261202020000_message_search_indexer', 'migration.sql'), 'utf8');
    expect(text).toContain(SEARCH_TRIGGERS_SQL);
  });

  it(
    'appends the triggers and a rebuild to a migration that redefines Message, and search works after it',
    { timeout: 60_000 },
    async () => {
      expect(changed).not.toBe(current);
      const sql = await migrationSql('sqlite', { text: current }, changed);
      expect(sql).toMatch(/DROP TABLE "Message";/);
      expect(sql.endsWith(SEARCH_RESTORE_SQL)).toBe(true);
      expect(searchDrops(sql)).toEqual([]);
      // Nothing to migrate: nothing appended either.
      expect(await migrationSql('sqlite', { text: current }, current)).toBe('');

      // A database on the project's migrations, with a message, then the new migration on top.
      const file = join(dir, 'parley.db');
      await migrate({ kind: 'sqlite', url: file });
      let db = new Database(file);
      insert(db, 'm1', '我们明天在图书馆见面吧');
      db.close();
      const withNew = join(dir, 'migrations');
      cpSync(migrations, withNew, { recursive: true });
      mkdirSync(join(withNew, '29991231000000_body_default'));
      writeFileSync(join(withNew, '29991231000000_body_default', 'migration.sql'), sql);
      expect(await migrate({ kind: 'sqlite', url: file }, withNew)).toEqual(['29991231000000_body_default']);

      db = new Database(file);
      try {
        const triggers = db
          .prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'Message' ORDER BY name`)
          .all()
          .map((r) => (r as { name: string }).name);
        expect(triggers).toEqual(['Message_search_delete', 'Message_search_update']);
        // The rebuild indexed everything: the cursor is at the last key.
        const cursor = () => db.prepare(`SELECT "indexedUpTo" AS n FROM "MessageSearchCursor"`).get() as { n: number };
        const lastKey = () => db.prepare(`SELECT max("id") AS n FROM "MessageSearchKey"`).get() as { n: number };
        expect(cursor().n).toBe(lastKey().n);
        expect(cursor().n).toBeGreaterThan(0);
        // The message from before the change is still found; new ones, edits and deletions are followed.
        expect(search(db, '图书馆')).toEqual(['m1']);
        insert(db, 'm2', 'after the change: 图书馆 again');
        expect(search(db, '图书馆')).toEqual(['m1', 'm2']);
        db.prepare(`UPDATE "Message" SET "body" = 'edited text' WHERE "id" = 'm1'`).run();
        expect(search(db, '图书馆')).toEqual(['m2']);
        expect(search(db, 'EDITED')).toEqual(['m1']);
        db.prepare(`DELETE FROM "Message" WHERE "id" = 'm2'`).run();
        expect(search(db, '图书馆')).toEqual([]);
        expect(db.prepare(`SELECT "messageId" FROM "MessageSearchKey"`).all()).toEqual([{ messageId: 'm1' }]);
      } finally {
        db.close();
      }
    },
  );

  it('notices a script that would drop the search tables or index', () => {
    expect(searchDrops('DROP TABLE "MessageSearch";\nDROP TABLE "MessageSearch_data";')).toHaveLength(2);
    expect(searchDrops('DROP TABLE IF EXISTS "MessageSearchKey";')).toHaveLength(1);
    expect(searchDrops('DROP INDEX "Message_body_trgm_idx";')).toHaveLength(1);
    expect(searchDrops('DROP TABLE "Message";\nDROP TABLE "MessageEdit";\n' + SEARCH_RESTORE_SQL)).toEqual([]);
  });
});
