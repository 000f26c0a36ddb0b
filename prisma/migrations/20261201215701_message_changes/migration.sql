-- CreateTable
CREATE TABLE "MessageEdit" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "messageId" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "editedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "MessageReaction" (
    "messageId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "emoji" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("messageId", "userId", "emoji")
);

-- CreateTable
CREATE TABLE "HiddenMessage" (
    "userId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("userId", "messageId")
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Message" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "senderId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "recipientId" TEXT,
    "clientId" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "mentions" TEXT,
    "fileId" TEXT,
    "attachment" TEXT,
    "callLog" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "replyToId" TEXT,
    "replyTo" TEXT,
    "editedAt" DATETIME,
    "deletedAt" DATETIME,
    "deletedBy" TEXT,
    "rev" INTEGER NOT NULL DEFAULT 0,
    "reactions" TEXT
);
INSERT INTO "new_Message" ("attachment", "body", "callLog", "clientId", "conversationId", "createdAt", "fileId", "id", "mentions", "recipientId", "senderId", "siteId") SELECT "attachment", "body", "callLog", "clientId", "conversationId", "createdAt", "fileId", "id", "mentions", "recipientId", "senderId", "siteId" FROM "Message";
DROP TABLE "Message";
ALTER TABLE "new_Message" RENAME TO "Message";
CREATE INDEX "Message_conversationId_id_idx" ON "Message"("conversationId", "id");
CREATE INDEX "Message_recipientId_id_idx" ON "Message"("recipientId", "id");
CREATE INDEX "Message_fileId_idx" ON "Message"("fileId");
CREATE INDEX "Message_replyToId_idx" ON "Message"("replyToId");
CREATE UNIQUE INDEX "Message_senderId_clientId_key" ON "Message"("senderId", "clientId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "MessageEdit_messageId_id_idx" ON "MessageEdit"("messageId", "id");

-- CreateIndex
CREATE INDEX "HiddenMessage_userId_conversationId_idx" ON "HiddenMessage"("userId", "conversationId");
