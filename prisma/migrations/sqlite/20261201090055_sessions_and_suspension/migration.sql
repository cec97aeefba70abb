-- AlterTable
ALTER TABLE "ServiceAccount" ADD COLUMN "statusChangedAt" DATETIME;
ALTER TABLE "ServiceAccount" ADD COLUMN "suspendedAt" DATETIME;
ALTER TABLE "ServiceAccount" ADD COLUMN "suspendedReason" TEXT;

-- AlterTable
ALTER TABLE "User" ADD COLUMN "tokensValidAfter" DATETIME;

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" DATETIME,
    "expiresAt" DATETIME NOT NULL,
    "clientIp" TEXT,
    "userAgent" TEXT,
    "endedAt" DATETIME,
    "endReason" TEXT,
    CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Session_userId_endedAt_idx" ON "Session"("userId", "endedAt");

-- CreateIndex
CREATE INDEX "Session_endedAt_idx" ON "Session"("endedAt");

-- CreateIndex
CREATE INDEX "ServiceAccount_statusChangedAt_idx" ON "ServiceAccount"("statusChangedAt");

-- CreateIndex
CREATE INDEX "User_updatedAt_idx" ON "User"("updatedAt");
