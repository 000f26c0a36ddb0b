-- AlterTable
ALTER TABLE "User" ADD COLUMN     "presenceState" TEXT NOT NULL DEFAULT 'online',
ADD COLUMN     "statusText" TEXT NOT NULL DEFAULT '';

-- AlterTable
ALTER TABLE "InboxEntry" ADD COLUMN     "data" TEXT;

-- CreateTable
CREATE TABLE "ReadMarker" (
    "userId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "deliveredUpTo" TEXT,
    "readUpTo" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReadMarker_pkey" PRIMARY KEY ("userId","conversationId")
);

-- CreateIndex
CREATE INDEX "Message_recipientId_id_idx" ON "Message"("recipientId", "id");
