-- AlterTable
ALTER TABLE "InboxEntry" ADD COLUMN "data" TEXT;

-- CreateTable
CREATE TABLE "ReadMarker" (
    "userId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "deliveredUpTo" TEXT,
    "readUpTo" TEXT,
    "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("userId", "conversationId")
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "avatarUrl" TEXT,
    "passwordHash" TEXT,
    "externalId" TEXT,
    "inboxSeq" INTEGER NOT NULL DEFAULT 0,
    "presenceState" TEXT NOT NULL DEFAULT 'online',
    "statusText" TEXT NOT NULL DEFAULT '',
    "lastSeenAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "User_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_User" ("avatarUrl", "createdAt", "displayName", "externalId", "id", "inboxSeq", "lastSeenAt", "passwordHash", "siteId", "username") SELECT "avatarUrl", "createdAt", "displayName", "externalId", "id", "inboxSeq", "lastSeenAt", "passwordHash", "siteId", "username" FROM "User";
DROP TABLE "User";
ALTER TABLE "new_User" RENAME TO "User";
CREATE UNIQUE INDEX "User_siteId_username_key" ON "User"("siteId", "username");
CREATE UNIQUE INDEX "User_siteId_externalId_key" ON "User"("siteId", "externalId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Message_recipientId_id_idx" ON "Message"("recipientId", "id");
