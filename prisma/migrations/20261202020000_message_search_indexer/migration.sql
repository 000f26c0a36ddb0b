-- Message search off the insert path (hand-written, like 20261201220000_message_search; see
-- backend/src/store/message-search-sql.ts and docs/architecture.md, "Message search"). No insert
-- trigger any more: whatever stores a message gives it its key (the writer thread does), and a
-- background indexer (store/search-indexer.ts) puts the keys above MessageSearchCursor into the
-- FTS5 table in batches and moves the cursor. The index as it is stays: every key there now is
-- indexed, so the cursor starts at the last one.

-- The indexer's durable cursor: every key up to indexedUpTo is in MessageSearch. One row.
CREATE TABLE "MessageSearchCursor" (
    "id" INTEGER NOT NULL PRIMARY KEY CHECK ("id" = 1),
    "indexedUpTo" INTEGER NOT NULL
);
INSERT INTO "MessageSearchCursor" ("id", "indexedUpTo") SELECT 1, coalesce(max("id"), 0) FROM "MessageSearchKey";

DROP TRIGGER IF EXISTS "Message_search_insert";
DROP TRIGGER IF EXISTS "Message_search_update";
DROP TRIGGER IF EXISTS "Message_search_delete";
CREATE TRIGGER "Message_search_update" AFTER UPDATE OF "body", "deletedAt" ON "Message"
WHEN OLD."body" IS NOT NEW."body" OR OLD."deletedAt" IS NOT NEW."deletedAt" BEGIN
    DELETE FROM "MessageSearch" WHERE "rowid" = (SELECT "id" FROM "MessageSearchKey" WHERE "messageId" = OLD."id" AND "id" <= (SELECT "indexedUpTo" FROM "MessageSearchCursor"));
    DELETE FROM "MessageSearchKey" WHERE "messageId" = OLD."id";
    UPDATE "MessageSearchCursor" SET "indexedUpTo" = (SELECT coalesce(max("id"), 0) FROM "MessageSearchKey") WHERE "indexedUpTo" > (SELECT coalesce(max("id"), 0) FROM "MessageSearchKey");
    INSERT INTO "MessageSearchKey" ("messageId") SELECT NEW."id" WHERE NEW."body" <> '' AND NEW."deletedAt" IS NULL;
END;
CREATE TRIGGER "Message_search_delete" AFTER DELETE ON "Message" BEGIN
    DELETE FROM "MessageSearch" WHERE "rowid" = (SELECT "id" FROM "MessageSearchKey" WHERE "messageId" = OLD."id" AND "id" <= (SELECT "indexedUpTo" FROM "MessageSearchCursor"));
    DELETE FROM "MessageSearchKey" WHERE "messageId" = OLD."id";
    UPDATE "MessageSearchCursor" SET "indexedUpTo" = (SELECT coalesce(max("id"), 0) FROM "MessageSearchKey") WHERE "indexedUpTo" > (SELECT coalesce(max("id"), 0) FROM "MessageSearchKey");
END;
