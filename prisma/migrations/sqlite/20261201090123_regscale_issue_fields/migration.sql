-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Issue" (
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
    "costEstimate" INTEGER,
    "levelOfEffort" INTEGER,
    "facilityId" INTEGER,
    "orgId" INTEGER,
    "controlId" INTEGER,
    "assessmentId" INTEGER,
    "requirementId" INTEGER,
    "securityPlanId" INTEGER,
    "projectId" INTEGER,
    "supplyChainId" INTEGER,
    "policyId" INTEGER,
    "componentId" INTEGER,
    "incidentId" INTEGER,
    "parentId" INTEGER,
    "vulnerabilityId" INTEGER,
    "identification" TEXT,
    "capStatus" TEXT,
    "sourceReport" TEXT,
    "activitiesObserved" TEXT,
    "failuresObserved" TEXT,
    "requirementsViolated" TEXT,
    "safetyImpact" TEXT,
    "securityImpact" TEXT,
    "qualityImpact" TEXT,
    "jiraId" TEXT,
    "serviceNowId" TEXT,
    "wizId" TEXT,
    "burpId" TEXT,
    "defenderId" TEXT,
    "defenderAlertId" TEXT,
    "defenderCloudId" TEXT,
    "salesforceId" TEXT,
    "prismaId" TEXT,
    "tenableId" TEXT,
    "tenableNessusId" TEXT,
    "qualysId" TEXT,
    "pluginId" TEXT,
    "cve" TEXT,
    "assetIdentifier" TEXT,
    "falsePositive" TEXT,
    "operationalRequirement" TEXT,
    "autoApproved" TEXT,
    "kevList" TEXT,
    "changes" TEXT,
    "vendorDependency" TEXT,
    "vendorName" TEXT,
    "vendorActions" TEXT,
    "deviationRationale" TEXT,
    "parentModule" TEXT,
    "securityChecks" TEXT,
    "recommendedActions" TEXT,
    "dependabotId" TEXT,
    "originalRiskRating" TEXT,
    "adjustedRiskRating" TEXT,
    "basisForAdjustment" TEXT,
    "poamComments" TEXT,
    "otherIdentifier" TEXT,
    "integrationFindingId" TEXT,
    "wizCicdScanId" TEXT,
    "wizCicdScanVuln" TEXT,
    "sonarQubeIssueId" TEXT,
    "qualityAssurerId" TEXT,
    "remediationDescription" TEXT,
    "manualDetectionSource" TEXT,
    "manualDetectionId" TEXT,
    "riskAdjustment" TEXT,
    "affectedControls" TEXT,
    "dateFirstDetected" DATETIME,
    "vendorLastUpdate" DATETIME,
    "isPublic" BOOLEAN NOT NULL DEFAULT true,
    "isPoam" BOOLEAN NOT NULL DEFAULT false,
    "bRiskAdjustment" BOOLEAN,
    CONSTRAINT "Issue_issueOwnerId_fkey" FOREIGN KEY ("issueOwnerId") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Issue_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Issue_lastUpdatedById_fkey" FOREIGN KEY ("lastUpdatedById") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Issue" ("createdAt", "createdById", "createdByServiceAccountId", "dateCompleted", "description", "dueDate", "id", "issueOwnerId", "lastUpdatedById", "lastUpdatedByServiceAccountId", "severityLevel", "severityRank", "status", "title", "updatedAt", "uuid") SELECT "createdAt", "createdById", "createdByServiceAccountId", "dateCompleted", "description", "dueDate", "id", "issueOwnerId", "lastUpdatedById", "lastUpdatedByServiceAccountId", "severityLevel", "severityRank", "status", "title", "updatedAt", "uuid" FROM "Issue";
DROP TABLE "Issue";
ALTER TABLE "new_Issue" RENAME TO "Issue";
CREATE UNIQUE INDEX "Issue_uuid_key" ON "Issue"("uuid");
CREATE INDEX "Issue_status_id_idx" ON "Issue"("status", "id");
CREATE INDEX "Issue_severityRank_id_idx" ON "Issue"("severityRank", "id");
CREATE INDEX "Issue_dueDate_id_idx" ON "Issue"("dueDate", "id");
CREATE INDEX "Issue_createdAt_id_idx" ON "Issue"("createdAt", "id");
CREATE INDEX "Issue_updatedAt_id_idx" ON "Issue"("updatedAt", "id");
CREATE INDEX "Issue_issueOwnerId_id_idx" ON "Issue"("issueOwnerId", "id");
CREATE INDEX "Issue_createdById_idx" ON "Issue"("createdById");
CREATE INDEX "Issue_lastUpdatedById_idx" ON "Issue"("lastUpdatedById");
CREATE INDEX "Issue_parentId_parentModule_id_idx" ON "Issue"("parentId", "parentModule", "id");
CREATE INDEX "Issue_securityPlanId_id_idx" ON "Issue"("securityPlanId", "id");
CREATE INDEX "Issue_integrationFindingId_idx" ON "Issue"("integrationFindingId");
CREATE INDEX "Issue_otherIdentifier_idx" ON "Issue"("otherIdentifier");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
