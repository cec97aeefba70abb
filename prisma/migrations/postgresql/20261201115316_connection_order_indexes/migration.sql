-- DropIndex
DROP INDEX "ServiceAccount_expiresAt_idx";

-- CreateIndex
CREATE INDEX "ServiceAccount_expiresAt_id_idx" ON "ServiceAccount"("expiresAt", "id");

-- CreateIndex
CREATE INDEX "ServiceAccount_purpose_id_idx" ON "ServiceAccount"("purpose", "id");

-- CreateIndex
CREATE INDEX "ServiceAccount_lastUsedAt_id_idx" ON "ServiceAccount"("lastUsedAt", "id");

-- CreateIndex
CREATE INDEX "User_lastLoginAt_id_idx" ON "User"("lastLoginAt", "id");
