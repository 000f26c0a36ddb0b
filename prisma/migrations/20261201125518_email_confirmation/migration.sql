-- AlterTable
ALTER TABLE "User" ADD COLUMN "emailConfirmedAt" DATETIME;
