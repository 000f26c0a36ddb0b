-- CreateTable
CREATE TABLE "RemoteContact" (
    "userId" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "deliveredSeq" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "RemoteContact_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "RemoteContact_siteId_network_address_key" ON "RemoteContact"("siteId", "network", "address");
