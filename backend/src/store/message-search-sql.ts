/**
 * The SQLite message-search index, written once: the hand-written migrations
 * (prisma/migrations/20261201220000_message_search, then 20261202020000_message_search_indexer)
 * create it with these statements, and `npm run db:new-migration` appends them again to any
 * generated migration that redefines or drops "Message" (Prisma's SQLite migrations rebuild a
 * changed table as "new_Message", copy the rows, DROP the old one and rename; dropping a table
 * drops its triggers, so the index would silently stop following edits and deletions). A test
 * checks that the newest search migration holds these very texts.
 *
 * Shape (docs/architecture.md, "Message search"): `MessageSearch` is a contentless FTS5 table
 * with the `trigram` tokenizer (case-insensitive substring search, whatever the script: Chinese has
 * no spaces for a word tokenizer to split on). Its rowids come from `MessageSearchKey`, an integer
 * key per indexable message, because Message's own key is text and its implicit rowid is not stable
 * (VACUUM and Prisma's table rebuilds renumber it). Contentless (`content=''`,
 * `contentless_delete=1`): the text stays only in Message, the index holds trigrams alone, and
 * without positions (`detail=none`: a fifth of the insert cost of full detail was measured here;
 * a search tests the text itself after the index anyway).
 * Indexed: messages with a text or caption, not deleted for everyone.
 *
 * Indexing is not done by the insert: whatever stores a message gives it its key in the same
 * transaction (SEARCH_KEY_INSERT_SQL: the largest key so far plus one, so under SQLite's single
 * writer keys rise in commit order; an insert trigger did this first, and its mere firing doubled
 * the CPU cost of an insert), and a background indexer (store/search-indexer.ts, on the writer
 * thread) puts the keys above `MessageSearchCursor` into the FTS table in batches and moves the
 * cursor in the same transaction. So a key at or below the cursor is in the index, one above it
 * is pending, and a search scans the pending ones itself. An edit or deletion takes an indexed
 * message out of the index and gives it a new (pending) key when it still has text; a pending
 * message needs nothing more, since the indexer reads its text when it gets there.
 */

/** The tables Prisma's schema does not declare: generated migrations must never drop them. */
export const SEARCH_TABLES = ['MessageSearch', 'MessageSearchKey', 'MessageSearchCursor'] as const;

/** FTS5 keeps its data in shadow tables named after the virtual table; they are ours too. */
export const isSearchTable = (name: string) =>
  SEARCH_TABLES.some(
    (t) => name === t || (t === 'MessageSearch' && /^MessageSearch_(data|idx|content|docsize|config)$/.test(name)),
  );

/**
 * Gives a new message its search key, so the indexer will index it. Whatever inserts into
 * "Message" on SQLite runs it for each message with text (the writer thread and the Prisma path
 * in prisma/inbox.ts do; so must a tool or test that inserts rows itself). Not a trigger: firing
 * an AFTER INSERT trigger cost 35 µs of CPU a message, as much as the insert itself.
 */
export const SEARCH_KEY_INSERT_SQL = 'INSERT INTO "MessageSearchKey" ("messageId") VALUES (?)';

/** The key of a message that is in the index now (at or below the cursor), or none. */
const INDEXED_KEY = `(SELECT "id" FROM "MessageSearchKey" WHERE "messageId" = OLD."id" AND "id" <= (SELECT "indexedUpTo" FROM "MessageSearchCursor"))`;

/**
 * After a key is deleted: keys are `max + 1`, so once the largest is gone the next message would
 * get a key at or below the cursor and never be indexed. Lowering the cursor to the largest key
 * left is exact (every key up to it was indexed; none lies between it and the old cursor).
 */
const CURSOR_TO_LAST_KEY = `UPDATE "MessageSearchCursor" SET "indexedUpTo" = (SELECT coalesce(max("id"), 0) FROM "MessageSearchKey") WHERE "indexedUpTo" > (SELECT coalesce(max("id"), 0) FROM "MessageSearchKey");`;

export const SEARCH_TRIGGERS_SQL = `DROP TRIGGER IF EXISTS "Message_search_insert";
DROP TRIGGER IF EXISTS "Message_search_update";
DROP TRIGGER IF EXISTS "Message_search_delete";
CREATE TRIGGER "Message_search_update" AFTER UPDATE OF "body", "deletedAt" ON "Message"
WHEN OLD."body" IS NOT NEW."body" OR OLD."deletedAt" IS NOT NEW."deletedAt" BEGIN
    DELETE FROM "MessageSearch" WHERE "rowid" = ${INDEXED_KEY};
    DELETE FROM "MessageSearchKey" WHERE "messageId" = OLD."id";
    ${CURSOR_TO_LAST_KEY}
    INSERT INTO "MessageSearchKey" ("messageId") SELECT NEW."id" WHERE NEW."body" <> '' AND NEW."deletedAt" IS NULL;
END;
CREATE TRIGGER "Message_search_delete" AFTER DELETE ON "Message" BEGIN
    DELETE FROM "MessageSearch" WHERE "rowid" = ${INDEXED_KEY};
    DELETE FROM "MessageSearchKey" WHERE "messageId" = OLD."id";
    ${CURSOR_TO_LAST_KEY}
END;`;

/** Empties the index and fills it from Message as it is now, everything indexed (the cursor at the last key). */
export const SEARCH_REBUILD_SQL = `INSERT INTO "MessageSearch" ("MessageSearch") VALUES ('delete-all');
DELETE FROM "MessageSearchKey";
INSERT INTO "MessageSearchKey" ("messageId") SELECT "id" FROM "Message" WHERE "body" <> '' AND "deletedAt" IS NULL ORDER BY "id";
INSERT INTO "MessageSearch" ("rowid", "body") SELECT k."id", m."body" FROM "MessageSearchKey" k JOIN "Message" m ON m."id" = k."messageId";
INSERT OR REPLACE INTO "MessageSearchCursor" ("id", "indexedUpTo") SELECT 1, coalesce(max("id"), 0) FROM "MessageSearchKey";`;

/** What a generated migration gets appended when it redefines or drops "Message". */
export const SEARCH_RESTORE_SQL = `
-- Message search (added by db:new-migration: this migration redefines "Message", which dropped
-- its triggers; see backend/src/store/message-search-sql.ts)
${SEARCH_TRIGGERS_SQL}
${SEARCH_REBUILD_SQL}
`;

/** Whether a migration script redefines or drops "Message" (and so drops its triggers). */
export const dropsMessageTable = (sql: string) => /DROP\s+TABLE\s+(IF\s+EXISTS\s+)?"?Message"?\s*;/i.test(sql);

/** The PostgreSQL search index (prisma/postgres/migrations/20261201220000_message_search). */
export const PG_SEARCH_INDEX = 'Message_body_trgm_idx';

/** Statements of a migration script that would drop the search tables or index (before anything is appended). */
export function searchDrops(sql: string): string[] {
  const drops = [...sql.matchAll(/DROP\s+(TABLE|INDEX)\s+(?:IF\s+EXISTS\s+)?"?([A-Za-z0-9_]+)"?/gi)];
  return drops
    .filter((m) => (m[1]!.toUpperCase() === 'TABLE' ? isSearchTable(m[2]!) : m[2] === PG_SEARCH_INDEX))
    .map((m) => m[0]);
}
