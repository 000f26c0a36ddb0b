-- Message search (hand-written: Prisma's schema cannot declare a virtual table). A contentless
-- FTS5 index with the trigram tokenizer over Message.body, case-insensitive, finding any substring
-- of three characters or more, Chinese included; kept current by triggers. Shorter queries scan the
-- conversation instead. See backend/src/store/message-search-sql.ts (the same statements, which
-- db:new-migration appends to any generated migration that redefines "Message") and
-- docs/architecture.md, "Message search".

-- An integer key per indexed message: FTS5 rowids are integers, Message's key is text, and its
-- implicit rowid changes on VACUUM and on Prisma's table rebuilds.
CREATE TABLE "MessageSearchKey" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "messageId" TEXT NOT NULL
);
CREATE UNIQUE INDEX "MessageSearchKey_messageId_key" ON "MessageSearchKey"("messageId");

CREATE VIRTUAL TABLE "MessageSearch" USING fts5("body", content='', contentless_delete=1, tokenize='trigram');

DROP TRIGGER IF EXISTS "Message_search_insert";
DROP TRIGGER IF EXISTS "Message_search_update";
DROP TRIGGER IF EXISTS "Message_search_delete";
CREATE TRIGGER "Message_search_insert" AFTER INSERT ON "Message"
WHEN NEW."body" <> '' AND NEW."deletedAt" IS NULL BEGIN
    INSERT INTO "MessageSearchKey" ("messageId") VALUES (NEW."id");
    INSERT INTO "MessageSearch" ("rowid", "body") SELECT "id", NEW."body" FROM "MessageSearchKey" WHERE "messageId" = NEW."id";
END;
CREATE TRIGGER "Message_search_update" AFTER UPDATE OF "body", "deletedAt" ON "Message"
WHEN OLD."body" IS NOT NEW."body" OR OLD."deletedAt" IS NOT NEW."deletedAt" BEGIN
    DELETE FROM "MessageSearch" WHERE "rowid" = (SELECT "id" FROM "MessageSearchKey" WHERE "messageId" = OLD."id");
    DELETE FROM "MessageSearchKey" WHERE "messageId" = OLD."id" AND NOT (NEW."body" <> '' AND NEW."deletedAt" IS NULL);
    INSERT OR IGNORE INTO "MessageSearchKey" ("messageId") SELECT NEW."id" WHERE NEW."body" <> '' AND NEW."deletedAt" IS NULL;
    INSERT INTO "MessageSearch" ("rowid", "body") SELECT "id", NEW."body" FROM "MessageSearchKey" WHERE "messageId" = NEW."id";
END;
CREATE TRIGGER "Message_search_delete" AFTER DELETE ON "Message" BEGIN
    DELETE FROM "MessageSearch" WHERE "rowid" = (SELECT "id" FROM "MessageSearchKey" WHERE "messageId" = OLD."id");
    DELETE FROM "MessageSearchKey" WHERE "messageId" = OLD."id";
END;

-- The messages already stored.
INSERT INTO "MessageSearch" ("MessageSearch") VALUES ('delete-all');
DELETE FROM "MessageSearchKey";
INSERT INTO "MessageSearchKey" ("messageId") SELECT "id" FROM "Message" WHERE "body" <> '' AND "deletedAt" IS NULL ORDER BY "id";
INSERT INTO "MessageSearch" ("rowid", "body") SELECT k."id", m."body" FROM "MessageSearchKey" k JOIN "Message" m ON m."id" = k."messageId";
