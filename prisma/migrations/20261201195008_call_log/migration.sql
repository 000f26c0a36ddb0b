-- AlterTable
ALTER TABLE "Message" ADD COLUMN "callLog" TEXT;
