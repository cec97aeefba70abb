-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userName" TEXT NOT NULL,
    "userNameKey" TEXT NOT NULL,
    "email" TEXT,
    "displayName" TEXT,
    "passwordHash" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "lastLoginAt" DATETIME
);

-- CreateTable
CREATE TABLE "UserRole" (
    "userId" TEXT NOT NULL,
    "role" TEXT NOT NULL,

    PRIMARY KEY ("userId", "role"),
    CONSTRAINT "UserRole_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ServiceAccount" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "jti" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "revokedAt" DATETIME,
    "revokedById" TEXT,
    "lastUsedAt" DATETIME,
    "lastClientIp" TEXT,
    "useCount" INTEGER NOT NULL DEFAULT 0,
    "rotatedFromId" INTEGER,
    CONSTRAINT "ServiceAccount_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "ServiceAccount_revokedById_fkey" FOREIGN KEY ("revokedById") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "ServiceAccount_rotatedFromId_fkey" FOREIGN KEY ("rotatedFromId") REFERENCES "ServiceAccount" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ServiceAccountRole" (
    "serviceAccountId" INTEGER NOT NULL,
    "role" TEXT NOT NULL,

    PRIMARY KEY ("serviceAccountId", "role"),
    CONSTRAINT "ServiceAccountRole_serviceAccountId_fkey" FOREIGN KEY ("serviceAccountId") REFERENCES "ServiceAccount" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Issue" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "uuid" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "severityLevel" TEXT NOT NULL DEFAULT 'NOT_ASSIGNED',
    "severityRank" INTEGER NOT NULL DEFAULT 4,
    "status" TEXT NOT NULL DEFAULT 'OPEN',
    "dueDate" DATETIME,
    "dateCompleted" DATETIME,
    "issueOwnerId" TEXT,
    "createdById" TEXT,
    "lastUpdatedById" TEXT,
    "createdByServiceAccountId" INTEGER,
    "lastUpdatedByServiceAccountId" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Issue_issueOwnerId_fkey" FOREIGN KEY ("issueOwnerId") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Issue_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Issue_lastUpdatedById_fkey" FOREIGN KEY ("lastUpdatedById") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorType" TEXT NOT NULL,
    "actorUserId" TEXT,
    "actorServiceAccountId" INTEGER,
    "actorLabel" TEXT,
    "action" TEXT NOT NULL,
    "targetType" TEXT,
    "targetId" TEXT,
    "clientIp" TEXT,
    "requestId" TEXT,
    "details" TEXT
);

-- CreateIndex
CREATE UNIQUE INDEX "User_userNameKey_key" ON "User"("userNameKey");

-- CreateIndex
CREATE INDEX "User_createdAt_id_idx" ON "User"("createdAt", "id");

-- CreateIndex
CREATE INDEX "UserRole_role_idx" ON "UserRole"("role");

-- CreateIndex
CREATE UNIQUE INDEX "ServiceAccount_jti_key" ON "ServiceAccount"("jti");

-- CreateIndex
CREATE UNIQUE INDEX "ServiceAccount_rotatedFromId_key" ON "ServiceAccount"("rotatedFromId");

-- CreateIndex
CREATE INDEX "ServiceAccount_createdAt_id_idx" ON "ServiceAccount"("createdAt", "id");

-- CreateIndex
CREATE INDEX "ServiceAccount_expiresAt_idx" ON "ServiceAccount"("expiresAt");

-- CreateIndex
CREATE INDEX "ServiceAccount_revokedAt_idx" ON "ServiceAccount"("revokedAt");

-- CreateIndex
CREATE INDEX "ServiceAccount_createdById_idx" ON "ServiceAccount"("createdById");

-- CreateIndex
CREATE UNIQUE INDEX "Issue_uuid_key" ON "Issue"("uuid");

-- CreateIndex
CREATE INDEX "Issue_status_id_idx" ON "Issue"("status", "id");

-- CreateIndex
CREATE INDEX "Issue_severityRank_id_idx" ON "Issue"("severityRank", "id");

-- CreateIndex
CREATE INDEX "Issue_dueDate_id_idx" ON "Issue"("dueDate", "id");

-- CreateIndex
CREATE INDEX "Issue_createdAt_id_idx" ON "Issue"("createdAt", "id");

-- CreateIndex
CREATE INDEX "Issue_updatedAt_id_idx" ON "Issue"("updatedAt", "id");

-- CreateIndex
CREATE INDEX "Issue_issueOwnerId_id_idx" ON "Issue"("issueOwnerId", "id");

-- CreateIndex
CREATE INDEX "Issue_createdById_idx" ON "Issue"("createdById");

-- CreateIndex
CREATE INDEX "Issue_lastUpdatedById_idx" ON "Issue"("lastUpdatedById");

-- CreateIndex
CREATE INDEX "AuditEvent_at_id_idx" ON "AuditEvent"("at", "id");

-- CreateIndex
CREATE INDEX "AuditEvent_action_at_idx" ON "AuditEvent"("action", "at");

-- CreateIndex
CREATE INDEX "AuditEvent_actorUserId_at_idx" ON "AuditEvent"("actorUserId", "at");

-- CreateIndex
CREATE INDEX "AuditEvent_actorServiceAccountId_at_idx" ON "AuditEvent"("actorServiceAccountId", "at");

-- CreateIndex
CREATE INDEX "AuditEvent_targetType_targetId_idx" ON "AuditEvent"("targetType", "targetId");

-- Written by hand: the audit trail is append-only in the database itself,
-- whatever the application does. (Prisma's model cannot express triggers;
-- the drift check ignores them.)
CREATE TRIGGER "AuditEvent_no_update" BEFORE UPDATE ON "AuditEvent"
BEGIN
    SELECT RAISE(ABORT, 'AuditEvent is append-only');
END;

CREATE TRIGGER "AuditEvent_no_delete" BEFORE DELETE ON "AuditEvent"
BEGIN
    SELECT RAISE(ABORT, 'AuditEvent is append-only');
END;
